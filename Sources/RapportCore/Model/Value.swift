/// One field's value in a record. `null` stands for a missing field.
public enum Value: Hashable, Sendable {
    case null
    case string(String)
    case integer(Int64)
    case number(Double)
    case date(Day)
    /// A point in time, in seconds since 1970-01-01T00:00:00Z.
    case instant(Int64)
    case list([String])
    case boolean(Bool)

    public var isNull: Bool {
        switch self {
        case .null: return true
        case .list(let items): return items.isEmpty
        default: return false
        }
    }

    /// The numeric value of an integer or a number.
    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// The type this value naturally has; nil for null.
    public var type: FieldType? {
        switch self {
        case .null: return nil
        case .string: return .string
        case .integer: return .integer
        case .number: return .number
        case .date: return .date
        case .instant: return .instant
        case .list: return .list
        case .boolean: return .boolean
        }
    }
}
