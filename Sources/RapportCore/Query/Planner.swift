/// How a backend reaches the candidate rows of a query. Candidates are a superset of the
/// answer: the whole predicate is still tested on each.
public enum AccessPath: Sendable {
    /// Every row.
    case scan
    /// Rows whose string field equals one of the values (ignoring case), or whose list
    /// field holds one of them.
    case lookup(ResolvedField, values: [String])
    /// Rows whose key lies in a range; a bound is (key, inclusive).
    case range(ResolvedField, lower: Bound?, upper: Bound?)
    /// Rows in the order of a sort key, so `sort by ... limit` stops early.
    case ordered(ResolvedField, descending: Bool)

    public struct Bound: Sendable {
        public var key: Double
        public var inclusive: Bool
    }
}

/// What a planner needs to know of a backend: which fields are indexed, and how many
/// rows an access path would yield.
public protocol PlanStatistics {
    var liveRowCount: Int { get }
    func hasLookupIndex(_ field: ResolvedField) -> Bool
    func hasOrderedIndex(_ field: ResolvedField) -> Bool
    /// The number of candidate rows `path` yields (exact or estimated).
    func estimate(_ path: AccessPath) -> Int
}

/// A query plan: the access path and whether it already delivers the sort order.
public struct QueryPlan: Sendable {
    public var access: AccessPath
    public var estimatedRows: Int
    public var explanation: String {
        switch access {
        case .scan: return "scan all rows"
        case .lookup(let f, let values): return "lookup \(f.name) in (\(values.joined(separator: ", "))), ~\(estimatedRows) rows"
        case .range(let f, _, _): return "range on \(f.name), ~\(estimatedRows) rows"
        case .ordered(let f, let desc): return "walk \(f.name) \(desc ? "descending" : "ascending") until the limit"
        }
    }
}

/// Picks the most selective index for a query, or a scan.
public struct Planner {
    public let statistics: PlanStatistics

    public init(statistics: PlanStatistics) { self.statistics = statistics }

    /// A scan beats an index that yields more than this share of the rows.
    static let scanShare = 0.4

    public func plan(predicate: Predicate?, sort: [CheckedSortKey] = [], limit: Int? = nil, offset: Int = 0) -> QueryPlan {
        let total = statistics.liveRowCount
        var best = QueryPlan(access: .scan, estimatedRows: total)
        if let predicate {
            for path in candidatePaths(predicate) {
                let n = statistics.estimate(path)
                if n < best.estimatedRows { best = QueryPlan(access: path, estimatedRows: n) }
            }
        }
        if Double(best.estimatedRows) > Double(total) * Planner.scanShare {
            best = QueryPlan(access: .scan, estimatedRows: total)
        }
        // A small limit on an indexed sort key: walk the index in order instead.
        if let limit, let first = sort.first, let field = first.field, statistics.hasOrderedIndex(field),
           limit + offset < max(best.estimatedRows / 4, 1) {
            return QueryPlan(access: .ordered(field, descending: first.descending), estimatedRows: limit + offset)
        }
        return best
    }

    /// Access paths that each yield a superset of the rows `p` matches.
    func candidatePaths(_ p: Predicate) -> [AccessPath] {
        switch p {
        case .and(let a, let b):
            return candidatePaths(a) + candidatePaths(b)
        case .compareString(let f, .equal, let v) where statistics.hasLookupIndex(f):
            return [.lookup(f, values: [v])]
        case .memberString(let f, let values, negated: false) where statistics.hasLookupIndex(f):
            return [.lookup(f, values: values)]
        case .has(let f, let mode, let values, negated: false) where statistics.hasLookupIndex(f) && !values.isEmpty:
            return mode == .all ? values.map { .lookup(f, values: [$0]) } : [.lookup(f, values: values)]
        case .compareKey(let f, let op, let key) where statistics.hasOrderedIndex(f):
            switch op {
            case .equal: return [.range(f, lower: .init(key: key, inclusive: true), upper: .init(key: key, inclusive: true))]
            case .less: return [.range(f, lower: nil, upper: .init(key: key, inclusive: false))]
            case .lessOrEqual: return [.range(f, lower: nil, upper: .init(key: key, inclusive: true))]
            case .greater: return [.range(f, lower: .init(key: key, inclusive: false), upper: nil)]
            case .greaterOrEqual: return [.range(f, lower: .init(key: key, inclusive: true), upper: nil)]
            case .notEqual: return []
            }
        case .betweenKey(let f, let low, let high, negated: false) where statistics.hasOrderedIndex(f):
            return [.range(f, lower: .init(key: low, inclusive: true), upper: .init(key: high, inclusive: true))]
        default:
            return []
        }
    }
}
