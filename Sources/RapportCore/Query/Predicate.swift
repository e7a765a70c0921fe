/// A field resolved against an entity's schema.
public struct ResolvedField: Sendable, Equatable {
    public var position: Int
    /// The field's name as the schema spells it.
    public var name: String
    public var type: FieldType
    /// A derived field (`DerivedFields`): computed, never stored; its position lies past
    /// the stored fields and names no stored column.
    public var isDerived = false
}

/// A checked condition: fields resolved, values converted to what the field compares
/// with. Numbers, dates (days since 1970), instants (seconds) and booleans compare as
/// `Double` keys; a duration against a date has become a bound on that key.
public indirect enum Predicate: Sendable {
    case compareKey(ResolvedField, ComparisonOperator, Double)
    case compareString(ResolvedField, ComparisonOperator, String)
    case memberKey(ResolvedField, [Double], negated: Bool)
    case memberString(ResolvedField, [String], negated: Bool)
    /// `negated`: outside the range; a missing value matches neither way.
    case betweenKey(ResolvedField, Double, Double, negated: Bool)
    case betweenString(ResolvedField, String, String, negated: Bool)
    case text(ResolvedField, TextOperator, String, negated: Bool)
    case has(ResolvedField, HasMode, [String], negated: Bool)
    case isNull(ResolvedField, negated: Bool)
    /// The date's next yearly recurrence is today or at most `days` ahead.
    case within(ResolvedField, days: Double)
    case and(Predicate, Predicate)
    case or(Predicate, Predicate)
    case not(Predicate)
}

/// A checked `find`.
public struct CheckedFind: Sendable {
    public var entity: Entity
    public var predicate: Predicate?
    public var sort: [(field: ResolvedField, descending: Bool)]
    public var limit: Int?
    public var offset: Int
    public var shown: [ResolvedField]
    /// Doubts that did not stop the query, such as a word outside a field's vocabulary.
    public var warnings: [Diagnostic] = []
}

/// A checked aggregate query.
public struct CheckedAggregate: Sendable {
    public var function: AggregateFunction
    public var field: ResolvedField?
    public var entity: Entity
    public var predicate: Predicate?
    public var groupBy: ResolvedField?
    /// Doubts that did not stop the query, such as a word outside a field's vocabulary.
    public var warnings: [Diagnostic] = []

    /// The result column's name: `count`, `sum(totalSpent)`.
    public var valueColumn: String {
        function == .count ? "count" : "\(function.rawValue)(\(field!.name))"
    }
}
