import Foundation

/// Interned strings: each distinct string gets a code, 1 and up; 0 stands for null.
/// An open-addressing table over the UTF-8 bytes finds a string's code without
/// building a `String`, so a loader can intern straight from file bytes. Also answers
/// case-insensitive lookups and code-point ranks for ordering.
public final class StringDictionary {
    public private(set) var strings: [String] = [""]
    private var hashes: [UInt64] = [0]
    /// Open addressing; each slot holds a code in its low 32 bits and the top 32 bits
    /// of that string's hash above, so most probes never touch the strings. 0 is empty.
    private var slots = [UInt64](repeating: 0, count: 16)
    private var folded: [String: [UInt32]] = [:]
    private var foldedThrough = 1
    private var cachedRanks: [UInt32]?

    public init() {}

    public var count: Int { strings.count - 1 }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// The code of the string with these UTF-8 bytes, if interned.
    public func code(utf8 bytes: UnsafeRawBufferPointer) -> UInt32? {
        let h = StringDictionary.hash(bytes)
        let tag = h & 0xFFFF_FFFF_0000_0000
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { slots in
            while true {
                let slot = slots[i]
                if slot == 0 { return nil }
                if slot & 0xFFFF_FFFF_0000_0000 == tag {
                    let c = UInt32(truncatingIfNeeded: slot)
                    if StringDictionary.equal(strings[Int(c)], bytes) { return c }
                }
                i = (i + 1) & mask
            }
        }
    }

    private static func equal(_ s: String, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var s = s
        return s.withUTF8 { u in u.count == bytes.count && (u.count == 0 || memcmp(u.baseAddress!, bytes.baseAddress!, u.count) == 0) }
    }

    /// The code of the string with these UTF-8 bytes (valid UTF-8), adding it when new.
    public func intern(utf8 bytes: UnsafeRawBufferPointer) -> UInt32 {
        if let c = code(utf8: bytes) { return c }
        return add(String(decoding: bytes, as: UTF8.self), hash: StringDictionary.hash(bytes))
    }

    /// The code of `s`, adding it when new.
    public func intern(_ s: String) -> UInt32 {
        var bytes = s
        let (found, h) = bytes.withUTF8 { u -> (UInt32?, UInt64) in
            let raw = UnsafeRawBufferPointer(u)
            return (code(utf8: raw), StringDictionary.hash(raw))
        }
        return found ?? add(s, hash: h)
    }

    private func add(_ s: String, hash h: UInt64) -> UInt32 {
        let c = UInt32(strings.count)
        strings.append(s)
        hashes.append(h)
        if strings.count * 2 > slots.count { grow() } else { place(c, h) }
        cachedRanks = nil
        return c
    }

    private func place(_ c: UInt32, _ h: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(c)
    }

    private func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        for c in 1..<strings.count { place(UInt32(c), hashes[c]) }
    }

    public func code(of s: String) -> UInt32? {
        var s = s
        return s.withUTF8 { code(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// The codes of every string equal to `s` when case is ignored.
    public func codes(ignoringCase s: String) -> [UInt32] {
        while foldedThrough < strings.count {
            folded[strings[foldedThrough].lowercased(), default: []].append(UInt32(foldedThrough))
            foldedThrough += 1
        }
        return folded[s.lowercased()] ?? []
    }

    /// Each code's position in code-point order of the strings (rank 0 for null).
    public var ranks: [UInt32] {
        if let r = cachedRanks { return r }
        let order = (1..<max(strings.count, 1)).sorted { strings[$0].utf8.lexicographicallyPrecedes(strings[$1].utf8) }
        var r = [UInt32](repeating: 0, count: strings.count)
        for (i, code) in order.enumerated() { r[code] = UInt32(i + 1) }
        cachedRanks = r
        return r
    }

    /// A table over all codes of whether the string passes `test` (false for null).
    public func mask(_ test: (String) -> Bool) -> [Bool] {
        var m = [Bool](repeating: false, count: strings.count)
        for c in 1..<max(strings.count, 1) where test(strings[c]) { m[c] = true }
        return m
    }
}

public enum NullSentinel {
    public static let integer = Int64.min
    public static let date = Int32.min
    public static let instant = Int64.min
    public static let boolean: Int8 = -1
    /// Numbers use NaN for null; no real value is NaN.
    public static func isNull(_ d: Double) -> Bool { d.isNaN }
}

/// Interned lists: code 0 is the empty list. Items are interned in a `StringDictionary`.
public final class ListDictionary {
    public private(set) var lists: [[UInt32]] = [[]]
    private var codes: [[UInt32]: UInt32] = [[]: 0]
    public let items = StringDictionary()

    public init() {}

    public func intern(_ list: [String]) -> UInt32 {
        intern(codes: list.map { items.intern($0) })
    }

    /// The code of a list given by its items' codes in `items`.
    public func intern(codes itemCodes: [UInt32]) -> UInt32 {
        if itemCodes.isEmpty { return 0 }
        if let c = codes[itemCodes] { return c }
        let c = UInt32(lists.count)
        lists.append(itemCodes)
        codes[itemCodes] = c
        return c
    }

    public func strings(_ code: UInt32) -> [String] { lists[Int(code)].map { items.strings[Int($0)] } }
}

/// The values of one field for every row, in a typed array. Nulls are sentinels
/// (see `NullSentinel`), so a column is one flat array the evaluator can scan.
public final class TypedColumn<Element> {
    public var values: [Element]
    init(_ values: [Element]) { self.values = values }
}

/// A string column: codes into a dictionary, 0 for null.
public final class StringColumn {
    public var codes: [UInt32]
    public let dictionary: StringDictionary
    init(count: Int) { codes = [UInt32](repeating: 0, count: count); dictionary = StringDictionary() }
}

/// A list column: codes into interned lists, 0 for the empty list (null).
public final class ListColumn {
    public var codes: [UInt32]
    public let lists: ListDictionary
    init(count: Int) { codes = [UInt32](repeating: 0, count: count); lists = ListDictionary() }
}

/// The values of one field for every row, stored by type.
public enum Column {
    case string(StringColumn)
    case list(ListColumn)
    case integer(TypedColumn<Int64>)
    case number(TypedColumn<Double>)
    case date(TypedColumn<Int32>)
    case instant(TypedColumn<Int64>)
    case boolean(TypedColumn<Int8>)

    static func empty(_ type: FieldType, count: Int = 0) -> Column {
        switch type {
        case .string: return .string(StringColumn(count: count))
        case .list: return .list(ListColumn(count: count))
        case .integer: return .integer(TypedColumn([Int64](repeating: NullSentinel.integer, count: count)))
        case .number: return .number(TypedColumn([Double](repeating: .nan, count: count)))
        case .date: return .date(TypedColumn([Int32](repeating: NullSentinel.date, count: count)))
        case .instant: return .instant(TypedColumn([Int64](repeating: NullSentinel.instant, count: count)))
        case .boolean: return .boolean(TypedColumn([Int8](repeating: NullSentinel.boolean, count: count)))
        }
    }

    public var type: FieldType {
        switch self {
        case .string: return .string
        case .list: return .list
        case .integer: return .integer
        case .number: return .number
        case .date: return .date
        case .instant: return .instant
        case .boolean: return .boolean
        }
    }

    public func value(at row: Int) -> Value {
        switch self {
        case .string(let c):
            let code = c.codes[row]
            return code == 0 ? .null : .string(c.dictionary.strings[Int(code)])
        case .list(let c):
            let code = c.codes[row]
            return code == 0 ? .null : .list(c.lists.strings(code))
        case .integer(let c): let v = c.values[row]; return v == NullSentinel.integer ? .null : .integer(v)
        case .number(let c): let v = c.values[row]; return v.isNaN ? .null : .number(v)
        case .date(let c): let v = c.values[row]; return v == NullSentinel.date ? .null : .date(Day(daysSinceEpoch: v))
        case .instant(let c): let v = c.values[row]; return v == NullSentinel.instant ? .null : .instant(v)
        case .boolean(let c): let v = c.values[row]; return v < 0 ? .null : .boolean(v != 0)
        }
    }

    public func isNull(at row: Int) -> Bool {
        switch self {
        case .string(let c): return c.codes[row] == 0
        case .list(let c): return c.codes[row] == 0
        case .integer(let c): return c.values[row] == NullSentinel.integer
        case .number(let c): return c.values[row].isNaN
        case .date(let c): return c.values[row] == NullSentinel.date
        case .instant(let c): return c.values[row] == NullSentinel.instant
        case .boolean(let c): return c.values[row] < 0
        }
    }

    /// Appends a value already converted to the column's type; anything else is null.
    func append(_ value: Value) {
        switch self {
        case .string(let c): c.codes.append(Column.stringCode(value, c.dictionary))
        case .list(let c): c.codes.append(Column.listCode(value, c.lists))
        case .integer(let c): c.values.append(Column.integer(value))
        case .number(let c): c.values.append(value.doubleValue ?? .nan)
        case .date(let c): c.values.append(Column.date(value))
        case .instant(let c): c.values.append(Column.instant(value))
        case .boolean(let c): c.values.append(Column.boolean(value))
        }
    }

    func set(_ value: Value, at row: Int) {
        switch self {
        case .string(let c): c.codes[row] = Column.stringCode(value, c.dictionary)
        case .list(let c): c.codes[row] = Column.listCode(value, c.lists)
        case .integer(let c): c.values[row] = Column.integer(value)
        case .number(let c): c.values[row] = value.doubleValue ?? .nan
        case .date(let c): c.values[row] = Column.date(value)
        case .instant(let c): c.values[row] = Column.instant(value)
        case .boolean(let c): c.values[row] = Column.boolean(value)
        }
    }

    func reserve(_ n: Int) {
        switch self {
        case .string(let c): c.codes.reserveCapacity(n)
        case .list(let c): c.codes.reserveCapacity(n)
        case .integer(let c): c.values.reserveCapacity(n)
        case .number(let c): c.values.reserveCapacity(n)
        case .date(let c): c.values.reserveCapacity(n)
        case .instant(let c): c.values.reserveCapacity(n)
        case .boolean(let c): c.values.reserveCapacity(n)
        }
    }

    private static func stringCode(_ v: Value, _ d: StringDictionary) -> UInt32 {
        if case .string(let s) = v { return d.intern(s) }
        return 0
    }
    private static func listCode(_ v: Value, _ l: ListDictionary) -> UInt32 {
        if case .list(let items) = v { return l.intern(items) }
        return 0
    }
    private static func integer(_ v: Value) -> Int64 {
        if case .integer(let i) = v { return i }
        return NullSentinel.integer
    }
    private static func date(_ v: Value) -> Int32 {
        if case .date(let d) = v { return d.daysSinceEpoch }
        return NullSentinel.date
    }
    private static func instant(_ v: Value) -> Int64 {
        if case .instant(let t) = v { return t }
        return NullSentinel.instant
    }
    private static func boolean(_ v: Value) -> Int8 {
        if case .boolean(let b) = v { return b ? 1 : 0 }
        return NullSentinel.boolean
    }
}
