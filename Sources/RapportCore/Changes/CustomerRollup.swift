/// The one place every change path goes through before a change set is committed:
/// it refuses contacts, purchases and tickets that name no customer, and gives each
/// customer whose purchases or contacts the set touches one update of its derived fields
/// (totalSpent, purchaseCount, lastPurchase, lastContact), with before values, raises the
/// tier of a customer whose 12-month purchases now reach a higher one, and gives each
/// purchase the points ledger entry it earns (`L` + the purchase's id), inserted, updated
/// or deleted with it. The journal then holds the derived values, so replay applies them
/// as written.
///
/// Sums and counts move by the difference the change makes (an opening balance imported
/// from another system stays); a latest date is recomputed from the customer's remaining
/// records only when the record holding it is removed, moved or re-dated.
///
/// It reads the store in batches, a few backend calls per change set whatever its size:
/// the stored facts of the records the set updates or deletes, the derived fields of
/// every customer it names, and the records of the customers whose latest date must be
/// recomputed.
public struct CustomerRollup {
    public let backend: any Backend
    /// Today, for the tier a purchase raises (`Segmentation.raisedTier`); nil: no raise.
    public let today: Day?

    public init(backend: any Backend, today: Day? = nil) {
        self.backend = backend
        self.today = today
    }

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
        var deletedCustomers = Set<String>()
        var customerChanges = 0
        // Whether the customers' changes come in increasing order of id, so that each id
        // has one (an import's, in the order of its file or of generated ids).
        var idsIncrease = true
        var previous = -1
        // Every loop over the set's changes goes by index and reads fields in place: a
        // copy of a `RecordChange` retains each reference in it, 100,000s of times.
        for i in set.changes.indices where set.changes[i].entity == .customers {
            customerChanges += 1
            if set.changes[i].kind == .delete { deletedCustomers.insert(set.changes[i].id) }
            if idsIncrease, previous >= 0, !(set.changes[previous].id < set.changes[i].id) { idsIncrease = false }
            previous = i
        }
        // Each customer's last change in the set, by id: built the first time it is asked
        // (before the set changes), which an import of a million customers may never do.
        var customerChangeMap: [String: Int]?
        func customerChange(_ id: String) -> Int? {
            guard customerChanges > 0 else { return nil }
            if customerChangeMap == nil {
                // Sized at once: an import's million customers rehashed it at every doubling.
                var map: [String: Int] = [:]
                map.reserveCapacity(customerChanges)
                for i in set.changes.indices where set.changes[i].entity == .customers { map[set.changes[i].id] = i }
                customerChangeMap = map
            }
            return customerChangeMap![id]
        }
        let stored = storedFacts(of: set)
        var customers = storedCustomers(named: set, owners: stored, insertedBySet: { i, id in
            // An import's opening balance follows its customer's insert: with each id
            // changed once, that insert is the customer's last change. No map of ids needed.
            if idsIncrease, i > 0, set.changes[i - 1].entity == .customers, set.changes[i - 1].kind == .insert,
               set.changes[i - 1].id == id { return true }
            if let c = customerChange(id) { return set.changes[c].kind == .insert }
            return false
        })
        // A customer's date as the set leaves it before the rollup: its own change's, or the store's.
        func customerDay(_ id: String, _ name: String) -> Day? {
            if let i = customerChange(id), let v = Self.changedValue(set.changes[i], name) { return v.dayValue }
            return customers.value(id, name).dayValue
        }
        /// `place`: the customer's place in `customers`, nil when the set names it nowhere else.
        func exists(_ id: String, _ place: Int?) -> Bool {
            if !deletedCustomers.isEmpty, deletedCustomers.contains(id) { return false }
            if let i = customerChange(id), set.changes[i].kind == .insert { return true }
            return place.map { customers.isStored[$0] } ?? false
        }

        var problems = binnedIDsTaken(set)
        // Each touched customer's tally by its place in `customers`, and the places in the
        // order the set first touches them (the order of the updates appended).
        var tallyOfPlace = [Int](repeating: -1, count: customers.ids.count)
        var tallies: [Tally] = []
        var order: [Int] = []
        // The facts of each purchase (slot 0) and contact (slot 1) as the set leaves it (nil:
        // deleted), in change order, for recomputation and points. Kept by id as the loop
        // goes only for an entity the set also updates or deletes (an update reads what an
        // earlier change left): a campaign's 100,000s of inserted contacts are not hashed.
        var finalList: [[(id: String, facts: Facts?)]] = [[], []]
        var finalByID: [[String: Facts?]] = [[:], [:]]
        let keptByID = [stored[.purchases] != nil, stored[.contacts] != nil]
        var finalCache: [[String: Facts?]?] = [nil, nil]
        func finalFacts(_ slot: Int) -> [String: Facts?] {
            if keptByID[slot] { return finalByID[slot] }
            if let known = finalCache[slot] { return known }
            let built = Dictionary(finalList[slot].lazy.map { ($0.id, $0.facts) }, uniquingKeysWith: { _, last in last })
            finalCache[slot] = built
            return built
        }
        // The purchases whose customer, date or amount the set changes: their points follow.
        var movedPurchases = Set<String>()

        for i in set.changes.indices where set.changes[i].entity.belongsToACustomer {
            // A change naming a customer the set inserts and moving no derived field (an
            // import's opening balance) needs only that the set deletes no customer.
            if deletedCustomers.isEmpty, customers.namesACustomerTheSetInserts(change: i) { continue }
            let kind = set.changes[i].kind, entity = set.changes[i].entity
            // The named customer's place, found once for the check and the tally below.
            var namedPlace: Int?, namedID: String?
            if kind != .delete, let named = set.changes[i].after(RecordField.customer) ?? (kind == .insert ? .null : nil) {
                guard case .string(let id) = named else {
                    problems.append(Problem(changeIndex: i, id: .customerRequired, arguments: [entity.singular], kind: .usage))
                    continue
                }
                namedID = id
                namedPlace = customers.namedPlace(ofChange: i)
                let inserted = customers.namesACustomerTheSetInserts(change: i)
                guard inserted ? !deletedCustomers.contains(id) : exists(id, namedPlace) else {
                    problems.append(Problem(changeIndex: i, id: .customerNotFound, arguments: [id], kind: .runtime))
                    continue
                }
            }
            guard entity == .purchases || entity == .contacts else { continue }
            let slot = entity == .purchases ? 0 : 1
            let changeID = set.changes[i].id
            let old: Facts? = kind == .insert ? nil : (finalByID[slot][changeID] ?? stored[entity]?[changeID])
            var new: Facts?
            switch kind {
            // An insert's customer is the one just checked (`facts(_:)` read in place: no copy of the change).
            case .insert: new = Facts(customer: namedID, date: set.changes[i].after(RecordField.date)?.dayValue,
                                      amount: set.changes[i].after(RecordField.amount)?.doubleValue)
            case .update:
                guard var f = old else { continue }
                if let v = set.changes[i].after(RecordField.customer) { f.customer = v.stringValue }
                if let v = set.changes[i].after(RecordField.date) { f.date = v.dayValue }
                if let v = set.changes[i].after(RecordField.amount) { f.amount = v.doubleValue }
                new = f
            case .delete: new = nil
            }
            finalList[slot].append((changeID, new))
            if keptByID[slot] { finalByID[slot][changeID] = .some(new) }
            guard old != new else { continue }
            if entity == .purchases { movedPurchases.insert(changeID) }
            let isPurchase = entity == .purchases
            func touch(_ id: String, _ body: (inout Tally) -> Void) {
                // The customer this change names was found above; a former owner is looked up.
                let place = namedPlace != nil && id == new?.customer ? namedPlace! : customers.place(of: id)
                if place == tallyOfPlace.count { tallyOfPlace.append(-1) }
                if tallyOfPlace[place] < 0 {
                    tallyOfPlace[place] = tallies.count
                    tallies.append(Tally())
                    order.append(place)
                }
                let k = tallyOfPlace[place]
                tallies[k].changeIndex = i
                body(&tallies[k])
            }
            if let old, let owner = old.customer {
                let datesMove = new?.customer != owner || new?.date != old.date
                touch(owner) { t in
                    if isPurchase {
                        t.purchasesTouched = true
                        t.cents -= Self.cents(old.amount)
                        t.count -= 1
                    }
                    if datesMove, let d = old.date {
                        let current = customerDay(owner, isPurchase ? CustomerField.lastPurchase : CustomerField.lastContact)
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
        // The map holds the changes as they were: built now, before the set changes, if
        // the updates below will ask it.
        if !order.isEmpty { _ = customerChange("") }
        earnPoints(&set, purchases: movedPurchases.isEmpty ? [:] : finalFacts(0).filter { movedPurchases.contains($0.key) })

        // The stored records of the customers whose latest dates are recomputed: one call per entity.
        var storedByCustomer: [Entity: [String: [(String, Facts)]]] = [:]
        for (entity, mustRecompute) in [(Entity.purchases, { (t: Tally) in t.purchaseDates.mustRecompute }),
                                        (Entity.contacts, { (t: Tally) in t.contactDates.mustRecompute })] {
            // A tier raise reads every purchase of the customers whose purchases the set touches.
            let readsAll = { (t: Tally) in entity == .purchases && today != nil && t.purchasesTouched }
            let ids = order.filter { place in
                let t = tallies[tallyOfPlace[place]]
                return !deletedCustomers.contains(customers.ids[place]) && (mustRecompute(t) || readsAll(t))
            }.map { customers.ids[$0] }
            guard !ids.isEmpty else { continue }
            var grouped: [String: [(String, Facts)]] = [:]
            for (id, record) in backend.records(entity, ofCustomers: ids, fields: CustomerRollup.factFields) {
                let f = facts(record)
                if let c = f.customer { grouped[c, default: []].append((id, f)) }
            }
            storedByCustomer[entity] = grouped
        }

        // Records grouped by the customer the set leaves them with, for recomputation.
        var touchedByCustomer: [Entity: [String: [Facts]]] = [:]
        func recordsOf(_ entity: Entity, _ customer: String) -> [Facts] {
            let touched = finalFacts(entity == .purchases ? 0 : 1)
            if touchedByCustomer[entity] == nil {
                var grouped: [String: [Facts]] = [:]
                for case let (_, facts?) in touched { if let c = facts.customer { grouped[c, default: []].append(facts) } }
                touchedByCustomer[entity] = grouped
            }
            var out = touchedByCustomer[entity]![customer] ?? []
            for (id, facts) in storedByCustomer[entity]?[customer] ?? [] where touched[id] == nil { out.append(facts) }
            return out
        }

        // The fields the rollup moves, in one order: an update of a customer the set does
        // not otherwise change is positional, its field list shared by every update moving
        // the same fields (one per combination, `movedFieldLists`).
        let movedColumn = Self.movedFields.map { customers.fields.firstIndex(of: $0) }
        var movedFieldLists: [Int: FieldList] = [:]
        // One customer's moved values by position in `movedFields`: one array for the whole loop.
        var moved = [Value?](repeating: nil, count: Self.movedFields.count)
        // Room for one update per customer: the set's array moved once, not at each doubling.
        // Only when there are updates: reserving on an array shared with the caller copies
        // every change (an import's two million, each copy retaining its references).
        if !order.isEmpty { set.changes.reserveCapacity(set.changes.count + order.count) }
        for place in order {
            let id = customers.ids[place]
            if !deletedCustomers.isEmpty, deletedCustomers.contains(id) { continue }
            let t = tallies[tallyOfPlace[place]]
            for k in moved.indices { moved[k] = nil }
            let changeIndex = customerChange(id)
            let problemIndex = t.changeIndex
            func current(_ k: Int) -> Value {
                if let changeIndex, let v = Self.changedValue(set.changes[changeIndex], Self.movedFields[k]) { return v }
                guard let column = movedColumn[k] else { return .null }
                return customers.columns[column][place]
            }
            if t.purchasesTouched, t.cents != 0 || t.count != 0 {
                let spentCents = (current(Self.totalSpent).doubleValue ?? 0) * 100
                let total = (spentCents.rounded() + Double(t.cents)) / 100
                // An infinite total could not be written to the snapshot or read back.
                guard total.isFinite, abs(total) < 1e300 else {
                    problems.append(Problem(changeIndex: problemIndex, id: .derivedOutOfRange, arguments: ["totalSpent"], kind: .usage))
                    continue
                }
                moved[Self.totalSpent] = .number(total)
                if t.count != 0 {
                    let (sum, overflow) = (current(Self.purchaseCount).integerValue ?? 0).addingReportingOverflow(t.count)
                    if overflow {
                        problems.append(Problem(changeIndex: problemIndex, id: .derivedOutOfRange, arguments: [CustomerField.purchaseCount], kind: .usage))
                    } else {
                        moved[Self.purchaseCount] = .integer(sum)
                    }
                }
            }
            func latest(_ entity: Entity, _ k: Int, _ dates: DateTally) {
                guard dates.touched else { return }
                let latest: Day?
                if dates.mustRecompute {
                    latest = recordsOf(entity, id).compactMap(\.date).max()
                } else if let now = current(k).dayValue, let added = dates.latestAdded {
                    latest = max(now, added)
                } else {
                    latest = current(k).dayValue ?? dates.latestAdded
                }
                moved[k] = latest.map(Value.date) ?? .null
            }
            latest(.purchases, Self.lastPurchase, t.purchaseDates)
            latest(.contacts, Self.lastContact, t.contactDates)
            if let today, t.purchasesTouched {
                var spend = 0.0, purchases = 0
                for f in recordsOf(.purchases, id) {
                    guard let d = f.date, Segmentation.inWindow(d, today: today) else { continue }
                    spend += f.amount ?? 0
                    purchases += 1
                }
                let tier = current(Self.tier).stringValue
                if let raised = Segmentation.raisedTier(current: tier, spend: spend, purchases: purchases, policy: backend.policy),
                   raised != tier {
                    moved[Self.tier] = .string(raised)
                }
            }
            if let changeIndex {
                var after: [String: Value] = [:]
                for (k, v) in moved.enumerated() { if let v { after[Self.movedFields[k]] = v } }
                merge(after, into: &set, customer: id, at: changeIndex, stored: customers.record(place))
                continue
            }
            // A stored customer the set does not otherwise change: one positional update of
            // the values that differ from the stored ones.
            guard customers.isStored[place] else { continue }
            var mask = 0
            var before: [Value] = [], after: [Value] = []
            for (k, v) in moved.enumerated() {
                guard let v else { continue }
                let old = current(k)
                if old != v {
                    mask |= 1 << k
                    before.append(old)
                    after.append(v)
                }
            }
            guard mask != 0 else { continue }
            let fields: FieldList
            if let known = movedFieldLists[mask] { fields = known } else {
                fields = FieldList(Self.movedFields.indices.filter { mask & (1 << $0) != 0 }.map { Self.movedFields[$0] })
                movedFieldLists[mask] = fields
            }
            set.changes.append(RecordChange(update: .customers, id: id, fields: fields, before: before, after: after))
        }
        if !problems.isEmpty { throw Failure(problems: problems) }
        satisfactionFromSurveys(&set, deletedCustomers: deletedCustomers)
    }

    // MARK: Ids in the bin

    /// Inserts of ids that are in the bin, unless the set restores them: a deleted record
    /// keeps its id until it is purged, so that restoring it never meets another record.
    /// One call per entity the set inserts.
    private func binnedIDsTaken(_ set: ChangeSet) -> [Problem] {
        let restored = Set(set.binChanges.filter { $0.kind == .restore }.map { "\($0.entity.rawValue)/\($0.id)" })
        var inserted = EntityGroups<String>()
        // An entity whose bin is empty takes any id: a first import's million customers and
        // opening balances are not gathered (each a retained id on the one thread between
        // resolve and the apply). Asked once per entity, found again by a look at the previous
        // change's first (an import alternates customers and their opening balances).
        var emptyBins: [(entity: Entity, isEmpty: Bool)] = []
        var last = -1
        // The key is made only when something is restored: a campaign inserts 100,000s.
        for i in set.changes.indices where set.changes[i].kind == .insert {
            let entity = set.changes[i].entity
            if last < 0 || emptyBins[last].entity != entity {
                if let known = emptyBins.firstIndex(where: { $0.entity == entity }) { last = known } else {
                    emptyBins.append((entity, backend.binIsEmpty(entity)))
                    last = emptyBins.count - 1
                }
            }
            if emptyBins[last].isEmpty { continue }
            let id = set.changes[i].id
            if restored.isEmpty || !restored.contains("\(entity.rawValue)/\(id)") { inserted.append(id, to: entity) }
        }
        var problems: [Problem] = []
        for (entity, ids, _) in inserted.groups.sorted(by: { $0.entity.rawValue < $1.entity.rawValue }) {
            let binned = Set(backend.binned(.ids(entity, ids)).map(\.id))
            guard !binned.isEmpty else { continue }
            for i in set.changes.indices where set.changes[i].kind == .insert && set.changes[i].entity == entity && binned.contains(set.changes[i].id) {
                problems.append(Problem(changeIndex: i, id: .binIDTaken, arguments: [entity.singular, set.changes[i].id], kind: .runtime))
            }
        }
        return problems
    }

    // MARK: Satisfaction kept from surveys

    /// Gives each customer whose surveys the set adds, changes or removes the score of its
    /// latest survey (by date, then id) as `satisfaction`. A customer left with no survey
    /// keeps its satisfaction: it may come from before surveys were kept.
    private func satisfactionFromSurveys(_ set: inout ChangeSet, deletedCustomers: Set<String>) {
        let fields = [RecordField.customer, RecordField.date, SurveyField.score]
        guard set.changes.indices.contains(where: { set.changes[$0].entity == .surveys }) else { return }
        let surveyChanges = set.changes.filter { $0.entity == .surveys }
        let storedIDs = surveyChanges.filter { $0.kind != .insert }.map(\.id)
        let stored = storedIDs.isEmpty ? [:] : backend.records(.surveys, ids: storedIDs, fields: fields)
        // Each changed survey as the set leaves it (nil: deleted), and the customers it touched.
        var final: [String: [String: Value]?] = [:]
        var touched = Set<String>()
        for change in surveyChanges {
            let old: [String: Value]? = final[change.id] ?? stored[change.id]
            if case .string(let c)? = old?[RecordField.customer] { touched.insert(c) }
            switch change.kind {
            case .insert: final[change.id] = .some(change.after)
            case .update: final[change.id] = .some(old.map { $0.merging(change.after) { _, new in new } } ?? change.after)
            case .delete: final[change.id] = .some(nil)
            }
            if case .string(let c)? = final[change.id]??[RecordField.customer] { touched.insert(c) }
        }
        let customerIDs = touched.subtracting(deletedCustomers).sorted()
        guard !customerIDs.isEmpty else { return }
        var latest: [String: (date: Day, id: String, score: Value)] = [:]
        func consider(_ id: String, _ record: [String: Value]) {
            guard case .string(let c)? = record[RecordField.customer], case .date(let d)? = record[RecordField.date],
                  let score = record[SurveyField.score], !score.isNull else { return }
            if let best = latest[c], (best.date, best.id) > (d, id) { return }
            latest[c] = (d, id, score)
        }
        for (id, record) in backend.records(.surveys, ofCustomers: customerIDs, fields: fields) where final[id] == nil { consider(id, record) }
        for case let (id, record?) in final { consider(id, record) }
        let current = backend.records(.customers, ids: customerIDs, fields: [CustomerField.satisfaction])
        for id in customerIDs {
            guard let score = latest[id]?.score else { continue }
            let index = set.changes.lastIndex { $0.entity == .customers && $0.id == id && $0.kind != .delete }
            merge([CustomerField.satisfaction: score], into: &set, customer: id, at: index, stored: current[id])
        }
    }

    // MARK: Points earned by purchases

    /// The ledger entry of the purchase with this id: one per purchase, so changing or
    /// deleting the purchase finds it by id.
    public static func ledgerID(ofPurchase id: String) -> String { Entity.points.idPrefix + id }

    /// Makes each purchase the set leaves (`purchases`: nil for deleted) hold the ledger
    /// entry it earns under the store's policy, and removes the entry of a purchase that is
    /// gone or earns nothing. Entries the set already changes (a deleted customer's) are left.
    private func earnPoints(_ set: inout ChangeSet, purchases: [String: Facts?]) {
        guard !purchases.isEmpty else { return }
        let policy = backend.policy
        let already = Set(set.changes.filter { $0.entity == .points }.map(\.id))
        let ids = purchases.keys.sorted().filter { !already.contains(Self.ledgerID(ofPurchase: $0)) }
        guard !ids.isEmpty else { return }
        let stored = backend.records(.points, ids: ids.map(Self.ledgerID(ofPurchase:)), fields: nil)
        for purchase in ids {
            let ledgerID = Self.ledgerID(ofPurchase: purchase)
            var wanted: [String: Value]?
            if case let facts?? = purchases[purchase], let customer = facts.customer {
                let earned = Loyalty.points(forAmount: facts.amount ?? 0, policy: policy)
                if earned > 0 {
                    wanted = [RecordField.id: .string(ledgerID), RecordField.customer: .string(customer),
                              PointsField.change: .integer(earned), PointsField.reason: .string("purchase \(purchase)")]
                    if let date = facts.date {
                        wanted![RecordField.date] = .date(date)
                        wanted![PointsField.expiresAt] = .date(Loyalty.expiry(earnedOn: date, policy: policy))
                    }
                }
            }
            switch (stored[ledgerID], wanted) {
            case (nil, let after?):
                set.changes.append(RecordChange(kind: .insert, entity: .points, id: ledgerID, after: after))
            case (let before?, nil):
                set.changes.append(RecordChange(kind: .delete, entity: .points, id: ledgerID, before: before))
            case (let before?, let after?):
                var b: [String: Value] = [:], a: [String: Value] = [:]
                for name in Set(before.keys).union(after.keys) where before[name] != after[name] {
                    b[name] = before[name] ?? .null
                    a[name] = after[name] ?? .null
                }
                if !a.isEmpty { set.changes.append(RecordChange(kind: .update, entity: .points, id: ledgerID, before: b, after: a)) }
            case (nil, nil): break
            }
        }
    }

    // MARK: Reading the store

    /// The fields of a contact or purchase the derived fields depend on.
    static let factFields = [RecordField.customer, RecordField.date, RecordField.amount]
    /// The customer fields the rollup reads and writes for purchases; beside them, lastContact for contacts.
    static let purchaseDerivedFields = [CustomerField.totalSpent, CustomerField.purchaseCount, CustomerField.lastPurchase, CustomerField.tier]

    private func facts(_ record: [String: Value]) -> Facts {
        Facts(customer: record[RecordField.customer]?.stringValue, date: record[RecordField.date]?.dayValue,
              amount: record[RecordField.amount]?.doubleValue)
    }

    /// The stored facts of the purchases and contacts the set updates or deletes.
    private func storedFacts(of set: ChangeSet) -> [Entity: [String: Facts]] {
        var out: [Entity: [String: Facts]] = [:]
        for entity in [Entity.purchases, .contacts] {
            let ids = set.changes.indices.filter { set.changes[$0].entity == entity && set.changes[$0].kind != .insert }.map { set.changes[$0].id }
            guard !ids.isEmpty else { continue }
            out[entity] = backend.records(entity, ids: ids, fields: CustomerRollup.factFields).mapValues(facts)
        }
        return out
    }

    /// The customers a set's records name or belonged to, each once, with the derived
    /// fields the set can move of those that are stored, as columns: a campaign's
    /// 100,000s of customers are read without a dictionary each.
    struct StoredCustomers {
        /// Every customer named; a customer's place is its index here.
        private(set) var ids: [String]
        private var places: [String: Int]
        /// By place: whether the store holds the customer.
        private(set) var isStored: [Bool]
        let fields: [String]
        /// Per name in `fields`, by place.
        private(set) var columns: [[Value]]

        init(ids: [String], places: [String: Int], isStored: [Bool], fields: [String], columns: [[Value]], placeOfChange: [Int32]) {
            self.placeOfChange = placeOfChange
            self.ids = ids
            self.places = places
            self.isStored = isStored
            self.fields = fields
            self.columns = columns
        }

        /// By change index: the place of the customer the change's `after` names (-1: none),
        /// found while the set was read, so the rollup's loop hashes no id again.
        let placeOfChange: [Int32]

        /// The place of the customer change `i` names, nil when it names none (or one the
        /// set inserts, for a change that is neither a purchase nor a contact).
        func namedPlace(ofChange i: Int) -> Int? {
            i < placeOfChange.count && placeOfChange[i] >= 0 ? Int(placeOfChange[i]) : nil
        }

        /// Whether change `i`, neither a purchase nor a contact, names a customer the set
        /// inserts: it needs no place (it moves no derived field), only that customer's
        /// existence, which the insert gives (unless the set also deletes it).
        func namesACustomerTheSetInserts(change i: Int) -> Bool {
            i < placeOfChange.count && placeOfChange[i] == Self.insertedBySet
        }

        /// `placeOfChange`'s mark for `namesACustomerTheSetInserts`.
        static let insertedBySet: Int32 = -2

        /// The customer's place, given one (as not stored) if it was not named.
        mutating func place(of id: String) -> Int {
            if let p = places[id] { return p }
            places[id] = ids.count
            ids.append(id)
            isStored.append(false)
            for c in columns.indices { columns[c].append(.null) }
            return ids.count - 1
        }

        func value(_ place: Int, _ name: String) -> Value {
            guard let c = fields.firstIndex(of: name) else { return .null }
            return columns[c][place]
        }

        func value(_ id: String, _ name: String) -> Value { places[id].map { value($0, name) } ?? .null }

        /// A stored customer's fields as `Backend.records` gives them (nulls left out); nil when not stored.
        func record(_ place: Int) -> [String: Value]? {
            guard isStored[place] else { return nil }
            var record: [String: Value] = [:]
            for (c, name) in fields.enumerated() where !columns[c][place].isNull { record[name] = columns[c][place] }
            return record
        }
    }

    /// The stored customers every record of the set names or belonged to, with the fields
    /// the set can move: a campaign's contacts need lastContact alone. One backend call.
    /// A change that is neither a purchase nor a contact and names a customer the set
    /// inserts (`insertedBySet`) is not named: an import's million opening balances name
    /// the million customers it adds, which the store cannot hold.
    private func storedCustomers(named set: ChangeSet, owners: [Entity: [String: Facts]],
                                 insertedBySet: (_ change: Int, _ customer: String) -> Bool) -> StoredCustomers {
        var ids: [String] = [], places: [String: Int] = [:]
        // A customer is named by a message and a contact or more: sized for half the changes, not grown 17 times.
        places.reserveCapacity(set.changes.count / 2)
        ids.reserveCapacity(set.changes.count / 2)
        var lastNamed = "", lastPlace = -1
        // One probe per id (the dictionary's default inserts), none for the id just named.
        @discardableResult func name(_ id: String) -> Int {
            if lastPlace >= 0, id == lastNamed { return lastPlace }
            let next = ids.count
            let place = Self.place(&places[id, default: next])
            if place == next { ids.append(id) }
            lastNamed = id
            lastPlace = place
            return place
        }
        var placeOfChange = [Int32](repeating: -1, count: set.changes.count)
        var touchesPurchases = false, touchesContacts = false
        for i in set.changes.indices where set.changes[i].entity != .customers {
            let entity = set.changes[i].entity
            if case .string(let id)? = set.changes[i].after(RecordField.customer) {
                let movesDerivedFields = entity == .purchases || entity == .contacts
                placeOfChange[i] = !movesDerivedFields && insertedBySet(i, id) ? StoredCustomers.insertedBySet : Int32(name(id))
            }
            if entity == .purchases { touchesPurchases = true } else if entity == .contacts { touchesContacts = true }
        }
        for facts in owners.values { for f in facts.values { if let c = f.customer { name(c) } } }
        let fields = (touchesPurchases ? Self.purchaseDerivedFields : []) + (touchesContacts ? [CustomerField.lastContact] : [])
        guard !ids.isEmpty else {
            return StoredCustomers(ids: [], places: [:], isStored: [], fields: fields, columns: fields.map { _ in [] }, placeOfChange: placeOfChange)
        }
        // An empty store holds none of them: an import's million new customers are not looked up.
        let read = backend.count(.customers) == 0
            ? (stored: [Bool](repeating: false, count: ids.count), columns: fields.map { _ in [Value](repeating: .null, count: ids.count) })
            : backend.columns(.customers, ids: ids, fields: fields)
        return StoredCustomers(ids: ids, places: places, isStored: read.stored, fields: fields, columns: read.columns, placeOfChange: placeOfChange)
    }

    /// Reads a dictionary entry through its `_modify` accessor (`places[id, default: n]`
    /// inserts `n` when absent): one hash of the key for "find, or add as the next".
    private static func place(_ entry: inout Int) -> Int { entry }

    /// The fields the rollup moves on a customer, in the order of the positions below.
    static let movedFields = [CustomerField.totalSpent, CustomerField.purchaseCount, CustomerField.lastPurchase, CustomerField.lastContact, CustomerField.tier]
    static let totalSpent = 0, purchaseCount = 1, lastPurchase = 2, lastContact = 3, tier = 4

    /// A customer's value that its own change in the set gives (an insert: every field),
    /// nil when the change leaves it to the store.
    static func changedValue(_ change: RecordChange, _ name: String) -> Value? {
        if change.kind == .insert { return change.after(name) ?? .null }
        return change.after(name)
    }

    /// Adds the derived values to the customer's own change in the set, or appends one
    /// update; values that do not change are left out.
    private func merge(_ values: [String: Value], into set: inout ChangeSet, customer id: String, at index: Int?,
                       stored: [String: Value]?) {
        if let index, set.changes[index].kind == .insert {
            for (name, v) in values { set.changes[index].after[name] = v.isNull ? nil : v }
            return
        }
        guard let stored else { return }
        var before: [String: Value] = [:], after: [String: Value] = [:]
        for (name, v) in values {
            let old = stored[name] ?? .null
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
