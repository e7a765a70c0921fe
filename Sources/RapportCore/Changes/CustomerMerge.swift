/// `merge ID into ID` (docs/data-quality.md): the record changes that fold one customer
/// into another. `build` then passes them through `CustomerRollup` like any change, so the
/// kept customer's derived fields (totalSpent, purchaseCount, lastPurchase, lastContact,
/// satisfaction, points, tier) follow from the records it gains, and the whole merge is one
/// change set: one journal line, one audit entry.
extension ChangeBuilder {
    /// The customer fields that follow from records: the rollup sets them, a merge never copies them.
    static let mergeLeavesToRollup: Set<String> = [CustomerField.totalSpent, CustomerField.purchaseCount,
                                                   CustomerField.lastPurchase, CustomerField.lastContact]

    /// Every entity whose records name a customer: whatever the merged customer owns moves.
    static var entitiesOwnedByCustomers: [Entity] {
        Entity.allCases.filter { e in e != .customers && e.builtinFields.contains { $0.name == RecordField.customer } }
    }

    /// The moves (an update of `customer` on each record of the merged customer), the kept
    /// customer's missing fields filled from the other's (list fields united), then the
    /// merged customer's ordinary delete, last, once nothing names it.
    func merge(_ fromLiteral: Literal, into intoLiteral: Literal) throws -> [RecordChange] {
        let merged = try customerForMerge(fromLiteral)
        let kept = try customerForMerge(intoLiteral)
        guard merged.id != kept.id else { throw Diagnostic.usage(.mergeIntoItself, kept.id, at: intoLiteral.span) }

        var changes: [RecordChange] = []
        var before: [String: Value] = [:], after: [String: Value] = [:]
        for field in backend.schema(of: .customers).fields where field.name != CustomerField.id {
            guard !Self.mergeLeavesToRollup.contains(field.name), let theirs = merged.record[field.name], !theirs.isNull else { continue }
            let ours = kept.record[field.name] ?? .null
            if ours.isNull {
                before[field.name] = .null
                after[field.name] = theirs
            } else if case .list(let ourItems) = ours, case .list(let theirItems) = theirs {
                // Tags and opt-outs: both customers' (an opt-out must survive the merge).
                var seen = Set(ourItems.map { $0.lowercased() })
                let added = theirItems.filter { seen.insert($0.lowercased()).inserted }
                if !added.isEmpty {
                    before[field.name] = ours
                    after[field.name] = .list(ourItems + added)
                }
            }
        }
        if !after.isEmpty { changes.append(RecordChange(kind: .update, entity: .customers, id: kept.id, before: before, after: after)) }

        for entity in Self.entitiesOwnedByCustomers {
            // In code-point order of the ids whatever order the backend reads them in, so the
            // journal entry and PostgreSQL's audit row list the moves alike.
            let owned = backend.records(entity, ofCustomers: [merged.id], fields: [RecordField.customer])
            for (id, _) in owned.sorted(by: { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }) {
                changes.append(RecordChange(kind: .update, entity: entity, id: id,
                                            before: [RecordField.customer: .string(merged.id)],
                                            after: [RecordField.customer: .string(kept.id)]))
            }
        }
        changes.append(RecordChange(kind: .delete, entity: .customers, id: merged.id, before: merged.record))
        return changes
    }

    private func customerForMerge(_ literal: Literal) throws -> (id: String, record: [String: Value]) {
        try namedRecord(.customers, literal, notAnID: .expectedCustomerID, unknown: .customerNotFound)
    }

    /// "merged C000045 into C000012: 3 contacts, 1 purchase, 1 points entry; took email, tags".
    static func mergeSummary(_ set: ChangeSet, from: String, into: String) -> String {
        var moved: [String] = []
        for entity in entitiesOwnedByCustomers {
            let n = set.changes.filter {
                $0.entity == entity && $0.kind == .update && $0.after[RecordField.customer] == .string(into)
            }.count
            guard n > 0 else { continue }
            switch entity {
            case .points: moved.append("\(n) points \(n == 1 ? "entry" : "entries")")
            default: moved.append("\(n) \(n == 1 ? entity.singular : entity.rawValue)")
            }
        }
        var text = "merged \(from) into \(into): " + (moved.isEmpty ? "no records to move" : moved.joined(separator: ", "))
        let taken = set.changes.filter { $0.entity == .customers && $0.kind == .update && $0.id == into }
            .flatMap(\.after.keys).filter { !mergeLeavesToRollup.contains($0) && $0 != CustomerField.tier && $0 != CustomerField.satisfaction }
        if !taken.isEmpty {
            let order = Entity.customers.builtinFields.map(\.name)
            let sorted = taken.sorted { (order.firstIndex(of: $0) ?? Int.max, $0) < (order.firstIndex(of: $1) ?? Int.max, $1) }
            text += "; took \(sorted.joined(separator: ", ")) from \(from)"
        }
        return text
    }
}
