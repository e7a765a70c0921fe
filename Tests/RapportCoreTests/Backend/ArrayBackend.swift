@testable import RapportCore

/// A naive backend over arrays of records, with no `Store`, `Table` or `QueryExecutor`
/// behind it: what a second backend has to provide, in its simplest form. Predicates
/// are evaluated record by record; aggregates do `count` only.
final class ArrayBackend: Backend {
    private(set) var records: [Entity: [[String: Value]]] = [:]
    private var schemas: [Entity: EntitySchema] = [:]
    private(set) var sequence: Int64 = 0
    /// The calls the session made, by name, for the tests to see what it asked.
    private(set) var calls: [String] = []
    var isReadOnly = false
    var location: String? { nil }

    init() {
        for e in Entity.allCases { schemas[e] = EntitySchema(entity: e); records[e] = [] }
    }

    func schema(of entity: Entity) -> EntitySchema { schemas[entity]! }
    func count(_ entity: Entity) -> Int { records[entity]!.count }
    var policy: Policy = .defaults
    var segments: [SavedSegment] = []
    var grants: [String: Role] = [:]

    // MARK: Queries

    private func matching(_ entity: Entity, _ predicate: Predicate?) -> [[String: Value]] {
        let all = records[entity]!.sorted { ($0["id"]?.text ?? "").utf8.lexicographicallyPrecedes(($1["id"]?.text ?? "").utf8) }
        guard let predicate else { return all }
        return all.filter { Self.test(predicate, $0) }
    }

    private static func test(_ p: Predicate, _ r: [String: Value]) -> Bool {
        switch p {
        case .and(let a, let b): return test(a, r) && test(b, r)
        case .or(let a, let b): return test(a, r) || test(b, r)
        case .not(let a): return !test(a, r)
        case .isNull(let f, let negated): return (r[f.name] ?? .null).isNull != negated
        case .compareString(let f, let op, let s):
            guard case .string(let v)? = r[f.name] else { return false }
            switch op {
            case .equal: return v.lowercased() == s.lowercased()
            case .notEqual: return v.lowercased() != s.lowercased()
            default: return QueryExecutor.compareCodePoints(v, op, s)
            }
        case .memberString(let f, let values, let negated):
            guard case .string(let v)? = r[f.name] else { return false }
            return values.contains { $0.lowercased() == v.lowercased() } != negated
        case .compareKey(let f, let op, let k):
            guard let x = r[f.name].flatMap(key) else { return false }
            return QueryExecutor.compare(x, op, k)
        case .betweenKey(let f, let low, let high, let negated):
            guard let x = r[f.name].flatMap(key) else { return false }
            return (x >= low && x <= high) != negated
        default:
            return false
        }
    }

    private static func key(_ v: Value) -> Double? {
        switch v {
        case .integer(let i): return Double(i)
        case .number(let d): return d
        case .date(let d): return Double(d.daysSinceEpoch)
        case .instant(let t): return Double(t)
        case .boolean(let b): return b ? 1 : 0
        default: return nil
        }
    }

    func find(_ q: CheckedFind, clock: Clock) -> ResultSet {
        calls.append("find")
        var rows = matching(q.entity, q.predicate)
        rows = Array(rows.dropFirst(q.offset).prefix(q.limit ?? rows.count))
        return ResultSet(columns: q.shown.map(\.name), rows: rows.map { r in q.shown.map { r[$0.name] ?? .null } })
    }

    func aggregate(_ q: CheckedAggregate, clock: Clock) -> ResultSet {
        calls.append("aggregate")
        return ResultSet(columns: [q.valueColumn], rows: [[.integer(Int64(matching(q.entity, q.predicate).count))]])
    }

    func count(matching q: CheckedFind, clock: Clock) -> Int { matching(q.entity, q.predicate).count }

    func records(matching q: CheckedFind, fields: [String]?, clock: Clock) -> [(id: String, record: [String: Value])] {
        matching(q.entity, q.predicate).map { ($0["id"]!.text, Self.only(fields, $0)) }
    }

    func records(_ entity: Entity, ids: [String], fields: [String]?) -> [String: [String: Value]] {
        calls.append("records by id")
        var out: [String: [String: Value]] = [:]
        for r in records[entity]! where ids.contains(r["id"]!.text) { out[r["id"]!.text] = Self.only(fields, r) }
        return out
    }

    func records(_ entity: Entity, ofCustomers customers: [String], fields: [String]?) -> [(id: String, record: [String: Value])] {
        records[entity]!.filter { customers.contains($0["customer"]?.text ?? "") }.map { ($0["id"]!.text, Self.only(fields, $0)) }
    }

    /// Plain values record by record, dictionary-encoded afterwards.
    func textColumns(_ entity: Entity, fields: [String]) -> [TextColumn] {
        calls.append("textColumns")
        return fields.map { f in
            TextColumn(records[entity]!.map { r -> String? in if case .string(let s)? = r[f] { return s } else { return nil } })
        }
    }

    /// Record by record, as a naive backend would: the same figures as the engine's column passes.
    func segmentationInputs(clock: Clock) -> SegmentationInputs {
        calls.append("segmentationInputs")
        let today = clock.today
        var out = SegmentationInputs()
        let customers = records[.customers]!
        func text(_ r: [String: Value], _ f: String) -> String? { if case .string(let s)? = r[f] { return s } else { return nil } }
        for c in customers {
            let id = text(c, "id") ?? ""
            out.ids.append(id); out.names.append(text(c, "name")); out.tiers.append(text(c, "tier"))
            out.grades.append(text(c, "grade")); out.stages.append(text(c, "stage")); out.lostReasons.append(text(c, "lostReason"))
            var spend = 0.0, count = 0
            var latest: Day?
            if case .date(let d)? = c["lastPurchase"] { latest = d }
            for p in records[.purchases]! where text(p, "customer") == id {
                guard case .date(let d)? = p["date"] else { continue }
                latest = max(latest ?? d, d)
                if Segmentation.inWindow(d, today: today) {
                    if case .number(let a)? = p["amount"] { spend += a }
                    count += 1
                }
            }
            out.spend.append(spend); out.purchases.append(count); out.lastPurchase.append(latest)
            out.hasComplaint.append(records[.tickets]!.contains { text($0, "customer") == id && text($0, "kind")?.lowercased() == "complaint" })
        }
        return out
    }

    private static func only(_ fields: [String]?, _ r: [String: Value]) -> [String: Value] {
        guard let fields else { return r }
        return r.filter { fields.contains($0.key) }
    }

    func kpiColumns(groupBy: String?, clock: Clock) -> KPIColumns {
        calls.append("kpiColumns")
        let customers = matching(.customers, nil)
        var position: [String: Int32] = [:]
        for (i, c) in customers.enumerated() { position[c["id"]?.text ?? ""] = Int32(i) }
        func day(_ v: Value?) -> Int32 {
            switch v {
            case .date(let d)?: return d.daysSinceEpoch
            case .instant(let t)?: return clock.day(of: t).daysSinceEpoch
            default: return NullSentinel.date
            }
        }
        var c = KPIColumns()
        c.customerCreated = customers.map { day($0["createdAt"]) }
        c.customerSatisfaction = customers.map { if case .integer(let s)? = $0["satisfaction"] { return Double(s) } else { return .nan } }
        if let groupBy {
            let labels = customers.map { $0[groupBy] ?? .null }
            let texts = Set(labels.compactMap { $0.isNull ? nil : $0.text }).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            c.groupLabels = texts.map { .string($0) } + (labels.contains { $0.isNull } ? [.null] : [])
            c.customerGroup = labels.map { v in Int32(v.isNull ? texts.count : texts.firstIndex(of: v.text)!) }
        }
        for p in matching(.purchases, nil) {
            c.purchaseOwner.append(position[p["customer"]?.text ?? ""] ?? -1)
            c.purchaseDay.append(day(p["date"]))
        }
        for t in matching(.tickets, nil) {
            c.ticketOwner.append(position[t["customer"]?.text ?? ""] ?? -1)
            c.ticketOpenedDay.append(day(t["openedAt"]))
        }
        return c
    }

    // MARK: Changes

    /// The differential tests compare the record entities; the audit trail is the engine's.
    func loadAuditTrail() throws {}

    func commit(_ set: inout ChangeSet, by author: ChangeAuthor) throws {
        calls.append("commit")
        sequence += 1
        set.sequence = sequence
        set.user = author.user
        for a in set.fieldAdditions { schemas[a.entity]!.append(a.field) }
        for c in set.policyChanges { policy.set(c.key, to: c.after) }
        for c in set.changes {
            var table = records[c.entity]!
            let index = table.firstIndex { $0["id"]?.text == c.id }
            switch c.kind {
            case .insert: table.append(c.after)
            case .update:
                guard let index else { continue }
                for (k, v) in c.after { table[index][k] = v.isNull ? nil : v }
            case .delete:
                if let index { table.remove(at: index) }
            }
            records[c.entity] = table
        }
    }

    func highestGeneratedNumber(_ entity: Entity) -> Int {
        records[entity]!.compactMap { r -> Int? in
            let id = r["id"]!.text
            guard id.hasPrefix(entity.idPrefix) else { return nil }
            return Int(id.dropFirst(entity.idPrefix.count))
        }.max() ?? 0
    }

    // MARK: Planning, completion, upkeep

    func statistics(_ entity: Entity) -> PlanStatistics { NoIndexes(liveRowCount: count(entity)) }

    func distinctValues(_ entity: Entity, field: String, limit: Int) -> [String]? {
        let values = Set(records[entity]!.compactMap { $0[field]?.text }).sorted()
        return values.count <= limit ? values : nil
    }

    func ids(_ entity: Entity, prefix: String, limit: Int) -> [String] {
        Array(records[entity]!.map { $0["id"]!.text }.filter { $0.lowercased().hasPrefix(prefix.lowercased()) }.sorted().prefix(limit))
    }

    // An array backend keeps no bin: what it deletes is gone.
    func binSchema(of entity: Entity) -> EntitySchema {
        var schema = schemas[entity]!
        for f in BinField.fields { schema.append(Field(f.name, f.type, isCustom: true)) }
        return schema
    }
    func binned(_ selection: BinSelection) -> [BinnedRecord] { [] }

    func checkpoint() throws {}
    func check() -> MaintenanceReport? { nil }
    func backup(to target: String, encryptedWith key: EncryptionKey?) throws -> String { throw Diagnostic.runtime(.backupIncomplete, "an array backend keeps no files") }

    struct NoIndexes: PlanStatistics {
        var liveRowCount: Int
        func hasLookupIndex(_ field: ResolvedField) -> Bool { false }
        func hasOrderedIndex(_ field: ResolvedField) -> Bool { false }
        func estimate(_ path: AccessPath) -> Int { liveRowCount }
    }
}

private extension Value {
    var text: String {
        if case .string(let s) = self { return s }
        return ""
    }
}
