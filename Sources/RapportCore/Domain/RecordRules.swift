/// A value a rule refuses, with what to tell the user.
public struct RuleViolation: Error, Sendable {
    public var id: DiagnosticID
    public var arguments: [String]
    public var suggestion: String?
    /// Usage for a value that cannot be a field's (exit 2); runtime for a well-typed value
    /// that fails a format check, like data that does not fit (exit 1).
    public var kind: Diagnostic.Kind

    init(_ id: DiagnosticID, _ arguments: String..., suggestion: String? = nil, kind: Diagnostic.Kind = .usage) {
        self.id = id
        self.arguments = arguments
        self.suggestion = suggestion
        self.kind = kind
    }

    public var message: String { DiagnosticMessages.wording(for: id, DiagnosticArguments(arguments)).message }
    public var notes: [String] { DiagnosticMessages.wording(for: id, DiagnosticArguments(arguments)).notes }
}

/// What a stored value must be, whichever path it arrives by (add, update, log, import):
/// one check, after the value has its field's type. Returns the value in its stored form
/// (vocabulary words in their one spelling, amounts in cents).
public enum RecordRules {
    /// The largest purchase amount accepted; beyond it sums stop being exact in cents.
    public static let maximumAmount = 1e12
    static let earliestDay = Day(year: 1, month: 1, day: 1)!
    static let latestDay = Day(year: 9999, month: 12, day: 31)!

    /// What the rules ask of one field of one entity, told by its name and worked out once:
    /// import resolves it per key list, not per cell (looking up a field's vocabulary and
    /// comparing its name for every cell was a tenth of the convert, branch pimport12).
    /// Every check goes through one, so a command and an import apply the same rules.
    /// Plain values only: passed for every cell, it retains nothing.
    public struct Rule: Sendable {
        enum Kind: UInt8, Sendable { case free, vocabulary, id, customerID, amount, satisfaction, surveyScore, nps, email, phone }
        let kind: Kind
        /// Set for `.vocabulary` only.
        let vocabulary: Vocabulary.Closed?

        public init(for field: Field, in entity: Entity) {
            // Custom fields are checked only for what every value must be (finite, in range).
            let vocabulary = field.isCustom ? nil : Vocabulary.Closed.of(field.name, in: entity)
            self.vocabulary = vocabulary
            if field.isCustom { kind = .free; return }
            if vocabulary != nil { kind = .vocabulary; return }
            switch (entity, field.name) {
            case (_, RecordField.id): kind = .id
            case (.purchases, RecordField.amount): kind = .amount
            case (.customers, CustomerField.satisfaction): kind = .satisfaction
            case (.customers, CustomerField.email): kind = .email
            case (.customers, CustomerField.phone): kind = .phone
            case (.surveys, SurveyField.score): kind = .surveyScore
            case (.surveys, SurveyField.nps): kind = .nps
            case (_, RecordField.customer) where entity != .customers: kind = .customerID
            default: kind = .free
            }
        }
    }

    /// `add`, `update`, `log`: a value breaking any rule is refused, a malformed email or
    /// phone included.
    public static func check(_ value: Value, for field: Field, in entity: Entity) throws -> Value {
        let rule = Rule(for: field, in: entity)
        let checked = try storedForm(value, rule, field.name)
        if let problem = formatProblem(checked, rule) { throw problem }
        return checked
    }

    /// Import: the same rules, but a malformed email or phone is stored as given and
    /// handed back in `formatWarning` (another system's rows are kept, and listed).
    public static func check(_ value: Value, for field: Field, in entity: Entity, formatWarning: inout RuleViolation?) throws -> Value {
        try check(value, Rule(for: field, in: entity), field.name, formatWarning: &formatWarning)
    }

    /// The same with the field's rule worked out already (`value` is consumed: a text
    /// kept as it is moves into the result without another reference to it).
    static func check(_ value: __owned Value, _ rule: Rule, _ name: String, formatWarning: inout RuleViolation?) throws -> Value {
        let checked = try storedForm(value, rule, name)
        formatWarning = formatProblem(checked, rule)
        return checked
    }

    /// A customer's email that is not an address (one `@`, something before it, a dot
    /// inside the domain, no spaces) or a phone without a digit; nil when fine.
    public static func formatProblem(_ value: Value, for field: Field, in entity: Entity) -> RuleViolation? {
        formatProblem(value, Rule(for: field, in: entity))
    }

    static func formatProblem(_ value: Value, _ rule: Rule) -> RuleViolation? {
        switch rule.kind {
        case .email:
            guard case .string(let text) = value else { return nil }
            return isEmailAddress(text) ? nil : RuleViolation(.emailNotAnAddress, text, kind: .runtime)
        case .phone:
            guard case .string(let text) = value else { return nil }
            return ContactKeys.hasDigit(text) ? nil : RuleViolation(.phoneWithoutDigits, text, kind: .runtime)
        default: return nil
        }
    }

    static func isEmailAddress(_ text: String) -> Bool {
        // On the UTF-8 buffer: asked of every imported email, the string's own view was slow.
        var text = text
        let shaped = text.withUTF8 { bytes -> Bool in
            guard let at = bytes.firstIndex(of: UInt8(ascii: "@")), at != 0 else { return false }
            let domain = bytes[(at + 1)...]
            guard !domain.contains(UInt8(ascii: "@")), let dot = domain.firstIndex(of: UInt8(ascii: ".")),
                  dot != at + 1, domain.last != UInt8(ascii: ".") else { return false }
            return true
        }
        return shaped && !containsWhitespace(text)
    }

    /// Whether `text` has a character with Unicode's White_Space property. In ASCII those
    /// are tab to carriage return and space: ASCII text is answered byte by byte.
    static func containsWhitespace(_ text: String) -> Bool {
        var text = text
        if let ascii = text.withUTF8({ bytes -> Bool? in
            var found = false
            for b in bytes {
                if b >= 0x80 { return nil }
                if b == 32 || (b >= 9 && b <= 13) { found = true }
            }
            return found
        }) { return ascii }
        return text.unicodeScalars.contains { $0.properties.isWhitespace }
    }

    private static func storedForm(_ value: __owned Value, _ rule: Rule, _ name: String) throws -> Value {
        switch value {
        case .null:
            return value
        case .number(let d):
            guard d.isFinite else { throw RuleViolation(.nonFiniteNumber, name) }
            if rule.kind == .amount { return .number(try amount(d)) }
            return value
        case .date(let day):
            guard day >= earliestDay, day <= latestDay else {
                throw RuleViolation(.dateOutOfRange, name)
            }
            return value
        case .instant(let t):
            guard Clock.instantRange.contains(t) else { throw RuleViolation(.instantOutOfRange, name) }
            return value
        case .integer(let i):
            switch rule.kind {
            case .satisfaction, .surveyScore:
                if !(1...5).contains(i) { throw RuleViolation(.satisfactionOutOfRange, String(i)) }
            case .nps:
                if !(0...10).contains(i) { throw RuleViolation(.npsOutOfRange, String(i)) }
            default: break
            }
            return value
        case .string(let text):
            switch rule.kind {
            case .vocabulary:
                // Most values are given in their stored spelling: kept, not made again.
                if rule.vocabulary!.holdsAsStored(text) { return value }
                let vocabulary = rule.vocabulary!.vocabulary
                guard let canonical = vocabulary.canonical(text) else {
                    throw RuleViolation(.notInVocabulary, text, name, vocabulary.words.joined(separator: ", "),
                                        suggestion: nearestName(to: text, among: vocabulary.words))
                }
                return .string(canonical)
            case .id: try checkID(text, what: "an id")
            case .customerID: try checkID(text, what: "a customer id")
            default: break
            }
            return value
        case .list(let items):
            guard rule.kind == .vocabulary, let vocabulary = rule.vocabulary else { return value }
            return .list(try words(items, of: vocabulary.vocabulary, field: name))
        case .boolean:
            return value
        }
    }

    /// The items of a list field with a vocabulary (`optOut`), each in its stored spelling,
    /// each once, in the order given.
    static func words(_ items: [String], of vocabulary: Vocabulary, field: String) throws -> [String] {
        var result: [String] = []
        for item in items {
            guard let word = vocabulary.canonical(item) else {
                throw RuleViolation(.listItemNotInVocabulary, item, field, vocabulary.words.joined(separator: ", "),
                                    suggestion: nearestName(to: item, among: vocabulary.words))
            }
            if !result.contains(word) { result.append(word) }
        }
        return result
    }

    /// Ids are matched exactly, so a space or control character would make a record that
    /// no one can name.
    public static func checkID(_ text: String, what: String = "an id") throws {
        if text.isEmpty { throw RuleViolation(.idEmpty, what) }
        // Visible ASCII only (most ids): no space, no control character.
        var text = text
        if text.withUTF8({ $0.allSatisfy { $0 > 32 && $0 < 127 } }) { return }
        if let first = text.unicodeScalars.first, let last = text.unicodeScalars.last,
           first.properties.isWhitespace || last.properties.isWhitespace {
            throw RuleViolation(.idPadded, what)
        }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw RuleViolation(.idControlCharacters, what)
        }
    }

    /// A purchase amount in cents: above 0 and below `maximumAmount`.
    public static func amount(_ value: Double) throws -> Double {
        guard value.isFinite, value > 0, value < maximumAmount else {
            throw RuleViolation(.amountOutOfRange)
        }
        return (value * 100).rounded() / 100
    }
}
