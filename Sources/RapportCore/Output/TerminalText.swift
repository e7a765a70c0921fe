/// The one rule for text bound for a terminal (tables, the customer card, notes and
/// error messages): control characters from data could move the cursor, ring the bell
/// or start an escape sequence, so each becomes a space; a CRLF becomes one space.
public enum TerminalText {
    /// `s` with every C0 control, DEL and C1 control replaced by a space.
    public static func clean(_ s: String) -> String {
        // C1 controls are U+0080...U+009F, encoded C2 80...C2 9F.
        guard s.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0xC2 }) else { return s }
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar = " "
        var changed = false
        for u in s.unicodeScalars {
            if isControl(u) {
                changed = true
                if !(u == "\n" && previous == "\r") { out.append(" ") }
            } else {
                out.append(u)
            }
            previous = u
        }
        return changed ? String(out) : s
    }

    public static func isControl(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (0x7F...0x9F).contains(u.value)
    }
}
