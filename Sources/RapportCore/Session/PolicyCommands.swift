/// `show policy` and `set policy KEY = VALUE`: the store's business rules as a result, and
/// one key's change checked against the catalogue. The session commits what comes out.
enum PolicyCommands {
    /// Every key (or those under `prefix`) in catalogue order: key, value, default, meaning.
    static func table(_ policy: Policy, prefix: String?, span: SourceSpan) throws -> ResultSet {
        var keys = PolicyCatalogue.all
        if let prefix {
            keys = keys.filter { PolicyCommands.key($0.name, isUnder: prefix) }
            guard !keys.isEmpty else {
                throw Diagnostic.usage(.unknownPolicyPrefix, prefix, at: span, suggestion: suggestion(for: prefix))
            }
        }
        let rows: [[Value]] = keys.map { key in
            [.string(key.name), .string(key.format(policy.value(key))), .string(key.format(key.defaultValue)), .string(key.help)]
        }
        return ResultSet(columns: ["key", "value", "default", "meaning"], rows: rows)
    }

    /// `resolution` lists resolution.urgent and the rest; a whole key lists that key. Any case.
    static func key(_ name: String, isUnder prefix: String) -> Bool {
        let name = name.lowercased(), prefix = prefix.lowercased()
        return name == prefix || name.hasPrefix(prefix.hasSuffix(".") ? prefix : prefix + ".")
    }

    /// Every key and every dotted part a key starts with (`tier`, `tier.gold`), for did-you-mean.
    static let prefixes: [String] = {
        var seen = Set<String>()
        var result: [String] = []
        for key in PolicyCatalogue.all {
            let parts = key.name.split(separator: ".")
            for n in 1...parts.count {
                let prefix = parts.prefix(n).joined(separator: ".")
                if seen.insert(prefix).inserted { result.append(prefix) }
            }
        }
        return result
    }()

    /// For a word no key is under: the shortest prefix that starts with it (`resol` gives
    /// `resolution`), else the nearest prefix.
    static func suggestion(for word: String) -> String? {
        let lowered = word.lowercased()
        let longer = prefixes.filter { $0.lowercased().hasPrefix(lowered) }
        return longer.min { $0.count < $1.count } ?? nearestName(to: word, among: prefixes)
    }

    /// The key named `name` (any case), or a usage error at `span` with the nearest key.
    static func resolve(_ name: String, at span: SourceSpan) throws -> PolicyKey {
        guard let key = PolicyCatalogue.key(named: name) else {
            throw Diagnostic.usage(.unknownPolicyKey, name, at: span,
                                   suggestion: nearestName(to: name, among: PolicyCatalogue.all.map(\.name)))
        }
        return key
    }

    /// The change `set policy KEY = VALUE` makes to `policy`; nil when the key has that value already.
    static func change(_ policy: Policy, key name: String, keySpan: SourceSpan,
                       value text: String, valueSpan: SourceSpan) throws -> (key: PolicyKey, change: PolicyChange?) {
        let key = try resolve(name, at: keySpan)
        guard let value = key.parse(text) else {
            throw Diagnostic.usage(.policyValueInvalid, key.name, key.valueDescription, text, at: valueSpan)
        }
        let before = policy.value(key)
        guard before != value else { return (key, nil) }
        return (key, PolicyChange(key: key.name, before: before, after: value))
    }

    /// "policy resolution.urgent: 24h → 12h".
    static func summary(_ key: PolicyKey, _ change: PolicyChange) -> String {
        "policy \(key.name): \(key.format(change.before)) → \(key.format(change.after))"
    }
}

extension PolicyKey {
    /// What the key takes, for the refusal of a bad value: "a number from 0 to 1".
    var valueDescription: String {
        let open = range.upperBound >= Double(Int32.max)
        let bounds = open ? "of \(format(range.lowerBound)) or more" : "from \(format(range.lowerBound)) to \(format(range.upperBound))"
        switch kind {
        case .duration:
            return "a duration \(bounds), a number and a unit: s, min, h, d, w, mo (30d) or y (365d), such as 3min, 24h, 7d"
        case .number: return "a number \(bounds)"
        case .integer: return "a whole number \(bounds)"
        case .percent: return "a percentage \(bounds) (20 means 20 %)"
        case .timeOfDay: return "a time of day from 00:00 to 23:59, written HH:MM, such as 21:00"
        }
    }

    /// Whether a value read from a file (canonical unit) is one `set policy` could have set.
    func accepts(_ value: Double) -> Bool {
        guard value.isFinite, range.contains(value) else { return false }
        switch kind {
        case .integer: return value == value.rounded()
        case .timeOfDay: return value.truncatingRemainder(dividingBy: 60) == 0
        default: return true
        }
    }
}
