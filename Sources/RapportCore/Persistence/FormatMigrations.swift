/// The versions of the stored formats, and the steps that bring an older file forward.
///
/// Each step takes one version to the next as a pure function of the decoded form; on
/// open, the steps from a file's version up to the current one run in order, so the
/// readers only ever see the current form. Files are not rewritten to migrate them: the
/// next snapshot is written in the current version, and journal and audit entries keep
/// the bytes their checksums cover (a store holds entries of several versions).
/// A file of a version newer than the program knows is refused, never guessed at.
enum FormatMigrations {
    /// The members of one journal (or audit) entry, as read from its line.
    typealias EntryMembers = [(key: String, value: JSONValue)]

    /// Journal and audit entries.
    /// - 1: no "version"; "at" was the session's clock, pinned (`--now`) or not; no role.
    /// - 2: "version"; "at" the real time; "pinnedNow" when the clock was pinned; "role".
    /// - 3: customers hold no `points`: the points ledger (entity `points`) does;
    ///   "policy": the policy keys the change set (`set policy`), each key, before, after.
    /// - 4: "segments": the saved segments the change saves or deletes, each name, before, after.
    /// - 5: "grants": the OS users' grants the change gives or revokes, each user, before, after (a role or null);
    ///   a delete moves its records to the bin; "bin": the records the change restores
    ///   from the bin or purges from it, each op, entity, id.
    static let entryVersion: Int64 = 5

    /// The member step 4 → 5 adds, saying that the entry's deletes removed records for good.
    static let deletesMember = "deletes"
    static let deletesGone = "gone"

    /// `entrySteps[i]` takes an entry of version i+1 to version i+2.
    static let entrySteps: [@Sendable (EntryMembers) -> EntryMembers] = [
        // 1 → 2: the role was not recorded; "at" keeps what it was (the real time
        // unless the clock was pinned, which the entry cannot tell).
        { members in members.filter { $0.key != "version" } + [("version", .integer(2)), ("role", .null)] },
        // 2 → 3: no entry changed the policy before it could be set. The changes of the
        // customers' `points` become ledger entries, which needs the store the entry applies to: `JournalCodec.decode` calls `ledgerFromLegacyPoints`.
        { members in members.filter { $0.key != "version" } + [("version", .integer(3))] },
        // 3 → 4: no entry saved a segment before there were any.
        { members in members.filter { $0.key != "version" } + [("version", .integer(4))] },
        // 4 → 5: no entry granted a role before there were grants; its deletes meant gone for good; they do not fill the bin on replay.
        { members in members.filter { $0.key != "version" } + [("version", .integer(5)), (deletesMember, .string(deletesGone))] },
    ]

    /// The snapshot.
    /// - 1: customers have a stored `points`.
    /// - 2: the points ledger (`points` records); customers' points are derived from it;
    ///   "policy": the keys set away from their defaults, canonical units.
    /// - 3: "segments": the saved segments (name, entity, condition, savedBy, savedAt).
    /// - 4: "grants": the most each OS user may take, user to role;
    ///   "bin": the deleted records of each entity, with deletedAt, deletedBy, deletedIn.
    static let snapshotVersion: Int64 = 4

    /// What an older snapshot held that the current columns have no place for, read aside
    /// by the reader for the steps.
    struct LegacySnapshotValues {
        /// Version 1: each customer row's stored `points` (absent: null).
        var customerPoints: [Int: Int64] = [:]
    }

    /// `snapshotSteps[i]` takes a store read from a snapshot of version i+1 to version
    /// i+2. (The snapshot is parsed straight into columns, so its steps work on the
    /// loaded store.)
    static let snapshotSteps: [@Sendable (Store, LegacySnapshotValues) -> Void] = [
        // 1 → 2: each purchase gets its ledger entry, and each customer an entry for what
        // its stored points held beyond them (imported balances, hand adjustments). A
        // store without a policy has every key at its default, as it is read.
        { store, legacy in ledgerFromLegacySnapshot(store, legacy) },
        // 2 → 3: no segments were saved before there were any.
        { _, _ in },
        // 3 → 4: no grants (everyone who opens it may take admin, as before) and an empty bin
        // (what was deleted before it is gone).
        { _, _ in },
    ]

    /// Brings an entry of `version` to the current version.
    /// `version` must be 1 or more (the reader checks).
    static func migrateEntry(_ members: EntryMembers, from version: Int64) throws -> EntryMembers {
        guard version <= entryVersion else { throw NewerFormatError(what: "journal entry", version: version, known: entryVersion) }
        var members = members
        for step in entrySteps[Int(version - 1)..<Int(entryVersion - 1)] { members = step(members) }
        return members
    }

    /// Brings a store read from a snapshot of `version` (1 to current) to the current version.
    static func migrateSnapshot(_ store: Store, from version: Int64, legacy: LegacySnapshotValues = .init()) {
        for step in snapshotSteps[Int(version - 1)..<Int(snapshotVersion - 1)] { step(store, legacy) }
    }

    // MARK: Points before the ledger (snapshot 1, entries 1 and 2)

    // Points stored before the ledger never expire (they were kept without a date of
    // earning), and were earned at one point per whole unit whatever the policy says now.
    // Each customer's balance is kept exactly: entry ids are `L` + the purchase id for a
    // purchase's points and `LM<sequence>-<customer>` for the rest.

    static let legacyAdjustmentReason = "points before the ledger"

    static func legacyEarning(_ amount: Value?) -> Int64 {
        if case .number(let a)? = amount { return Loyalty.points(forAmount: a, perUnit: 1) }
        return 0
    }

    static func ledgerRecord(_ values: [String: Value]) -> [Value] {
        Entity.points.builtinFields.map { values[$0.name] ?? .null }
    }

    private static func ledgerFromLegacySnapshot(_ store: Store, _ legacy: LegacySnapshotValues) {
        let purchases = store[.purchases], customers = store.customers, ledger = store[.points]
        var earned: [String: Int64] = [:]
        for row in 0..<purchases.rowCount where purchases.isLive[row] {
            let record = fields(of: purchases, row: row)
            guard case .string(let id)? = record[RecordField.id], case .string(let customer)? = record[RecordField.customer] else { continue }
            let points = legacyEarning(record[RecordField.amount])
            guard points > 0 else { continue }
            earned[customer, default: 0] += points
            ledger.append(ledgerRecord([
                RecordField.id: .string(CustomerRollup.ledgerID(ofPurchase: id)), RecordField.customer: .string(customer),
                RecordField.date: record[RecordField.date] ?? .null, PointsField.change: .integer(points),
                PointsField.reason: .string("purchase \(id)"),
            ]))
        }
        for row in 0..<customers.rowCount where customers.isLive[row] {
            guard case .string(let id) = customers.value(row: row, field: Table.idPosition) else { continue }
            let rest = (legacy.customerPoints[row] ?? 0) &- (earned[id] ?? 0)
            guard rest != 0 else { continue }
            ledger.append(ledgerRecord([
                RecordField.id: .string("LM\(store.sequence)-\(id)"), RecordField.customer: .string(id),
                PointsField.change: .integer(rest), PointsField.reason: .string(legacyAdjustmentReason),
            ]))
        }
    }

    private static func fields(of table: Table, row: Int) -> [String: Value] {
        var out: [String: Value] = [:]
        for (field, value) in zip(table.schema.fields, table.record(row: row)) where !value.isNull { out[field.name] = value }
        return out
    }

    /// The ledger changes of a journal entry written before the ledger (version 1 or 2),
    /// added to its set: its purchases' entries follow them, a deleted customer's entries
    /// go with it, and what the customers' `points` moved beyond that (`pointsMoves`, by
    /// customer, in order) becomes one entry per customer, dated the entry's day.
    static func ledgerFromLegacyPoints(_ set: inout ChangeSet, pointsMoves: [(customer: String, change: Int64)], store: Store) {
        let ledger = store[.points], purchases = store[.purchases]
        var pending: [String: [String: Value]?] = [:]
        func entry(_ id: String) -> [String: Value]? {
            if let p = pending[id] { return p }
            return ledger.row(ofID: id).map { fields(of: ledger, row: $0) }
        }
        var added: [RecordChange] = []
        var earnedMoves: [String: Int64] = [:]
        func move(_ record: [String: Value]?, _ sign: Int64) {
            guard let record, case .string(let c)? = record[RecordField.customer], case .integer(let n)? = record[PointsField.change] else { return }
            earnedMoves[c, default: 0] &+= sign * n
        }
        let deletedCustomers = Set(set.changes.filter { $0.entity == .customers && $0.kind == .delete }.map(\.id))
        for c in set.changes where c.entity == .purchases {
            let id = CustomerRollup.ledgerID(ofPurchase: c.id)
            let old = entry(id)
            var purchase: [String: Value]?
            switch c.kind {
            case .insert: purchase = c.after
            case .update:
                var p = purchases.row(ofID: c.id).map { fields(of: purchases, row: $0) } ?? [:]
                for (k, v) in c.after { p[k] = v.isNull ? nil : v }
                purchase = p
            case .delete: purchase = nil
            }
            var wanted: [String: Value]?
            if let purchase, case .string(let customer)? = purchase[RecordField.customer], !deletedCustomers.contains(customer) {
                let points = legacyEarning(purchase[RecordField.amount])
                if points > 0 {
                    wanted = [RecordField.id: .string(id), RecordField.customer: .string(customer), PointsField.change: .integer(points),
                              PointsField.reason: .string("purchase \(c.id)")]
                    if let d = purchase[RecordField.date] { wanted![RecordField.date] = d }
                }
            }
            switch (old, wanted) {
            case (nil, let w?): added.append(RecordChange(kind: .insert, entity: .points, id: id, after: w))
            case (let o?, nil): added.append(RecordChange(kind: .delete, entity: .points, id: id, before: o))
            case (let o?, let w?) where o != w:
                var before: [String: Value] = [:], after: [String: Value] = [:]
                for k in Set(o.keys).union(w.keys) where o[k] != w[k] { before[k] = o[k] ?? .null; after[k] = w[k] ?? .null }
                added.append(RecordChange(kind: .update, entity: .points, id: id, before: before, after: after))
            default: continue
            }
            move(old, -1)
            move(wanted, 1)
            pending[id] = .some(wanted)
        }
        // A deleted customer's entries go with it (those of its purchases are gone already).
        if !deletedCustomers.isEmpty, let cp = ledger.schema.position(of: RecordField.customer) {
            for row in 0..<ledger.rowCount where ledger.isLive[row] {
                guard case .string(let c) = ledger.value(row: row, field: cp), deletedCustomers.contains(c),
                      case .string(let id) = ledger.value(row: row, field: Table.idPosition), pending[id] == nil else { continue }
                added.append(RecordChange(kind: .delete, entity: .points, id: id, before: fields(of: ledger, row: row)))
                pending[id] = .some(nil)
            }
        }
        let day = Clock(now: set.pinnedNow ?? set.at, timeZone: .gmt).today
        var order: [String] = [], totals: [String: Int64] = [:]
        for (customer, change) in pointsMoves where !deletedCustomers.contains(customer) {
            if totals[customer] == nil { order.append(customer) }
            totals[customer, default: 0] &+= change
        }
        for customer in order {
            let rest = totals[customer]! &- (earnedMoves[customer] ?? 0)
            guard rest != 0 else { continue }
            let id = "LM\(set.sequence)-\(customer)"
            guard entry(id) == nil else { continue }
            added.append(RecordChange(kind: .insert, entity: .points, id: id, after: [
                RecordField.id: .string(id), RecordField.customer: .string(customer), RecordField.date: .date(day),
                PointsField.change: .integer(rest), PointsField.reason: .string(legacyAdjustmentReason),
            ]))
        }
        set.changes += added
    }
}

/// A file written by a newer Rapport than this one, which must not guess at it.
struct NewerFormatError: Error, CustomStringConvertible {
    /// "snapshot", "journal entry".
    var what: String
    var version: Int64
    var known: Int64
    var description: String {
        "written by a newer version of Rapport (\(what) format version \(version); this Rapport reads versions 1 to \(known))"
    }
}
