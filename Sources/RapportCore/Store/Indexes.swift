/// Rows of a string or list column grouped by value code: the store's hash index.
/// Each posting list is sorted by row.
public final class HashIndex {
    public private(set) var postings: [[Int32]]

    init(postings: [[Int32]]) { self.postings = postings }

    /// Builds postings from per-row codes; a list column passes each row's item codes.
    static func build(rowCount: Int, codeCount: Int, isLive: [Bool], codesOfRow: (Int) -> [UInt32]) -> HashIndex {
        var postings = [[Int32]](repeating: [], count: codeCount)
        for row in 0..<rowCount where isLive[row] {
            for c in codesOfRow(row) where c != 0 { postings[Int(c)].append(Int32(row)) }
        }
        return HashIndex(postings: postings)
    }

    static func build(codes: ColumnStorage<UInt32>, codeCount: Int, isLive: [Bool]) -> HashIndex {
        codes.withUnsafeBufferPointer { codes in
            var counts = [Int](repeating: 0, count: codeCount)
            for (row, c) in codes.enumerated() where c != 0 && isLive[row] { counts[Int(c)] += 1 }
            var postings = counts.map { n -> [Int32] in var a = [Int32](); a.reserveCapacity(n); return a }
            for (row, c) in codes.enumerated() where c != 0 && isLive[row] { postings[Int(c)].append(Int32(row)) }
            return HashIndex(postings: postings)
        }
    }

    public func rows(code: UInt32) -> [Int32] { Int(code) < postings.count ? postings[Int(code)] : [] }

    public func count(code: UInt32) -> Int { Int(code) < postings.count ? postings[Int(code)].count : 0 }

    func insert(row: Int32, code: UInt32) {
        guard code != 0 else { return }
        while postings.count <= Int(code) { postings.append([]) }
        let i = Int(code)
        if let last = postings[i].last, last >= row {
            postings[i].insert(row, at: lowerBound(postings[i], row))
        } else {
            postings[i].append(row)
        }
    }

    func remove(row: Int32, code: UInt32) {
        guard code != 0, Int(code) < postings.count else { return }
        let i = Int(code)
        let p = lowerBound(postings[i], row)
        if p < postings[i].count, postings[i][p] == row { postings[i].remove(at: p) }
    }
}

func lowerBound(_ a: [Int32], _ x: Int32) -> Int {
    var lo = 0, hi = a.count
    while lo < hi {
        let mid = (lo + hi) >> 1
        if a[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

/// Rows of a numeric or temporal column sorted by value, then row: the store's ordered
/// index, for ranges and for `sort by ... limit` without sorting everything.
/// Null rows are not in it.
public final class OrderedIndex {
    public private(set) var keys: [Double]
    public private(set) var rows: [Int32]

    init(keys: [Double], rows: [Int32]) {
        self.keys = keys
        self.rows = rows
    }

    static func build(rowCount: Int, isLive: [Bool], key: (Int) -> Double?) -> OrderedIndex {
        var pairs: [(Double, Int32)] = []
        pairs.reserveCapacity(rowCount)
        for row in 0..<rowCount where isLive[row] {
            if let k = key(row) { pairs.append((k, Int32(row))) }
        }
        pairs.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
        return OrderedIndex(keys: pairs.map(\.0), rows: pairs.map(\.1))
    }

    public var count: Int { keys.count }

    /// The first position whose key is >= `key` (or > `key` when `strictly`).
    public func position(after key: Double, strictly: Bool) -> Int {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if keys[mid] < key || (strictly && keys[mid] == key) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Positions of keys in the range; each bound may be open or inclusive.
    public func range(lower: (Double, inclusive: Bool)?, upper: (Double, inclusive: Bool)?) -> Range<Int> {
        let lo = lower.map { position(after: $0.0, strictly: !$0.inclusive) } ?? 0
        let hi = upper.map { position(after: $0.0, strictly: $0.inclusive) } ?? keys.count
        return lo..<max(lo, hi)
    }

    private func slot(key: Double, row: Int32) -> Int {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if keys[mid] < key || (keys[mid] == key && rows[mid] < row) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    func insert(row: Int32, key: Double?) {
        guard let key else { return }
        let p = slot(key: key, row: row)
        keys.insert(key, at: p)
        rows.insert(row, at: p)
    }

    /// Inserts many rows at once, as `insert(row:key:)` one by one would: sorted, then merged
    /// in one pass (one by one, each insert moves every entry after its place).
    func insert(rows newRows: Range<Int>, key: (Int) -> Double?) {
        var pairs: [(key: Double, row: Int32)] = []
        for row in newRows { if let k = key(row) { pairs.append((k, Int32(row))) } }
        guard !pairs.isEmpty else { return }
        pairs.sort { $0.key < $1.key || ($0.key == $1.key && $0.row < $1.row) }
        var mergedKeys: [Double] = [], mergedRows: [Int32] = []
        mergedKeys.reserveCapacity(keys.count + pairs.count)
        mergedRows.reserveCapacity(keys.count + pairs.count)
        var i = 0
        for pair in pairs {
            while i < keys.count, keys[i] < pair.key || (keys[i] == pair.key && rows[i] < pair.row) {
                mergedKeys.append(keys[i])
                mergedRows.append(rows[i])
                i += 1
            }
            mergedKeys.append(pair.key)
            mergedRows.append(pair.row)
        }
        mergedKeys.append(contentsOf: keys[i...])
        mergedRows.append(contentsOf: rows[i...])
        keys = mergedKeys
        rows = mergedRows
    }

    func remove(row: Int32, key: Double?) {
        guard let key else { return }
        let p = slot(key: key, row: row)
        if p < rows.count, rows[p] == row {
            keys.remove(at: p)
            rows.remove(at: p)
        }
    }
}
