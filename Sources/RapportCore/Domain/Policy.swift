import Foundation

/// The store's business rules in one place: service targets, revisit intervals, loyalty,
/// value, tier, grade, stage and churn thresholds. Every rule that reads a number the
/// business may want to change reads it here; `show policy` lists every key and
/// `set policy KEY = VALUE` changes one (docs/policy.md documents each key).
///
/// A store keeps only the keys that differ from their defaults; values are numbers in the
/// key's canonical unit (durations in seconds).
public struct Policy: Sendable, Equatable {
    /// The keys set away from their defaults, by canonical key name.
    public private(set) var overrides: [String: Double]

    public init(overrides: [String: Double] = [:]) {
        self.overrides = [:]
        for (name, value) in overrides { set(name, to: value) }
    }

    /// Every key at its default.
    public static let defaults = Policy()

    /// The value of `key` (canonical unit), its override or its default.
    public func value(_ key: PolicyKey) -> Double { overrides[key.name] ?? key.defaultValue }

    /// The value of the key named `name` (any case); 0 for a name no key has.
    public subscript(name: String) -> Double {
        guard let key = PolicyCatalogue.key(named: name) else { return 0 }
        return value(key)
    }

    /// Sets a key (any case) to `value`; setting it to its default removes the override.
    /// Unknown names are ignored: values are checked by `PolicyKey.parse` before they come here.
    public mutating func set(_ name: String, to value: Double) {
        guard let key = PolicyCatalogue.key(named: name) else { return }
        if value == key.defaultValue { overrides[key.name] = nil } else { overrides[key.name] = value }
    }

    /// A duration key in whole days (rounded down, at least 0).
    public func days(_ name: String) -> Int { max(0, Int((self[name] / 86_400).rounded(.down))) }
    /// A duration key in seconds.
    public func seconds(_ name: String) -> Int64 { Int64(self[name].rounded()) }
}

/// One change of the policy within a change set, journalled and audited like a field.
public struct PolicyChange: Sendable, Equatable {
    public var key: String
    public var before: Double
    public var after: Double

    public init(key: String, before: Double, after: Double) {
        self.key = key
        self.before = before
        self.after = after
    }
}

/// What kind of value a key holds, how it is written and read back.
public enum PolicyValueKind: String, Sendable {
    /// A length of time: `3min`, `1h`, `24h`, `7d`, `2w`, `3mo`, `1y`; kept in seconds.
    case duration
    /// A number, fractions allowed.
    case number
    /// A whole number.
    case integer
    /// A share of 100: `20` means 20 %.
    case percent
    /// A time of day on the 24-hour clock, `HH:MM` (`21:00`, `8:00`); kept in seconds after midnight.
    case timeOfDay
}

/// A key of the policy: its name, kind, default, the range it must lie in, and one line for
/// `show policy` and docs.
public struct PolicyKey: Sendable {
    public let name: String
    public let kind: PolicyValueKind
    /// In the kind's canonical unit (seconds for a duration).
    public let defaultValue: Double
    public let range: ClosedRange<Double>
    public let help: String

    public init(_ name: String, _ kind: PolicyValueKind, _ defaultValue: Double,
                range: ClosedRange<Double>? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        switch kind {
        case .percent: self.range = range ?? 0...100
        case .timeOfDay: self.range = range ?? 0...PolicyKey.lastMinuteOfDay
        default: self.range = range ?? 0...Double(Int32.max)
        }
        self.help = help
    }

    /// Reads a value written for this key (`24h`, `0.1`, `20`); nil when it is not one of
    /// the key's kind or lies outside its range.
    public func parse(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let value: Double?
        switch kind {
        case .duration: value = PolicyKey.parseDuration(t)
        case .number, .percent: value = Double(t).flatMap { $0.isFinite ? $0 : nil }
        case .integer: value = Int(t).map(Double.init)
        case .timeOfDay: value = PolicyKey.parseTimeOfDay(t)
        }
        guard let value, range.contains(value) else { return nil }
        return value
    }

    /// The value as `show policy` writes it, in a form `parse` reads back.
    public func format(_ value: Double) -> String {
        switch kind {
        case .duration: return PolicyKey.formatDuration(value)
        case .integer: return String(Int64(value))
        case .timeOfDay: return PolicyKey.formatTimeOfDay(value)
        case .number, .percent:
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        }
    }

    /// 23:59, the latest time of day a key may hold, in seconds after midnight.
    static let lastMinuteOfDay: Double = 86_400 - 60

    /// `21:00`, `8:30`, `08:30` (spaces around the colon ignored, as `set policy` joins the
    /// tokens it reads): hours 0 to 23, minutes 0 to 59, as seconds after midnight.
    static func parseTimeOfDay(_ text: String) -> Double? {
        let parts = text.filter { $0 != " " }.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let h = Int(parts[0]), let m = Int(parts[1]), (0...23).contains(h), (0...59).contains(m) else { return nil }
        return Double(h * 3_600 + m * 60)
    }

    /// Seconds after midnight as `HH:MM`.
    static func formatTimeOfDay(_ seconds: Double) -> String {
        let minutes = Int(seconds.rounded()) / 60
        let h = minutes / 60, m = minutes % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }

    /// Seconds per unit of the duration words a policy value may use.
    static let durationUnits: [(words: [String], seconds: Double)] = [
        (["s", "sec", "second", "seconds"], 1),
        (["min", "minute", "minutes"], 60),
        (["h", "hour", "hours"], 3_600),
        (["d", "day", "days"], 86_400),
        (["w", "week", "weeks"], 7 * 86_400),
        (["mo", "month", "months"], 30 * 86_400),
        (["y", "year", "years"], 365 * 86_400),
    ]

    static func parseDuration(_ text: String) -> Double? {
        let digits = text.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        guard let amount = Double(digits), amount.isFinite,
              let perUnit = durationUnits.first(where: { $0.words.contains(unit) })?.seconds else { return nil }
        return amount * perUnit
    }

    /// Days from four days up (`7d`, `365d`), otherwise the largest of h, min, s that
    /// divides it: 180 → `3min`, one day → `24h`, three days → `72h`, as service targets
    /// are spoken of. Weeks, months and years print as days (`2w` → `14d`).
    static func formatDuration(_ seconds: Double) -> String {
        let s = Int64(seconds.rounded())
        if s == 0 { return "0d" }
        if s % 86_400 == 0 && s >= 4 * 86_400 { return "\(s / 86_400)d" }
        if s % 3_600 == 0 { return "\(s / 3_600)h" }
        if s % 60 == 0 { return "\(s / 60)min" }
        return "\(s)s"
    }
}

/// Every policy key, in the order `show policy` lists them. To add a rule the business may
/// tune, add its key here and its line in docs/policy.md.
public enum PolicyCatalogue {
    static let minute = 60.0, hour = 3_600.0, day = 86_400.0

    public static let all: [PolicyKey] = [
        // Service targets (contract section 9)
        PolicyKey("response.phone", .duration, 3 * minute, help: "first response to a phone ticket"),
        PolicyKey("response.wechat", .duration, 1 * hour, help: "first response to a wechat ticket"),
        PolicyKey("response.email", .duration, 24 * hour, help: "first response to an email ticket"),
        PolicyKey("response.sms", .duration, 24 * hour, help: "first response to an sms ticket"),
        PolicyKey("response.visit", .duration, 24 * hour, help: "first response to a ticket raised on a visit"),
        PolicyKey("resolution.urgent", .duration, 24 * hour, help: "resolution of an urgent ticket (pending time not counted)"),
        PolicyKey("resolution.high", .duration, 48 * hour, help: "resolution of a high-priority ticket"),
        PolicyKey("resolution.normal", .duration, 72 * hour, help: "resolution of a normal ticket"),
        PolicyKey("resolution.low", .duration, 7 * day, help: "resolution of a low-priority ticket"),
        // Revisits
        PolicyKey("revisit.A", .duration, 30 * day, help: "longest gap between contacts for a grade A customer"),
        PolicyKey("revisit.B", .duration, 60 * day, help: "longest gap between contacts for a grade B customer"),
        PolicyKey("revisit.C", .duration, 90 * day, help: "longest gap between contacts for a grade C customer"),
        PolicyKey("revisit.D", .duration, 180 * day, help: "longest gap between contacts for a grade D customer"),
        PolicyKey("revisit.none", .duration, 90 * day, help: "longest gap between contacts for a customer with no grade"),
        PolicyKey("revisit.afterPurchase", .duration, 7 * day, help: "first revisit after a purchase"),
        // Loyalty points
        PolicyKey("points.perUnit", .number, 1, help: "points earned per whole unit of currency spent"),
        PolicyKey("points.expiry", .duration, 365 * day, help: "how long earned points stay valid"),
        // Lifetime value: ltv = Σ_{i=1..H} m·s / (1+d)^i
        PolicyKey("ltv.margin", .number, 1.0, range: 0...1, help: "m: the share of spend that is margin"),
        PolicyKey("ltv.discountRate", .number, 0.10, range: 0...10, help: "d: yearly discount rate"),
        PolicyKey("ltv.horizon", .integer, 5, range: 0...100, help: "H: horizon in years"),
        // Tiers: the highest tier whose 12-month spend and purchase count are both reached
        PolicyKey("tier.silver.spend", .number, 2_000, help: "12-month spend that reaches silver"),
        PolicyKey("tier.silver.purchases", .integer, 2, help: "12-month purchases that reach silver"),
        PolicyKey("tier.gold.spend", .number, 10_000, help: "12-month spend that reaches gold"),
        PolicyKey("tier.gold.purchases", .integer, 4, help: "12-month purchases that reach gold"),
        PolicyKey("tier.platinum.spend", .number, 30_000, help: "12-month spend that reaches platinum"),
        PolicyKey("tier.platinum.purchases", .integer, 8, help: "12-month purchases that reach platinum"),
        // Grades: shares of the customers with a value, best first; the rest are D
        PolicyKey("grade.A", .percent, 20, help: "share of valued customers graded A (the most valuable)"),
        PolicyKey("grade.B", .percent, 30, help: "share graded B, after A"),
        PolicyKey("grade.C", .percent, 30, help: "share graded C, after B; the rest are D"),
        // Stages
        PolicyKey("stage.atRisk", .duration, 180 * day, help: "no purchase for this long: at-risk"),
        PolicyKey("stage.lost", .duration, 365 * day, help: "no purchase for this long: lost"),
        // Churn early warning
        PolicyKey("churn.gapFactor", .number, 2, range: 1...100, help: "signal: no purchase for this many times the customer's usual gap"),
        PolicyKey("churn.oneTimeAfter", .duration, 180 * day, help: "signal: a one-time buyer silent for this long"),
        PolicyKey("churn.lowSatisfaction", .integer, 2, range: 1...5, help: "signal: satisfaction at or below this"),
        PolicyKey("churn.complaintWithin", .duration, 90 * day, help: "signal: a complaint open or opened within this"),
        PolicyKey("churn.weight.lapse", .number, 3, range: 0...100, help: "weight of the lapse signal (no purchase for gapFactor × the usual gap)"),
        PolicyKey("churn.weight.oneTime", .number, 2, range: 0...100, help: "weight of the one-time buyer signal"),
        PolicyKey("churn.weight.satisfaction", .number, 2, range: 0...100, help: "weight of the low satisfaction signal"),
        PolicyKey("churn.fallingWithin", .duration, 180 * day, help: "signal: the latest survey, lower than the one before, taken within this"),
        PolicyKey("churn.weight.falling", .number, 1, range: 0...100, help: "weight of the falling satisfaction signal"),
        PolicyKey("churn.weight.complaint", .number, 2, range: 0...100, help: "weight of the complaint signal"),
        PolicyKey("churn.weight.revisit", .number, 1, range: 0...100, help: "weight of the overdue revisit signal"),
        PolicyKey("churn.medium", .number, 2, range: 0...1000, help: "churnRisk is medium from this sum of signal weights"),
        PolicyKey("churn.high", .number, 4, range: 0...1000, help: "churnRisk is high from this sum of signal weights"),
        // Care campaigns: respect for the customer (docs/campaigns.md)
        PolicyKey("campaign.quietHours.start", .timeOfDay, 21 * hour, help: "quiet hours begin: no message is stamped from this time of day"),
        PolicyKey("campaign.quietHours.end", .timeOfDay, 8 * hour, help: "quiet hours end: a message held by them goes at this time; equal to the start, no quiet hours"),
        PolicyKey("campaign.weeklyCap", .integer, 2, range: 0...1000, help: "most messages a customer gets in any 7 days, all campaigns together; 0 = no cap"),
        PolicyKey("delivery.timeout", .duration, 30, range: 1...86_400, help: "deliver stops a command that has not finished one message in this long; the message failed"),
        // Bulk imports (docs/storage.md)
        PolicyKey("import.bulkRows", .integer, 1000, range: 1...100_000_000, help: "an import adding at least this many records writes them into a new snapshot, and the audit log gets one summary of them"),
        // Sharing a store (docs/storage.md)
        PolicyKey("store.lockWait", .duration, 10, range: 0...3_600, help: "a change waits this long for another session's change to the same store to finish, then fails"),
    ]

    private static let byName: [String: PolicyKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name.lowercased(), $0) })

    /// The key named `name`, in any case.
    public static func key(named name: String) -> PolicyKey? { byName[name.lowercased()] }
}
