/// The in-memory store: one table per entity. Changes arrive as checked change sets.
public final class Store {
    public private(set) var tables: [Entity: Table] = [:]
    /// The sequence of the last change set applied.
    public internal(set) var sequence: Int64 = 0
    /// The store's business rules (`show policy`); changed only by change sets.
    public internal(set) var policy = Policy.defaults
    /// Bumped by every policy change: derived columns computed under the old policy are stale.
    public private(set) var policyVersion = 0
    /// The saved segments by lower-cased name; changed only by change sets.
    public internal(set) var segments: [String: SavedSegment] = [:]

    public init() {
        for e in Entity.allCases { tables[e] = Table(entity: e) }
        for table in tables.values { table.store = self }
    }

    public subscript(entity: Entity) -> Table { tables[entity]! }

    public var customers: Table { self[.customers] }

    /// Applies a change set that was checked against this store. Values have their
    /// fields' types; inserted ids are new; updated and deleted ids exist.
    public func apply(_ set: ChangeSet) {
        for addition in set.fieldAdditions { self[addition.entity].addField(addition.field) }
        for change in set.policyChanges { policy.set(change.key, to: change.after) }
        if !set.policyChanges.isEmpty { policyVersion += 1 }
        for change in set.segmentChanges { segments[SavedSegment.key(change.name)] = change.after }
        // Field positions by name as written in the changes: a campaign's set names the
        // same few fields 100,000s of times, and `position(of:)` folds case on every call.
        var positions: [Entity: [String: Int]] = [:]
        func position(_ name: String, _ table: Table) -> Int? {
            if let p = positions[table.entity]?[name] { return p }
            guard let p = table.schema.position(of: name) else { return nil }
            positions[table.entity, default: [:]][name] = p
            return p
        }
        for change in set.changes {
            let table = self[change.entity]
            switch change.kind {
            case .insert:
                var record = [Value](repeating: .null, count: table.schema.fields.count)
                for (name, value) in change.after {
                    if let p = position(name, table) { record[p] = value }
                }
                record[Table.idPosition] = .string(change.id)
                table.append(record)
            case .update:
                guard let row = table.row(ofID: change.id) else { continue }
                for (name, value) in change.after {
                    if let p = position(name, table), p != Table.idPosition { table.set(row: row, field: p, to: value) }
                }
            case .delete:
                if let row = table.row(ofID: change.id) { table.delete(row: row) }
            }
        }
        if set.sequence > sequence { sequence = set.sequence }
    }
}
