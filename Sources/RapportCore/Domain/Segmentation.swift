/// The segmentation rules behind `recompute tiers|grades|stages` and the tier raise on a
/// purchase: pure functions of a customer's purchase figures, today and the policy
/// (docs/segments.md has the exact rules).
public enum Segmentation {
    /// The tiers, lowest first; a tier outside this list ranks below bronze.
    public static let tiers = Vocabulary.tier.words
    public static let lostWhenNoReason = "natural"
    public static let lostAfterComplaint = "fault"

    /// The first day of the 12-month window: the 365 days before today, today included,
    /// are today − 364 … today. A purchase dated after today is outside it too.
    public static func windowStart(today: Day) -> Day { Day(daysSinceEpoch: today.daysSinceEpoch - 364) }

    /// Whether a purchase dated `day` counts towards the 12 months ending today.
    public static func inWindow(_ day: Day, today: Day) -> Bool { day >= windowStart(today: today) && day <= today }

    /// The highest tier whose 12-month spend and 12-month purchase count thresholds are both
    /// reached; bronze otherwise.
    public static func tier(spend: Double, purchases: Int, policy: Policy) -> String {
        TierThresholds(policy).tier(spend: spend, purchases: purchases)
    }

    /// The policy's tier thresholds read once, highest tier first: `recompute tiers` asks
    /// for a million customers' tiers, and each policy read builds and looks up a key.
    public struct TierThresholds {
        let steps: [(tier: String, spend: Double, purchases: Double)]

        public init(_ policy: Policy) {
            steps = Segmentation.tiers.dropFirst().reversed().map { tier in
                (tier, policy["tier.\(tier).spend"], policy["tier.\(tier).purchases"])
            }
        }

        /// As `Segmentation.tier(spend:purchases:policy:)`.
        public func tier(spend: Double, purchases: Int) -> String {
            for step in steps where spend >= step.spend && Double(purchases) >= step.purchases { return step.tier }
            return Segmentation.tiers[0]
        }
    }

    /// The position of `tier` among the tiers (bronze 0); -1 for none or an unknown word.
    public static func rank(ofTier tier: String?) -> Int {
        guard let tier, let canonical = Vocabulary.tier.canonical(tier) else { return -1 }
        return tiers.firstIndex(of: canonical) ?? -1
    }

    /// The tier a purchase leaves a customer in: raised to what the 12-month figures reach,
    /// never lowered (a downgrade waits for `recompute tiers`).
    public static func raisedTier(current: String?, spend: Double, purchases: Int, policy: Policy) -> String? {
        let reached = tier(spend: spend, purchases: purchases, policy: policy)
        return rank(ofTier: reached) > rank(ofTier: current) ? reached : current
    }

    /// The grade of each customer from a value column (aligned with the customers).
    /// Among the customers whose value is above 0, a customer's standing is the share of
    /// them with a strictly higher value: below `grade.A` % is A, below A + B is B, below
    /// A + B + C is C, else D. Equal values therefore get the same grade (the best their
    /// first position earns). A customer with no value (0, negative or not a number) is D.
    public static func grades(values: [Double], policy: Policy) -> [String] {
        let a = policy["grade.A"], b = a + policy["grade.B"], c = b + policy["grade.C"]
        var order = values.indices.filter { values[$0] > 0 }
        order.sort { values[$0] > values[$1] }
        var out = [String](repeating: "D", count: values.count)
        let n = Double(order.count)
        var higher = 0
        for (position, row) in order.enumerated() {
            if position > 0, values[order[position - 1]] != values[row] { higher = position }
            // Compare counts, not quotients: `higher / n < a / 100` without rounding.
            let standing = Double(higher) * 100
            out[row] = standing < a * n ? "A" : standing < b * n ? "B" : standing < c * n ? "C" : "D"
        }
        return out
    }

    /// prospect: never bought; lost: no purchase for `stage.lost`; at-risk: for
    /// `stage.atRisk`; active otherwise (a last purchase after today included).
    public static func stage(lastPurchase: Day?, today: Day, policy: Policy) -> String {
        guard let lastPurchase else { return "prospect" }
        let days = Int(today.daysSinceEpoch) - Int(lastPurchase.daysSinceEpoch)
        if days >= policy.days("stage.lost") { return "lost" }
        if days >= policy.days("stage.atRisk") { return "at-risk" }
        return "active"
    }

    /// The lostReason a customer gets on becoming lost: kept when one is set (by hand);
    /// `fault` when the customer ever raised a complaint, else `natural`. Cleared when the
    /// customer is no longer lost.
    public static func lostReason(stage: String, current: String?, hasComplaint: Bool) -> String? {
        guard stage == "lost" else { return nil }
        if let current, !current.isEmpty { return current }
        return hasComplaint ? lostAfterComplaint : lostWhenNoReason
    }
}

/// What `recompute` reads of every live customer, as aligned columns: one pass over the
/// purchases (the in-memory engine shares it with the derived fields) and one over the
/// tickets, whatever the store's size.
public struct SegmentationInputs: Sendable {
    public var ids: [String] = []
    public var names: [String?] = []
    public var tiers: [String?] = []
    public var grades: [String?] = []
    public var stages: [String?] = []
    public var lostReasons: [String?] = []
    /// Spend and number of purchases within the 12-month window (`Segmentation.windowStart`).
    public var spend: [Double] = []
    public var purchases: [Int] = []
    /// The latest of the stored `lastPurchase` and the latest purchase record; nil for none.
    public var lastPurchase: [Day?] = []
    /// The customer has a ticket of kind complaint (any status).
    public var hasComplaint: [Bool] = []

    public init() {}

    public var count: Int { ids.count }
}
