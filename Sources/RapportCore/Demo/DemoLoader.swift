/// Fills a store with the deterministic demo data.
public enum DemoLoader {
    public static func load(into store: Store, size: Int, today: Day) {
        store.customers.reserveCapacity(size)
        DemoGenerator(size: size, today: today).generate { entity, record in
            store[entity].append(record)
            if entity == .purchases, let entry = earnedPoints(record, policy: store.policy) { store[.points].append(entry) }
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
}
