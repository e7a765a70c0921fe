/// What a trainee sees of phones and emails (contract section 11): `138****5678`,
/// `w***@example.com`. Pure functions; the session applies them once, where results
/// leave it (docs/roles.md, "Masking").
public enum Masking {
    /// Field and column names that hold a phone or an email: the customers' `phone` and
    /// `email`, and the address a campaign message was sent `to`. Compared ignoring case.
    public static let contactFieldNames: Set<String> = ["phone", "email", "to"]

    public static func isContactField(_ name: String) -> Bool { contactFieldNames.contains(name.lowercased()) }

    /// A phone keeps its first 3 and last 4 digits (`13812345678` → `138****5678`); a
    /// number of 7 digits or fewer keeps only its last 2. A leading `+` stays; spaces and
    /// dashes go, so their places give nothing away. No digits at all: `****`.
    public static func phone(_ text: String) -> String {
        let digits = Array(text.filter(\.isASCIIDigitCharacter))
        let plus = text.trimmingLeadingSpaces.hasPrefix("+") ? "+" : ""
        guard !digits.isEmpty else { return "****" }
        if digits.count <= 7 {
            return plus + String(repeating: "*", count: max(digits.count - 2, 0)) + String(digits.suffix(2))
        }
        return plus + String(digits.prefix(3)) + String(repeating: "*", count: digits.count - 7) + String(digits.suffix(4))
    }

    /// An email keeps the first character of its local part and its domain
    /// (`wang.fang@example.com` → `w***@example.com`); without an `@`, `***`.
    public static func email(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return "***" }
        let local = text[..<at]
        return (local.first.map(String.init) ?? "") + "***" + text[at...]
    }

    /// A stored contact value: an email if it has an `@` (a message's `to` holds either),
    /// otherwise a phone.
    public static func contact(_ text: String) -> String {
        text.contains("@") ? email(text) : phone(text)
    }

    /// A value of a contact field, masked; nulls and non-text values stay as they are.
    public static func value(_ value: Value) -> Value {
        switch value {
        case .string(let s): return .string(contact(s))
        case .list(let items): return .list(items.map(contact))
        default: return value
        }
    }

    /// A result with every contact column masked, and the `before`/`after` of rows whose
    /// `field` names a contact field (the audit's rows). Other columns are left alone.
    public static func result(_ result: ResultSet) -> ResultSet {
        let lowered = result.columns.map { $0.lowercased() }
        let direct = lowered.indices.filter { contactFieldNames.contains(lowered[$0]) }
        let fieldColumn = lowered.firstIndex(of: "field")
        let valueColumns = fieldColumn == nil ? [] : lowered.indices.filter { lowered[$0] == "before" || lowered[$0] == "after" }
        guard !direct.isEmpty || !valueColumns.isEmpty else { return result }
        var masked = result
        for r in masked.rows.indices {
            for c in direct where c < masked.rows[r].count { masked.rows[r][c] = value(masked.rows[r][c]) }
            guard let fieldColumn, fieldColumn < masked.rows[r].count,
                  case .string(let field) = masked.rows[r][fieldColumn], isContactField(field) else { continue }
            for c in valueColumns where c < masked.rows[r].count { masked.rows[r][c] = value(masked.rows[r][c]) }
        }
        return masked
    }

    /// A record by field name with its contact fields masked.
    public static func record(_ record: [String: Value]) -> [String: Value] {
        var masked = record
        for (name, v) in record where isContactField(name) { masked[name] = value(v) }
        return masked
    }

    /// Free text (an error message) with every email address and every run of 7 or more
    /// digits (spaces, dashes, dots and a leading `+` between them allowed) masked.
    public static func text(_ text: String) -> String {
        let chars = Array(text)
        var out = ""
        var i = 0
        func isEmailPart(_ c: Character) -> Bool {
            c.isLetter || c.isNumber || "._%+-".contains(c)
        }
        while i < chars.count {
            let c = chars[i]
            if c == "@" {
                // Walk back over the local part already written, forward over the domain.
                var start = out.endIndex
                while start > out.startIndex, isEmailPart(out[out.index(before: start)]) { start = out.index(before: start) }
                var end = i + 1
                while end < chars.count, isEmailPart(chars[end]) || chars[end] == "@" { end += 1 }
                let domain = String(chars[(i + 1)..<end])
                if start < out.endIndex, domain.contains(".") {
                    let local = String(out[start...])
                    out.removeSubrange(start...)
                    out += email(local + "@" + domain)
                    i = end
                    continue
                }
            }
            if c.isASCIIDigitCharacter || (c == "+" && i + 1 < chars.count && chars[i + 1].isASCIIDigitCharacter) {
                var end = i + (c == "+" ? 1 : 0)
                var digits = 0, lastDigitEnd = end
                while end < chars.count {
                    if chars[end].isASCIIDigitCharacter { digits += 1; end += 1; lastDigitEnd = end; continue }
                    if " -.".contains(chars[end]), end + 1 < chars.count, chars[end + 1].isASCIIDigitCharacter { end += 1; continue }
                    break
                }
                let run = String(chars[i..<lastDigitEnd])
                out += digits >= 7 ? phone(run) : run
                i = lastDigitEnd
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }
}

private extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}

private extension String {
    var trimmingLeadingSpaces: Substring { drop { $0 == " " } }
}
