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
    /// Two computed keys (numbers, dates in days, instants in seconds, booleans); false
    /// where either is missing.
    case compareValues(TypedExpression, ComparisonOperator, TypedExpression)
    /// Two text fields: equality ignores case, ordering by code point.
    case compareFields(ResolvedField, ComparisonOperator, ResolvedField)
    /// On customers: the number of the customer's records of `entity` that match
    /// `predicate` (every record when nil), compared with `count`. A customer with no
    /// records counts 0.
    case relation(Entity, Predicate?, ComparisonOperator, Double)
    /// On contacts, purchases and tickets: a test of the record's customer
    /// (`customer.tier = gold`), checked against the customers' schema.
    case ofCustomer(Predicate)
    case and(Predicate, Predicate)
    case or(Predicate, Predicate)
    case not(Predicate)

    /// What the predicate answers for a record whose every field is missing: how a
    /// `customer.FIELD` test reads a record whose customer is missing. Every leaf but
    /// `is null` is false on a missing value.
    public var holdsWhereAllMissing: Bool {
        switch self {
        case .isNull(_, let negated): return !negated
        case .and(let a, let b): return a.holdsWhereAllMissing && b.holdsWhereAllMissing
        case .or(let a, let b): return a.holdsWhereAllMissing || b.holdsWhereAllMissing
        case .not(let a): return !a.holdsWhereAllMissing
        default: return false
        }
    }
}

/// What a checked expression yields. Every kind but text computes as a `Double` key:
/// a number, a date in days since 1970, an instant in seconds, a duration in days, a
/// boolean as 0 or 1.
public enum ValueKind: String, Sendable {
    case number, date, instant, duration, text, boolean, list

    init(_ type: FieldType) {
        switch type {
        case .integer, .number: self = .number
        case .date: self = .date
        case .instant: self = .instant
        case .string: self = .text
        case .boolean: self = .boolean
        case .list: self = .list
        }
    }
}

/// A checked expression: fields resolved, operand types checked, constants folded. A
/// missing operand, or a division by zero, makes the whole value missing (NaN).
public indirect enum TypedExpression: Sendable {
    case field(ResolvedField)
    case constant(Double, ValueKind)
    case negate(TypedExpression)
    case arithmetic(TypedExpression, ArithmeticOperator, TypedExpression, ValueKind)

    public var kind: ValueKind {
        switch self {
        case .field(let f): return ValueKind(f.type)
        case .constant(_, let k): return k
        case .negate(let e): return e.kind
        case .arithmetic(_, _, _, let k): return k
        }
    }

    /// The field, when the expression is one field alone.
    public var field: ResolvedField? {
        if case .field(let f) = self { return f }
        return nil
    }

    /// `a op b` on keys; NaN (missing) stays missing and `x / 0` is missing. Doubles
    /// cannot trap on overflow.
    @inline(__always)
    public static func apply(_ a: Double, _ op: ArithmeticOperator, _ b: Double) -> Double {
        switch op {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return b == 0 ? .nan : a / b
        }
    }

    /// The value with each field's key from `key` (NaN where missing).
    public func evaluate(_ key: (ResolvedField) -> Double) -> Double {
        switch self {
        case .field(let f): return key(f)
        case .constant(let c, _): return c
        case .negate(let e): return -e.evaluate(key)
        case .arithmetic(let a, let op, let b, _): return TypedExpression.apply(a.evaluate(key), op, b.evaluate(key))
        }
    }

    /// The comparison key of a stored value: what `evaluate` reads for a field.
    public static func key(of value: Value) -> Double {
        switch value {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        case .date(let d): return Double(d.daysSinceEpoch)
        case .instant(let t): return Double(t)
        case .boolean(let b): return b ? 1 : 0
        case .null, .string, .list: return .nan
        }
    }

    /// A computed key as a value of its kind; missing becomes null, and so does a date or
    /// instant past what the formats can write. A date keeps the day it falls on, an
    /// instant its whole second.
    public func value(ofKey key: Double) -> Value {
        guard key.isFinite else { return .null }
        switch kind {
        case .number, .duration: return .number(key)
        case .date:
            let day = key.rounded(.down)
            // Years 0000 to 9999, the dates the formats can write.
            return day >= -719_528 && day <= 2_932_896 ? .date(Day(daysSinceEpoch: Int32(day))) : .null
        case .instant:
            let seconds = key.rounded(.down)
            let range = Clock.instantRange
            return seconds >= Double(range.lowerBound) && seconds <= Double(range.upperBound) ? .instant(Int64(seconds)) : .null
        case .boolean: return .boolean(key != 0)
        case .text, .list: return .null
        }
    }
}

/// A `sort by` key: a field, which an index may deliver in order, or an expression.
public struct CheckedSortKey: Sendable {
    public var value: TypedExpression
    public var descending: Bool

    public init(_ value: TypedExpression, descending: Bool) { self.value = value; self.descending = descending }

    /// The field, when the key is one field alone.
    public var field: ResolvedField? { value.field }
}

/// A `show` column: a field, or an expression named as written.
public struct ShownColumn: Sendable {
    public var name: String
    public var value: TypedExpression
}

/// A checked `find`.
public struct CheckedFind: Sendable {
    public var entity: Entity
    /// Over the entity's deleted records (`find deleted ...`), checked against `binSchema(of:)`.
    public var inBin = false
    public var predicate: Predicate?
    public var sort: [CheckedSortKey]
    public var limit: Int?
    public var offset: Int
    public var columns: [ShownColumn]
    /// Doubts that did not stop the query, such as a word outside a field's vocabulary.
    public var warnings: [Diagnostic] = []

    public init(entity: Entity, predicate: Predicate?, sort: [CheckedSortKey], limit: Int?, offset: Int,
                columns: [ShownColumn], warnings: [Diagnostic] = []) {
        self.entity = entity; self.predicate = predicate; self.sort = sort
        self.limit = limit; self.offset = offset; self.columns = columns; self.warnings = warnings
    }

    /// A find that sorts by and shows plain fields only.
    public init(entity: Entity, predicate: Predicate?, sort: [(field: ResolvedField, descending: Bool)], limit: Int?, offset: Int,
                shown: [ResolvedField], warnings: [Diagnostic] = []) {
        self.init(entity: entity, predicate: predicate, sort: sort.map { CheckedSortKey(.field($0.field), descending: $0.descending) },
                  limit: limit, offset: offset, columns: shown.map { ShownColumn(name: $0.name, value: .field($0)) }, warnings: warnings)
    }

    /// The shown columns that are plain fields.
    public var shown: [ResolvedField] { columns.compactMap(\.value.field) }
}

/// A checked aggregate query.
public struct CheckedAggregate: Sendable {
    public var function: AggregateFunction
    public var field: ResolvedField?
    public var entity: Entity
    public var predicate: Predicate?
    public var groupBy: ResolvedField?
    /// Set when the groups are periods of the date or instant `groupBy`.
    public var groupPeriod: Period?
    /// Over the entity's deleted records (`count deleted ...`), checked against `binSchema(of:)`.
    public var inBin = false
    /// Doubts that did not stop the query, such as a word outside a field's vocabulary.
    public var warnings: [Diagnostic] = []

    /// The result column's name: `count`, `sum(totalSpent)`.
    public var valueColumn: String {
        function == .count ? "count" : "\(function.rawValue)(\(field!.name))"
    }

    /// The group column's name: `tier`, `month(openedAt)`.
    public var groupColumn: String? {
        guard let by = groupBy else { return nil }
        return groupPeriod.map { "\($0.rawValue)(\(by.name))" } ?? by.name
    }
}
