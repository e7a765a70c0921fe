/// The type of a field. Custom fields get theirs from imported data.
public enum FieldType: String, Sendable, CaseIterable {
    case string, integer, number, date, instant, list, boolean

    /// Integers and numbers compare with each other.
    public var isNumeric: Bool { self == .integer || self == .number }
    /// Dates and instants compare with dates and durations.
    public var isTemporal: Bool { self == .date || self == .instant }
}
