/// The one place every change path goes through before a change set is committed:
/// it refuses contacts, purchases and tickets that name no customer, and gives each
/// customer whose purchases or contacts the set touches one update of its derived fields
/// (totalSpent, purchaseCount, points, lastPurchase, lastContact), with before values.
/// The journal then holds the derived values, so replay applies them as written.
///
/// Sums and counts move by the difference the change makes (an opening balance imported
/// from another system stays); a latest date is recomputed from the customer's remaining
/// records only when the record holding it is removed, moved or re-dated.
public struct CustomerRollup {
    public let store: Store

    public init(store: Store) { self.store = store }

    public struct Problem: Sendable, Equatable {
        /// The change in the set that the problem is about.
        public var changeIndex: Int
        public var id: DiagnosticID
        public var arguments: [String]
        /// Runtime: the store lacks the customer. Usage: the change itself is out of range.
        public var kind: Diagnostic.Kind

        public var message: String { DiagnosticMessages.wording(for: id, DiagnosticArguments(arguments)).message }
    }

    /// Every problem found, in the order of the changes.
    public struct Failure: Error, Sendable {
        public var problems: [Problem]
    }

    /// What of a contact or purchase the derived fields depend on.
    struct Facts: Equatable {
        var customer: String?
        var date: Day?
        var amount: Double?
    }

    /// The effect of a set on one customer's derived fields.
    struct Tally {
        /// The last change that touched the customer, for pointing at a problem.
        var changeIndex = 0
        var cents: Int64 = 0
        var count: Int64 = 0
        var points: Int64 = 0
        var purchasesTouched = false
        var purchaseDates = DateTally()
        var contactDates = DateTally()
    }

    struct DateTally {
        var touched = false
        var latestAdded: Day?
        /// Some removed, moved or re-dated record held a date at or after the current one.
        var mustRecompute = false
    }

    public func reconcile(_ set: inout ChangeSet) throws {
        let customers = store.customers
        var customerChange: [String: Int] = [:]
        var deletedCustomers = Set<String>()
        for (i, c) in set.changes.enumerated() where c.entity == .customers {
            customerChange[c.id] = i
            if c.kind == .delete { deletedCustomers.insert(c.id) }
        }
        func exists(_ id: String) -> Bool {
            if deletedCustomers.contains(id) { return false }
            if let i = customerChange[id], set.changes[i].kind == .insert { return true }
            return customers.row(ofID: id) != nil
        }

        var problems: [Problem] = []
        var tallies: [String: Tally] = [:]
        var order: [String] = []
        // The facts of each record as the set leaves it (nil: deleted), for recomputation.
        var finalFacts: [Entity: [String: Facts?]] = [.purchases: [:], .contacts: [:]]

        for (i, change) in set.changes.enumerated() where change.entity != .customers {
            if change.kind != .delete, let named = change.after[RecordField.customer] ?? (change.kind == .insert ? .null : nil) {
                guard case .string(let id) = named else {
                    problems.append(Problem(changeIndex: i, id: .customerRequired, arguments: [change.entity.singular], kind: .usage))
                    continue
                }
                guard exists(id) else {
                    problems.append(Problem(changeIndex: i, id: .customerNotFound, arguments: [id], kind: .runtime))
                    continue
                }
            }
            guard change.entity == .purchases || change.entity == .contacts else { continue }
            let old: Facts? = change.kind == .insert ? nil : (finalFacts[change.entity]![change.id] ?? storedFacts(change.entity, change.id))
            var new: Facts?
            switch change.kind {
            case .insert: new = facts(change.after)
            case .update:
                guard var f = old else { continue }
                if let v = change.after[RecordField.customer] { f.customer = v.stringValue }
                if let v = change.after[RecordField.date] { f.date = v.dayValue }
                if let v = change.after[RecordField.amount] { f.amount = v.doubleValue }
                new = f
            case .delete: new = nil
            }
            finalFacts[change.entity]![change.id] = .some(new)
            guard old != new else { continue }
            let isPurchase = change.entity == .purchases
            func touch(_ id: String, _ body: (inout Tally) -> Void) {
                if tallies[id] == nil { tallies[id] = Tally(); order.append(id) }
                tallies[id]!.changeIndex = i
                body(&tallies[id]!)
            }
            if let old, let owner = old.customer {
                let datesMove = new?.customer != owner || new?.date != old.date
                touch(owner) { t in
                    if isPurchase {
                        t.purchasesTouched = true
                        t.cents -= Self.cents(old.amount)
                        t.count -= 1
                        t.points -= Loyalty.points(forAmount: old.amount ?? 0)
                    }
                    if datesMove, let d = old.date {
                        let current = customerDay(owner, isPurchase ? CustomerField.lastPurchase : CustomerField.lastContact, set, customerChange)
                        if isPurchase { t.purchaseDates.touched = true } else { t.contactDates.touched = true }
                        if current == nil || d >= current! {
                            if isPurchase { t.purchaseDates.mustRecompute = true } else { t.contactDates.mustRecompute = true }
                        }
                    }
                }
            }
            if let new, let owner = new.customer {
                let datesMove = old?.customer != owner || old?.date != new.date
                touch(owner) { t in
                    if isPurchase {
                        t.purchasesTouched = true
                        t.cents += Self.cents(new.amount)
                        t.count += 1
                        t.points += Loyalty.points(forAmount: new.amount ?? 0)
                    }
                    if datesMove, let d = new.date {
                        if isPurchase {
                            t.purchaseDates.touched = true
                            t.purchaseDates.latestAdded = max(t.purchaseDates.latestAdded ?? d, d)
                        } else {
                            t.contactDates.touched = true
                            t.contactDates.latestAdded = max(t.contactDates.latestAdded ?? d, d)
                        }
                    }
                }
            }
        }
        if !problems.isEmpty { throw Failure(problems: problems) }

        // Records grouped by the customer the set leaves them with, for recomputation.
        var touchedByCustomer: [Entity: [String: [Facts]]] = [:]
        func recordsOf(_ entity: Entity, _ customer: String) -> [Facts] {
            if touchedByCustomer[entity] == nil {
                var grouped: [String: [Facts]] = [:]
                for case let (_, facts?) in finalFacts[entity]! { if let c = facts.customer { grouped[c, default: []].append(facts) } }
                touchedByCustomer[entity] = grouped
            }
            var out = touchedByCustomer[entity]![customer] ?? []
            let touched = finalFacts[entity]!
            for (id, facts) in storedRecords(entity, of: customer) where touched[id] == nil { out.append(facts) }
            return out
        }

        for id in order where !deletedCustomers.contains(id) {
            guard let t = tallies[id] else { continue }
            var after: [String: Value] = [:]
            let changeIndex = customerChange[id]
            let problemIndex = t.changeIndex
            func current(_ name: String) -> Value { customerValue(id, name, set, customerChange) }
            if t.purchasesTouched, t.cents != 0 || t.count != 0 || t.points != 0 {
                let spentCents = (current(CustomerField.totalSpent).doubleValue ?? 0) * 100
                let total = (spentCents.rounded() + Double(t.cents)) / 100
                // An infinite total could not be written to the snapshot or read back.
                guard total.isFinite, abs(total) < 1e300 else {
                    problems.append(Problem(changeIndex: problemIndex, id: .derivedOutOfRange, arguments: ["totalSpent"], kind: .usage))
                    continue
                }
                after[CustomerField.totalSpent] = .number(total)
                for (name, delta) in [(CustomerField.purchaseCount, t.count), (CustomerField.points, t.points)] where delta != 0 {
                    let (sum, overflow) = (current(name).integerValue ?? 0).addingReportingOverflow(delta)
                    guard !overflow else {
                        problems.append(Problem(changeIndex: problemIndex, id: .derivedOutOfRange, arguments: [name], kind: .usage))
                        continue
                    }
                    after[name] = .integer(sum)
                }
            }
            for (entity, name, dates) in [(Entity.purchases, CustomerField.lastPurchase, t.purchaseDates),
                                          (Entity.contacts, CustomerField.lastContact, t.contactDates)] where dates.touched {
                let latest: Day?
                if dates.mustRecompute {
                    latest = recordsOf(entity, id).compactMap(\.date).max()
                } else {
                    let now = current(name).dayValue
                    latest = [now, dates.latestAdded].compactMap { $0 }.max()
                }
                after[name] = latest.map(Value.date) ?? .null
            }
            merge(after, into: &set, customer: id, at: changeIndex)
        }
        if !problems.isEmpty { throw Failure(problems: problems) }
    }

    // MARK: Reading the store

    private func facts(_ record: [String: Value]) -> Facts {
        Facts(customer: record[RecordField.customer]?.stringValue, date: record[RecordField.date]?.dayValue,
              amount: record[RecordField.amount]?.doubleValue)
    }

    private func storedFacts(_ entity: Entity, _ id: String) -> Facts? {
        let table = store[entity]
        guard let row = table.row(ofID: id) else { return nil }
        return facts(table, row)
    }

    private func facts(_ table: Table, _ row: Int) -> Facts {
        func value(_ name: String) -> Value {
            guard let p = table.schema.position(of: name) else { return .null }
            return table.value(row: row, field: p)
        }
        return Facts(customer: value(RecordField.customer).stringValue, date: value(RecordField.date).dayValue,
                     amount: value(RecordField.amount).doubleValue)
    }

    /// A customer's records through the hash index on `customer`: no scan per customer.
    private func storedRecords(_ entity: Entity, of customer: String) -> [(String, Facts)] {
        let table = store[entity]
        guard let p = table.schema.position(of: RecordField.customer), case .string(let column) = table.columns[p] else { return [] }
        let rows: [Int32]
        if let index = table.hashIndex(field: p) {
            rows = column.dictionary.codes(ignoringCase: customer).flatMap { index.rows(code: $0) }
        } else {
            rows = table.liveRows
        }
        return rows.compactMap { row in
            let f = facts(table, Int(row))
            return f.customer == customer ? (table.id(ofRow: Int(row)), f) : nil
        }
    }

    /// A customer's value as the set leaves it before the rollup: its insert's value, or
    /// the store's.
    private func customerValue(_ id: String, _ name: String, _ set: ChangeSet, _ customerChange: [String: Int]) -> Value {
        if let i = customerChange[id] {
            let c = set.changes[i]
            if c.kind == .insert { return c.after[name] ?? .null }
            if let v = c.after[name] { return v }
        }
        let t = store.customers
        guard let row = t.row(ofID: id), let p = t.schema.position(of: name) else { return .null }
        return t.value(row: row, field: p)
    }

    private func customerDay(_ id: String, _ name: String, _ set: ChangeSet, _ customerChange: [String: Int]) -> Day? {
        customerValue(id, name, set, customerChange).dayValue
    }

    /// Adds the derived values to the customer's own change in the set, or appends one
    /// update; values that do not change are left out.
    private func merge(_ values: [String: Value], into set: inout ChangeSet, customer id: String, at index: Int?) {
        if let index, set.changes[index].kind == .insert {
            for (name, v) in values { set.changes[index].after[name] = v.isNull ? nil : v }
            return
        }
        let t = store.customers
        guard let row = t.row(ofID: id) else { return }
        var before: [String: Value] = [:], after: [String: Value] = [:]
        for (name, v) in values {
            guard let p = t.schema.position(of: name) else { continue }
            let old = t.value(row: row, field: p)
            if old != v { before[name] = old; after[name] = v }
        }
        guard !after.isEmpty else { return }
        if let index {
            for (name, v) in after {
                if set.changes[index].before[name] == nil { set.changes[index].before[name] = before[name] }
                set.changes[index].after[name] = v
            }
        } else {
            set.changes.append(RecordChange(kind: .update, entity: .customers, id: id, before: before, after: after))
        }
    }

    static func cents(_ amount: Double?) -> Int64 {
        guard let amount, amount.isFinite, abs(amount) < 1e15 else { return 0 }
        return Int64((amount * 100).rounded())
    }
}

private extension Value {
    var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    var dayValue: Day? { if case .date(let d) = self { return d } else { return nil } }
    var integerValue: Int64? { if case .integer(let i) = self { return i } else { return nil } }
}
