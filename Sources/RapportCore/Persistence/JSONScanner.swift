/// A JSON document as a tree, for small documents: journal entries, imported rows.
public indirect enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.integer(let x), .integer(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}

/// Malformed JSON: where (byte offset, line, column) and what was expected.
public struct JSONSyntaxError: Error, CustomStringConvertible {
    public var offset: Int
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "\(message) at line \(line), column \(column)" }
}

/// A strict JSON reader over bytes (RFC 8259): no trailing commas, no leading zeros,
/// valid UTF-8, nesting at most 512 deep.
public struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    public private(set) var offset = 0
    /// How deep the reader is in objects and arrays (a caller reading an object's members
    /// itself sets it, so nesting is limited as `readValue` limits it).
    var depth = 0
    /// Set when the caller has checked that all the bytes are UTF-8 (`isValidUTF8`): strings
    /// are then made without checking each one again.
    var utf8IsValidated = false
    public static let maximumDepth = 512

    public init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Runs `body` with a scanner over `bytes`.
    public static func withScanner<R>(_ bytes: [UInt8], _ body: (inout JSONScanner) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(bytes: buffer)
            return try body(&scanner)
        }
    }

    public var isAtEnd: Bool {
        mutating get { skipWhitespace(); return offset >= bytes.count }
    }

    public mutating func skipWhitespace() {
        while offset < bytes.count {
            let b = bytes[offset]
            guard b == 32 || b == 10 || b == 13 || b == 9 else { return }
            offset += 1
        }
    }

    func error(_ message: String, at position: Int? = nil) -> JSONSyntaxError {
        let p = min(position ?? offset, bytes.count)
        var line = 1, lineStart = 0
        for i in 0..<p where bytes[i] == 10 { line += 1; lineStart = i + 1 }
        let column = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<p]), as: UTF8.self).count + 1
        return JSONSyntaxError(offset: p, line: line, column: column, message: message)
    }

    public mutating func readValue() throws -> JSONValue {
        skipWhitespace()
        guard offset < bytes.count else { throw error("unexpected end of input") }
        switch bytes[offset] {
        case UInt8(ascii: "{"):
            depth += 1
            defer { depth -= 1 }
            guard depth <= JSONScanner.maximumDepth else { throw error("nested too deeply") }
            offset += 1
            var members: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") { offset += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("expected a key in quotes") }
                let key = try readString()
                skipWhitespace()
                guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw error("expected ':'") }
                offset += 1
                members.append((key, try readValue()))
                skipWhitespace()
                guard offset < bytes.count else { throw error("expected ',' or '}'") }
                if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                if bytes[offset] == UInt8(ascii: "}") { offset += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            depth += 1
            defer { depth -= 1 }
            guard depth <= JSONScanner.maximumDepth else { throw error("nested too deeply") }
            offset += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") { offset += 1; return .array(items) }
            while true {
                items.append(try readValue())
                skipWhitespace()
                guard offset < bytes.count else { throw error("expected ',' or ']'") }
                if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
                if bytes[offset] == UInt8(ascii: "]") { offset += 1; return .array(items) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try readNumber()
        }
    }

    mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard offset + n <= bytes.count else { throw error("unexpected end of input") }
        for i in 0..<n where bytes[offset + i] != word.utf8Start[i] { throw error("unexpected character") }
        offset += n
    }

    public mutating func readString() throws -> String {
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw error("expected a string") }
        offset += 1
        let start = offset
        var out: [UInt8]?
        var runStart = start
        while true {
            // Plain text is stepped over eight bytes at a time, to the next byte that ends
            // it or needs a look (a quote, a backslash, a control character).
            offset = JSONScanner.stringStop(bytes, from: offset)
            guard offset < bytes.count else { break }
            let b = bytes[offset]
            if b == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<offset])
                offset += 1
                if var o = out {
                    o.append(contentsOf: run)
                    if utf8IsValidated { return String(decoding: o, as: UTF8.self) }
                    guard let s = String(validating: o, as: UTF8.self) else { throw error("invalid UTF-8 in a string", at: start) }
                    return s
                }
                if utf8IsValidated { return String(decoding: run, as: UTF8.self) }
                guard let s = String(validating: run, as: UTF8.self) else { throw error("invalid UTF-8 in a string", at: start) }
                return s
            }
            if b < 0x20 { throw error("control character in a string") }
            if b == UInt8(ascii: "\\") {
                if out == nil { out = [] }
                out!.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<offset]))
                offset += 1
                guard offset < bytes.count else { break }
                let e = bytes[offset]
                offset += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out!.append(e)
                case UInt8(ascii: "n"): out!.append(10)
                case UInt8(ascii: "t"): out!.append(9)
                case UInt8(ascii: "r"): out!.append(13)
                case UInt8(ascii: "b"): out!.append(8)
                case UInt8(ascii: "f"): out!.append(12)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                            throw error("lone surrogate in a string")
                        }
                        offset += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("lone surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("lone surrogate in a string") }
                    out!.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw error("bad escape in a string")
                }
                runStart = offset
                continue
            }
        }
        throw error("unterminated string", at: start - 1)
    }

    private mutating func hex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error("bad \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw error("bad \\u escape")
            }
            v = v << 4 | d
            offset += 1
        }
        return v
    }

    /// A number as `readValue` reads it, without the tree's boxing: a whole number that fits
    /// `Int64` is an integer, anything else a finite double.
    enum Number { case integer(Int64), double(Double) }

    public mutating func readNumber() throws -> JSONValue {
        switch try readScalarNumber() {
        case .integer(let i): return .integer(i)
        case .double(let d): return .double(d)
        }
    }

    mutating func readScalarNumber() throws -> Number {
        let start = offset
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        let intStart = offset
        while offset < bytes.count, (48...57).contains(bytes[offset]) { offset += 1 }
        let intDigits = offset - intStart
        guard intDigits > 0 else { throw error(offset < bytes.count ? "unexpected character" : "unexpected end of input", at: start) }
        if intDigits > 1, bytes[intStart] == 48 { throw error("leading zero in a number", at: start) }
        var isInteger = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            let f = offset
            while offset < bytes.count, (48...57).contains(bytes[offset]) { offset += 1 }
            guard offset > f else { throw error("digits expected after '.'") }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            isInteger = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            let e = offset
            while offset < bytes.count, (48...57).contains(bytes[offset]) { offset += 1 }
            guard offset > e else { throw error("digits expected in the exponent") }
        }
        // Up to 18 digits always fit: summed here instead of through a `String`.
        if isInteger, intDigits <= 18 {
            var n: Int64 = 0
            for i in intStart..<offset { n = n * 10 + Int64(bytes[i] - 48) }
            return .integer(intStart > start ? -n : n)
        }
        if !isInteger, let d = JSONScanner.shortDecimal(UnsafeBufferPointer(rebasing: bytes[start..<offset])) { return .double(d) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        if isInteger, let i = Int64(text) { return .integer(i) }
        guard let d = Double(text), d.isFinite else { throw error("number out of range", at: start) }
        return .double(d)
    }

    /// `-?DIGITS(.DIGITS)?` with at most 15 digits in all, as a `Double` without a `String`
    /// or `strtod`; nil for anything else (the caller then parses it as before). The digits
    /// make an integer below 2^53 and 10^k (k ≤ 15) is exact, so the one division rounds
    /// correctly: the same `Double` as `strtod`, -0 included.
    static func shortDecimal(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0, fractionDigits = 0
        var seenPoint = false
        while i < text.count {
            let c = text[i]
            if c &- 48 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(c &- 48)
                digits += 1
                if seenPoint { fractionDigits += 1 }
            } else if c == UInt8(ascii: "."), !seenPoint, digits > 0 {
                seenPoint = true
            } else {
                return nil
            }
            i += 1
        }
        guard digits > 0, digits <= 15, !seenPoint || fractionDigits > 0 else { return nil }
        let value = Double(mantissa) / exactPowersOfTen[fractionDigits]
        return negative ? -value : value
    }

    private static let exactPowersOfTen: [Double] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]

    /// The next byte, nil at the end.
    var currentByte: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    /// Steps over `byte` when it is next (after white space).
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    /// The bytes of the string at the reader when it has no escape and no control
    /// character, the reader then past it; otherwise nil and the reader unmoved (`readString`
    /// decodes it or says what is wrong).
    mutating func plainStringBytes() -> UnsafeBufferPointer<UInt8>? {
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { return nil }
        let end = JSONScanner.stringStop(bytes, from: offset + 1)
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
        let run = UnsafeBufferPointer(rebasing: bytes[(offset + 1)..<end])
        offset = end + 1
        return run
    }

    /// The first position from `start` holding a quote, a backslash or a byte below 0x20
    /// (the bytes a string's scan must stop at), `bytes.count` if none; eight bytes at a
    /// time (SWAR). In each word the lowest flagged byte is exact (a borrow only flags
    /// bytes after a true match), and the lowest is the one taken.
    @inline(__always)
    static func stringStop(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let n = bytes.count
        var i = start
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        while i + 8 <= n {
            let word = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
            let flagged = ((quote &- ones) & ~quote | (backslash &- ones) & ~backslash | (word &- ones &* 0x20) & ~word) & high
            if flagged != 0 { return i + flagged.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n {
            let b = base[i]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 { return i }
            i += 1
        }
        return n
    }

    /// Whether `bytes` are well-formed UTF-8 (the same answer as `String(validating:)`),
    /// eight ASCII bytes at a time.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let n = bytes.count
        var i = 0
        while i < n {
            if i + 8 <= n, UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let c = base[i]
            if c < 0x80 { i += 1; continue }
            func continuation(_ k: Int) -> Bool { i + k < n && base[i + k] & 0xC0 == 0x80 }
            switch c {
            case 0xC2...0xDF:
                guard continuation(1) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard continuation(1), continuation(2) else { return false }
                let c1 = base[i + 1]
                if c == 0xE0, c1 < 0xA0 { return false } // overlong
                if c == 0xED, c1 >= 0xA0 { return false } // a surrogate
                i += 3
            case 0xF0...0xF4:
                guard continuation(1), continuation(2), continuation(3) else { return false }
                let c1 = base[i + 1]
                if c == 0xF0, c1 < 0x90 { return false } // overlong
                if c == 0xF4, c1 >= 0x90 { return false } // beyond U+10FFFF
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
