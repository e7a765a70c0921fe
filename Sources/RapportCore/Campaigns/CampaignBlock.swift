import Foundation

/// A campaign block as written (contract section 7, docs/campaigns.md): who it targets,
/// how often a customer may be touched, and what it does to each targeted customer.
public struct CampaignBlock: Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    /// nil: every customer (`target all customers`).
    public var target: Condition?
    /// `every D` in days; nil: once per customer, ever.
    public var every: Double?
    /// `every D` as written, for the summary ("touched within 365d").
    public var everyText: String?
    public var actions: [CampaignAction]
    /// `when holiday "NAME" within D` lines: the block runs on a day inside ANY of them
    /// (a greeting for 春节 or 中秋); none: every day.
    public var holidays: [HolidayWindow] = []

    /// Whether the block writes messages (its touches are then its messages).
    public var sends: Bool { actions.contains { if case .send = $0 { true } else { false } } }
}

/// `when holiday "NAME" within D`: the days from D before the holiday to the holiday itself.
public struct HolidayWindow: Sendable {
    public var holiday: Holiday
    public var days: Int
    /// The name as written, for errors.
    public var span: SourceSpan
}

/// One action of a block, applied once to each targeted customer that is not skipped.
public enum CampaignAction: Sendable {
    /// The channel and address are decided per customer by `Consent.decide`.
    case send(SendChannel, Template)
    /// `log contact`, `add points` or `open ticket`: the command as its own parser read
    /// it, with a placeholder customer that the runner replaces by each customer's id.
    case command(Command)
    /// `assign to OWNER|owner "TASK" [due D]`: a task; `owner` nil means the customer's own owner.
    case assign(owner: Literal?, text: Literal, due: Literal?, span: SourceSpan)
    /// `set FIELD = VALUE, ...` on the customer, as `update` would.
    case set([Assignment], span: SourceSpan)

    /// The same command for one customer: the placeholder replaced by `id`.
    static func command(_ command: Command, forCustomer id: String) -> Command {
        func literal(_ placeholder: Literal) -> Literal { Literal(kind: .string(id, quoted: true), span: placeholder.span, text: id) }
        switch command {
        case .logContact(let c, let channel, let note): return .logContact(customer: literal(c), channel: channel, note: note)
        case .addPoints(let c, let points, let reason): return .addPoints(customer: literal(c), points: points, reason: reason)
        case .openTicket(let c, let kind, let text, let priority, let channel, let owner):
            return .openTicket(customer: literal(c), kind: kind, text: text, priority: priority, channel: channel, owner: owner)
        default: return command
        }
    }
}

/// A message template: text with `{field}` and `{field|format}` (docs/campaigns.md).
public struct Template: Sendable {
    public enum Format: String, CaseIterable, Sendable { case date, number, first }

    public enum Part: Sendable {
        case text(String)
        case field(name: String, format: Format?, span: SourceSpan)
    }

    public var parts: [Part]
    public var span: SourceSpan

    /// The field names the template reads, as written.
    public var fields: [(name: String, span: SourceSpan)] {
        parts.compactMap { if case .field(let n, _, let s) = $0 { (n, s) } else { nil } }
    }

    /// Reads `{field}`, `{field|format}`, `{{` and `}}` from a string literal's text.
    /// Positions are counted from the literal's opening quote (exact unless an escape
    /// such as `\\n` comes before the field).
    public init(_ literal: Literal) throws {
        guard case .string(let text, _) = literal.kind else { throw Diagnostic.usage(.expectedToken, "the message in quotes", literal.text, at: literal.span) }
        span = literal.span
        parts = []
        let chars = Array(text)
        var plain = ""
        var i = 0
        func at(_ offset: Int, length: Int) -> SourceSpan {
            SourceSpan(start: SourceLocation(line: literal.span.start.line, column: literal.span.start.column + 1 + offset), length: max(1, length))
        }
        while i < chars.count {
            let c = chars[i]
            if c == "{", i + 1 < chars.count, chars[i + 1] == "{" { plain.append("{"); i += 2; continue }
            if c == "}", i + 1 < chars.count, chars[i + 1] == "}" { plain.append("}"); i += 2; continue }
            guard c == "{" else { plain.append(c); i += 1; continue }
            guard let close = chars[(i + 1)...].firstIndex(of: "}") else { throw Diagnostic.usage(.templateBraceUnclosed, at: at(i, length: 1)) }
            let inside = String(chars[(i + 1)..<close])
            let pieces = inside.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            let name = pieces[0].trimmingCharacters(in: .whitespaces)
            let nameOffset = i + 1 + (pieces[0].prefix { $0 == " " }.count)
            guard !name.isEmpty else { throw Diagnostic.usage(.unknownTemplateField, "{}", at: at(i, length: close - i + 1)) }
            var format: Format?
            if pieces.count == 2 {
                let word = pieces[1].trimmingCharacters(in: .whitespaces)
                guard let f = Format(rawValue: word.lowercased()) else {
                    let offset = i + 1 + pieces[0].count + 1
                    throw Diagnostic.usage(.unknownTemplateFormat, word, at: at(offset, length: pieces[1].count),
                                           suggestion: nearestName(to: word, among: Format.allCases.map(\.rawValue)))
                }
                format = f
            }
            if !plain.isEmpty { parts.append(.text(plain)); plain = "" }
            parts.append(.field(name: name, format: format, span: at(nameOffset, length: name.count)))
            i = close + 1
        }
        if !plain.isEmpty { parts.append(.text(plain)) }
    }

    /// The text for one customer: `record` holds the fields by their stored names, and
    /// `names` maps each field as written to that name. A missing value prints as empty.
    func render<Record: NamedValues>(_ record: Record, names: [String: String], formatter: ValueFormatter) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let s): out += s
            case .field(let name, let format, _):
                let value = record[names[name] ?? name] ?? .null
                out += Template.text(value, format, formatter)
            }
        }
        return out
    }

    static func text(_ value: Value, _ format: Format?, _ formatter: ValueFormatter) -> String {
        switch (format, value) {
        case (_, .null): return ""
        case (.date?, .instant(let t)): return String(formatter.instant(t).prefix(10))
        case (.number?, .integer(let i)): return grouped(String(i))
        case (.number?, .number(let d)): return grouped(ValueFormatter.number(d))
        case (.first?, .string(let s)): return givenName(s)
        default: return formatter.text(value)
        }
    }

    /// Digits grouped by thousands: 1234567.5 -> 1,234,567.5.
    static func grouped(_ number: String) -> String {
        var digits = Substring(number)
        var sign = ""
        if digits.hasPrefix("-") { sign = "-"; digits = digits.dropFirst() }
        let whole = digits.prefix { $0 != "." }
        let fraction = digits.dropFirst(whole.count)
        var out = ""
        for (k, c) in whole.enumerated() {
            if k > 0, (whole.count - k) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return sign + out + fraction
    }

    /// The name a greeting uses: the first word of a Latin name ("Anna Smith" -> "Anna"),
    /// and the whole name when it is written in Chinese, Japanese or Korean characters,
    /// where a given name alone (王芳 -> 芳) is for family and close friends only.
    static func givenName(_ name: String) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        if trimmed.unicodeScalars.contains(where: isCJK) { return trimmed }
        return String(trimmed.split(separator: " ").first ?? Substring(trimmed))
    }

    private static func isCJK(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0x20000...0x2FA1F: return true
        default: return false
        }
    }
}
