import Foundation

/// `contains`, `starts with` and `ends with` over a string column's distinct values,
/// ignoring case: `value.lowercased()` against `needle.lowercased()`, as the language
/// defines them (docs/query-language.md).
///
/// Most values (names, cities, ids) hold only printable ASCII and CJK ideographs
/// (U+4E00 to U+9FFF). For those, and a needle of the same kind, no case mapping beyond
/// A-Z and no canonical equivalence can make the answer differ from a byte search with
/// A-Z folded, so that search runs on the dictionary's arena in place, on two cores when
/// there are many values. Any other value (accents, Kelvin sign, combining marks) goes
/// through `String`'s own tests, as before; so does every value when the needle is not
/// of that kind.
enum TextMatch {
    /// Whether each code's value passes (false for null, code 0, even when negated).
    static func mask(_ dictionary: StringDictionary, _ op: TextOperator, _ needle: String, negated: Bool) -> [Bool] {
        let folded = needle.lowercased()
        let general: @Sendable (String) -> Bool = { value in
            let v = value.lowercased()
            switch op {
            case .contains: return (folded.isEmpty || v.contains(folded)) != negated
            case .startsWith: return v.hasPrefix(folded) != negated
            case .endsWith: return v.hasSuffix(folded) != negated
            }
        }
        let pattern = Array(folded.utf8)
        guard isPlain(pattern) else { return dictionary.mask(general) }
        return dictionary.mask(utf8InParallel: { bytes in
            guard isPlain(bytes) else { return general(String(decoding: bytes, as: UTF8.self)) }
            return matches(bytes, op, pattern) != negated
        })
    }

    /// Whether every character is printable ASCII or a CJK ideograph of U+4E00 to
    /// U+9FFF (`DisplayWidth.plainWidth`'s plain text).
    static func isPlain<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8, C.Index == Int {
        DisplayWidth.plainWidth(utf8: bytes) != nil
    }

    /// The byte test for plain text: `pattern` (already lower case) against `value` with
    /// its A-Z folded. Every plain character starts on a byte that no other character's
    /// bytes contain at its offset, so a byte match is a character match.
    static func matches(_ value: UnsafeBufferPointer<UInt8>, _ op: TextOperator, _ pattern: [UInt8]) -> Bool {
        let m = pattern.count, n = value.count
        if m == 0 { return true }
        if m > n { return false }
        return pattern.withUnsafeBufferPointer { p in
            func at(_ start: Int) -> Bool {
                for k in 0..<m where fold(value[start + k]) != p[k] { return false }
                return true
            }
            switch op {
            case .startsWith: return at(0)
            case .endsWith: return at(n - m)
            case .contains:
                for start in 0...(n - m) where at(start) { return true }
                return false
            }
        }
    }

    @inline(__always)
    static func fold(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }
}
