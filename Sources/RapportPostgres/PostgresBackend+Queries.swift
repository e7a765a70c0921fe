import Foundation
import RapportCore

/// Finds and aggregates as one SELECT each, with the in-memory executor's answers
/// (Store/QueryExecutor.swift, Store/Aggregator.swift): the same rows in the same order,
/// the same values and types, groups in the same order with null last.
extension PostgresBackend {
    /// A shown column: how to read it back from its text.
    enum Shown {
        case field(FieldType)
        /// An expression's float8 key, made a value as the executor does (`value(ofKey:)`).
        case expression(TypedExpression)
    }

    /// The SELECT of a checked find: id, its shown columns, condition, order, limit.
    /// `fields`: read these stored columns instead of the shown ones.
    /// `ledgerExpires`: translate the points balances as FIFO over the ledger (asked of the
    /// database when the query reads them).
    func select(_ q: CheckedFind, clock: Clock?, fields: [Field]? = nil, ledgerExpires: Bool = false) throws -> (sql: String, parameters: [String?], shown: [Shown], readsPointsBalance: Bool) {
        if !q.entity.isStored { throw SQLTranslation.unsupported("the audit trail") }
        var t = SQLTranslation(entity: q.entity, today: clock?.today ?? Day(daysSinceEpoch: 0))
        t.now = clock?.now ?? 0
        if let clock { t.timeZone = clock.timeZone }
        t.policy = policy
        t.inBin = q.inBin
        t.ledgerExpires = ledgerExpires
        var list = ["\(t.scope).\(SQLTranslation.quoted(RecordField.id))"]
        var shown: [Shown] = []
        if let fields {
            list += fields.map(SQLTranslation.reader)
            shown = fields.map { .field($0.type) }
        } else {
            for column in q.columns {
                if let f = column.value.field {
                    list.append(try t.reader(f))
                    shown.append(.field(f.type))
                } else {
                    list.append(try t.key(column.value))
                    shown.append(.expression(column.value))
                }
            }
        }
        let condition = try q.predicate.map { " WHERE " + (try t.condition($0)) } ?? ""
        var order = ""
        if fields == nil {
            var keys: [String] = []
            for key in q.sort {
                let direction = (key.descending ? " DESC" : " ASC") + " NULLS LAST"
                guard let f = key.field else {
                    // A missing key (x / 0 too) sorts last either way, as NaN does in the store.
                    keys.append(try t.key(key.value) + direction)
                    continue
                }
                // A list sorts every record alike in the store: it adds nothing to the order.
                if f.type == .list { continue }
                let c = try t.column(f)
                keys.append((f.type == .string ? c + " COLLATE \"C\"" : c) + direction)
            }
            keys.append("\(t.scope).\(SQLTranslation.quoted(RecordField.id)) COLLATE \"C\"")
            order = " ORDER BY " + keys.joined(separator: ", ")
            if let limit = q.limit { order += " LIMIT \(t.parameter(String(limit)))::bigint" }
            if q.offset > 0 { order += " OFFSET \(t.parameter(String(q.offset)))::bigint" }
        }
        // The table last: what the translation read decides what joins it (value columns, ledger).
        if t.readsPointsBalance, !ledgerExpires, try expiringLots(inBin: q.inBin) { return try select(q, clock: clock, fields: fields, ledgerExpires: true) }
        let sql = "SELECT " + list.joined(separator: ", ") + " FROM " + t.from(q.entity, inBin: q.inBin) + condition + order
        try fillLedger(&t, clock: clock)
        return (sql, t.parameters, shown, t.readsPointsBalance)
    }

    /// The table a query reads: the bin's under the live table's name, so that the
    /// translation's column references (`"customers"."name"`) read either.
    static func from(_ entity: Entity, inBin: Bool) -> String {
        inBin ? "\(table(entity, inBin: true)) \(SQLTranslation.table(entity))" : SQLTranslation.table(entity)
    }

    public func find(_ q: CheckedFind, clock: Clock) -> ResultSet {
        if q.entity == .audit, let auditEngine { return auditEngine.find(q, clock: clock) }
        guard let (sql, parameters, shown, _) = translated({ try select(q, clock: clock) }) else { return ResultSet(columns: q.columns.map(\.name), rows: []) }
        let values = rows(sql, parameters).map { row in
            shown.indices.map { i -> Value in
                switch shown[i] {
                case .field(let type): return SQLTranslation.value(row[i + 1], type)
                case .expression(let e): return e.value(ofKey: row[i + 1].flatMap(Double.init) ?? .nan)
                }
            }
        }
        return ResultSet(columns: q.columns.map(\.name), rows: values)
    }

    public func count(matching q: CheckedFind, clock: Clock) -> Int {
        if q.entity == .audit, let auditEngine { return auditEngine.count(matching: q, clock: clock) }
        guard q.entity.isStored else { return 0 }
        func counting(ledgerExpires: Bool) throws -> (sql: String, parameters: [String?], readsPointsBalance: Bool) {
            var t = SQLTranslation(entity: q.entity, today: clock.today)
            t.now = clock.now
            t.timeZone = clock.timeZone
            t.policy = policy
            t.inBin = q.inBin
            t.ledgerExpires = ledgerExpires
            let condition = try q.predicate.map { " WHERE " + (try t.condition($0)) } ?? ""
            let sql = "SELECT count(*) FROM \(t.from(q.entity, inBin: q.inBin))\(condition)"
            try fillLedger(&t, clock: clock)
            return (sql, t.parameters, t.readsPointsBalance)
        }
        guard var counted = try? counting(ledgerExpires: false) else { return 0 }
        if counted.readsPointsBalance, (try? expiringLots(inBin: q.inBin)) == true {
            guard let again = try? counting(ledgerExpires: true) else { return 0 }
            counted = again
        }
        return Int(rows(counted.sql, counted.parameters).first?[0] ?? "0") ?? 0
    }

    // MARK: Aggregates

    /// How an aggregate's group column reads back.
    enum GroupLabel {
        case none
        case field(FieldType)
        /// A period's integer key, labelled as the store labels it (`Period.label(ofKey:)`).
        case period(Period)
    }

    /// The SELECT of an aggregate: the group (when `by`), then the value. `clock` nil:
    /// only checking whether it translates.
    func aggregateSQL(_ q: CheckedAggregate, clock: Clock?, ledgerExpires: Bool = false) throws -> (sql: String, parameters: [String?], group: GroupLabel, readsPointsBalance: Bool) {
        if !q.entity.isStored { throw SQLTranslation.unsupported("the audit trail") }
        var t = SQLTranslation(entity: q.entity, today: clock?.today ?? Day(daysSinceEpoch: 0))
        t.now = clock?.now ?? 0
        if let clock { t.timeZone = clock.timeZone }
        t.policy = policy
        t.inBin = q.inBin
        t.ledgerExpires = ledgerExpires
        var joins = ""
        var groupKey: String?
        var label = GroupLabel.none
        if let by = q.groupBy {
            if let period = q.groupPeriod {
                let day: String
                switch by.type {
                case .date: day = try t.column(by)
                case .instant:
                    day = t.localDay(try t.column(by))
                default: throw SQLTranslation.unsupported("a period of '\(by.name)'")
                }
                groupKey = Self.periodKey(period, day)
                label = .period(period)
            } else if by.type == .list {
                // One group per distinct item; a record with no items in the null group.
                joins += " LEFT JOIN LATERAL (SELECT DISTINCT item FROM unnest(\(try t.column(by))) item) g ON true"
                groupKey = "g.item"
                label = .field(.string)
            } else {
                groupKey = try t.column(by)
                label = .field(by.type)
            }
        }
        let value = try aggregateValue(q, &t)
        let condition = try q.predicate.map { " WHERE " + (try t.condition($0)) } ?? ""
        if t.readsPointsBalance, !ledgerExpires, try expiringLots(inBin: q.inBin) { return try aggregateSQL(q, clock: clock, ledgerExpires: true) }
        let from = t.from(q.entity, inBin: q.inBin) + joins
        try fillLedger(&t, clock: clock)
        guard let groupKey, let by = q.groupBy else { return ("SELECT \(value) FROM \(from)\(condition)", t.parameters, label, t.readsPointsBalance) }
        let isText = by.type == .string || (by.type == .list && q.groupPeriod == nil)
        let shownKey: String
        switch label {
        case .field(let type) where by.type != .list: shownKey = SQLTranslation.reader(groupKey, type)
        default: shownKey = groupKey
        }
        let order = (isText ? "\(groupKey) COLLATE \"C\"" : groupKey) + " NULLS LAST"
        return ("SELECT \(shownKey), \(value) FROM \(from)\(condition) GROUP BY \(groupKey) ORDER BY \(order)", t.parameters, label, t.readsPointsBalance)
    }

    /// The value column's SQL, read back by `aggregateValue(_:_:)`.
    private func aggregateValue(_ q: CheckedAggregate, _ t: inout SQLTranslation) throws -> String {
        guard let f = q.field else { return "count(*)" }
        let c = try t.column(f)
        switch q.function {
        case .count: return "count(\(c))"
        case .sum, .avg:
            switch f.type {
            // Exact: a sum that leaves Int64 falls back to a number, as in the store.
            case .integer: return q.function == .sum ? "sum(\(c))::text" : "(sum(\(c))::float8 / count(\(c)))::text"
            // The store sums with compensation; an exact sum agrees to the 15 digits shown.
            case .number: return q.function == .sum ? "sum(\(c)::numeric)::float8::text" : "(sum(\(c)::numeric)::float8 / count(\(c)))::text"
            default: return "(\(q.function == .sum ? "sum" : "avg")(\(try t.key(.field(f)))))::text"
            }
        case .min, .max:
            let function = q.function == .min ? "min" : "max"
            switch f.type {
            case .string: return "\(function)(\(c) COLLATE \"C\")"
            case .list: throw SQLTranslation.unsupported("'\(function)' of a list")
            case .boolean: return "\(function)(\(c)::int)"
            default: return SQLTranslation.reader("\(function)(\(c))", f.type)
            }
        }
    }

    private func aggregateValue(_ q: CheckedAggregate, _ text: String?) -> Value {
        guard let f = q.field else { return .integer(Int64(text ?? "0") ?? 0) }
        switch q.function {
        case .count: return .integer(Int64(text ?? "0") ?? 0)
        case .sum, .avg:
            guard let text else { return .null }
            if q.function == .sum, f.type == .integer, let i = Int64(text) { return .integer(i) }
            return Double(text).map(Value.number) ?? .null
        case .min, .max:
            if f.type == .boolean { return text.map { .boolean($0 == "1") } ?? .null }
            return SQLTranslation.value(text, f.type)
        }
    }

    /// An integer per period that sorts chronologically: `Period.key(ofDay:)` in SQL.
    static func periodKey(_ period: Period, _ day: String) -> String {
        switch period {
        case .month: return "(extract(year from \(day)) * 12 + extract(month from \(day)) - 1)::int"
        case .quarter: return "(extract(year from \(day)) * 4 + (extract(month from \(day))::int - 1) / 3)::int"
        case .year: return "extract(year from \(day))::int"
        case .week: return "(extract(isoyear from \(day)) * 100 + extract(week from \(day)))::int"
        case .weekday: return "extract(isodow from \(day))::int"
        }
    }

    public func aggregate(_ q: CheckedAggregate, clock: Clock) -> ResultSet {
        if q.entity == .audit, let auditEngine { return auditEngine.aggregate(q, clock: clock) }
        guard let (sql, parameters, label, _) = translated({ try aggregateSQL(q, clock: clock) }) else { return ResultSet(columns: [q.valueColumn], rows: []) }
        let result = rows(sql, parameters)
        guard let group = q.groupColumn else {
            return ResultSet(columns: [q.valueColumn], rows: [[aggregateValue(q, result.first?[0])]])
        }
        return ResultSet(columns: [group, q.valueColumn], rows: result.map { row in
            let key: Value
            switch label {
            case .period(let period): key = row[0].flatMap(Int.init).map { .string(period.label(ofKey: $0)) } ?? .null
            case .field(let type): key = SQLTranslation.value(row[0], type)
            case .none: key = .null
            }
            return [key, aggregateValue(q, row[1])]
        })
    }
}
