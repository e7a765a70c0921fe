/// Interned strings: each distinct string gets a code, 1 and up; 0 stands for null.
/// Also answers case-insensitive lookups and code-point ranks for ordering.
public final class StringDictionary {
    public private(set) var strings: [String] = [""]
    private var codes: [String: UInt32] = [:]
    private var folded: [String: [UInt32]] = [:]
    private var cachedRanks: [UInt32]?

    public init() {}

    public var count: Int { strings.count - 1 }

    /// The code of `s`, adding it when new.
    public func intern(_ s: String) -> UInt32 {
        if let c = codes[s] { return c }
        let c = UInt32(strings.count)
        strings.append(s)
        codes[s] = c
        folded[s.lowercased(), default: []].append(c)
        cachedRanks = nil
        return c
    }

    public func code(of s: String) -> UInt32? { codes[s] }

    /// The codes of every string equal to `s` when case is ignored.
    public func codes(ignoringCase s: String) -> [UInt32] { folded[s.lowercased()] ?? [] }

    /// Each code's position in code-point order of the strings (rank 0 for null).
    public var ranks: [UInt32] {
        if let r = cachedRanks { return r }
        let order = (1..<strings.count).sorted { strings[$0].utf8.lexicographicallyPrecedes(strings[$1].utf8) }
        var r = [UInt32](repeating: 0, count: strings.count)
        for (i, code) in order.enumerated() { r[code] = UInt32(i + 1) }
        cachedRanks = r
        return r
    }

    /// A table over all codes of whether the string passes `test` (false for null).
    public func mask(_ test: (String) -> Bool) -> [Bool] {
        var m = [Bool](repeating: false, count: strings.count)
        for c in 1..<strings.count where test(strings[c]) { m[c] = true }
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
        if list.isEmpty { return 0 }
        let itemCodes = list.map { items.intern($0) }
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
