/// What `recompute tiers|grades|stages` may set.
public enum RecomputeTarget: String, Sendable, CaseIterable {
    case tiers, grades, stages

    /// The customer field the target sets.
    public var field: String {
        switch self {
        case .tiers: return CustomerField.tier
        case .grades: return CustomerField.grade
        case .stages: return CustomerField.stage
        }
    }
}

/// `recompute`: applies the segmentation rules (`Segmentation`) to every customer at once
/// and lists who moves. One read of whole columns (`Backend.segmentationInputs`), then
/// one change set holding an update for each customer that moves, committed like any
/// other change (journalled, all or nothing).
public struct Recompute {
    public let backend: any Backend
    public let clock: Clock

    public init(backend: any Backend, clock: Clock) {
        self.backend = backend
        self.clock = clock
    }

    /// One field of one customer that changes.
    public struct Move: Sendable, Equatable {
        public var id: String
        public var name: String?
        public var field: String
        public var from: String?
        public var to: String?
    }

    /// Every field that moves, ordered by customer id (code points), the target's field
    /// before lostReason.
    public func moves(_ target: RecomputeTarget) -> [Move] {
        let inputs = backend.segmentationInputs(clock: clock)
        let policy = backend.policy
        var moves: [Move] = []
        func move(_ i: Int, _ field: String, _ from: String?, _ to: String?) {
            guard from != to else { return }
            moves.append(Move(id: inputs.ids[i], name: inputs.names[i], field: field, from: from, to: to))
        }
        switch target {
        case .tiers:
            let thresholds = Segmentation.TierThresholds(policy)
            for i in 0..<inputs.count {
                move(i, target.field, inputs.tiers[i], thresholds.tier(spend: inputs.spend[i], purchases: inputs.purchases[i]))
            }
        case .grades:
            let grades = Segmentation.grades(values: Recompute.gradeValues(inputs, policy: policy), policy: policy)
            for i in 0..<inputs.count { move(i, target.field, inputs.grades[i], grades[i]) }
        case .stages:
            for i in 0..<inputs.count {
                let stage = Segmentation.stage(lastPurchase: inputs.lastPurchase[i], today: clock.today, policy: policy)
                move(i, target.field, inputs.stages[i], stage)
                move(i, CustomerField.lostReason, inputs.lostReasons[i],
                     Segmentation.lostReason(stage: stage, current: inputs.lostReasons[i], hasComplaint: inputs.hasComplaint[i]))
            }
        }
        // Rows usually lie in id order already; a stable sort keeps a customer's stage
        // row before its lostReason row.
        let inOrder = zip(moves, moves.dropFirst()).allSatisfy { $0.id == $1.id || $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        if inOrder { return moves }
        return moves.enumerated().sorted { a, b in
            a.element.id == b.element.id ? a.offset < b.offset : a.element.id.utf8.lexicographicallyPrecedes(b.element.id.utf8)
        }.map(\.element)
    }

    /// The value customers are graded by: their `ltv`, by the same rule as the derived field
    /// (12-month spend through the policy's ltv factor).
    static func gradeValues(_ inputs: SegmentationInputs, policy: Policy) -> [Double] {
        let factor = ValueRules.ltvFactor(policy)
        return inputs.spend.map { ValueRules.ltv(recentSpend: $0, factor: factor) }
    }

    /// One update per moving customer, with before and after values.
    public static func changeSet(_ moves: [Move], at now: Int64, user: String, command: String) -> ChangeSet {
        var set = ChangeSet(at: now, user: user, command: command)
        for move in moves {
            if let last = set.changes.last, last.id == move.id {
                set.changes[set.changes.count - 1].before[move.field] = Self.value(move.from)
                set.changes[set.changes.count - 1].after[move.field] = Self.value(move.to)
            } else {
                set.changes.append(RecordChange(kind: .update, entity: .customers, id: move.id,
                                                before: [move.field: Self.value(move.from)], after: [move.field: Self.value(move.to)]))
            }
        }
        return set
    }

    private static func value(_ text: String?) -> Value { text.map(Value.string) ?? .null }

    /// The moves as a result: one row per moving field.
    public static func result(_ moves: [Move]) -> ResultSet {
        ResultSet(columns: ["id", "name", "field", "from", "to"], rows: moves.map {
            [.string($0.id), value($0.name), .string($0.field), value($0.from), value($0.to)]
        })
    }

    /// `12 customers moved: 8 bronze → silver, 4 silver → gold`, the most frequent move
    /// first; a move of lostReason is named with the field.
    public static func summary(_ moves: [Move], _ target: RecomputeTarget, dryRun: Bool) -> String {
        guard !moves.isEmpty else {
            return "nobody moved: every customer's \(target.field) is up to date" + (dryRun ? " (dry run)" : "")
        }
        var customers = 0
        var lastID: String?
        var counts: [String: Int] = [:]
        var order: [String] = []
        for move in moves {
            if move.id != lastID { customers += 1; lastID = move.id }
            var label = "\(move.from ?? "none") → \(move.to ?? "none")"
            if move.field != target.field { label = "\(move.field) " + label }
            if counts[label] == nil { order.append(label) }
            counts[label, default: 0] += 1
        }
        let ranked = order.enumerated().sorted { a, b in
            let (ca, cb) = (counts[a.element]!, counts[b.element]!)
            return ca != cb ? ca > cb : a.offset < b.offset
        }.map { "\(counts[$0.element]!) \($0.element)" }
        let who = customers == 1 ? "1 customer" : "\(customers) customers"
        if dryRun { return "dry run: \(who) would move: \(ranked.joined(separator: ", ")); nothing changed" }
        return "\(who) moved: \(ranked.joined(separator: ", "))"
    }
}
