/// The in-memory engine's answer to `Backend.segmentationInputs`: the customers' columns
/// read once, then one pass over the purchases and one over the tickets, each record
/// finding its customer's row through the owner dictionary (`ownerRowOfCode`), never a
/// lookup per record.
extension Store {
    public func segmentationInputs(today: Day) -> SegmentationInputs {
        let customers = self[.customers]
        let live = customers.isLive
        var rowIndex = [Int32](repeating: -1, count: customers.rowCount)
        var rows: [Int] = []
        rows.reserveCapacity(customers.liveCount)
        for r in 0..<live.count where live[r] { rowIndex[r] = Int32(rows.count); rows.append(r) }
        var out = SegmentationInputs()
        let n = rows.count
        func strings(_ name: String) -> [String?] {
            guard let p = customers.schema.position(of: name), case .string(let c) = customers.columns[p] else {
                return [String?](repeating: nil, count: n)
            }
            let strings = c.dictionary.strings
            return rows.map { r in let code = c.codes[r]; return code == 0 ? nil : strings[Int(code)] }
        }
        out.ids = strings(CustomerField.id).map { $0 ?? "" }
        out.names = strings(CustomerField.name)
        out.tiers = strings(CustomerField.tier)
        out.grades = strings(CustomerField.grade)
        out.stages = strings(CustomerField.stage)
        out.lostReasons = strings(CustomerField.lostReason)
        out.spend = [Double](repeating: 0, count: n)
        out.purchases = [Int](repeating: 0, count: n)
        var latest = [Int32](repeating: NullSentinel.date, count: n)
        if let p = customers.schema.position(of: CustomerField.lastPurchase), case .date(let c) = customers.columns[p] {
            for (i, r) in rows.enumerated() { latest[i] = c.values[r] }
        }

        let purchases = self[.purchases]
        if let cp = purchases.schema.position(of: RecordField.customer), case .string(let owners) = purchases.columns[cp],
           let dp = purchases.schema.position(of: RecordField.date), case .date(let dates) = purchases.columns[dp],
           let ap = purchases.schema.position(of: RecordField.amount), case .number(let amounts) = purchases.columns[ap] {
            let rowOfCode = customers.ownerRowOfCode(.purchases, owners.dictionary)
            let first = Segmentation.windowStart(today: today).daysSinceEpoch, last = today.daysSinceEpoch
            let purchaseLive = purchases.isLive
            for r in 0..<purchaseLive.count where purchaseLive[r] {
                let owner = rowOfCode[Int(owners.codes[r])]
                guard owner >= 0 else { continue }
                let i = Int(rowIndex[Int(owner)])
                let day = dates.values[r]
                guard day != NullSentinel.date else { continue }
                if latest[i] == NullSentinel.date || day > latest[i] { latest[i] = day }
                guard day >= first, day <= last else { continue }
                let amount = amounts.values[r]
                if !amount.isNaN { out.spend[i] += amount }
                out.purchases[i] += 1
            }
        }
        out.lastPurchase = latest.map { $0 == NullSentinel.date ? nil : Day(daysSinceEpoch: $0) }

        out.hasComplaint = [Bool](repeating: false, count: n)
        let tickets = self[.tickets]
        if let cp = tickets.schema.position(of: RecordField.customer), case .string(let owners) = tickets.columns[cp],
           let kp = tickets.schema.position(of: "kind"), case .string(let kinds) = tickets.columns[kp] {
            let rowOfCode = customers.ownerRowOfCode(.tickets, owners.dictionary)
            let isComplaint = kinds.dictionary.mask { $0.lowercased() == "complaint" }
            let ticketLive = tickets.isLive
            for r in 0..<ticketLive.count where ticketLive[r] && isComplaint[Int(kinds.codes[r])] {
                let owner = rowOfCode[Int(owners.codes[r])]
                if owner >= 0 { out.hasComplaint[Int(rowIndex[Int(owner)])] = true }
            }
        }
        return out
    }
}
