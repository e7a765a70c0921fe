/// A place in a command's text: line and column are 1-based and count characters.
public struct SourceLocation: Hashable, Sendable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
}

/// A range of characters on one line of a command's text.
public struct SourceSpan: Hashable, Sendable {
    public var start: SourceLocation
    /// Number of characters covered (at least 1 when shown).
    public var length: Int
    public init(start: SourceLocation, length: Int) { self.start = start; self.length = length }
}

/// An error a user sees: what went wrong, where, and what they may have meant.
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The command is malformed or names unknown things: exit status 2.
        case usage
        /// The command was understood but could not run: exit status 1.
        case runtime
        /// A doubt that does not stop the command (never thrown): the exit status stays 0.
        case warning
    }

    public var kind: Kind
    public var message: String
    public var span: SourceSpan?
    public var suggestion: String?
    /// Further lines of explanation, printed under the caret.
    public var notes: [String]

    public init(_ kind: Kind, _ message: String, at span: SourceSpan? = nil, suggestion: String? = nil, notes: [String] = []) {
        self.kind = kind
        self.message = message
        self.span = span
        self.suggestion = suggestion
        self.notes = notes
    }

    public static func usage(_ message: String, at span: SourceSpan? = nil, suggestion: String? = nil) -> Diagnostic {
        Diagnostic(.usage, message, at: span, suggestion: suggestion)
    }

    public static func runtime(_ message: String, at span: SourceSpan? = nil) -> Diagnostic {
        Diagnostic(.runtime, message, at: span)
    }

    public var description: String { message }

    /// The diagnostic shifted to where its command starts in a larger text (a script).
    public func offset(byLines lines: Int) -> Diagnostic {
        var d = self
        d.span?.start.line += lines
        return d
    }

    /// The full text for standard error:
    ///
    ///     error: unknown field 'lastcontct' at 1:22
    ///       find customers where lastcontct > 90d
    ///                            ^^^^^^^^^^
    ///       did you mean 'lastContact'?
    ///
    /// `source` is the whole text the span's line numbers refer to.
    public func rendered(source: String?, colour: Bool = false) -> String {
        let isWarning = kind == .warning
        let red = colour ? (isWarning ? "\u{1B}[1;35m" : "\u{1B}[1;31m") : "", reset = colour ? "\u{1B}[0m" : ""
        // Messages may echo imported data or typed text: no raw control characters.
        let cleaned = TerminalText.clean(message)
        let shown = cleaned.count > 240 ? String(cleaned.prefix(240)) + "…" : cleaned
        var out = "\(red)\(isWarning ? "warning" : "error"):\(reset) \(shown)"
        if let span { out += " at \(span.start.line):\(span.start.column)" }
        out += "\n"
        if let span, let source {
            let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
            if span.start.line >= 1, span.start.line <= lines.count {
                var line = String(lines[span.start.line - 1])
                if line.hasSuffix("\r") { line.removeLast() }
                line = TerminalText.clean(line)
                var chars = Array(line)
                var startIndex = min(max(span.start.column - 1, 0), chars.count)
                var length = max(span.length, 1)
                // A long line is cut to a window around the fault, marked with ellipses.
                if chars.count > 160 {
                    length = min(length, 60)
                    let from = max(0, startIndex - 60), to = min(chars.count, startIndex + length + 60)
                    chars = (from > 0 ? ["…"] : []) + chars[from..<to] + (to < chars.count ? ["…"] : [])
                    startIndex = startIndex - from + (from > 0 ? 1 : 0)
                    line = String(chars)
                }
                let prefixWidth = DisplayWidth.of(String(chars[..<startIndex]).replacingTabs())
                let covered = chars[startIndex..<min(chars.count, startIndex + length)]
                let caretWidth = max(1, DisplayWidth.of(String(covered)))
                out += "  \(line.replacingTabs())\n"
                out += "  " + String(repeating: " ", count: prefixWidth) + red + String(repeating: "^", count: caretWidth) + reset + "\n"
            }
        }
        if let suggestion { out += "  did you mean '\(TerminalText.clean(suggestion))'?\n" }
        for note in notes { out += "  \(TerminalText.clean(note))\n" }
        return out
    }
}

extension String {
    fileprivate func replacingTabs() -> String { replacingOccurrences(of: "\t", with: " ") }
}

/// The known name nearest to `name`, when it is close enough to be a likely typo.
public func nearestName(to name: String, among candidates: [String]) -> String? {
    // A name more than three characters longer than every candidate is no typo of one.
    let longest = candidates.lazy.map(\.count).max() ?? 0
    guard name.utf8.count <= 4 * (longest + 3), name.count <= longest + 3 else { return nil }
    let target = Array(name.lowercased())
    var best: (String, Int)?
    for c in candidates {
        let d = editDistance(target, Array(c.lowercased()))
        if best == nil || d < best!.1 { best = (c, d) }
    }
    guard let (candidate, distance) = best else { return nil }
    let allowed = max(1, min(3, (target.count + 1) / 3))
    if distance <= allowed { return candidate }
    if candidate.lowercased().hasPrefix(name.lowercased()), name.count >= 3 { return candidate }
    return nil
}

/// Damerau-Levenshtein (optimal string alignment) distance.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var prev2 = [Int](repeating: 0, count: b.count + 1)
    var prev = Array(0...b.count)
    var cur = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        cur[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                cur[j] = min(cur[j], prev2[j - 2] + 1)
            }
        }
        (prev2, prev, cur) = (prev, cur, prev2)
    }
    return prev[b.count]
}
