/// The completion samples of `InMemoryBackend`: a column's distinct live values and
/// live ids by prefix, read from the dictionary-encoded columns.
extension Table {
    /// The distinct values some live row holds, or nil when the column has more than
    /// `limit` (or is not a string or list column). Reads the column's
    /// dictionary, then scans rows only until every value has been seen, so a column
    /// with no dead values costs a few hundred rows at most.
    func distinctLiveValues(position: Int, limit maxDistinctValues: Int) -> [String]? {
        let live = isLive
        switch columns[position] {
        case .string(let column):
            let dictionary = column.dictionary
            let total = dictionary.count
            guard total <= maxDistinctValues else { return nil }
            let seen = Table.codesInUse(column.codes, live: live, codeCount: total + 1)
            return (1..<(total + 1)).filter { seen[$0] }.map { dictionary.strings[$0] }
        case .list(let column):
            let items = column.lists.items
            guard items.count <= maxDistinctValues else { return nil }
            let lists = column.lists.lists
            // Past this many distinct combinations, offer every item without checking.
            guard lists.count <= 100_000 else { return Array(items.strings.dropFirst()) }
            let seenLists = Table.codesInUse(ColumnStorage(column.codes), live: live, codeCount: lists.count)
            var seenItems = [Bool](repeating: false, count: items.strings.count)
            for (code, used) in seenLists.enumerated() where used {
                for item in lists[code] { seenItems[Int(item)] = true }
            }
            return (1..<max(items.strings.count, 1)).filter { seenItems[$0] }.map { items.strings[$0] }
        default:
            return nil
        }
    }

    /// Which non-zero codes appear on a live row; stops once all have appeared.
    private static func codesInUse(_ codes: ColumnStorage<UInt32>, live: [Bool], codeCount: Int) -> [Bool] {
        var seen = [Bool](repeating: false, count: codeCount)
        var missing = codeCount - 1
        guard missing > 0 else { return seen }
        codes.withUnsafeBufferPointer { codes in
            live.withUnsafeBufferPointer { live in
                for row in 0..<min(codes.count, live.count) where live[row] {
                    let c = Int(codes[row])
                    if c != 0, c < codeCount, !seen[c] {
                        seen[c] = true
                        missing -= 1
                        if missing == 0 { return }
                    }
                }
            }
        }
        return seen
    }

    /// Up to `cap` live ids starting with `prefix` (ASCII case ignored), in order. A big
    /// table whose rows are in id order is binary searched; others are scanned.
    func liveIDs(prefix: String, cap: Int) -> [String] {
        let rowCount = rowCount
        let live = isLive
        var found: [String] = []
        if rowsInIDOrder, rowCount > 50_000 {
            for variant in Set([prefix, prefix.uppercased(), prefix.lowercased()]) {
                let key = Array(variant.utf8)
                var lo = 0, hi = rowCount
                while lo < hi {
                    let mid = (lo + hi) >> 1
                    if id(ofRow: mid).utf8.lexicographicallyPrecedes(key) { lo = mid + 1 } else { hi = mid }
                }
                var taken = 0
                var row = lo
                while row < rowCount, taken < cap {
                    let id = id(ofRow: row)
                    guard id.utf8.starts(with: key) else { break }
                    if live[row] { found.append(id); taken += 1 }
                    row += 1
                }
            }
        } else {
            let key = prefix.utf8.map(Table.foldASCII)
            // Keeps the smallest `cap` matches: past the bound, only smaller ones enter.
            var bound: String?
            for row in 0..<rowCount where live[row] {
                let id = id(ofRow: row)
                guard Table.hasFoldedPrefix(id, key) else { continue }
                if let bound, !id.utf8.lexicographicallyPrecedes(bound.utf8) { continue }
                found.append(id)
                if found.count >= cap * 4 {
                    found.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                    found.removeLast(found.count - cap)
                    bound = found.last
                }
            }
        }
        found.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var unique: [String] = []
        for id in found where unique.last != id { unique.append(id) }
        return Array(unique.prefix(cap))
    }


    private static func foldASCII(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }

    private static func hasFoldedPrefix(_ s: String, _ key: [UInt8]) -> Bool {
        if key.isEmpty { return true }
        var i = 0
        for b in s.utf8 {
            if foldASCII(b) != key[i] { return false }
            i += 1
            if i == key.count { return true }
        }
        return false
    }
}
