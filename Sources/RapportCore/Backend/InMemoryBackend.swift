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
    public var grants: [String: Role] { store.grants }
    public var segments: [SavedSegment] { store.segments.values.sorted { $0.name.lowercased() < $1.name.lowercased() } }

    // MARK: Queries

    public func find(_ q: CheckedFind, clock: Clock) -> ResultSet {
        QueryExecutor(table: (q.inBin ? store.bin : store)[q.entity], clock: clock).find(q)
    }

    public func aggregate(_ q: CheckedAggregate, clock: Clock) -> ResultSet {
        QueryExecutor(table: (q.inBin ? store.bin : store)[q.entity], clock: clock).aggregate(q)
    }

    public func count(matching q: CheckedFind, clock: Clock) -> Int {
        var unordered = q
        unordered.sort = []
        unordered.limit = nil
        unordered.offset = 0
        let executor = QueryExecutor(table: (q.inBin ? store.bin : store)[q.entity], clock: clock)
        return executor.matching(executor.plan(unordered).access, q.predicate.map(executor.compile)).count
    }

    public func records(matching q: CheckedFind, fields: [String]?, clock: Clock) -> [(id: String, record: [String: Value])] {
        let table = store[q.entity]
        let positions = Self.positions(fields, in: table)
        // Derived fields named in `fields` (`set points = contactCount`), from their columns as of today.
        let derived = (fields ?? []).compactMap { name in
            table.schema.position(of: name) == nil ? DerivedFields.named(name, of: q.entity) : nil
        }.map { ($0.name, table.derivedColumn(named: $0.name, today: clock.today, timeZone: clock.timeZone, now: clock.now)) }
        return QueryExecutor(table: table, clock: clock).rows(q).map { row in
            var record = Self.record(table, Int(row), positions)
            for (name, column) in derived {
                let v = column.value(at: Int(row))
                if !v.isNull { record[name] = v }
            }
            return (table.id(ofRow: Int(row)), record)
        }
    }

    public func columns(matching q: CheckedFind, fields: [String], clock: Clock) -> (ids: [String], columns: [[Value]]) {
        let table = store[q.entity]
        let rows = QueryExecutor(table: table, clock: clock).rows(q)
        return (rows.map { table.id(ofRow: Int($0)) }, fields.map { name in
            if let p = table.schema.position(of: name) {
                // Read with the column's storage taken once, not a switch and a retain a cell
                // (a campaign reads a dozen fields of 100,000 targets here).
                let read = QueryExecutor.valueReader(table.columns[p])
                return rows.map { read(Int($0)) }
            }
            guard let derived = DerivedFields.named(name, of: q.entity) else { return [Value](repeating: .null, count: rows.count) }
            let column = table.derivedColumn(named: derived.name, today: clock.today, timeZone: clock.timeZone, now: clock.now)
            return rows.map { column.value(at: Int($0)) }
        })
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

    public func columns(_ entity: Entity, ids: [String], fields: [String]) -> (stored: [Bool], columns: [[Value]]) {
        let table = store[entity]
        let rows = ids.map { table.row(ofID: $0) }
        return (rows.map { $0 != nil }, fields.map { name in
            guard let p = table.schema.position(of: name) else { return [Value](repeating: .null, count: ids.count) }
            return rows.map { row in row.map { table.value(row: $0, field: p) } ?? .null }
        })
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

    static func record(_ table: Table, _ row: Int, _ positions: [Int]) -> [String: Value] {
        var r: [String: Value] = [:]
        let fields = table.schema.fields
        for p in positions {
            let v = table.value(row: row, field: p)
            if !v.isNull { r[fields[p].name] = v }
        }
        return r
    }

    public func kpiColumns(groupBy: String?, clock: Clock) -> KPIColumns {
        let customers = store[.customers]
        let liveRows = customers.liveRows
        // A customer's position among the live ones, by table row.
        var positionOfRow = [Int32](repeating: -1, count: customers.rowCount)
        for (i, r) in liveRows.enumerated() { positionOfRow[Int(r)] = Int32(i) }
        var c = KPIColumns()
        if let p = customers.schema.position(of: CustomerField.createdAt), case .date(let dates) = customers.columns[p] {
            c.customerCreated = liveRows.map { dates.values[Int($0)] }
        } else {
            c.customerCreated = [Int32](repeating: NullSentinel.date, count: liveRows.count)
        }
        if let p = customers.schema.position(of: CustomerField.satisfaction), case .integer(let s) = customers.columns[p] {
            c.customerSatisfaction = liveRows.map { let v = s.values[Int($0)]; return v == NullSentinel.integer ? .nan : Double(v) }
        }
        if let groupBy {
            let column = customers.schema.position(of: groupBy).map { customers.columns[$0] }
                ?? customers.derivedColumn(named: groupBy, today: clock.today, timeZone: clock.timeZone)
            if case .string(let s) = column {
                let ranks = s.dictionary.ranks
                let present = Set(liveRows.map { s.codes[Int($0)] })
                let ordered = present.sorted { ($0 == 0 ? UInt32.max : ranks[Int($0)]) < ($1 == 0 ? UInt32.max : ranks[Int($1)]) }
                var groupOfCode = [Int32](repeating: -1, count: s.dictionary.strings.count)
                for (g, code) in ordered.enumerated() { groupOfCode[Int(code)] = Int32(g) }
                c.groupLabels = ordered.map { $0 == 0 ? .null : .string(s.dictionary.string($0)) }
                c.customerGroup = liveRows.map { groupOfCode[Int(s.codes[Int($0)])] }
            }
        }
        // Each related record's customer, as a position among the live customers.
        func owners(_ table: Table) -> [Int32] {
            guard let p = table.schema.position(of: RecordField.customer), case .string(let ids) = table.columns[p] else { return [] }
            let rowOfCode = customers.ownerRowOfCode(table.entity, ids.dictionary)
            return table.liveRows.map { let row = rowOfCode[Int(ids.codes[Int($0)])]; return row < 0 ? -1 : positionOfRow[Int(row)] }
        }
        let purchases = store[.purchases]
        c.purchaseOwner = owners(purchases)
        if let p = purchases.schema.position(of: RecordField.date), case .date(let dates) = purchases.columns[p] {
            c.purchaseDay = purchases.liveRows.map { dates.values[Int($0)] }
        }
        let tickets = store[.tickets]
        c.ticketOwner = owners(tickets)
        if let p = tickets.schema.position(of: "openedAt"), case .instant(let opened) = tickets.columns[p] {
            var localDays = LocalDays(clock: clock)
            c.ticketOpenedDay = tickets.liveRows.map { let t = opened.values[Int($0)]; return t == NullSentinel.instant ? NullSentinel.date : localDays.day(of: t) }
        }
        if case .string(let sla) = tickets.derivedColumn(named: "sla", today: clock.today, timeZone: clock.timeZone, now: clock.now) {
            let countOfCode = sla.dictionary.strings.map { word -> UInt8 in word == "met" ? 1 : word == "breached" ? 2 : 0 }
            c.ticketSLA = tickets.liveRows.map { countOfCode[Int(sla.codes[Int($0)])] }
        }
        return c
    }

    public func loadAuditTrail() throws { try database.loadAuditTrail() }

    // MARK: Changes

    public func withWriteLock<T>(_ body: () throws -> T) throws -> T { try database.withWriteLock(body) }

    public func catchUp() throws -> [Diagnostic] { try database.catchUp() }

    public func commit(_ set: inout ChangeSet, by author: ChangeAuthor) throws {
        try database.commit(&set, by: author)
    }

    /// The journal's fsync is the durable point: `whenDurable` runs beside the apply.
    public func commit(_ set: inout ChangeSet, by author: ChangeAuthor, whenDurable: @escaping @Sendable () -> Void) throws {
        try database.commit(&set, by: author, whenDurable: whenDurable)
    }

    public func expectLargeCommit() { database.checkColumnImageAhead() }

    public func encodeJournalAhead(_ parts: [[RecordChange]]) -> JournalPrefix? { database.encodeJournalAhead(parts) }

    /// Above the bin's too: a deleted id is not given to a new record while it can be restored.
    public func highestGeneratedNumber(_ entity: Entity) -> Int {
        max(store[entity].highestGeneratedNumber, store.bin[entity].highestGeneratedNumber)
    }

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
    public func checkpoint(isCancelled: @escaping () -> Bool) throws { try database.checkpoint(isCancelled: isCancelled) }
    public func checkpointInBackground() throws -> Bool { try database.checkpointInBackground() }

    public func check() -> MaintenanceReport? {
        database.directory.map { Database.check(directory: $0) }
    }

    public func backup(to target: String, encryptedWith key: EncryptionKey?) throws -> String {
        try database.backup(to: target, encryptedWith: key)
    }
}

extension InMemoryBackend {
    public func binSchema(of entity: Entity) -> EntitySchema { store.bin[entity].schema }

    public func binIsEmpty(_ entity: Entity) -> Bool { store.bin[entity].liveCount == 0 }

    public func binned(_ selection: BinSelection) -> [BinnedRecord] {
        let bin = store.bin
        func records(_ table: Table, _ rows: [Int]) -> [BinnedRecord] {
            let positions = Array(table.schema.fields.indices)
            return rows.map { BinnedRecord(entity: table.entity, id: table.id(ofRow: $0), record: Self.record(table, $0, positions)) }
                .sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        }
        func rows(_ table: Table, where keep: (Value) -> Bool, field: String) -> [Int] {
            guard let p = table.schema.position(of: field) else { return [] }
            return table.liveRows.map(Int.init).filter { keep(table.value(row: $0, field: p)) }
        }
        switch selection {
        case .ids(let entity, let ids):
            let table = bin[entity]
            guard table.liveCount > 0 else { return [] }
            return records(table, ids.compactMap { table.row(ofID: $0) })
        case .deletedIn(let sequence):
            return Entity.allCases.flatMap { e in records(bin[e], rows(bin[e], where: { $0 == .integer(sequence) }, field: BinField.deletedIn)) }
        case .deletedBefore(let time):
            return Entity.allCases.flatMap { e in
                records(bin[e], rows(bin[e], where: { v in
                    guard let time else { return true }
                    if case .instant(let t) = v { return t < time }
                    return false
                }, field: BinField.deletedAt))
            }
        case .idPrefix(let prefix, let limit):
            let ids = Entity.allCases.flatMap { bin[$0].liveIDs(prefix: prefix, cap: limit) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return ids.prefix(limit).map { BinnedRecord(entity: .customers, id: $0, record: [:]) }
        }
    }

    public func segmentationInputs(clock: Clock) -> SegmentationInputs { store.segmentationInputs(clock: clock) }

    public func textColumns(_ entity: Entity, fields: [String]) -> [TextColumn] {
        let table = store[entity]
        let rows = table.liveRows
        return fields.map { name in
            guard let p = table.schema.position(of: name), case .string(let column) = table.columns[p] else {
                return TextColumn(values: [""], codes: [UInt32](repeating: 0, count: rows.count))
            }
            let codes = column.codes
            return TextColumn(values: Array(column.dictionary.strings), codes: rows.map { codes[Int($0)] })
        }
    }
}
