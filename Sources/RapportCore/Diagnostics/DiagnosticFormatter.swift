/// How a diagnostic looks on standard error, apart from what it says:
///
///     error: unknown field 'lastcontct' at 1:22
///       find customers where lastcontct > 90d
///                            ^^^^^^^^^^
///       did you mean 'lastContact'?
///
/// The caret is as wide as the covered text on a terminal (two columns for a CJK
/// character), and with `colour` the label and caret are coloured.
public struct DiagnosticFormatter: Sendable {
    public var colour: Bool

    public init(colour: Bool = false) { self.colour = colour }

    /// Longer messages are cut (they may echo a whole imported value).
    static let maximumMessageLength = 240
    /// A source line longer than this is shown as a window around the fault.
    static let maximumLineLength = 160

    /// `source` is the whole text the span's line numbers refer to; `sourceName`, the
    /// script file it was read from, goes before the line: `at care.rapport:3:22`.
    public func format(_ diagnostic: Diagnostic, source: String?, sourceName: String? = nil) -> String {
        let isWarning = diagnostic.kind == .warning
        let highlight = colour ? (isWarning ? "\u{1B}[1;35m" : "\u{1B}[1;31m") : "", reset = colour ? "\u{1B}[0m" : ""
        // Messages may echo imported data or typed text: no raw control characters.
        let cleaned = TerminalText.clean(diagnostic.message)
        let shown = cleaned.count > Self.maximumMessageLength ? String(cleaned.prefix(Self.maximumMessageLength)) + "…" : cleaned
        var out = "\(highlight)\(isWarning ? "warning" : "error"):\(reset) \(shown)"
        if let span = diagnostic.span { out += " at \(sourceName.map { TerminalText.clean($0) + ":" } ?? "")\(span.start.line):\(span.start.column)" }
        out += "\n"
        if let span = diagnostic.span, let source { out += excerpt(span, of: source, highlight: highlight, reset: reset) }
        if let suggestion = diagnostic.suggestion { out += "  did you mean '\(TerminalText.clean(suggestion))'?\n" }
        for note in diagnostic.notes { out += "  \(TerminalText.clean(note))\n" }
        return out
    }

    /// The source line and a caret under the span, or nothing when the line is not there.
    private func excerpt(_ span: SourceSpan, of source: String, highlight: String, reset: String) -> String {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        guard span.start.line >= 1, span.start.line <= lines.count else { return "" }
        var line = String(lines[span.start.line - 1])
        if line.hasSuffix("\r") { line.removeLast() }
        line = TerminalText.clean(line)
        var chars = Array(line)
        var startIndex = min(max(span.start.column - 1, 0), chars.count)
        var length = max(span.length, 1)
        // A long line is cut to a window around the fault, marked with ellipses.
        if chars.count > Self.maximumLineLength {
            length = min(length, 60)
            let from = max(0, startIndex - 60), to = min(chars.count, startIndex + length + 60)
            chars = (from > 0 ? ["…"] : []) + chars[from..<to] + (to < chars.count ? ["…"] : [])
            startIndex = startIndex - from + (from > 0 ? 1 : 0)
            line = String(chars)
        }
        let prefixWidth = DisplayWidth.of(String(chars[..<startIndex]).replacingTabs())
        let covered = chars[startIndex..<min(chars.count, startIndex + length)]
        let caretWidth = max(1, DisplayWidth.of(String(covered)))
        return "  \(line.replacingTabs())\n"
            + "  " + String(repeating: " ", count: prefixWidth) + highlight + String(repeating: "^", count: caretWidth) + reset + "\n"
    }
}

extension String {
    fileprivate func replacingTabs() -> String { replacingOccurrences(of: "\t", with: " ") }
}
