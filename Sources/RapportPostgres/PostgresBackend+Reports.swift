import Foundation
import RapportCore

/// `report kpi` on PostgreSQL: the columns `KPIReport.measure` reads, one translated SELECT
/// per entity (customers, purchases, tickets), so the report is computed by the same code
/// as on a store and prints the same bytes. The rows come in id order; `measure` adds
/// counts and integer satisfactions, which no order changes.
extension PostgresBackend {
    public func kpiColumns(groupBy: String?, clock: Clock) -> KPIColumns {
        var c = KPIColumns()
        let customerFields = [CustomerField.createdAt, CustomerField.satisfaction] + (groupBy.map { [$0] } ?? [])
        guard let customers = shownRows(.customers, customerFields, clock: clock) else { return c }
        // A customer's position among the live ones, by id: what the related records point at.
        var positionOfID: [String: Int32] = [:]
        positionOfID.reserveCapacity(customers.count)
        for (i, row) in customers.enumerated() { positionOfID[row.id] = Int32(i) }
        c.customerCreated = customers.map { if case .date(let d) = $0.values[0] { return d.daysSinceEpoch }; return NullSentinel.date }
        c.customerSatisfaction = customers.map { if case .integer(let s) = $0.values[1] { return Double(s) }; return .nan }
        if groupBy != nil {
            // Labels in code-point order, null last, as the store's dictionary ranks them.
            var labels = Set<String>(), hasNull = false
            for row in customers {
                if case .string(let s) = row.values[2] { labels.insert(s) } else { hasNull = true }
            }
            let ordered = labels.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            var groupOfLabel: [String: Int32] = [:]
            for (g, label) in ordered.enumerated() { groupOfLabel[label] = Int32(g) }
            c.groupLabels = ordered.map { .string($0) } + (hasNull ? [.null] : [])
            c.customerGroup = customers.map { row in
                if case .string(let s) = row.values[2] { return groupOfLabel[s]! }
                return Int32(ordered.count)
            }
        }
        // A related record's customer as a position among the live customers, -1 when none.
        func owner(_ v: Value) -> Int32 { if case .string(let id) = v { return positionOfID[id] ?? -1 }; return -1 }

        guard let purchases = shownRows(.purchases, [RecordField.customer, RecordField.date], clock: clock) else { return c }
        c.purchaseOwner = purchases.map { owner($0.values[0]) }
        c.purchaseDay = purchases.map { if case .date(let d) = $0.values[1] { return d.daysSinceEpoch }; return NullSentinel.date }

        guard let tickets = shownRows(.tickets, [RecordField.customer, "openedAt", "sla"], clock: clock) else { return c }
        c.ticketOwner = tickets.map { owner($0.values[0]) }
        // The local day in Swift, as the store's `LocalDays` counts it.
        c.ticketOpenedDay = tickets.map { if case .instant(let t) = $0.values[1] { return clock.day(of: t).daysSinceEpoch }; return NullSentinel.date }
        c.ticketSLA = tickets.map { row -> UInt8 in
            guard case .string(let word) = row.values[2] else { return 0 }
            return word == "met" ? 1 : word == "breached" ? 2 : 0
        }
        return c
    }

    /// Every live record of `entity` with the named fields (stored or derived), in id
    /// order, through the same translation as `find`; a refusal or a failed read is kept for
    /// `takeReadFailure`, so the session reports it instead of a wrong report.
    func shownRows(_ entity: Entity, _ names: [String], clock: Clock) -> [(id: String, values: [Value])]? {
        let checker = Checker(schema: schema(of: entity), clock: clock)
        let here = SourceSpan(start: SourceLocation(line: 1, column: 1), length: 1)
        guard let fields = translated({ try names.map { try checker.resolve(FieldName($0, span: here)) } }) else { return nil }
        guard let idField = translated({ try checker.resolve(FieldName(RecordField.id, span: here)) }) else { return nil }
        let q = CheckedFind(entity: entity, predicate: nil, sort: [], limit: nil, offset: 0, shown: [idField] + fields)
        // A refused translation or a failed read leaves no rows and its failure kept: the session reports that.
        return find(q, clock: clock).rows.map { row in
            guard case .string(let id) = row[0] else { return ("", Array(row.dropFirst())) }
            return (id, Array(row.dropFirst()))
        }
    }
}
