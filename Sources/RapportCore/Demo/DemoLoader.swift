import Foundation

/// Fills a store with the deterministic demo data: the generator's records, the points
/// ledger they earn (with some redemptions), then tiers, grades, stages and lost reasons
/// by the rules `recompute` applies, so a fresh demo store has nothing to recompute.
public enum DemoLoader {
    public static func load(into store: Store, size: Int, today: Day, seed: UInt64 = 20261124) {
        store.customers.reserveCapacity(size)
        let policy = store.policy
        var ledger = DemoLedger(policy: policy, seed: seed)
        DemoGenerator(size: size, today: today, seed: seed, policy: policy).generate { entity, record in
            store[entity].append(record)
            switch entity {
            case .customers: ledger.redeem(into: store)
            case .purchases: if let entry = earnedPoints(record, policy: policy) { ledger.earned(entry, into: store) }
            default: break
            }
        }
        ledger.redeem(into: store)
        applySegmentation(to: store, today: today)
        addTasks(to: store, today: today, seed: seed)
    }

    /// Of the customers whose revisit (`nextContactDue`) is near, the share with a task for it.
    static let taskShare = 0.5
    static let taskTexts = ["回访", "quarterly revisit call", "新品推荐", "生日问候", "check the replacement arrived", "续费提醒"]

    /// Tasks for the staff: an open one for half the customers whose `nextContactDue` falls
    /// from two weeks ago to a week ahead (due that day: some overdue, some today), and a
    /// done one for some customers contacted in the past two months (due and done on the
    /// day of the last contact, which it was). After segmentation: the revisit interval
    /// depends on the grade, which ranks the whole store.
    static func addTasks(to store: Store, today: Day, seed: UInt64) {
        var rng = SplitMix64(seed: seed ^ 0x7A5C_0000_0000_0000)
        let customers = store.customers
        guard case .date(let due) = customers.derivedColumn(named: "nextContactDue", today: today) else { return }
        let schema = customers.schema
        let ownerAt = schema.position(of: CustomerField.owner)!, lastContactAt = schema.position(of: "lastContact")!
        let fields = Entity.tasks.builtinFields.map(\.name)
        let todayNumber = Int32(today.daysSinceEpoch), asOf = DemoService.asOf(today: Int(todayNumber))
        var number = 0
        func add(_ task: [String: Value]) {
            number += 1
            var task = task
            task[RecordField.id] = .string(IDGenerator.id(.tasks, number: number))
            store[.tasks].append(fields.map { task[$0] ?? .null })
        }
        for row in customers.liveRows.map(Int.init) {
            let customer = Value.string(customers.id(ofRow: row)), owner = customers.value(row: row, field: ownerAt)
            if case .date(let contacted) = customers.value(row: row, field: lastContactAt),
               contacted.daysSinceEpoch >= todayNumber - 60, contacted.daysSinceEpoch < todayNumber, rng.chance(0.3) {
                let doneAt = min(asOf, Int64(contacted.daysSinceEpoch) * 86400 + Int64(rng.int(9 * 3600, 18 * 3600)))
                add([RecordField.customer: customer, TaskField.owner: owner, TaskField.text: .string(rng.pick(taskTexts) + " — " + rng.pick(DemoData.closingNotes)),
                     TaskField.due: .date(contacted), TaskField.status: .string("done"), TaskField.doneAt: .instant(doneAt)])
            }
            let day = due.values[row]
            if day != NullSentinel.date, day >= todayNumber - 14, day <= todayNumber + 7, rng.chance(taskShare) {
                add([RecordField.customer: customer, TaskField.owner: owner, TaskField.text: .string(rng.pick(taskTexts)),
                     TaskField.due: .date(Day(daysSinceEpoch: day)), TaskField.status: .string("open")])
            }
        }
    }

    /// The ledger entry a demo purchase earns, as `CustomerRollup` would write it: the
    /// points of its amount under the policy, expiring the policy's period after its date.
    static func earnedPoints(_ purchase: [Value], policy: Policy) -> [Value]? {
        let fields = Entity.purchases.builtinFields.map(\.name)
        func value(_ name: String) -> Value { fields.firstIndex(of: name).map { purchase[$0] } ?? .null }
        guard case .string(let id) = value(RecordField.id), case .date(let date) = value(RecordField.date),
              case .number(let amount) = value(RecordField.amount) else { return nil }
        let earned = Loyalty.points(forAmount: amount, policy: policy)
        guard earned > 0 else { return nil }
        let entry: [String: Value] = [
            RecordField.id: .string(CustomerRollup.ledgerID(ofPurchase: id)), RecordField.customer: value(RecordField.customer),
            RecordField.date: .date(date), PointsField.change: .integer(earned), PointsField.reason: .string("purchase \(id)"),
            PointsField.expiresAt: .date(Loyalty.expiry(earnedOn: date, policy: policy)),
        ]
        return Entity.points.builtinFields.map { entry[$0.name] ?? .null }
    }

    /// Sets tier, grade, stage and lostReason of every customer by running `recompute
    /// tiers`, `grades` and `stages` on the loaded store (applied, not journalled: the demo
    /// is throwaway), so a fresh demo store has nothing to recompute.
    static func applySegmentation(to store: Store, today: Day) {
        let utc = TimeZone(identifier: "UTC")!
        let clock = Clock(now: Clock(now: 0, timeZone: utc).startOfDay(today), timeZone: utc)
        let backend = InMemoryBackend(store: store)
        for target in RecomputeTarget.allCases {
            let moves = Recompute(backend: backend, clock: clock).moves(target)
            store.apply(Recompute.changeSet(moves, at: clock.now, user: "demo", command: "recompute \(target.rawValue)"))
        }
    }
}

/// The demo's redemptions: now and then a customer spends points at the checkout of a
/// purchase, never more than the balance `Loyalty.balance` gives on that day. Works one
/// customer at a time (the generator emits a customer's purchases together, in date order).
struct DemoLedger {
    let policy: Policy
    var rng: SplitMix64
    /// The ledger of the customer whose purchases are arriving.
    var customer: Value = .null
    var entries: [Loyalty.Entry] = []
    var redemptions = 0

    /// Of the purchases that earn points, the share at which the customer also redeems.
    static let redeemChance = 0.2
    static let reasons = ["兑换礼品", "积分抵现", "gift card", "member voucher"]

    init(policy: Policy, seed: UInt64) {
        self.policy = policy
        // Its own stream, so the ledger does not shift the customers' data.
        rng = SplitMix64(seed: seed ^ 0x5EED_1ED6_E700_0000)
    }

    private static let fields = Entity.points.builtinFields.map(\.name)
    private static func position(_ name: String) -> Int { fields.firstIndex(of: name)! }
    private static let customerAt = position(RecordField.customer), dateAt = position(RecordField.date)
    private static let changeAt = position(PointsField.change), expiresAt = position(PointsField.expiresAt)

    /// Appends an earning entry, remembering it for the customer's redemptions.
    mutating func earned(_ entry: [Value], into store: Store) {
        store[.points].append(entry)
        if entry[Self.customerAt] != customer { entries.removeAll(keepingCapacity: true); customer = entry[Self.customerAt] }
        guard case .date(let date) = entry[Self.dateAt], case .integer(let change) = entry[Self.changeAt] else { return }
        var expiry: Day?
        if case .date(let e) = entry[Self.expiresAt] { expiry = e }
        entries.append(Loyalty.Entry(date: date, change: change, expiresAt: expiry))
    }

    /// Writes the redemptions of the customer whose purchases are complete, then forgets it.
    mutating func redeem(into store: Store) {
        defer { entries.removeAll(keepingCapacity: true); customer = .null }
        guard !entries.isEmpty else { return }
        let earnings = entries
        for earning in earnings where rng.chance(Self.redeemChance) {
            guard let day = earning.date else { continue }
            // Same-day earnings count before a redemption: the points of this purchase may be spent at once.
            let balance = Loyalty.balance(of: entries, today: day).points
            let spent = balance * Int64(rng.int(30, 100)) / 100 / 100 * 100
            guard spent >= 100 else { continue }
            entries.append(Loyalty.Entry(date: day, change: -spent))
            redemptions += 1
            let entry: [String: Value] = [
                RecordField.id: .string(IDGenerator.id(.points, number: redemptions)), RecordField.customer: customer,
                RecordField.date: .date(day), PointsField.change: .integer(-spent), PointsField.reason: .string(rng.pick(Self.reasons)),
            ]
            store[.points].append(Entity.points.builtinFields.map { entry[$0.name] ?? .null })
        }
    }
}
