/// How many terminal cells text takes: East Asian wide and fullwidth characters and
/// emoji take two, combining marks and other zero-width characters none, the rest one.
public enum DisplayWidth {
    /// Ranges of wide or fullwidth scalars besides emoji, sorted.
    private static let wide: [ClosedRange<UInt32>] = [
        0x1100...0x115F, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF,
        0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F,
        0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F,
        0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x16FE0...0x16FE4, 0x17000...0x18CFF,
        0x1B000...0x1B2FF, 0x1F200...0x1F265, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
    ]

    /// The cells of plain text, or nil when the bytes hold anything else. Plain is
    /// printable ASCII (one cell each) and CJK ideographs U+4E00 to U+9FFF (UTF-8 lead
    /// byte E4 with a second byte from B8, or E5 to E9; two cells each): each such
    /// character is a grapheme of its own and no control character, so tables take
    /// their width, and text search its bytes, without decoding characters.
    public static func plainWidth<C: Collection>(utf8 bytes: C) -> Int? where C.Element == UInt8, C.Index == Int {
        var i = bytes.startIndex, cells = 0
        let end = bytes.endIndex
        while i < end {
            let b = bytes[i]
            if b >= 0x20 && b <= 0x7E { i += 1; cells += 1; continue }
            guard end - i >= 3 else { return nil }
            guard b == 0xE4 ? bytes[i + 1] >= 0xB8 : (b >= 0xE5 && b <= 0xE9) else { return nil }
            i += 3
            cells += 2
        }
        return cells
    }

    /// The cells of text a table prints as it is, or nil: `plainWidth`'s plain text and
    /// also the letters of U+00A0 to U+02FF (Latin-1's and Latin Extended's: é, ñ, ß, ł;
    /// two bytes, lead C2 to CB, one cell each, no control among them). Realistic names
    /// (García, Müller) otherwise went the slow way of decoding characters. Not for text
    /// search: these letters fold case beyond ASCII.
    public static func tableWidth(utf8 bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0, cells = 0
        let end = bytes.count
        while i < end {
            let b = bytes[i]
            if b >= 0x20 && b <= 0x7E { i += 1; cells += 1; continue }
            if b >= 0xC2 && b <= 0xCB {
                // C2 80 to C2 9F are the C1 controls, which a table cleans.
                guard end - i >= 2, b != 0xC2 || bytes[i + 1] >= 0xA0 else { return nil }
                i += 2
                cells += 1
                continue
            }
            guard end - i >= 3 else { return nil }
            guard b == 0xE4 ? bytes[i + 1] >= 0xB8 : (b >= 0xE5 && b <= 0xE9) else { return nil }
            i += 3
            cells += 2
        }
        return cells
    }

    /// The same for a string (nil also where its bytes are not contiguous).
    public static func plainWidth(_ s: String) -> Int? {
        var s = s
        return s.withUTF8 { plainWidth(utf8: $0) }
    }

    /// The cells of a string, summed over its characters.
    public static func of(_ s: String) -> Int {
        var ascii = true
        for b in s.utf8 where b < 0x20 || b >= 0x7F {
            ascii = false
            break
        }
        if ascii { return s.utf8.count }
        var total = 0
        for c in s { total += of(c) }
        return total
    }

    /// The cells of one character (grapheme cluster).
    public static func of(_ c: Character) -> Int {
        let scalars = c.unicodeScalars
        var it = scalars.makeIterator()
        guard let first = it.next() else { return 0 }
        var w = of(first)
        guard let second = it.next() else { return w }
        if (0x1F1E6...0x1F1FF).contains(first.value) { return 2 }
        var emojiStyle = second.value == 0xFE0F
        w = max(w, of(second))
        while let s = it.next() {
            if s.value == 0xFE0F { emojiStyle = true }
            w = max(w, of(s))
        }
        return emojiStyle && w == 1 ? 2 : w
    }

    /// The cells of one Unicode scalar on its own.
    public static func of(_ scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x300 { return v < 0x20 || (0x7F..<0xA0).contains(v) ? 0 : 1 }
        if v < 0x1100 {
            return isZeroWidth(scalar) ? 0 : 1
        }
        if isZeroWidth(scalar) { return 0 }
        if isWide(v) || scalar.properties.isEmojiPresentation { return 2 }
        return 1
    }

    /// `s` padded with spaces to `width` cells, on the left when `alignRight`;
    /// unchanged when already as wide.
    public static func pad(_ s: String, to width: Int, alignRight: Bool) -> String {
        let missing = width - of(s)
        guard missing > 0 else { return s }
        let spaces = String(repeating: " ", count: missing)
        return alignRight ? spaces + s : s + spaces
    }

    private static func isWide(_ v: UInt32) -> Bool {
        var lo = 0, hi = wide.count - 1
        while lo <= hi {
            let mid = (lo + hi) / 2
            let r = wide[mid]
            if v < r.lowerBound { hi = mid - 1 } else if v > r.upperBound { lo = mid + 1 } else { return true }
        }
        return false
    }

    private static func isZeroWidth(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if (0x1160...0x11FF).contains(v) || (0xD7B0...0xD7FF).contains(v) { return true }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control: return true
        default: return false
        }
    }
}
