import Foundation
import RapportCore

/// What `recompute` reads (`Backend.segmentationInputs`), computed as the embedded store
/// computes it (`Store.segmentationInputs`, `ValueRules.purchaseFacts`): the purchases are
/// read in id order and summed here, not by `sum()`, so the spend, whose order of addition
/// decides its last bits at a tier's threshold, is the store's to the bit.
extension PostgresBackend {
    public func segmentationInputs(clock: Clock) -> SegmentationInputs {
        var out = SegmentationInputs()
        let names = [CustomerField.id, CustomerField.name, CustomerField.tier, CustomerField.grade, CustomerField.stage, "lostReason", CustomerField.lastPurchase]
        let customerFields = names.compactMap { schema(of: .customers).field(named: $0) }
        guard customerFields.count == names.count else { return out }
        let customers = rows("SELECT " + customerFields.map(SQLTranslation.reader).joined(separator: ", ")
                             + " FROM customers ORDER BY id COLLATE \"C\"", [])
        func text(_ row: [String?], _ i: Int) -> String? { row[i] }
        var rowOf: [String: Int] = [:]
        var storedLast: [Day?] = []
        for row in customers {
            let id = row[0] ?? ""
            rowOf[id] = out.ids.count
            out.ids.append(id)
            out.names.append(row[1]); out.tiers.append(row[2]); out.grades.append(row[3]); out.stages.append(row[4]); out.lostReasons.append(row[5])
            if case .date(let d) = SQLTranslation.value(row[6], .date) { storedLast.append(d) } else { storedLast.append(nil) }
        }
        let today = clock.today.daysSinceEpoch
        let windowStart = Segmentation.windowStart(today: clock.today).daysSinceEpoch
        var spend = [Double](repeating: 0, count: out.count), count = [Int](repeating: 0, count: out.count)
        var lastAny = [Int32?](repeating: nil, count: out.count)
        let purchases = rows("SELECT customer, \(SQLTranslation.reader(Field("amount", .number))), \(SQLTranslation.reader(Field("date", .date))) FROM purchases ORDER BY id COLLATE \"C\"", [])
        for row in purchases {
            guard let customer = row[0], let r = rowOf[customer], case .date(let day) = SQLTranslation.value(row[2], .date) else { continue }
            let date = day.daysSinceEpoch
            if lastAny[r].map({ date > $0 }) ?? true { lastAny[r] = date }
            guard date <= today, date >= windowStart else { continue }
            let amount: Double = if case .number(let a) = SQLTranslation.value(row[1], .number), !a.isNaN { a } else { 0 }
            spend[r] += amount
            count[r] += 1
        }
        out.spend = spend
        out.purchases = count
        out.lastPurchase = out.ids.indices.map { r in
            let latest = [storedLast[r]?.daysSinceEpoch, lastAny[r]].compactMap { $0 }.max()
            return latest.map { Day(daysSinceEpoch: $0) }
        }
        let complaints = Set(rows("SELECT DISTINCT customer FROM tickets WHERE lower(kind) = 'complaint'", []).compactMap { $0[0] })
        out.hasComplaint = out.ids.map { complaints.contains($0) }
        return out
    }
}
