import Foundation

/// Runs `count`, `sum`, `avg`, `min` and `max`, with or without `by`.
extension QueryExecutor {
    public func aggregate(_ q: CheckedAggregate) -> ResultSet {
        let test = q.predicate.map(compile)
        let plan = Planner(statistics: table).plan(predicate: q.predicate)
        let rows = matching(plan.access, test)
        guard let by = q.groupBy else {
            return ResultSet(columns: [q.valueColumn], rows: [[fold(q, rows)]])
        }
        if let period = q.groupPeriod { return aggregate(q, rows, by: by, period: period) }
        var groups: [(key: Value, rows: [Int32])] = []
        let byColumn = column(by)
        switch byColumn {
        case .string(let c):
            let ranks = c.dictionary.ranks
            var present: [UInt32] = []
            if q.function == .count && q.field == nil {
                // Counting needs no row lists: one counter per dictionary code.
                var counts = [Int](repeating: 0, count: c.dictionary.strings.count)
                for r in rows { counts[Int(c.codes[Int(r)])] += 1 }
                for code in counts.indices where counts[code] > 0 { present.append(UInt32(code)) }
                present.sort { ($0 == 0 ? UInt32.max : ranks[Int($0)]) < ($1 == 0 ? UInt32.max : ranks[Int($1)]) }
                return ResultSet(columns: [by.name, q.valueColumn], rows: present.map { code in
                    [code == 0 ? .null : .string(c.dictionary.string(code)), .integer(Int64(counts[Int(code)]))]
                })
            }
            var byCode: [UInt32: [Int32]] = [:]
            for r in rows { byCode[c.codes[Int(r)], default: []].append(r) }
            for code in byCode.keys.sorted(by: { ($0 == 0 ? UInt32.max : ranks[Int($0)]) < ($1 == 0 ? UInt32.max : ranks[Int($1)]) }) {
                groups.append((code == 0 ? .null : .string(c.dictionary.string(code)), byCode[code]!))
            }
        case .list(let c):
            // One group per item: a row with several items counts in each.
            var byItem: [UInt32: [Int32]] = [:]
            for r in rows {
                let items = c.lists.lists[Int(c.codes[Int(r)])]
                if items.isEmpty { byItem[0, default: []].append(r) }
                for item in Set(items) { byItem[item, default: []].append(r) }
            }
            let ranks = c.lists.items.ranks
            for code in byItem.keys.sorted(by: { ($0 == 0 ? UInt32.max : ranks[Int($0)]) < ($1 == 0 ? UInt32.max : ranks[Int($1)]) }) {
                groups.append((code == 0 ? .null : .string(c.lists.items.string(code)), byItem[code]!))
            }
        default:
            var byKey: [Double: [Int32]] = [:]
            var nulls: [Int32] = []
            for r in rows {
                if let k = byColumn.key(at: Int(r)) { byKey[k, default: []].append(r) } else { nulls.append(r) }
            }
            for k in byKey.keys.sorted() {
                let rs = byKey[k]!
                groups.append((byColumn.value(at: Int(rs[0])), rs))
            }
            if !nulls.isEmpty { groups.append((.null, nulls)) }
        }
        return ResultSet(columns: [by.name, q.valueColumn], rows: groups.map { [$0.key, fold(q, $0.rows)] })
    }

    /// Groups by the period a date or instant falls in, in the clock's zone. Rows are
    /// counted per day number in an array; only each occupied day's period is computed,
    /// and only group labels are formatted.
    private func aggregate(_ q: CheckedAggregate, _ rows: [Int32], by: ResolvedField, period: Period) -> ResultSet {
        let null = NullSentinel.date
        var dayOfRow = [Int32](repeating: null, count: rows.count)
        switch column(by) {
        case .date(let c):
            for (i, r) in rows.enumerated() { dayOfRow[i] = c.values[Int(r)] }
        case .instant(let c):
            var localDays = LocalDays(clock: clock)
            for (i, r) in rows.enumerated() {
                let t = c.values[Int(r)]
                if t != NullSentinel.instant { dayOfRow[i] = localDays.day(of: t) }
            }
        default:
            preconditionFailure("the checker lets only dates and instants be grouped by period")
        }
        var first = Int32.max, last = Int32.min
        for d in dayOfRow where d != null { first = min(first, d); last = max(last, d) }
        // Stored days lie in 0001..9999, so the span is at most a few million.
        let span = first <= last ? Int(last - first) + 1 : 0
        var countOfDay = [Int](repeating: 0, count: span)
        var nullCount = 0
        for d in dayOfRow {
            if d == null { nullCount += 1 } else { countOfDay[Int(d - first)] += 1 }
        }
        var keyOfDay = [Int](repeating: 0, count: span)
        var keys = Set<Int>()
        for i in 0..<span where countOfDay[i] > 0 {
            keyOfDay[i] = period.key(ofDay: first + Int32(i))
            keys.insert(keyOfDay[i])
        }
        let ordered = keys.sorted()
        let groupOfKey = Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) })
        var groupOfDay = [Int](repeating: 0, count: span)
        for i in 0..<span where countOfDay[i] > 0 { groupOfDay[i] = groupOfKey[keyOfDay[i]]! }

        let columns = [q.groupColumn!, q.valueColumn]
        let labels = ordered.map { Value.string(period.label(ofKey: $0)) }
        if q.function == .count && q.field == nil {
            var counts = [Int](repeating: 0, count: ordered.count)
            for i in 0..<span { counts[groupOfDay[i]] += countOfDay[i] }
            var result = ordered.indices.map { [labels[$0], Value.integer(Int64(counts[$0]))] }
            if nullCount > 0 { result.append([.null, .integer(Int64(nullCount))]) }
            return ResultSet(columns: columns, rows: result)
        }
        var rowsOfGroup = [[Int32]](repeating: [], count: ordered.count)
        var nulls: [Int32] = []
        for (i, r) in rows.enumerated() {
            let d = dayOfRow[i]
            if d == null { nulls.append(r) } else { rowsOfGroup[groupOfDay[Int(d - first)]].append(r) }
        }
        var result = ordered.indices.map { [labels[$0], fold(q, rowsOfGroup[$0])] }
        if !nulls.isEmpty { result.append([.null, fold(q, nulls)]) }
        return ResultSet(columns: columns, rows: result)
    }

    /// One aggregate over rows; nulls are skipped as in SQL.
    private func fold(_ q: CheckedAggregate, _ rows: [Int32]) -> Value {
        guard let f = q.field else { return .integer(Int64(rows.count)) }
        let column = self.column(f)
        switch q.function {
        case .count:
            return .integer(Int64(rows.reduce(0) { $0 + (column.isNull(at: Int($1)) ? 0 : 1) }))
        case .sum, .avg:
            var n = 0
            var intSum: Int64 = 0
            var overflow = false
            var sum = 0.0, compensation = 0.0
            for r in rows {
                guard let k = column.key(at: Int(r)) else { continue }
                n += 1
                if case .integer(let c) = column, !overflow {
                    let (s, o) = intSum.addingReportingOverflow(c.values[Int(r)])
                    intSum = s
                    overflow = o
                }
                // Kahan summation keeps money sums free of float drift.
                let y = k - compensation
                let t = sum + y
                compensation = (t - sum) - y
                sum = t
            }
            if n == 0 { return .null }
            if q.function == .avg { return .number(sum / Double(n)) }
            if case .integer = column, !overflow { return .integer(intSum) }
            return .number(sum)
        case .min, .max:
            var best: Int32?
            var bestKey = 0.0
            if case .string(let c) = column {
                let ranks = c.dictionary.ranks
                for r in rows where c.codes[Int(r)] != 0 {
                    let k = Double(ranks[Int(c.codes[Int(r)])])
                    if best == nil || (q.function == .min ? k < bestKey : k > bestKey) { best = r; bestKey = k }
                }
            } else {
                for r in rows {
                    guard let k = column.key(at: Int(r)) else { continue }
                    if best == nil || (q.function == .min ? k < bestKey : k > bestKey) { best = r; bestKey = k }
                }
            }
            return best.map { column.value(at: Int($0)) } ?? .null
        }
    }
}

extension Period {
    private static let weekdayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// An integer for the period a day falls in; keys sort chronologically (weekdays
    /// Monday first).
    public func key(ofDay days: Int32) -> Int {
        switch self {
        case .month: let p = Day(daysSinceEpoch: days).parts; return p.year * 12 + p.month - 1
        case .quarter: let p = Day(daysSinceEpoch: days).parts; return p.year * 4 + (p.month - 1) / 3
        case .year: return Day(daysSinceEpoch: days).parts.year
        case .week: let w = Period.isoWeek(ofDay: days); return w.year * 100 + w.week
        case .weekday: return Period.isoWeekday(ofDay: days)
        }
    }

    /// The label of a key from `key(ofDay:)`: `2026-11`, `2026-Q4`, `2026`, `2026-W48`, `Mon`.
    public func label(ofKey key: Int) -> String {
        func year(_ y: Int) -> String {
            let s = String(y)
            return String(repeating: "0", count: max(0, 4 - s.count)) + s
        }
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        switch self {
        case .month: return "\(year(key / 12))-\(two(key % 12 + 1))"
        case .quarter: return "\(year(key / 4))-Q\(key % 4 + 1)"
        case .year: return year(key)
        case .week: return "\(year(key / 100))-W\(two(key % 100))"
        case .weekday: return Period.weekdayNames[key - 1]
        }
    }

    /// 1 for Monday through 7 for Sunday; 1970-01-01 was a Thursday.
    static func isoWeekday(ofDay days: Int32) -> Int {
        let m = (Int(days) + 3) % 7
        return (m < 0 ? m + 7 : m) + 1
    }

    /// The ISO 8601 week: weeks start on Monday and belong to the year their Thursday is in,
    /// so 2024-12-30 is in 2025-W01 and 2027-01-01 in 2026-W53.
    static func isoWeek(ofDay days: Int32) -> (year: Int, week: Int) {
        let thursday = Int(days) - isoWeekday(ofDay: days) + 4
        let year = Day(daysSinceEpoch: Int32(thursday)).parts.year
        return (year, (thursday - Day.daysFromCivil(year, 1, 1)) / 7 + 1)
    }
}

/// The local day of instants in a clock's zone. Asking the zone for its offset is slow,
/// so it is asked once per UTC day; only a day in which the offset changes (a zone's
/// transition) asks for each instant.
struct LocalDays {
    let clock: Clock
    private var offsetOfUTCDay: [Int64: Int64] = [:]
    private static let varies = Int64.min

    init(clock: Clock) { self.clock = clock }

    mutating func day(of instant: Int64) -> Int32 {
        let utcDay = LocalDays.floorDiv(instant, 86400)
        let offset: Int64
        if let known = offsetOfUTCDay[utcDay] {
            offset = known
        } else {
            let zone = clock.timeZone
            let start = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utcDay * 86400)))
            let end = zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utcDay * 86400 + 86399)))
            offset = start == end ? Int64(start) : LocalDays.varies
            offsetOfUTCDay[utcDay] = offset
        }
        if offset == LocalDays.varies { return clock.day(of: instant).daysSinceEpoch }
        return Int32(LocalDays.floorDiv(instant + offset, 86400))
    }

    /// Division rounding toward minus infinity (instants before 1970 fall on the earlier day).
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
