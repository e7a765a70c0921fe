import Foundation

/// The in-memory store: one table per entity. Changes arrive as checked change sets.
public final class Store {
    public internal(set) var tables: [Entity: Table] = [:]
    /// The sequence of the last change set applied.
    public internal(set) var sequence: Int64 = 0
    /// The store's business rules (`show policy`); changed only by change sets.
    public internal(set) var policy = Policy.defaults
    /// Bumped by every policy change: derived columns computed under the old policy are stale.
    public private(set) var policyVersion = 0
    /// The saved segments by lower-cased name; changed only by change sets.
    public internal(set) var segments: [String: SavedSegment] = [:]
    /// The most each OS user may take (`grant`), by user name; changed only by change sets.
    public internal(set) var grants: [String: Role] = [:]

    /// Whether this is the bin of another store (see `bin`).
    public let isBin: Bool
    private var binIfMade: Store?

    public init() {
        isBin = false
        for e in Entity.allCases { tables[e] = Table(entity: e) }
        for table in tables.values { table.store = self }
    }

    /// A bin mirroring `live`'s schemas, with the bin's own fields (`BinField`).
    private init(binOf live: Store) {
        isBin = true
        for e in Entity.allCases {
            let table = Table(entity: e)
            for f in BinField.fields { table.addField(f) }
            for f in live[e].schema.customFields { table.addField(f) }
            tables[e] = table
        }
        for table in tables.values { table.store = self }
        policy = live.policy
    }

    /// The deleted records of every entity, with when, by whom and in which change set
    /// (docs/storage.md "The bin"). A store of its own, so queries, relations and derived
    /// fields work on it as on the live records: a deleted customer's points come from
    /// its deleted ledger entries.
    public var bin: Store {
        if let b = binIfMade { return b }
        precondition(!isBin, "a bin has no bin")
        let b = Store(binOf: self)
        binIfMade = b
        return b
    }

    public subscript(entity: Entity) -> Table { tables[entity]! }

    public var customers: Table { self[.customers] }

    /// Applies a change set that was checked against this store. Values have their
    /// fields' types; inserted ids are new; updated and deleted ids exist.
    public func apply(_ set: ChangeSet) {
        for addition in set.fieldAdditions {
            self[addition.entity].addField(addition.field)
            binIfMade?[addition.entity].addField(addition.field)
        }
        for change in set.policyChanges { policy.set(change.key, to: change.after) }
        if !set.policyChanges.isEmpty {
            policyVersion += 1
            binIfMade?.policy = policy
            binIfMade?.policyVersion += 1
        }
        // Out of the bin first: a restored record's insert follows.
        for change in set.binChanges {
            let table = bin[change.entity]
            if let row = table.row(ofID: change.id) { table.delete(row: row) }
        }
        for change in set.segmentChanges { segments[SavedSegment.key(change.name)] = change.after }
        for change in set.grantChanges { grants[change.user] = change.after }
        if let plan = applyPlan(of: set) {
            apply(set, by: plan)
        } else {
            var places = FieldPlaces()
            applyChanges(set, set.changes.indices, &places)
        }
        if set.sequence > sequence { sequence = set.sequence }
    }

    /// From how many changes a set's tables are changed on two cores at once.
    static let changesWorthSplitting = 20_000

    /// How a large set's changes are shared out between the cores: the tables whose
    /// changes are all positional inserts (a campaign's messages and contacts, an import's
    /// customers and ledger) go in as one batch each, their columns filled in groups, each
    /// group a work item; every other table's changes are one item, in their order. The
    /// items, costliest first, go to whichever thread is free; then each batch's rows are
    /// registered (id map, indexes), a table per thread.
    /// (Two tables a time, with each batch sharing its columns out within its table's
    /// thread, put a campaign's messages and contacts on one thread: a batch's own split
    /// nested there ran on that one thread, while the other only updated customers.)
    struct ApplyPlan {
        enum Item: Equatable {
            /// One table's changes, in their order.
            case changes(Entity, [Int])
            /// The columns at these positions of `batches[batch]`'s table.
            case columns(batch: Int, positions: [Int])
        }
        /// The insert-only tables, each with its changes (in their order).
        var batches: [(entity: Entity, changes: [Int])] = []
        /// Costliest first.
        var items: [(item: Item, cost: Int)] = []
    }

    /// The plan for `set`, nil when it is applied on one thread: small, with deletes (which
    /// write to the bin, another store), or when the tables that take other changes too
    /// hold most of its positional inserts (there, on one thread, each batch shares its
    /// columns out between the cores itself, `Table.appendInserts`).
    func applyPlan(of set: ChangeSet) -> ApplyPlan? {
        guard set.changes.count >= Store.changesWorthSplitting, ProcessInfo.processInfo.activeProcessorCount > 1 else { return nil }
        // Each table's changes, its positional inserts flagged.
        var groups = EntityGroups<Int>()
        for c in set.changes.indices {
            // Read in place: a copy of each change would retain every reference in it.
            if set.changes[c].kind == .delete { return nil }
            groups.append(c, to: set.changes[c].entity,
                          flagged: set.changes[c].kind == .insert && set.changes[c].positionalAfter != nil)
        }
        var plan = ApplyPlan()
        var insertsBeside = 0, othersBeside = 0
        for (entity, changes, inserts) in groups.groups.sorted(by: { $0.entity.rawValue < $1.entity.rawValue }) {
            if inserts == changes.count {
                plan.batches.append((entity, changes))
            } else {
                insertsBeside += inserts
                othersBeside += changes.count - inserts
                plan.items.append((.changes(entity, changes), changes.count * Store.oneByOneCost))
            }
        }
        guard insertsBeside <= othersBeside else { return nil }
        for (b, batch) in plan.batches.enumerated() {
            let table = self[batch.entity]
            let splits = batch.changes.count >= Table.insertsWorthSplitting ? 2 : 1
            for positions in table.columnGroups(splits) where !positions.isEmpty {
                let cost = batch.changes.count * positions.reduce(0) { $0 + table.columns[$1].appendCost }
                plan.items.append((.columns(batch: b, positions: positions), cost))
            }
        }
        guard plan.items.count > 1 else { return nil }
        // Costliest first: the last items to start are small, so the threads end together.
        plan.items.sort { $0.cost > $1.cost }
        return plan
    }

    /// Applies `set`'s changes as `plan` shares them out (each item touches one table's
    /// columns, dictionaries, indexes and id map, or only some columns of one table).
    private func apply(_ set: ChangeSet, by plan: ApplyPlan) {
        let batches = plan.batches.map { InsertBatch(set: set, changes: $0.changes, schema: self[$0.entity].schema) }
        let work = ParallelApply(store: self, set: set, plan: plan, batches: batches)
        DispatchQueue.concurrentPerform(iterations: plan.items.count) { i in
            switch work.plan.items[i].item {
            case .changes(_, let changes):
                var places = FieldPlaces()
                work.store.applyChanges(work.set, changes, &places)
            case .columns(let b, let positions):
                work.store[work.plan.batches[b].entity].fillColumns(positions, from: work.batches[b])
            }
        }
        DispatchQueue.concurrentPerform(iterations: plan.batches.count) { b in
            work.store[work.plan.batches[b].entity].registerInsertedRows(work.batches[b].count)
        }
    }

    /// A change applied alone against one cell of a batch's column (`Column.appendCost`,
    /// 1 to 3): it finds its row by id and sets its fields through the indexes.
    static let oneByOneCost = 6

    /// Field positions by name as written in the changes, and a positional record's field
    /// list mapped to the table's positions (-1: none), each worked out once per set: a
    /// campaign's set names the same few fields 100,000s of times, and `position(of:)`
    /// folds case on every call. One per thread applying.
    struct FieldPlaces {
        private var positions: [Entity: [String: Int]] = [:]
        private var placesOfList: [ObjectIdentifier: [Int]] = [:]

        mutating func position(_ name: String, _ table: Table) -> Int? {
            if let p = positions[table.entity]?[name] { return p }
            guard let p = table.schema.position(of: name) else { return nil }
            positions[table.entity, default: [:]][name] = p
            return p
        }

        mutating func places(of list: FieldList, _ table: Table) -> [Int] {
            if let known = placesOfList[ObjectIdentifier(list)] { return known }
            let places = list.names.map { position($0, table) ?? -1 }
            placesOfList[ObjectIdentifier(list)] = places
            return places
        }
    }

    /// Applies `set`'s changes at `indices` as `applySteps` orders them.
    private func applyChanges<Indices: Collection<Int>>(_ set: ChangeSet, _ indices: Indices, _ places: inout FieldPlaces) {
        for step in Store.applySteps(of: set, indices) {
            switch step {
            case .one(let c): applyChange(set, c, &places)
            case .batch(let entity, let changes): self[entity].appendInserts(of: set, changes)
            }
        }
    }

    /// One change applied alone, or a batch of positional inserts into one table.
    enum ApplyStep: Equatable {
        case one(Int)
        case batch(Entity, [Int])
    }

    /// `set`'s changes at `indices`, in order, except that the positional inserts between
    /// two changes of another kind go in as one batch per table (`Table.appendInserts`,
    /// column by column), each table's in their order. Inserts into different tables touch
    /// nothing in common, so a run that interleaves tables (an import's customers, each
    /// followed by its opening balance on the points ledger) still makes one batch per
    /// table: split at every change of table, it went in one record at a time.
    static func applySteps<Indices: Collection<Int>>(of set: ChangeSet, _ indices: Indices) -> [ApplyStep] {
        var steps: [ApplyStep] = []
        var runs: [(entity: Entity, changes: [Int])] = []
        var lastRun = -1
        func flush() {
            for run in runs { steps.append(run.changes.count == 1 ? .one(run.changes[0]) : .batch(run.entity, run.changes)) }
            runs.removeAll(keepingCapacity: true)
            lastRun = -1
        }
        for c in indices {
            if set.changes[c].kind == .insert, set.changes[c].positionalAfter != nil {
                let entity = set.changes[c].entity
                if lastRun < 0 || runs[lastRun].entity != entity {
                    lastRun = runs.firstIndex { $0.entity == entity } ?? -1
                    if lastRun < 0 { runs.append((entity, [])); lastRun = runs.count - 1 }
                }
                runs[lastRun].changes.append(c)
            } else {
                flush()
                steps.append(.one(c))
            }
        }
        flush()
        return steps
    }

    /// Applies change `c` of `set`, its fields read in place: a copy of each `RecordChange`
    /// would retain every reference in it.
    private func applyChange(_ set: ChangeSet, _ c: Int, _ fieldPlaces: inout FieldPlaces) {
        let table = self[set.changes[c].entity]
        switch set.changes[c].kind {
        case .insert:
            var record = [Value](repeating: .null, count: table.schema.fields.count)
            if let positional = set.changes[c].positionalAfter {
                let places = fieldPlaces.places(of: positional.fields, table)
                for (i, value) in positional.values.enumerated() where places[i] >= 0 { record[places[i]] = value }
            } else {
                for (name, value) in set.changes[c].after {
                    if let p = fieldPlaces.position(name, table) { record[p] = value }
                }
            }
            record[Table.idPosition] = .string(set.changes[c].id)
            table.append(record)
        case .update:
            guard let row = table.row(ofID: set.changes[c].id) else { return }
            if let positional = set.changes[c].positionalAfter {
                let places = fieldPlaces.places(of: positional.fields, table)
                for (i, value) in positional.values.enumerated() where places[i] >= 0 && places[i] != Table.idPosition {
                    table.set(row: row, field: places[i], to: value)
                }
                return
            }
            for (name, value) in set.changes[c].after {
                if let p = fieldPlaces.position(name, table), p != Table.idPosition { table.set(row: row, field: p, to: value) }
            }
        case .delete:
            guard let row = table.row(ofID: set.changes[c].id) else { return }
            if set.deletesGoToBin && !isBin { keepInBin(table, row: row, set) }
            table.delete(row: row)
        }
    }

    /// Copies a live row into the bin with when (the business clock: the pinned time if
    /// any, as the records' own dates), by whom and in which change set it was deleted.
    private func keepInBin(_ table: Table, row: Int, _ set: ChangeSet) {
        let binTable = bin[table.entity]
        var record = [Value](repeating: .null, count: binTable.schema.fields.count)
        for (p, field) in table.schema.fields.enumerated() {
            if let q = binTable.schema.position(of: field.name) { record[q] = table.value(row: row, field: p) }
        }
        record[binTable.schema.position(of: BinField.deletedAt)!] = .instant(set.pinnedNow ?? set.at)
        record[binTable.schema.position(of: BinField.deletedBy)!] = .string(set.user)
        record[binTable.schema.position(of: BinField.deletedIn)!] = .integer(set.sequence)
        // One record per id in the bin: an id deleted again replaces its older copy.
        if let old = binTable.row(ofID: table.id(ofRow: row)) { binTable.delete(row: old) }
        binTable.append(record)
    }
}

/// The fields a record has in the bin beside its own.
public enum BinField {
    /// When it was deleted, by the session's clock (the pinned time when pinned).
    public static let deletedAt = "deletedAt"
    /// Who deleted it: the change set's user.
    public static let deletedBy = "deletedBy"
    /// The sequence of the change set that deleted it: what `restore` brings back together.
    public static let deletedIn = "deletedIn"

    public static let fields = [Field(deletedAt, .instant), Field(deletedBy, .string), Field(deletedIn, .integer)]
}

/// What the threads of a parallel `Store.apply` share: each item changes only its own
/// table's state, or only its own columns of a table, and `concurrentPerform` returns
/// after all have.
private final class ParallelApply: @unchecked Sendable {
    let store: Store
    let set: ChangeSet
    let plan: Store.ApplyPlan
    let batches: [InsertBatch]
    init(store: Store, set: ChangeSet, plan: Store.ApplyPlan, batches: [InsertBatch]) {
        self.store = store
        self.set = set
        self.plan = plan
        self.batches = batches
    }
}
