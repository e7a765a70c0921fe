/// Runs `count`, `sum`, `avg`, `min` and `max`, with or without `by`.
extension QueryExecutor {
    public func aggregate(_ q: CheckedAggregate) -> ResultSet {
        let test = q.predicate.map(compile)
        let plan = Planner(statistics: table).plan(predicate: q.predicate)
        let rows = matching(plan.access, test)
        guard let by = q.groupBy else {
            return ResultSet(columns: [q.valueColumn], rows: [[fold(q, rows)]])
        }
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
                    [code == 0 ? .null : .string(c.dictionary.strings[Int(code)]), .integer(Int64(counts[Int(code)]))]
                })
            }
            var byCode: [UInt32: [Int32]] = [:]
            for r in rows { byCode[c.codes[Int(r)], default: []].append(r) }
            for code in byCode.keys.sorted(by: { ($0 == 0 ? UInt32.max : ranks[Int($0)]) < ($1 == 0 ? UInt32.max : ranks[Int($1)]) }) {
                groups.append((code == 0 ? .null : .string(c.dictionary.strings[Int(code)]), byCode[code]!))
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
                groups.append((code == 0 ? .null : .string(c.lists.items.strings[Int(code)]), byItem[code]!))
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
