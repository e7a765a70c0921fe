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

/// An error or warning a user sees: which one (`id`), what it is about (`arguments`),
/// where, and what they may have meant. The wording lives in `DiagnosticMessages`, the
/// presentation (caret, colour) in `DiagnosticFormatter`.
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
    public var id: DiagnosticID
    /// What the message names (a field, a file, a value as written), in the order the
    /// catalogue's wording for `id` uses them.
    public var arguments: [String]
    public var span: SourceSpan?
    public var suggestion: String?
    /// Lines that come from the data rather than from the wording (the rows an import
    /// refused, advice shared with reports), shown after the catalogue's notes.
    public var extraNotes: [String]

    public init(_ kind: Kind, _ id: DiagnosticID, _ arguments: [String] = [], at span: SourceSpan? = nil,
                suggestion: String? = nil, notes extraNotes: [String] = []) {
        self.kind = kind
        self.id = id
        self.arguments = arguments
        self.span = span
        self.suggestion = suggestion
        self.extraNotes = extraNotes
    }

    public static func usage(_ id: DiagnosticID, _ arguments: String..., at span: SourceSpan? = nil, suggestion: String? = nil) -> Diagnostic {
        Diagnostic(.usage, id, arguments, at: span, suggestion: suggestion)
    }

    public static func runtime(_ id: DiagnosticID, _ arguments: String..., at span: SourceSpan? = nil) -> Diagnostic {
        Diagnostic(.runtime, id, arguments, at: span)
    }

    public var message: String { DiagnosticMessages.wording(for: id, DiagnosticArguments(arguments)).message }

    /// Further lines of explanation, printed under the caret.
    public var notes: [String] { DiagnosticMessages.wording(for: id, DiagnosticArguments(arguments)).notes + extraNotes }

    public var description: String { message }

    /// The diagnostic shifted to where its command starts in a larger text (a script).
    public func offset(byLines lines: Int) -> Diagnostic {
        var d = self
        d.span?.start.line += lines
        return d
    }
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
    // What was typed is already that word (a keyword in the wrong place): no typo to fix.
    if distance == 0 { return nil }
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
