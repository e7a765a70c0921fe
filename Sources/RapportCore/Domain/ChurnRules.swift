/// A customer's churn risk, from the sum of the weights of its signals against the
/// policy's cut-offs (`churn.medium`, `churn.high`).
public enum ChurnRisk: String, CaseIterable, Sendable {
    case low, medium, high

    var order: Int { ChurnRisk.allCases.firstIndex(of: self)! }
}

/// What the churn signals of one customer read, as of today. Dates are days since 1970,
/// `NullSentinel.date` for none.
public struct ChurnFacts: Sendable, Equatable {
    public var purchaseCount: Int32
    public var firstPurchase: Int32
    public var lastPurchase: Int32
    /// `NullSentinel.integer` when not known.
    public var satisfaction: Int64
    /// Complaints opened up to today and not closed.
    public var openComplaints: Int32
    /// The day the latest complaint up to today was opened.
    public var latestComplaint: Int32
    public var nextContactDue: Int32
    /// The scores of the latest survey up to today and of the one before it (by date, then
    /// the order they were added), `NullSentinel.integer` for none, and the latest's date.
    public var latestScore: Int64 = NullSentinel.integer
    public var previousScore: Int64 = NullSentinel.integer
    public var latestSurvey: Int32 = NullSentinel.date

    /// Mean days between purchases (`ValueRules.meanGap`).
    public var meanGap: Double? { ValueRules.meanGap(count: purchaseCount, first: firstPurchase, last: lastPurchase) }
}

/// The churn facts of every customer row, whole columns.
public struct ChurnFactColumns: Sendable {
    public let purchases: PurchaseFacts
    public let satisfaction: [Int64]
    public let openComplaints: [Int32]
    public let latestComplaint: [Int32]
    public let nextContactDue: [Int32]
    public let surveys: SurveyScores

    public func at(_ r: Int) -> ChurnFacts {
        ChurnFacts(purchaseCount: purchases.count[r], firstPurchase: purchases.first[r], lastPurchase: purchases.last[r],
                   satisfaction: satisfaction[r], openComplaints: openComplaints[r],
                   latestComplaint: latestComplaint[r], nextContactDue: nextContactDue[r],
                   latestScore: surveys.latest[r], previousScore: surveys.previous[r], latestSurvey: surveys.latestDay[r])
    }
}

/// Per customer row: the latest two survey scores up to today and the latest's date.
public struct SurveyScores: Sendable {
    public var latest: [Int64]
    public var previous: [Int64]
    public var latestDay: [Int32]

    /// One pass over the surveys; a later-added survey of the same day counts as later.
    public static func of(_ inputs: any DerivedInputs) -> SurveyScores {
        let n = inputs.rowCount
        let today = inputs.today.daysSinceEpoch
        var out = SurveyScores(latest: .init(repeating: NullSentinel.integer, count: n),
                               previous: .init(repeating: NullSentinel.integer, count: n),
                               latestDay: .init(repeating: NullSentinel.date, count: n))
        var previousDay = [Int32](repeating: NullSentinel.date, count: n)
        let surveys = inputs.relatedRows(of: .surveys, where: nil, keep: { _ in true }, number: SurveyField.score,
                                         day: RecordField.date, flag: nil, flagTest: { _ in false })
        for i in surveys.owners.indices {
            let r = Int(surveys.owners[i]), day = surveys.days[i], score = surveys.numbers[i]
            guard r >= 0, r < n, day != NullSentinel.date, day <= today, score.isFinite else { continue }
            if out.latestDay[r] == NullSentinel.date || day >= out.latestDay[r] {
                out.previous[r] = out.latest[r]
                previousDay[r] = out.latestDay[r]
                out.latest[r] = Int64(score)
                out.latestDay[r] = day
            } else if previousDay[r] == NullSentinel.date || day >= previousDay[r] {
                out.previous[r] = Int64(score)
                previousDay[r] = day
            }
        }
        return out
    }
}

extension ChurnFacts {
    /// The facts of every row, from the shared purchase aggregates, the customer's
    /// satisfaction, one pass over complaints and the revisit date.
    public static func columns(_ inputs: any DerivedInputs) -> ChurnFactColumns {
        let n = inputs.rowCount
        let today = inputs.today.daysSinceEpoch
        var open = [Int32](repeating: 0, count: n)
        var latest = [Int32](repeating: NullSentinel.date, count: n)
        let complaints = inputs.relatedRows(of: .tickets, where: "kind", keep: { $0?.lowercased() == "complaint" },
                                            number: nil, day: "openedAt", flag: "status", flagTest: DerivedRules.isOpenTicketStatus)
        for i in complaints.owners.indices {
            let r = Int(complaints.owners[i]), day = complaints.days[i]
            // A complaint with no opening time is taken as opened long ago: it counts while open.
            guard r >= 0, r < n, day == NullSentinel.date || day <= today else { continue }
            if complaints.flags[i] { open[r] += 1 }
            if day != NullSentinel.date, latest[r] == NullSentinel.date || day > latest[r] { latest[r] = day }
        }
        return ChurnFactColumns(purchases: CustomerValue.purchaseFacts(inputs),
                                satisfaction: inputs.integers(CustomerField.satisfaction),
                                openComplaints: open, latestComplaint: latest,
                                nextContactDue: CustomerValue.nextContactDue(inputs),
                                surveys: SurveyScores.of(inputs))
    }
}

/// The policy's churn thresholds, read once per column.
public struct ChurnThresholds: Sendable {
    public var gapFactor: Double
    public var oneTimeAfterDays: Int32
    public var lowSatisfaction: Int64
    public var complaintWithinDays: Int32
    public var fallingWithinDays: Int32
    public var weights: [ChurnSignal.Kind: Double]
    public var medium: Double
    public var high: Double

    public init(_ policy: Policy) {
        gapFactor = policy["churn.gapFactor"]
        oneTimeAfterDays = Int32(clamping: policy.days("churn.oneTimeAfter"))
        lowSatisfaction = Int64(policy["churn.lowSatisfaction"])
        complaintWithinDays = Int32(clamping: policy.days("churn.complaintWithin"))
        fallingWithinDays = Int32(clamping: policy.days("churn.fallingWithin"))
        weights = Dictionary(uniqueKeysWithValues: ChurnSignal.Kind.allCases.map { ($0, policy[$0.weightKey]) })
        medium = policy["churn.medium"]
        high = policy["churn.high"]
    }

    /// high from `churn.high` up, medium from `churn.medium` up, else low.
    public func risk(score: Double) -> ChurnRisk {
        score >= high ? .high : score >= medium ? .medium : .low
    }
}

/// One reason a customer may be leaving, with its weight and the facts behind it.
public struct ChurnSignal: Sendable, Equatable {
    public enum Kind: String, CaseIterable, Sendable {
        case lapse
        case oneTimeBuyer = "one-time buyer"
        case lowSatisfaction = "low satisfaction"
        case fallingSatisfaction = "falling satisfaction"
        case complaint
        case overdueRevisit = "overdue revisit"

        /// The policy key of the signal's weight.
        public var weightKey: String {
            switch self {
            case .lapse: return "churn.weight.lapse"
            case .oneTimeBuyer: return "churn.weight.oneTime"
            case .lowSatisfaction: return "churn.weight.satisfaction"
            case .fallingSatisfaction: return "churn.weight.falling"
            case .complaint: return "churn.weight.complaint"
            case .overdueRevisit: return "churn.weight.revisit"
            }
        }
    }

    public let kind: Kind
    public let weight: Double
    public let facts: ChurnFacts
    public let today: Int32
    public let thresholds: ChurnThresholds

    public static func == (a: ChurnSignal, b: ChurnSignal) -> Bool {
        a.kind == b.kind && a.weight == b.weight && a.facts == b.facts && a.today == b.today
    }

    /// The facts that raised the signal, in one line.
    public var evidence: String {
        func date(_ d: Int32) -> String { Day(daysSinceEpoch: d).description }
        func days(_ n: Int32) -> String { n == 1 ? "1 day" : "\(n) days" }
        switch kind {
        case .lapse:
            let gap = facts.meanGap ?? 0
            return "no purchase for \(days(today - facts.lastPurchase)) (last \(date(facts.lastPurchase))), more than "
                + "\(Self.number(thresholds.gapFactor)) × the usual gap of \(Self.number((gap * 10).rounded() / 10)) days "
                + "between \(facts.purchaseCount) purchases"
        case .oneTimeBuyer:
            return "\(facts.purchaseCount == 1 ? "one purchase" : "purchases on one day") only, \(days(today - facts.lastPurchase)) ago (\(date(facts.lastPurchase))); "
                + "silent for more than \(thresholds.oneTimeAfterDays) days"
        case .lowSatisfaction:
            return "satisfaction \(facts.satisfaction), at or below \(thresholds.lowSatisfaction)"
        case .fallingSatisfaction:
            return "latest survey \(facts.latestScore) (\(date(facts.latestSurvey))), down from \(facts.previousScore); "
                + "within \(thresholds.fallingWithinDays) days"
        case .complaint:
            var parts: [String] = []
            if facts.openComplaints > 0 { parts.append("\(facts.openComplaints) open complaint\(facts.openComplaints == 1 ? "" : "s")") }
            if facts.latestComplaint != NullSentinel.date {
                parts.append("latest opened \(date(facts.latestComplaint)) (\(days(today - facts.latestComplaint)) ago)")
            }
            return parts.joined(separator: ", ")
        case .overdueRevisit:
            return "revisit was due \(date(facts.nextContactDue)), \(days(today - facts.nextContactDue)) overdue"
        }
    }

    static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}

/// The churn rules: the one function that decides a customer's signals. The `churnRisk`
/// column sums their weights; `why churn` lists them; so the two cannot disagree.
public enum ChurnRules {
    /// Calls `signal` for each signal the facts raise, in `ChurnSignal.Kind` order:
    /// - lapse: purchases on two days or more and none for more than `churn.gapFactor` × the mean gap;
    /// - one-time buyer: purchases on one day only, more than `churn.oneTimeAfter` ago;
    /// - low satisfaction: satisfaction at or below `churn.lowSatisfaction`;
    /// - falling satisfaction: the latest survey scores lower than the one before, and was
    ///   taken within `churn.fallingWithin`;
    /// - complaint: a complaint not closed, or one opened within `churn.complaintWithin`;
    /// - overdue revisit: today is after `nextContactDue`.
    /// A signal whose weight is 0 is not raised.
    public static func signals(_ facts: ChurnFacts, _ thresholds: ChurnThresholds, today: Int32,
                               _ signal: (ChurnSignal) -> Void) {
        func raise(_ kind: ChurnSignal.Kind) {
            let weight = thresholds.weights[kind] ?? 0
            if weight > 0 { signal(ChurnSignal(kind: kind, weight: weight, facts: facts, today: today, thresholds: thresholds)) }
        }
        let silentDays = facts.lastPurchase == NullSentinel.date ? nil : today - facts.lastPurchase
        if let gap = facts.meanGap, let silentDays, Double(silentDays) > thresholds.gapFactor * gap { raise(.lapse) }
        if facts.purchaseCount >= 1, facts.firstPurchase == facts.lastPurchase, let silentDays, silentDays > thresholds.oneTimeAfterDays { raise(.oneTimeBuyer) }
        if facts.satisfaction != NullSentinel.integer, facts.satisfaction <= thresholds.lowSatisfaction { raise(.lowSatisfaction) }
        if facts.latestScore != NullSentinel.integer, facts.previousScore != NullSentinel.integer, facts.latestScore < facts.previousScore,
           facts.latestSurvey != NullSentinel.date, today - facts.latestSurvey <= thresholds.fallingWithinDays {
            raise(.fallingSatisfaction)
        }
        if facts.openComplaints > 0
            || (facts.latestComplaint != NullSentinel.date && today - facts.latestComplaint <= thresholds.complaintWithinDays) {
            raise(.complaint)
        }
        if facts.nextContactDue != NullSentinel.date, today > facts.nextContactDue { raise(.overdueRevisit) }
    }

    /// Every signal of the facts and the risk they add up to.
    public static func assess(_ facts: ChurnFacts, _ thresholds: ChurnThresholds, today: Int32) -> (risk: ChurnRisk, signals: [ChurnSignal]) {
        var found: [ChurnSignal] = []
        signals(facts, thresholds, today: today) { found.append($0) }
        return (thresholds.risk(score: found.reduce(0) { $0 + $1.weight }), found)
    }
}
