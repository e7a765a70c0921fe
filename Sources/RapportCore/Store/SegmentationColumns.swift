/// The in-memory engine's answer to `Backend.segmentationInputs`: the customers' columns
/// read once; the purchase figures are the derived fields' (`CustomerValue.purchaseFacts`,
/// one pass, shared with rfm, ltv and churnRisk), so recompute and those fields agree;
/// then one pass over the tickets.
extension Store {
    public func segmentationInputs(clock: Clock) -> SegmentationInputs {
        let customers = self[.customers]
        let rows = customers.liveRows.map(Int.init)
        var out = SegmentationInputs()
        func strings(_ name: String) -> [String?] {
            guard let p = customers.schema.position(of: name), case .string(let c) = customers.columns[p] else {
                return [String?](repeating: nil, count: rows.count)
            }
            let strings = c.dictionary.strings, codes = c.codes
            // A field of few values (tier, grade, stage): each value's string made once, not
            // once a customer (a million UTF-8 checks were most of `recompute tiers`).
            if strings.count * 2 < rows.count {
                let byCode: [String?] = strings.indices.map { $0 == 0 ? nil : strings[$0] }
                return rows.map { byCode[Int(codes[$0])] }
            }
            return rows.map { r in let code = codes[r]; return code == 0 ? nil : strings[Int(code)] }
        }
        out.ids = strings(CustomerField.id).map { $0 ?? "" }
        out.names = strings(CustomerField.name)
        out.tiers = strings(CustomerField.tier)
        out.grades = strings(CustomerField.grade)
        out.stages = strings(CustomerField.stage)
        out.lostReasons = strings(CustomerField.lostReason)

        let inputs = TableDerivedInputs(table: customers, store: self, today: clock.today, now: clock.now, timeZone: clock.timeZone)
        let facts = CustomerValue.purchaseFacts(inputs)
        let stored = inputs.dates(CustomerField.lastPurchase)
        out.spend = rows.map { facts.recentSpend[$0] }
        out.purchases = rows.map { Int(facts.recentCount[$0]) }
        out.lastPurchase = rows.map { r in
            let latest = max(stored[r], facts.lastAnyDay[r])  // NullSentinel.date is Int32.min
            return latest == NullSentinel.date ? nil : Day(daysSinceEpoch: latest)
        }

        var hasComplaint = [Bool](repeating: false, count: customers.rowCount)
        for r in inputs.ownerRows(of: .tickets, where: "kind", keep: { $0?.lowercased() == "complaint" }) where r >= 0 {
            hasComplaint[Int(r)] = true
        }
        out.hasComplaint = rows.map { hasComplaint[$0] }
        return out
    }
}
