/// What one pass over the purchases tells about each customer, aligned with the customer
/// rows. Only purchases dated on or before today count (but for `lastAnyDay`), so `--now`
/// in the past sees the store as it was. Shared by rfm, rfmSegment, ltv, nextContactDue,
/// churnRisk and `recompute`.
public struct PurchaseFacts: Sendable {
    /// Purchases up to today; 0 for none.
    public var count: [Int32]
    /// Dates of the first and the last of them; `NullSentinel.date` for none.
    public var first: [Int32]
    public var last: [Int32]
    /// Spend over all of them (a purchase without an amount adds 0).
    public var total: [Double]
    /// Spend and number of purchases within the 12-month window
    /// (`Segmentation.windowStart` … today).
    public var recentSpend: [Double]
    public var recentCount: [Int32]
    /// The date of the latest purchase, one dated after today included: what a customer's
    /// stage reads (docs/segments.md). `NullSentinel.date` for none.
    public var lastAnyDay: [Int32]

    /// The mean gap in days between the row's purchases (`ValueRules.meanGap`).
    public func meanGap(_ row: Int) -> Double? {
        ValueRules.meanGap(count: count[row], first: first[row], last: last[row])
    }
}

/// Recency, frequency and monetary scores 1–5 of each customer row; 0 for a customer with
/// no purchase.
public struct RFMScores: Sendable {
    public var recency: [UInt8]
    public var frequency: [UInt8]
    public var monetary: [UInt8]
}

/// The value rules: purchase aggregates, lifetime value, RFM and the revisit date.
/// Pure functions over whole columns; docs/value.md states each rule.
public enum ValueRules {
    /// One pass over the purchases (`owners` aligned with `amounts` and `dates`).
    public static func purchaseFacts(owners: [Int32], amounts: [Double], dates: [Int32],
                                     rowCount: Int, today: Day) -> PurchaseFacts {
        var facts = PurchaseFacts(count: [Int32](repeating: 0, count: rowCount),
                                  first: [Int32](repeating: NullSentinel.date, count: rowCount),
                                  last: [Int32](repeating: NullSentinel.date, count: rowCount),
                                  total: [Double](repeating: 0, count: rowCount),
                                  recentSpend: [Double](repeating: 0, count: rowCount),
                                  recentCount: [Int32](repeating: 0, count: rowCount),
                                  lastAnyDay: [Int32](repeating: NullSentinel.date, count: rowCount))
        let t = today.daysSinceEpoch
        let windowStart = Segmentation.windowStart(today: today).daysSinceEpoch
        for i in 0..<owners.count {
            let row = Int(owners[i]), date = dates[i]
            guard row >= 0, row < rowCount, date != NullSentinel.date else { continue }
            if facts.lastAnyDay[row] == NullSentinel.date || date > facts.lastAnyDay[row] { facts.lastAnyDay[row] = date }
            guard date <= t else { continue }
            let amount = amounts[i].isNaN ? 0 : amounts[i]
            facts.count[row] += 1
            if facts.first[row] == NullSentinel.date || date < facts.first[row] { facts.first[row] = date }
            if facts.last[row] == NullSentinel.date || date > facts.last[row] { facts.last[row] = date }
            facts.total[row] += amount
            if date >= windowStart {
                facts.recentSpend[row] += amount
                facts.recentCount[row] += 1
            }
        }
        return facts
    }

    /// The mean gap in days between consecutive purchases, (last − first) / (count − 1);
    /// nil unless they fall on two days or more (the lapse signal reads it).
    public static func meanGap(count: Int32, first: Int32, last: Int32) -> Double? {
        count >= 2 && last > first ? Double(last - first) / Double(count - 1) : nil
    }

    /// m · Σ_{i=1..H} 1/(1+d)^i: what one unit of yearly spend is worth over the horizon.
    public static func ltvFactor(margin: Double, discountRate: Double, horizon: Int) -> Double {
        var factor = 0.0, discount = 1.0
        if horizon > 0 {
            for _ in 1...horizon {
                discount /= 1 + discountRate
                factor += discount
            }
        }
        return margin * factor
    }

    /// The policy's ltv factor (`ltv.margin`, `ltv.discountRate`, `ltv.horizon`).
    public static func ltvFactor(_ policy: Policy) -> Double {
        ltvFactor(margin: policy["ltv.margin"], discountRate: policy["ltv.discountRate"], horizon: Int(policy["ltv.horizon"]))
    }

    /// ltv of a 12-month spend, to the cent.
    public static func ltv(recentSpend: Double, factor: Double) -> Double {
        (recentSpend * factor * 100).rounded() / 100
    }

    /// Scores 1–5 by quintile of `values` among the rows where `included` holds (higher
    /// value better); 0 elsewhere. A row with b values strictly below its own and e equal
    /// to it (itself counted) among n scores 1 + ⌊5·(b + e/2)/n⌋: the mid-rank's quintile,
    /// so equal values always score the same.
    public static func quintileScores(_ values: [Double], included: [Bool]) -> [UInt8] {
        var sorted: [Double] = []
        sorted.reserveCapacity(values.count)
        for i in values.indices where included[i] { sorted.append(values[i]) }
        sorted.sort()
        let n = sorted.count
        var scores = [UInt8](repeating: 0, count: values.count)
        guard n > 0 else { return scores }
        var memo: [Double: UInt8] = [:]
        for i in values.indices where included[i] {
            let v = values[i]
            if let s = memo[v] { scores[i] = s; continue }
            let below = lowerBound(sorted, v)
            let equal = lowerBound(sorted, v.nextUp) - below
            let s = UInt8(1 + (10 * below + 5 * equal) / (2 * n))
            if memo.count < 1 << 16 { memo[v] = s }
            scores[i] = s
        }
        return scores
    }

    private static func lowerBound(_ sorted: [Double], _ v: Double) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// R by the last purchase date (more recent better), F by the purchase count, M by the
    /// total spend, each among the customers with a purchase up to today.
    public static func rfmScores(_ facts: PurchaseFacts) -> RFMScores {
        let buyers = facts.count.map { $0 > 0 }
        return RFMScores(recency: quintileScores(facts.last.map(Double.init), included: buyers),
                         frequency: quintileScores(facts.count.map(Double.init), included: buyers),
                         monetary: quintileScores(facts.total, included: buyers))
    }

    /// The segment of an R and F score (1–5 each), from the common RFM grid:
    ///
    ///     R\F  1            2            3            4          5
    ///     5    new          potential    potential    champions  champions
    ///     4    new          potential    potential    loyal      loyal
    ///     3    hibernating  hibernating  hibernating  loyal      loyal
    ///     2    hibernating  hibernating  at risk      at risk    can't lose
    ///     1    lost         lost         at risk      at risk    can't lose
    public static func rfmSegment(recency r: UInt8, frequency f: UInt8) -> String {
        switch (r, f) {
        case (5, 4...5): return "champions"
        case (3...4, 4...5): return "loyal"
        case (4...5, 1): return "new"
        case (4...5, 2...3): return "potential"
        case (3, 1...3), (2, 1...2): return "hibernating"
        case (1...2, 3...4): return "at risk"
        case (1...2, 5): return "can't lose"
        default: return "lost"
        }
    }

    /// The segment names, in the order of the grid from best to worst.
    public static let segments = ["champions", "loyal", "potential", "new", "at risk", "can't lose", "hibernating", "lost"]

    /// The date the next contact is due: the earliest of the last contact (or the day the
    /// customer was created, when never contacted) plus the revisit interval of the grade,
    /// and the last purchase plus `revisit.afterPurchase` when that purchase came after
    /// the last contact. `NullSentinel.date` when neither date is known.
    public static func nextContactDue(lastContact: Int32, createdAt: Int32, lastPurchase: Int32,
                                      revisitDays: Int32, afterPurchaseDays: Int32) -> Int32 {
        let base = lastContact != NullSentinel.date ? lastContact : createdAt
        var due = base != NullSentinel.date ? base + revisitDays : NullSentinel.date
        if lastPurchase != NullSentinel.date, lastContact == NullSentinel.date || lastPurchase > lastContact {
            let afterPurchase = lastPurchase + afterPurchaseDays
            if due == NullSentinel.date || afterPurchase < due { due = afterPurchase }
        }
        return due
    }

    /// The revisit interval in days of a grade (`revisit.A` ... `revisit.D`, any case);
    /// `revisit.none` for no grade or any other.
    public static func revisitDays(grade: String?, policy: Policy) -> Int32 {
        let g = grade?.uppercased() ?? ""
        let key = ["A", "B", "C", "D"].contains(g) ? "revisit.\(g)" : "revisit.none"
        return Int32(clamping: policy.days(key))
    }
}

/// The value columns computed from `DerivedInputs`, each once per store change and today
/// (through `shared`): the one place both the engine's columns and `why churn` read.
public enum CustomerValue {
    public static func purchaseFacts(_ inputs: any DerivedInputs) -> PurchaseFacts {
        inputs.shared("value.purchaseFacts") {
            let rows = inputs.relatedRows(of: .purchases, where: nil, keep: { _ in true },
                                          number: "amount", day: "date", flag: nil, flagTest: { _ in false })
            return ValueRules.purchaseFacts(owners: rows.owners, amounts: rows.numbers, dates: rows.days,
                                            rowCount: inputs.rowCount, today: inputs.today)
        }
    }

    public static func rfmScores(_ inputs: any DerivedInputs) -> RFMScores {
        inputs.shared("value.rfmScores") { ValueRules.rfmScores(purchaseFacts(inputs)) }
    }

    public static func nextContactDue(_ inputs: any DerivedInputs) -> [Int32] {
        inputs.shared("value.nextContactDue") {
            let facts = purchaseFacts(inputs)
            let policy = inputs.policy
            let grades = inputs.strings("grade")
            let revisitOfCode = grades.strings.enumerated().map { code, g in
                ValueRules.revisitDays(grade: code == 0 ? nil : g, policy: policy)
            }
            let afterPurchase = Int32(clamping: policy.days("revisit.afterPurchase"))
            let lastContact = inputs.dates(CustomerField.lastContact)
            let createdAt = inputs.dates(CustomerField.createdAt)
            return (0..<inputs.rowCount).map { r in
                ValueRules.nextContactDue(lastContact: lastContact[r], createdAt: createdAt[r], lastPurchase: facts.last[r],
                                          revisitDays: revisitOfCode[Int(grades.codes[r])], afterPurchaseDays: afterPurchase)
            }
        }
    }

    public static func ltv(_ inputs: any DerivedInputs) -> [Double] {
        let factor = ValueRules.ltvFactor(inputs.policy)
        return purchaseFacts(inputs).recentSpend.map { ValueRules.ltv(recentSpend: $0, factor: factor) }
    }

    /// A string column from a small set of texts: `texts[code]` per row, code 0 null.
    static func stringColumn(_ texts: [String], codes: [UInt8]) -> Column {
        let column = StringColumn(count: codes.count)
        let interned = [UInt32(0)] + texts.dropFirst().map { column.dictionary.intern($0) }
        for r in codes.indices { column.codes[r] = interned[Int(codes[r])] }
        return .string(column)
    }

    /// rfm as three digits, null without a purchase.
    public static func rfmColumn(_ inputs: any DerivedInputs) -> Column {
        let s = rfmScores(inputs)
        var texts = [""]
        for r in 1...5 { for f in 1...5 { for m in 1...5 { texts.append("\(r)\(f)\(m)") } } }
        let codes = s.recency.indices.map { i -> UInt8 in
            s.recency[i] == 0 ? 0 : UInt8(1 + Int(s.recency[i] - 1) * 25 + Int(s.frequency[i] - 1) * 5 + Int(s.monetary[i] - 1))
        }
        return stringColumn(texts, codes: codes)
    }

    public static func rfmSegmentColumn(_ inputs: any DerivedInputs) -> Column {
        let s = rfmScores(inputs)
        let texts = [""] + ValueRules.segments
        let index = Dictionary(uniqueKeysWithValues: ValueRules.segments.enumerated().map { ($1, UInt8($0 + 1)) })
        var codeOfCell = [UInt8](repeating: 0, count: 36)
        for r in 1...5 { for f in 1...5 { codeOfCell[r * 6 + f] = index[ValueRules.rfmSegment(recency: UInt8(r), frequency: UInt8(f))]! } }
        let codes = s.recency.indices.map { i in s.recency[i] == 0 ? 0 : codeOfCell[Int(s.recency[i]) * 6 + Int(s.frequency[i])] }
        return stringColumn(texts, codes: codes)
    }

    public static func churnRiskColumn(_ inputs: any DerivedInputs) -> Column {
        let facts = ChurnFacts.columns(inputs)
        let thresholds = ChurnThresholds(inputs.policy)
        let today = inputs.today.daysSinceEpoch
        let codes = (0..<inputs.rowCount).map { r -> UInt8 in
            var score = 0.0
            ChurnRules.signals(facts.at(r), thresholds, today: today) { score += $0.weight }
            return UInt8(thresholds.risk(score: score).order + 1)
        }
        return stringColumn([""] + ChurnRisk.allCases.map(\.rawValue), codes: codes)
    }
}
