/// `restore ID` and `purge [older than D]`: the change sets that take records out of the
/// bin (docs/storage.md "The bin"). A delete puts them there (`Store.apply`).
public struct BinCommands {
    public let backend: any Backend
    public let clock: Clock
    public let user: String
    public let command: String

    public init(backend: any Backend, clock: Clock, user: String, command: String) {
        self.backend = backend
        self.clock = clock
        self.user = user
        self.command = command
    }

    /// The record `id` names in the bin, with what was deleted along with it: a customer
    /// comes back with its records that the same change set deleted. The inserts pass the
    /// rollup, which re-derives the customers' fields.
    public func restore(_ literal: Literal) throws -> (set: ChangeSet, summary: String) {
        let id = try Self.id(literal)
        guard let found = Entity.allCases.lazy.compactMap({ self.backend.binned(.ids($0, [id])).first }).first else {
            throw Diagnostic.runtime(.notInBin, id, at: literal.span)
        }
        guard case .integer(let sequence)? = found.record[BinField.deletedIn] else { throw Diagnostic.runtime(.notInBin, id, at: literal.span) }
        var group = [found]
        if found.entity == .customers {
            group += backend.binned(.deletedIn(sequence)).filter {
                $0.entity != .customers && $0.record[RecordField.customer] == .string(id)
            }
        }
        // An id taken again while it was in the bin (only an older Rapport could do that).
        for entity in Entity.allCases {
            let ids = group.filter { $0.entity == entity }.map(\.id)
            if let taken = ids.isEmpty ? nil : backend.records(entity, ids: ids, fields: [RecordField.id]).keys.sorted().first {
                throw Diagnostic.runtime(.restoredIDInUse, entity.singular, taken, at: literal.span)
            }
        }
        // A record whose customer is still in the bin comes back with that customer.
        if found.entity.belongsToACustomer, case .string(let customer)? = found.record[RecordField.customer],
           !backend.binned(.ids(.customers, [customer])).isEmpty {
            throw Diagnostic.runtime(.restoreCustomerFirst, found.entity.singular, id, customer, at: literal.span)
        }

        var set = ChangeSet(at: clock.now, user: user, command: command)
        // The customer's stored sums held its restored purchases: the rollup adds them back.
        var restoredCents: Int64 = 0, restoredPurchases: Int64 = 0
        for r in group where r.entity == .purchases {
            restoredCents += CustomerRollup.cents(r.record[RecordField.amount]?.numberValue)
            restoredPurchases += 1
        }
        for r in group {
            var record = r.record
            for f in BinField.fields { record[f.name] = nil }
            if r.entity == .customers, restoredPurchases > 0 {
                if case .number(let spent)? = record[CustomerField.totalSpent] {
                    record[CustomerField.totalSpent] = .number(((spent * 100).rounded() - Double(restoredCents)) / 100)
                }
                if case .integer(let count)? = record[CustomerField.purchaseCount] {
                    record[CustomerField.purchaseCount] = .integer(count - restoredPurchases)
                }
            }
            set.changes.append(RecordChange(kind: .insert, entity: r.entity, id: r.id, after: record))
            set.binChanges.append(BinChange(kind: .restore, entity: r.entity, id: r.id))
        }
        do {
            try CustomerRollup(backend: backend, today: clock.today).reconcile(&set)
        } catch let failure as CustomerRollup.Failure {
            let first = failure.problems[0]
            throw Diagnostic(first.kind, first.id, first.arguments, at: literal.span)
        }
        let related = group.count - 1
        var summary = "restored \(found.entity.singular) \(id)"
        if related > 0 { summary += " and \(related) related record\(related == 1 ? "" : "s")" }
        return (set, summary)
    }

    /// Every record in the bin, or those deleted more than `olderThan` ago by the
    /// session's clock, removed for good.
    public func purge(olderThan: Literal?) throws -> (set: ChangeSet, summary: String) {
        var cutoff: Int64?
        if let olderThan {
            guard case .duration(let days) = olderThan.kind, days >= 0 else {
                throw Diagnostic.usage(.purgeNeedsDuration, olderThan.text, at: olderThan.span)
            }
            cutoff = clock.now - Int64((days * 86_400).rounded())
        }
        var set = ChangeSet(at: clock.now, user: user, command: command)
        let purged = backend.binned(.deletedBefore(cutoff))
        set.binChanges = purged.map { BinChange(kind: .purge, entity: $0.entity, id: $0.id) }
        let n = purged.count
        return (set, "purged \(n) record\(n == 1 ? "" : "s") from the bin")
    }

    static func id(_ literal: Literal) throws -> String {
        switch literal.kind {
        case .string(let s, _): return s
        case .integer(let n): return String(n)
        default: throw Diagnostic.usage(.restoreNeedsID, literal.text, at: literal.span)
        }
    }
}

private extension Value {
    var numberValue: Double? {
        switch self {
        case .number(let d): return d
        case .integer(let n): return Double(n)
        default: return nil
        }
    }
}
