import Foundation

/// The in-memory engine as a `Backend`: the columnar `Store`, its indexes and
/// `QueryExecutor`, kept durable by a `Database` (snapshot and journal). It forwards:
/// every loop over rows runs here, over the columns, never once per row across the seam.
public final class InMemoryBackend: Backend {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// A store in memory only; changes are not kept.
    public convenience init(store: Store = Store()) { self.init(database: .inMemory(store)) }

    public var store: Store { database.store }

    // MARK: Schema and counts

    public func schema(of entity: Entity) -> EntitySchema { store[entity].schema }

    public func count(_ entity: Entity) -> Int { store[entity].liveCount }

    public var policy: Policy { store.policy }

    // MARK: Queries

    public func find(_ q: CheckedFind, clock: Clock) -> ResultSet {
        QueryExecutor(table: store[q.entity], clock: clock).find(q)
    }

    public func aggregate(_ q: CheckedAggregate, clock: Clock) -> ResultSet {
        QueryExecutor(table: store[q.entity], clock: clock).aggregate(q)
    }

    public func count(matching q: CheckedFind, clock: Clock) -> Int {
        var unordered = q
        unordered.sort = []
        unordered.limit = nil
        unordered.offset = 0
        let executor = QueryExecutor(table: store[q.entity], clock: clock)
        return executor.matching(executor.plan(unordered).access, q.predicate.map(executor.compile)).count
    }

    public func records(matching q: CheckedFind, fields: [String]?, clock: Clock) -> [(id: String, record: [String: Value])] {
        let table = store[q.entity]
        let positions = Self.positions(fields, in: table)
        // Derived fields named in `fields` (`set points = contactCount`), from their columns as of today.
        let derived = (fields ?? []).compactMap { name in
            table.schema.position(of: name) == nil ? DerivedFields.named(name, of: q.entity) : nil
        }.map { ($0.name, table.derivedColumn(named: $0.name, today: clock.today, timeZone: clock.timeZone)) }
        return QueryExecutor(table: table, clock: clock).rows(q).map { row in
            var record = Self.record(table, Int(row), positions)
            for (name, column) in derived {
                let v = column.value(at: Int(row))
                if !v.isNull { record[name] = v }
            }
            return (table.id(ofRow: Int(row)), record)
        }
    }

    public func records(_ entity: Entity, ids: [String], fields: [String]?) -> [String: [String: Value]] {
        let table = store[entity]
        let positions = Self.positions(fields, in: table)
        var found: [String: [String: Value]] = [:]
        for id in ids {
            if let row = table.row(ofID: id) { found[id] = Self.record(table, row, positions) }
        }
        return found
    }

    public func records(_ entity: Entity, ofCustomers customers: [String], fields: [String]?) -> [(id: String, record: [String: Value])] {
        let table = store[entity]
        guard !customers.isEmpty, let p = table.schema.position(of: RecordField.customer) else { return [] }
        let positions = Self.positions(fields, in: table)
        let f = ResolvedField(position: p, name: RecordField.customer, type: .string)
        // The hash index matches ignoring case; the owner must match exactly.
        let wanted = Set(customers)
        var out: [(id: String, record: [String: Value])] = []
        for row in QueryExecutor(table: table, clock: Clock(now: 0, timeZone: InMemoryBackend.utc)).lookupRows(f, customers) {
            guard case .string(let owner) = table.value(row: Int(row), field: p), wanted.contains(owner) else { continue }
            out.append((table.id(ofRow: Int(row)), Self.record(table, Int(row), positions)))
        }
        return out
    }

    /// A lookup reads no clock; the executor wants one.
    private static let utc = TimeZone(identifier: "UTC")!

    /// Schema positions of `fields` (unknown names left out); every field when nil.
    private static func positions(_ fields: [String]?, in table: Table) -> [Int] {
        guard let fields else { return Array(table.schema.fields.indices) }
        return fields.compactMap { table.schema.position(of: $0) }
    }

    private static func record(_ table: Table, _ row: Int, _ positions: [Int]) -> [String: Value] {
        var r: [String: Value] = [:]
        let fields = table.schema.fields
        for p in positions {
            let v = table.value(row: row, field: p)
            if !v.isNull { r[fields[p].name] = v }
        }
        return r
    }

    // MARK: Changes

    public func commit(_ set: inout ChangeSet, by author: ChangeAuthor) throws {
        try database.commit(&set, by: author)
    }

    public func highestGeneratedNumber(_ entity: Entity) -> Int { store[entity].highestGeneratedNumber }

    public var isReadOnly: Bool { database.isReadOnly }

    public var sequence: Int64 { store.sequence }

    // MARK: Planning and completion

    public func statistics(_ entity: Entity) -> PlanStatistics { store[entity] }

    public func distinctValues(_ entity: Entity, field: String, limit: Int) -> [String]? {
        let table = store[entity]
        guard let p = table.schema.position(of: field) else { return nil }
        return table.distinctLiveValues(position: p, limit: limit)
    }

    public func ids(_ entity: Entity, prefix: String, limit: Int) -> [String] {
        store[entity].liveIDs(prefix: prefix, cap: limit)
    }

    // MARK: Upkeep

    public var location: String? { database.directory }

    public func checkpoint() throws { try database.checkpoint() }

    public func check() -> MaintenanceReport? {
        database.directory.map { Database.check(directory: $0) }
    }

    public func backup(to target: String) throws -> String { try database.backup(to: target) }
}
