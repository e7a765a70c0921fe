/// Converting written values to a field's type, with errors that point at the value.
public struct ValueConversion {
    public let clock: Clock

    public init(clock: Clock) { self.clock = clock }

    /// A literal from `add`, `set` or `log` as a value of `field`, checked by `RecordRules`.
    public func value(_ literal: Literal, for field: Field, entity: Entity) throws -> Value {
        let typed = try typedValue(literal, for: field)
        do { return try RecordRules.check(typed, for: field, in: entity) } catch let violation as RuleViolation {
            throw Diagnostic(violation.kind, violation.id, violation.arguments, at: literal.span, suggestion: violation.suggestion)
        }
    }

    private func typedValue(_ literal: Literal, for field: Field) throws -> Value {
        func mismatch(_ expected: String) -> Diagnostic {
            Diagnostic.usage(.typeMismatch, field.name, field.type.rawValue, expected, literal.text, at: literal.span)
        }
        if case .null = literal.kind { return .null }
        switch field.type {
        case .string:
            let text: String
            switch literal.kind {
            case .string(let s, _): text = s
            case .integer, .number, .date, .boolean: text = literal.text
            default: throw mismatch("text")
            }
            return .string(text)
        case .integer:
            switch literal.kind {
            case .integer(let i): return .integer(i)
            case .number(let d) where d == d.rounded() && abs(d) < 9e15: return .integer(Int64(d))
            default: throw mismatch("a whole number")
            }
        case .number:
            switch literal.kind {
            case .integer(let i): return .number(Double(i))
            case .number(let d): return .number(d)
            default: throw mismatch("a number")
            }
        case .date:
            switch literal.kind {
            case .date(let d): return .date(d)
            case .relativeDay(let k): return .date(clock.today.adding(days: k))
            case .string(let s, _): if let d = Day(iso: s) { return .date(d) }
            default: break
            }
            throw mismatch("a date (YYYY-MM-DD)")
        case .instant:
            switch literal.kind {
            case .date(let d): if let t = Clock.checkedInstant(clock.startOfDay(d)) { return .instant(t) }
            case .relativeDay(let k): if let t = Clock.checkedInstant(clock.startOfDay(clock.today.adding(days: k))) { return .instant(t) }
            case .string(let s, _): if let t = Clock.parseISO8601(s, defaultZone: clock.timeZone) { return .instant(t) }
            default: break
            }
            if literal.text.lowercased() == "now" { return .instant(clock.now) }
            throw mismatch("a time (2026-11-01T09:30:00+08:00) or a date")
        case .list:
            switch literal.kind {
            case .list(let items): return items.isEmpty ? .null : .list(items)
            case .string(let s, _): return .list([s])
            case .integer, .number: return .list([literal.text])
            default: throw mismatch("a list such as (vip, new)")
            }
        case .boolean:
            if case .boolean(let b) = literal.kind { return .boolean(b) }
            throw mismatch("true or false")
        }
    }
}
