import Foundation

/// Runs checked queries against a `Table`: plans with the table's indexes, tests each
/// candidate row with a predicate compiled to closures over the typed columns, then
/// orders, pages and projects.
public struct QueryExecutor {
    public let table: Table
    public let clock: Clock
    /// Below this many rows a find's result is built as rows at once rather than read in
    /// place (tests lower it to reach the in-place path with small stores).
    var fewestRowsReadInPlace = ResultCells.fewestRowsReadInPlace

    public init(table: Table, clock: Clock) {
        self.table = table
        self.clock = clock
    }

    public typealias RowTest = (Int) -> Bool

    /// The column a field reads: stored, or derived (computed from the store and today,
    /// kept until either changes). Every read of a field's values goes through here.
    public func column(_ f: ResolvedField) -> Column {
        f.isDerived ? table.derivedColumn(named: f.name, today: clock.today, timeZone: clock.timeZone, now: clock.now) : table.columns[f.position]
    }

    // MARK: Find

    public func plan(_ q: CheckedFind) -> QueryPlan {
        Planner(statistics: table).plan(predicate: q.predicate, sort: q.sort, limit: q.limit, offset: q.offset)
    }

    /// The rows a `find` returns, in order.
    public func rows(_ q: CheckedFind) -> [Int32] {
        let plan = self.plan(q)
        let test = lookupIsWholePredicate(plan.access, q.predicate) ? nil : q.predicate.map(compile)
        let wanted = q.limit.map { q.offset + $0 }
        var rows: [Int32]
        if case .ordered(let field, let descending) = plan.access, let wanted, let index = table.orderedIndex(field: field.position) {
            rows = walk(index, descending: descending, wanted: wanted, test: test, sortField: field)
        } else {
            rows = matching(plan.access, test, rangeIsWholePredicate: QueryExecutor.isWholePredicate(plan.access, q.predicate))
        }
        order(&rows, by: q.sort, limit: wanted)
        let start = min(q.offset, rows.count)
        let end = wanted.map { min($0, rows.count) } ?? rows.count
        return Array(rows[start..<end])
    }

    /// The rows are not built here: the result holds the row numbers and the shown
    /// columns, and a table reads its cells from them in place (rows of values and a
    /// `String` a cell were most of listing 100,000 rows).
    public func find(_ q: CheckedFind) -> ResultSet {
        let rows = self.rows(q)
        let names = q.columns.map(\.name)
        // A few rows are cheaper read cell by cell than through readers made for every
        // column (their closures were a tenth of a lookup by id).
        if rows.count < fewestRowsReadInPlace {
            var built: [[Value]] = []
            built.reserveCapacity(rows.count)
            let read = q.columns.map { column -> (Int) -> Value in
                if let f = column.value.field { let c = self.column(f); return { c.value(at: $0) } }
                let value = compile(column.value)
                return { column.value.value(ofKey: value($0)) }
            }
            for r in rows { built.append(read.map { $0(Int(r)) }) }
            return ResultSet(columns: names, rows: built)
        }
        var readers: [(Int) -> Value] = []
        var strings: [(codes: ColumnStorage<UInt32>, strings: InternedStrings)?] = []
        // Reading later is safe only from copies of the values taken now (copy-on-write
        // storage): lists, booleans and computed columns read their table when asked,
        // so a result showing one is built here, as it was.
        var readLater = true
        for column in q.columns {
            if let f = column.value.field {
                let read = self.column(f)
                readers.append(QueryExecutor.valueReader(read))
                switch read {
                case .string(let c): strings.append((c.codes, c.dictionary.strings))
                case .date, .number, .integer, .instant: strings.append(nil)
                case .list, .boolean: strings.append(nil); readLater = false
                }
            } else {
                let value = compile(column.value)
                readers.append { column.value.value(ofKey: value($0)) }
                strings.append(nil)
                readLater = false
            }
        }
        let cells = ResultCells(rowNumbers: rows, readers: readers, strings: strings)
        return readLater ? ResultSet(columns: names, cells: cells) : ResultSet(columns: names, rows: cells.rows)
    }

    /// Reads a column's values with its storage taken out once: `Column.value(at:)`
    /// switches on the column and retains its storage on every call, a good part of
    /// listing 100,000 rows.
    static func valueReader(_ column: Column) -> (Int) -> Value {
        switch column {
        case .string(let c):
            let codes = c.codes, strings = c.dictionary.strings
            return { let code = codes[$0]; return code == 0 ? .null : .string(strings[Int(code)]) }
        case .date(let c):
            let values = c.values
            return { let v = values[$0]; return v == NullSentinel.date ? .null : .date(Day(daysSinceEpoch: v)) }
        case .number(let c):
            let values = c.values
            return { let v = values[$0]; return v.isNaN ? .null : .number(v) }
        case .integer(let c):
            let values = c.values
            return { let v = values[$0]; return v == NullSentinel.integer ? .null : .integer(v) }
        case .instant(let c):
            let values = c.values
            return { let v = values[$0]; return v == NullSentinel.instant ? .null : .instant(v) }
        case .list, .boolean:
            return { column.value(at: $0) }
        }
    }

    /// Whether a range is the whole predicate (`lastContact <= 90d`): its rows then need no
    /// test, since the ordered index holds exactly the live rows with a value and the
    /// range's bounds are the comparison's, on the same `Double` keys the test compares.
    static func isWholePredicate(_ access: AccessPath, _ predicate: Predicate?) -> Bool {
        guard case .range(let f, _, _) = access, !f.isDerived, let predicate else { return false }
        switch predicate {
        case .compareKey(let g, let op, let key):
            return g == f && op != .notEqual && key.isFinite
        case .betweenKey(let g, let low, let high, negated: false):
            return g == f && low.isFinite && high.isFinite
        default:
            return false
        }
    }

    /// Whether a lookup is the whole predicate (`id = C000123`, `city in (...)`): the id
    /// map and the hash indexes hold a string column's rows by the same case-ignoring codes
    /// the test would compare, so its rows need no test (compiling it was a tenth of a
    /// lookup by id).
    func lookupIsWholePredicate(_ access: AccessPath, _ predicate: Predicate?) -> Bool {
        guard case .lookup(let f, let values) = access, !f.isDerived, let predicate,
              f.position == Table.idPosition || table.hashIndex(field: f.position) != nil,
              case .string = column(f) else { return false }
        switch predicate {
        case .compareString(let g, .equal, let v): return g == f && values == [v]
        case .memberString(let g, let wanted, negated: false): return g == f && values == wanted
        default: return false
        }
    }

    /// Rows an access path yields that pass the test, in row order. With
    /// `rangeIsWholePredicate`, a range's rows from the index are taken untested (a scan,
    /// when the index is off, still tests every row).
    public func matching(_ access: AccessPath, _ test: RowTest?, rangeIsWholePredicate: Bool = false) -> [Int32] {
        var out: [Int32] = []
        switch access {
        case .scan, .ordered:
            let live = table.isLive
            if let test {
                for r in 0..<live.count where live[r] && test(r) { out.append(Int32(r)) }
            } else {
                out = table.liveRows
            }
        case .lookup(let f, let values):
            out = lookupRows(f, values)
            if let test { out = out.filter { test(Int($0)) } }
        case .range(let f, let lower, let upper):
            guard let index = table.orderedIndex(field: f.position) else { return matching(.scan, test) }
            let range = index.range(lower: lower.map { ($0.key, $0.inclusive) }, upper: upper.map { ($0.key, $0.inclusive) })
            out = QueryExecutor.inRowOrder(index.rows[range], rowCount: table.rowCount, rangeIsWholePredicate ? nil : test)
        }
        return out
    }

    /// Rows from an index (in key order) that pass the test, in row order. A range holding
    /// a good part of the table is put in order by marking rows and reading the marks in
    /// one pass (linear) instead of sorting them (n log n).
    static func inRowOrder(_ rows: ArraySlice<Int32>, rowCount: Int, _ test: RowTest?) -> [Int32] {
        guard rows.count > 4096, rows.count * 16 >= rowCount else {
            var out = test.map { t in rows.filter { t(Int($0)) } } ?? Array(rows)
            out.sort()
            return out
        }
        var marked = [Bool](repeating: false, count: rowCount)
        for r in rows { marked[Int(r)] = true }
        var out: [Int32] = []
        out.reserveCapacity(rows.count)
        if let test {
            for r in 0..<rowCount where marked[r] && test(r) { out.append(Int32(r)) }
        } else {
            for r in 0..<rowCount where marked[r] { out.append(Int32(r)) }
        }
        return out
    }

    func lookupRows(_ f: ResolvedField, _ values: [String]) -> [Int32] {
        // Ids are unique: the id map answers without a posting list per id.
        if f.position == Table.idPosition { return table.rows(ofIDs: values) }
        guard let index = table.hashIndex(field: f.position) else { return matching(.scan, nil) }
        let dictionary: StringDictionary
        switch column(f) {
        case .string(let c): dictionary = c.dictionary
        case .list(let c): dictionary = c.lists.items
        default: return []
        }
        var codes = Set<UInt32>()
        for v in values { codes.formUnion(dictionary.codes(ignoringCase: v)) }
        if codes.count == 1 { return index.rows(code: codes.first!) }
        var rows = Set<Int32>()
        for c in codes { rows.formUnion(index.rows(code: c)) }
        return rows.sorted()
    }

    /// Walks an ordered index until `wanted` rows pass, then through the ties of the
    /// last key, so the final sort can break ties by the other keys and id.
    private func walk(_ index: OrderedIndex, descending: Bool, wanted: Int, test: RowTest?, sortField: ResolvedField) -> [Int32] {
        var out: [Int32] = []
        let n = index.count
        var lastKey: Double?
        var i = 0
        while i < n {
            let p = descending ? n - 1 - i : i
            let key = index.keys[p]
            if out.count >= wanted, key != lastKey { break }
            let r = index.rows[p]
            if test?(Int(r)) ?? true {
                out.append(r)
                lastKey = key
            }
            i += 1
        }
        if out.count < wanted {
            // Rows with no value sort last in either direction.
            let column = self.column(sortField)
            let live = table.isLive
            for r in 0..<live.count where live[r] && column.isNull(at: r) && (test?(r) ?? true) { out.append(Int32(r)) }
        }
        return out
    }

    // MARK: Ordering

    /// Sorts rows by the keys, nulls last in either direction, then by id ascending.
    func order(_ rows: inout [Int32], by sort: [CheckedSortKey], limit: Int?) {
        if sort.isEmpty {
            if !table.rowsInIDOrder { sortByID(&rows) }
            return
        }
        let keys = sort.map { sortKeys(rows, $0.value) }
        let descending = sort.map(\.descending)
        var order = QueryExecutor.candidates(keys[0], descending: descending[0], limit: limit)
        let byRow = table.rowsInIDOrder
        let ids = byRow ? [] : rows.map { table.id(ofRow: Int($0)) }
        order.sort { a, b in
            for k in 0..<keys.count {
                let x = keys[k][a], y = keys[k][b]
                if x.isNaN || y.isNaN {
                    if x.isNaN && y.isNaN { continue }
                    return y.isNaN
                }
                if x != y { return descending[k] ? x > y : x < y }
            }
            return byRow ? rows[a] < rows[b] : ids[a].utf8.lexicographicallyPrecedes(ids[b].utf8)
        }
        rows = order.map { rows[$0] }
    }

    /// The positions that can be among the first `limit` by this first key: every one at
    /// least as good as the limit-th best (ties kept for the later keys), found in linear
    /// time, so `sort by F limit N` on an unindexed field (a derived one) sorts N rows, not all.
    static func candidates(_ keys: [Double], descending: Bool, limit: Int?) -> [Int] {
        guard let limit, limit > 0, limit * 4 < keys.count else { return Array(keys.indices) }
        var present = descending ? keys.compactMap { $0.isNaN ? nil : -$0 } : keys.filter { !$0.isNaN }
        guard present.count > limit else { return Array(keys.indices) }
        let bound = kthSmallest(&present, limit)
        return descending ? keys.indices.filter { keys[$0] >= -bound } : keys.indices.filter { keys[$0] <= bound }
    }

    /// The k-th smallest value (k from 1), by Hoare's selection; reorders `values`.
    static func kthSmallest(_ values: inout [Double], _ k: Int) -> Double {
        let target = k - 1
        var lo = 0, hi = values.count - 1
        while lo < hi {
            let pivot = values[lo + (hi - lo) / 2]
            var i = lo, j = hi
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
            }
            if target <= j { hi = j } else if target >= i { lo = i } else { return values[target] }
        }
        return values[target]
    }

    private func sortByID(_ rows: inout [Int32]) {
        let ids = table.idColumn
        let dictionary = ids.dictionary, codes = ids.codes
        rows.sort { dictionary.precedes(codes[Int($0)], codes[Int($1)]) }
    }

    /// Each row's sort key as a Double (strings by code-point rank); NaN for null.
    private func sortKeys(_ rows: [Int32], _ value: TypedExpression) -> [Double] {
        guard let f = value.field else {
            let key = compile(value)
            return rows.map { key(Int($0)) }
        }
        let column = self.column(f)
        switch column {
        case .string(let c):
            let ranks = c.dictionary.ranks
            return rows.map { let code = c.codes[Int($0)]; return code == 0 ? .nan : Double(ranks[Int(code)]) }
        default:
            return rows.map { column.key(at: Int($0)) ?? .nan }
        }
    }

    // MARK: Predicates

    /// Compiles a predicate into a test over row positions.
    public func compile(_ p: Predicate) -> RowTest {
        switch p {
        case .and(let a, let b):
            let x = compile(a), y = compile(b)
            return { x($0) && y($0) }
        case .or(let a, let b):
            let x = compile(a), y = compile(b)
            return { x($0) || y($0) }
        case .not(let a):
            let x = compile(a)
            return { !x($0) }
        case .isNull(let f, let negated):
            let column = self.column(f)
            return negated ? { !column.isNull(at: $0) } : { column.isNull(at: $0) }
        case .compareKey(let f, let op, let k):
            return keyTest(f) { x in QueryExecutor.compare(x, op, k) }
        case .memberKey(let f, let keys, let negated):
            let set = Set(keys)
            return keyTest(f) { set.contains($0) != negated }
        case .betweenKey(let f, let low, let high, let negated):
            return keyTest(f) { ($0 >= low && $0 <= high) != negated }
        case .compareString(let f, let op, let s):
            switch op {
            case .equal: return codeTest(f, [s], negated: false)
            case .notEqual: return codeTest(f, [s], negated: true)
            default:
                let bound = Array(s.utf8)
                return bytesTest(f) { QueryExecutor.compare(QueryExecutor.byteOrder($0, bound), op) }
            }
        case .memberString(let f, let values, let negated):
            return codeTest(f, values, negated: negated)
        case .betweenString(let f, let low, let high, let negated):
            let lowBytes = Array(low.utf8), highBytes = Array(high.utf8)
            return bytesTest(f) {
                (QueryExecutor.byteOrder($0, lowBytes) >= 0 && QueryExecutor.byteOrder($0, highBytes) <= 0) != negated
            }
        case .text(let f, let op, let s, let negated):
            guard case .string(let c) = column(f) else { return { _ in false } }
            let mask = TextMatch.mask(c.dictionary, op, s, negated: negated)
            let codes = c.codes
            return { mask[Int(codes[$0])] }
        case .has(let f, let mode, let values, let negated):
            guard case .list(let c) = column(f) else { return { _ in false } }
            let wanted = values.map { $0.lowercased() }
            let items = c.lists.items
            let lists = c.lists.lists
            var mask = [Bool](repeating: false, count: lists.count)
            for code in 1..<max(lists.count, 1) where !lists[code].isEmpty {
                let present = Set(lists[code].map { items.string($0).lowercased() })
                switch mode {
                case .one, .any: mask[code] = wanted.contains { present.contains($0) } != negated
                case .all: mask[code] = wanted.allSatisfy { present.contains($0) } != negated
                }
            }
            let codes = c.codes
            return { mask[Int(codes[$0])] }
        case .compareValues(let a, let op, let b):
            return valueTest(a, op, b)
        case .compareFields(let f, let op, let g):
            return fieldTest(f, op, g)
        case .relation(let entity, let inner, let op, let n):
            let counts = relatedCounts(entity, inner)
            return { QueryExecutor.compare(Double(counts[$0]), op, n) }
        case .ofCustomer(let p):
            return customerTest(p)
        case .within(let f, let days):
            guard case .date(let c) = column(f) else { return { _ in false } }
            let today = clock.today
            // Whether a birthday on (month, day) recurs within the window, for all 12×31 days.
            var window = [Bool](repeating: false, count: 13 * 32)
            for m in 1...12 {
                for d in 1...Day.daysIn(month: m, year: 2000) {
                    let next = Day(year: 2000, month: m, day: d)!.nextRecurrence(onOrAfter: today)
                    window[m * 32 + d] = Double(next.daysSinceEpoch - today.daysSinceEpoch) <= days
                }
            }
            let values = c.values
            return { r in
                let v = values[r]
                if v == NullSentinel.date { return false }
                let parts = Day(daysSinceEpoch: v).parts
                return window[parts.month * 32 + parts.day]
            }
        }
    }

    // MARK: Relations

    /// For each customer row, how many of its records of `entity` match `inner`: the
    /// inner condition runs once over that table with its own plan, then one pass maps the
    /// matches to customer rows through the `customer` column. No nested scan.
    private func relatedCounts(_ entity: Entity, _ inner: Predicate?) -> [Int32] {
        var counts = [Int32](repeating: 0, count: table.rowCount)
        guard let store = table.store, table.entity == .customers else { return counts }
        let related = store[entity]
        guard let p = related.schema.position(of: RecordField.customer), case .string(let owners) = related.columns[p] else { return counts }
        let executor = QueryExecutor(table: related, clock: clock)
        let rows = executor.matching(Planner(statistics: related).plan(predicate: inner).access, inner.map(executor.compile))
        let rowOfCode = table.ownerRowOfCode(entity, owners.dictionary)
        let codes = owners.codes
        for r in rows {
            let owner = rowOfCode[Int(codes[Int(r)])]
            if owner >= 0 { counts[Int(owner)] += 1 }
        }
        return counts
    }

    /// `customer.FIELD` tests on a record: the test runs once over the customers into a
    /// mask, read per record through one answer per distinct customer id. A record whose
    /// customer is missing reads every customer field as missing.
    private func customerTest(_ p: Predicate) -> RowTest {
        guard let store = table.store, let position = table.schema.position(of: RecordField.customer),
              case .string(let owners) = table.columns[position] else { return { _ in false } }
        let customers = store.customers
        let executor = QueryExecutor(table: customers, clock: clock)
        var matched = [Bool](repeating: false, count: customers.rowCount)
        for r in executor.matching(Planner(statistics: customers).plan(predicate: p).access, executor.compile(p)) { matched[Int(r)] = true }
        let missing = p.holdsWhereAllMissing
        let rowOfCode = customers.ownerRowOfCode(table.entity, owners.dictionary)
        let answer = rowOfCode.map { $0 >= 0 ? matched[Int($0)] : missing }
        let codes = owners.codes
        return { answer[Int(codes[$0])] }
    }

    // MARK: Expressions

    public typealias RowValue = (Int) -> Double

    /// Compiles an expression into the key of each row, NaN where missing. Constants are
    /// folded by the checker; a field reads its column directly.
    public func compile(_ e: TypedExpression) -> RowValue {
        switch e {
        case .field(let f): return keyReader(f)
        case .constant(let c, _): return { _ in c }
        case .negate(let inner):
            let x = compile(inner)
            return { -x($0) }
        case .arithmetic(let a, let op, let b, _):
            let x = compile(a)
            if case .constant(let k, _) = b {
                switch op {
                case .add: return { x($0) + k }
                case .subtract: return { x($0) - k }
                case .multiply: return { x($0) * k }
                case .divide: return k == 0 ? { _ in .nan } : { x($0) / k }
                }
            }
            let y = compile(b)
            switch op {
            case .add: return { x($0) + y($0) }
            case .subtract: return { x($0) - y($0) }
            case .multiply: return { x($0) * y($0) }
            case .divide: return { let d = y($0); return d == 0 ? .nan : x($0) / d }
            }
        }
    }

    /// The key of a numeric, temporal or boolean column at a row; NaN for null.
    private func keyReader(_ f: ResolvedField) -> RowValue {
        switch column(f) {
        case .number(let c):
            let v = c.values
            return { v[$0] }
        case .integer(let c):
            let v = c.values
            return { let x = v[$0]; return x == NullSentinel.integer ? .nan : Double(x) }
        case .date(let c):
            let v = c.values
            return { let x = v[$0]; return x == NullSentinel.date ? .nan : Double(x) }
        case .instant(let c):
            let v = c.values
            return { let x = v[$0]; return x == NullSentinel.instant ? .nan : Double(x) }
        case .boolean(let c):
            let v = c.values
            return { let x = v[$0]; return x < 0 ? .nan : Double(x) }
        case .string, .list:
            return { _ in .nan }
        }
    }

    /// Two computed keys; a missing one (NaN) never passes, not even `!=`.
    private func valueTest(_ a: TypedExpression, _ op: ComparisonOperator, _ b: TypedExpression) -> RowTest {
        // Two plain number columns, the common field-vs-field case: no closure per side.
        if let f = a.field, let g = b.field, case .number(let c) = column(f), case .number(let d) = column(g) {
            let x = c.values, y = d.values
            switch op {
            case .equal: return { x[$0] == y[$0] }
            case .notEqual: return { let p = x[$0], q = y[$0]; return p != q && !p.isNaN && !q.isNaN }
            case .less: return { x[$0] < y[$0] }
            case .lessOrEqual: return { x[$0] <= y[$0] }
            case .greater: return { x[$0] > y[$0] }
            case .greaterOrEqual: return { x[$0] >= y[$0] }
            }
        }
        let x = compile(a)
        if case .constant(let k, _) = b {
            if op == .notEqual { return { let v = x($0); return !v.isNaN && v != k } }
            return { QueryExecutor.compare(x($0), op, k) }
        }
        let y = compile(b)
        switch op {
        // IEEE comparisons with NaN are false, except `!=`.
        case .notEqual: return { let p = x($0), q = y($0); return p != q && !p.isNaN && !q.isNaN }
        case .equal: return { x($0) == y($0) }
        case .less: return { x($0) < y($0) }
        case .lessOrEqual: return { x($0) <= y($0) }
        case .greater: return { x($0) > y($0) }
        case .greaterOrEqual: return { x($0) >= y($0) }
        }
    }

    /// Two text fields: equality ignoring case through shared case-folded classes,
    /// ordering through shared code-point ranks, both built once per distinct value.
    private func fieldTest(_ f: ResolvedField, _ op: ComparisonOperator, _ g: ResolvedField) -> RowTest {
        guard case .string(let c) = column(f), case .string(let d) = column(g) else { return { _ in false } }
        let left = c.dictionary.strings, right = d.dictionary.strings
        var classes: [String: Int32] = [:]
        func classify(_ strings: InternedStrings) -> [Int32] {
            strings.enumerated().map { i, s in
                if i == 0 { return -1 }
                let key = op == .equal || op == .notEqual ? s.lowercased() : s
                if let k = classes[key] { return k }
                let k = Int32(classes.count)
                classes[key] = k
                return k
            }
        }
        var x = classify(left), y = classify(right)
        if op != .equal && op != .notEqual {
            // Class numbers in code-point order, so integers compare as the strings do.
            let order = classes.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            var rank = [Int32](repeating: 0, count: classes.count)
            for (r, s) in order.enumerated() { rank[Int(classes[s]!)] = Int32(r) }
            x = x.map { $0 < 0 ? -1 : rank[Int($0)] }
            y = y.map { $0 < 0 ? -1 : rank[Int($0)] }
        }
        let a = c.codes, b = d.codes
        return { r in
            let p = x[Int(a[r])], q = y[Int(b[r])]
            guard p >= 0, q >= 0 else { return false }
            return QueryExecutor.compare(Double(p), op, Double(q))
        }
    }

    static func compare(_ x: Double, _ op: ComparisonOperator, _ k: Double) -> Bool {
        switch op {
        case .equal: return x == k
        case .notEqual: return x != k
        case .less: return x < k
        case .lessOrEqual: return x <= k
        case .greater: return x > k
        case .greaterOrEqual: return x >= k
        }
    }

    static func compareCodePoints(_ a: String, _ op: ComparisonOperator, _ b: String) -> Bool {
        switch op {
        case .equal: return a == b
        case .notEqual: return a != b
        case .less: return a.utf8.lexicographicallyPrecedes(b.utf8)
        case .lessOrEqual: return !b.utf8.lexicographicallyPrecedes(a.utf8)
        case .greater: return b.utf8.lexicographicallyPrecedes(a.utf8)
        case .greaterOrEqual: return !a.utf8.lexicographicallyPrecedes(b.utf8)
        }
    }

    /// Equality with any of `values` (ignoring case) on a string column, through the
    /// dictionary's case-folded codes: no pass over every distinct value. Null never passes.
    private func codeTest(_ f: ResolvedField, _ values: [String], negated: Bool) -> RowTest {
        guard case .string(let c) = column(f) else { return { _ in false } }
        var wanted = Set<UInt32>()
        for v in values { wanted.formUnion(c.dictionary.codes(ignoringCase: v)) }
        let codes = c.codes
        if wanted.count == 1, let only = wanted.first {
            return negated ? { let x = codes[$0]; return x != 0 && x != only } : { codes[$0] == only }
        }
        return { let x = codes[$0]; return x != 0 && wanted.contains(x) != negated }
    }

    /// A test on a string column's UTF-8 bytes, evaluated once per distinct value without
    /// making a string of it: a range over a million ids reads the dictionary's arena.
    private func bytesTest(_ f: ResolvedField, _ test: (UnsafeBufferPointer<UInt8>) -> Bool) -> RowTest {
        guard case .string(let c) = column(f) else { return { _ in false } }
        let mask = c.dictionary.mask(utf8: test)
        let codes = c.codes
        return { mask[Int(codes[$0])] }
    }

    /// The code-point (UTF-8 byte) order of `a` against `b`: negative, zero or positive.
    static func byteOrder(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Int {
        b.withUnsafeBufferPointer { b in
            let n = min(a.count, b.count)
            let d = n == 0 ? 0 : Int(memcmp(a.baseAddress!, b.baseAddress!, n))
            return d != 0 ? d : a.count - b.count
        }
    }

    /// Whether an order (`byteOrder`) passes the comparison `op` against zero.
    static func compare(_ order: Int, _ op: ComparisonOperator) -> Bool {
        switch op {
        case .equal: return order == 0
        case .notEqual: return order != 0
        case .less: return order < 0
        case .lessOrEqual: return order <= 0
        case .greater: return order > 0
        case .greaterOrEqual: return order >= 0
        }
    }

    /// A test on the key of a numeric, temporal or boolean column; null never passes.
    private func keyTest(_ f: ResolvedField, _ test: @escaping (Double) -> Bool) -> RowTest {
        switch column(f) {
        case .number(let c):
            let v = c.values
            return { let x = v[$0]; return !x.isNaN && test(x) }
        case .integer(let c):
            let v = c.values
            return { let x = v[$0]; return x != NullSentinel.integer && test(Double(x)) }
        case .date(let c):
            let v = c.values
            return { let x = v[$0]; return x != NullSentinel.date && test(Double(x)) }
        case .instant(let c):
            let v = c.values
            return { let x = v[$0]; return x != NullSentinel.instant && test(Double(x)) }
        case .boolean(let c):
            let v = c.values
            return { let x = v[$0]; return x >= 0 && test(Double(x)) }
        default:
            return { _ in false }
        }
    }
}

extension Table: PlanStatistics {
    public func hasLookupIndex(_ field: ResolvedField) -> Bool {
        indexesEnabled && !field.isDerived && (field.type == .string || field.type == .list)
    }

    public func hasOrderedIndex(_ field: ResolvedField) -> Bool {
        indexesEnabled && !field.isDerived && [.integer, .number, .date, .instant].contains(field.type)
    }

    public var liveRowCount: Int { liveCount }

    public func estimate(_ path: AccessPath) -> Int {
        switch path {
        case .scan: return liveCount
        case .ordered: return liveCount
        case .lookup(let f, let values):
            if f.position == Table.idPosition { return rows(ofIDs: values).count }
            guard let index = hashIndex(field: f.position) else { return liveCount }
            let dictionary: StringDictionary
            switch columns[f.position] {
            case .string(let c): dictionary = c.dictionary
            case .list(let c): dictionary = c.lists.items
            default: return liveCount
            }
            return values.reduce(0) { n, v in n + dictionary.codes(ignoringCase: v).reduce(0) { $0 + index.count(code: $1) } }
        case .range(let f, let lower, let upper):
            guard let index = orderedIndex(field: f.position) else { return liveCount }
            return index.range(lower: lower.map { ($0.key, $0.inclusive) }, upper: upper.map { ($0.key, $0.inclusive) }).count
        }
    }
}
