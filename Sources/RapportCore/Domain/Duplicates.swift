import Foundation

/// A whole text column of every live record, dictionary-encoded as the store keeps it:
/// `codes[row]` indexes `values`, and code 0 is null (`values[0]` is unused). Rules that
/// normalise text run once per distinct value, then look one code up per row.
public struct TextColumn: Sendable, Equatable {
    public var values: [String]
    public var codes: [UInt32]

    public init(values: [String], codes: [UInt32]) {
        self.values = values
        self.codes = codes
    }

    /// A column from plain values (nil: null), for backends that keep no dictionary.
    public init(_ plain: [String?]) {
        var values = [""], codes: [UInt32] = []
        var code: [String: UInt32] = [:]
        codes.reserveCapacity(plain.count)
        for v in plain {
            guard let v else { codes.append(0); continue }
            if let c = code[v] { codes.append(c); continue }
            let c = UInt32(values.count)
            values.append(v)
            code[v] = c
            codes.append(c)
        }
        self.init(values: values, codes: codes)
    }

    public var count: Int { codes.count }

    public subscript(row: Int) -> String? {
        let c = codes[row]
        return c == 0 ? nil : values[Int(c)]
    }
}

/// What makes two customers look like one person (`find duplicates`, docs/data-quality.md).
public enum DuplicateKind: String, Sendable, CaseIterable {
    case phone, email, name
}

/// One group of customers that look like one person: the rows (positions in the columns
/// given to `Duplicates.groups`) in id order, and why (one reason per kind that joins
/// exactly these rows).
public struct DuplicateGroup: Sendable, Equatable {
    public var reasons: [String]
    public var rows: [Int]

    public var reason: String { reasons.joined(separator: ", ") }
}

/// The rules of duplicate detection, pure functions over whole columns: no pairwise loop,
/// so a million customers take a few hash passes.
///
/// - Phones are the same when their `ContactKeys.phone` forms are; emails likewise.
/// - Names are compared within one city (also compared in a normal form) by `nameKey`:
///   NFKC, case-folded, whitespace, punctuation and invisible format characters removed,
///   and for Latin names the order of the words ignored ("Fang Wang" = "wang fang").
///   Equal keys match. A Latin key of at least `typoMinimumLetters` letters also matches
///   one a single edit away (a letter added, dropped, replaced, or two neighbours swapped),
///   found through an index of each key's one-letter deletions within the city. Chinese
///   names get no such allowance: 王芳 and 王方 are usually two people.
/// - Matches are transitive: a group holds everyone linked by a chain of matches.
public enum Duplicates {
    /// The shortest Latin name key that may match with one typo: shorter names differ by
    /// one letter too often between real people (Li Na, Li Ma).
    public static let typoMinimumLetters = 6

    /// A name's normal form, and whether it is written in Latin letters only; nil when
    /// nothing is left.
    public struct NameKey: Hashable, Sendable {
        public var text: String
        public var isLatin: Bool
    }

    public static func nameKey(_ name: String) -> NameKey? {
        let folded = name.precomposedStringWithCompatibilityMapping.lowercased()
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var isLatin = true
        for scalar in folded.unicodeScalars {
            let properties = scalar.properties
            // Commas separate words too ("Wang,Fang"); other punctuation joins (O'Brien = OBrien).
            if properties.isWhitespace || scalar == "," {
                if !word.isEmpty { words.append(String(word)); word = String.UnicodeScalarView() }
                continue
            }
            switch properties.generalCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                 .initialPunctuation, .finalPunctuation, .otherPunctuation, .format, .control:
                continue
            default:
                if !isLatinLetter(scalar) { isLatin = false }
                word.append(scalar)
            }
        }
        if !word.isEmpty { words.append(String(word)) }
        guard !words.isEmpty else { return nil }
        if isLatin { words.sort() }
        return NameKey(text: words.joined(), isLatin: isLatin)
    }

    private static func isLatinLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x61...0x7A, 0x41...0x5A, 0xC0...0x24F, 0x1E00...0x1EFF: return s.properties.isAlphabetic
        default: return false
        }
    }

    /// A city's comparable form: NFKC, case-folded, trimmed; nil when empty.
    public static func cityKey(_ city: String) -> String? {
        let key = city.precomposedStringWithCompatibilityMapping.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
        return key.isEmpty ? nil : key
    }

    /// Whether two keys are at most one edit apart: a letter inserted, deleted or replaced,
    /// or two neighbouring letters swapped.
    public static func withinOneEdit(_ a: String, _ b: String) -> Bool {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x == y { return true }
        if abs(x.count - y.count) > 1 { return false }
        var i = 0
        while i < min(x.count, y.count), x[i] == y[i] { i += 1 }
        if x.count == y.count {
            if x[(i + 1)...] == y[(i + 1)...] { return true }
            return i + 1 < x.count && x[i] == y[i + 1] && x[i + 1] == y[i] && x[(i + 2)...] == y[(i + 2)...]
        }
        let (long, short) = x.count > y.count ? (x, y) : (y, x)
        return long[(i + 1)...] == short[i...]
    }

    /// The key and every form of it with one letter dropped: two keys within one edit share one.
    static func deletionNeighbourhood(_ key: String) -> Set<String> {
        let scalars = Array(key.unicodeScalars)
        var out: Set<String> = [key]
        for i in scalars.indices {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: scalars[..<i])
            v.append(contentsOf: scalars[(i + 1)...])
            out.insert(String(v))
        }
        return out
    }

    /// The groups among customers given as columns of equal length, biggest first, then
    /// by first id (code-point order). A group found by several kinds is listed once with
    /// each reason; `kinds` picks which rules run.
    public static func groups(ids: TextColumn, names: TextColumn, phones: TextColumn, emails: TextColumn, cities: TextColumn,
                              kinds: Set<DuplicateKind> = Set(DuplicateKind.allCases)) -> [DuplicateGroup] {
        var found: [DuplicateGroup] = []
        var byMembers: [[Int]: Int] = [:]
        func add(_ rows: [Int], _ reason: String) {
            let sorted = rows.sorted { ids[$0]!.utf8.lexicographicallyPrecedes(ids[$1]!.utf8) }
            if let i = byMembers[sorted] {
                if !found[i].reasons.contains(reason) { found[i].reasons.append(reason) }
                return
            }
            byMembers[sorted] = found.count
            found.append(DuplicateGroup(reasons: [reason], rows: sorted))
        }
        if kinds.contains(.phone) {
            for rows in sameKey(phones, ContactKeys.phone) { add(rows, "same phone") }
        }
        if kinds.contains(.email) {
            for rows in sameKey(emails, ContactKeys.email) { add(rows, "same email") }
        }
        if kinds.contains(.name) {
            for rows in similarNames(names, cities) { add(rows, "similar name in \(cities[rows[0]]!)") }
        }
        return found.sorted { a, b in
            if a.rows.count != b.rows.count { return a.rows.count > b.rows.count }
            return ids[a.rows[0]]!.utf8.lexicographicallyPrecedes(ids[b.rows[0]]!.utf8)
        }
    }

    /// Each code's key id (-1: no key), and how many keys there are: the rule runs once per
    /// distinct stored value.
    private static func keyIDs<K: Hashable>(_ column: TextColumn, _ key: (String) -> K?) -> (ids: [Int32], keys: [K]) {
        var ids = [Int32](repeating: -1, count: column.values.count)
        var keys: [K] = []
        var idOf: [K: Int32] = [:]
        for code in 1..<max(column.values.count, 1) {
            guard let k = key(column.values[code]) else { continue }
            if let id = idOf[k] { ids[code] = id; continue }
            let id = Int32(keys.count)
            keys.append(k)
            idOf[k] = id
            ids[code] = id
        }
        return (ids, keys)
    }

    /// The rows of every key that two or more rows share.
    private static func sameKey(_ column: TextColumn, _ key: (String) -> String?) -> [[Int]] {
        let (keyOfCode, keys) = keyIDs(column, key)
        return rowsByKey(column.count, keys.count) { keyOfCode[Int(column.codes[$0])] }.filter { $0.count > 1 }
    }

    /// The rows of each key id (`keyOf` a row: -1 for none), by a counting pass: no
    /// dictionary per row.
    private static func rowsByKey(_ rowCount: Int, _ keyCount: Int, _ keyOf: (Int) -> Int32) -> [[Int]] {
        var counts = [Int32](repeating: 0, count: keyCount)
        for r in 0..<rowCount { let k = keyOf(r); if k >= 0 { counts[Int(k)] += 1 } }
        var out = [[Int]](repeating: [], count: keyCount)
        for k in 0..<keyCount where counts[k] > 1 { out[k].reserveCapacity(Int(counts[k])) }
        for r in 0..<rowCount {
            let k = keyOf(r)
            if k >= 0, counts[Int(k)] > 1 { out[Int(k)].append(r) }
        }
        return out
    }

    /// Rows whose names match within one city (exactly in normal form, or by one typo for
    /// long Latin names), joined transitively.
    private static func similarNames(_ names: TextColumn, _ cities: TextColumn) -> [[Int]] {
        let (nameOfCode, nameKeys) = keyIDs(names, nameKey)
        let (cityOfCode, _) = keyIDs(cities, cityKey)
        // Each distinct (city, name key) a "pair"; rows grouped by pair.
        var pairOf: [Int64: Int32] = [:]
        var pairs: [(city: Int32, name: Int32)] = []
        var pairOfRow = [Int32](repeating: -1, count: names.count)
        for r in 0..<names.count {
            let n = nameOfCode[Int(names.codes[r])], c = cityOfCode[Int(cities.codes[r])]
            guard n >= 0, c >= 0 else { continue }
            let packed = Int64(c) << 32 | Int64(n)
            if let p = pairOf[packed] { pairOfRow[r] = p; continue }
            let p = Int32(pairs.count)
            pairs.append((c, n))
            pairOf[packed] = p
            pairOfRow[r] = p
        }
        // Union-find over pairs: one typo links two pairs of a city.
        var parent = Array(Int32(0)..<Int32(pairs.count))
        func root(_ p: Int32) -> Int32 {
            var p = p
            while parent[Int(p)] != p { parent[Int(p)] = parent[Int(parent[Int(p)])]; p = parent[Int(p)] }
            return p
        }
        struct Neighbour: Hashable { var city: Int32; var text: String }
        var index: [Neighbour: [Int32]] = [:]
        for (p, pair) in pairs.enumerated() {
            let key = nameKeys[Int(pair.name)]
            guard key.isLatin, key.text.unicodeScalars.count >= typoMinimumLetters else { continue }
            for variant in deletionNeighbourhood(key.text) {
                index[Neighbour(city: pair.city, text: variant), default: []].append(Int32(p))
            }
        }
        for bucket in index.values where bucket.count > 1 {
            for i in bucket.indices {
                for j in bucket.indices where j > i {
                    let a = root(bucket[i]), b = root(bucket[j])
                    guard a != b, withinOneEdit(nameKeys[Int(pairs[Int(bucket[i])].name)].text,
                                                nameKeys[Int(pairs[Int(bucket[j])].name)].text) else { continue }
                    parent[Int(max(a, b))] = min(a, b)
                }
            }
        }
        var rootOfPair = [Int32](repeating: -1, count: pairs.count)
        for p in pairs.indices { rootOfPair[p] = root(Int32(p)) }
        return rowsByKey(names.count, pairs.count) { r in
            let p = pairOfRow[r]
            return p < 0 ? -1 : rootOfPair[Int(p)]
        }.filter { $0.count > 1 }
    }
}
