import Foundation

/// Splits a script into commands: one per line, `#` comment lines and a `#!` first line
/// skipped; a line with an open parenthesis continues on the next. A `#` outside quotes
/// starts a comment to the end of its line anywhere (the Lexer skips it the same way).
public struct ScriptReader {
    public struct Command {
        public var text: String
        /// The line the command starts on, from 1.
        public var line: Int
    }

    public static func commands(in source: String) -> [Command] {
        var accumulator = Accumulator()
        var result: [Command] = []
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let command = accumulator.feed(line, lineNumber: index + 1) { result.append(command) }
        }
        if let command = accumulator.finish() { result.append(command) }
        return result
    }

    /// Gathers lines into commands one line at a time, for input that arrives as it is
    /// written (a pipe into `rapport -`).
    public struct Accumulator {
        private var pending: [Substring] = []
        private var pendingLine = 0

        public init() {}

        /// No command is half read.
        public var isEmpty: Bool { pending.isEmpty }

        /// Adds a line; returns a command once one is complete.
        public mutating func feed(_ rawLine: Substring, lineNumber: Int) -> Command? {
            var line = rawLine
            if line.hasSuffix("\r") { line = line.dropLast() }
            if pending.isEmpty {
                let trimmed = ScriptReader.trimmingBlanks(line)
                if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("--") { return nil }
                pendingLine = lineNumber
            }
            pending.append(line)
            let text = pending.joined(separator: "\n")
            guard !isUnfinished(text) else { return nil }
            pending = []
            return Command(text: text, line: pendingLine)
        }

        /// What is left at the end of the input: an unfinished command, run as it is so
        /// that it gets its error.
        public mutating func finish() -> Command? {
            guard !pending.isEmpty else { return nil }
            defer { pending = [] }
            return Command(text: pending.joined(separator: "\n"), line: pendingLine)
        }
    }

    /// An open parenthesis, or a `campaign` block without its `end` line: the command
    /// goes on past the end of the line. (A string cannot span lines, so an open quote
    /// ends at the line's end and gets its error.)
    public static func isUnfinished(_ text: String) -> Bool {
        if isOpenBlock(text) { return true }
        // ASCII without a carriage return is one character a byte: read as bytes, the
        // same answer without breaking graphemes (a sixth of reading a script of lookups).
        var bytes = text
        return (bytes.withUTF8 { asciiParenthesisDepth($0) } ?? parenthesisDepth(text)) > 0
    }

    /// How many parentheses (ASCII or full-width) the text leaves open outside quotes and
    /// comments, character by character.
    static func parenthesisDepth(_ text: String) -> Int {
        var depth = 0
        var quote: Character?
        var escaped = false
        var inComment = false
        for c in text {
            if c == "\n" { quote = nil; escaped = false; inComment = false; continue }
            if inComment { continue }
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == q || (q == "“" && c == "”") { quote = nil }
                continue
            }
            switch c {
            case "\"", "'", "“": quote = c
            case "#": inComment = true
            case "(", "（": depth += 1
            case ")", "）": depth -= 1
            default: break
            }
        }
        return depth
    }

    /// `isUnfinished`'s count of open parentheses over ASCII text, or nil when the text is
    /// not all ASCII or holds a carriage return (which joins the line feed after it).
    static func asciiParenthesisDepth(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var depth = 0
        var quote: UInt8 = 0
        var escaped = false
        var inComment = false
        for b in bytes {
            if b >= 0x80 || b == 0x0D { return nil }
            if b == 0x0A { quote = 0; escaped = false; inComment = false; continue }
            if inComment { continue }
            if quote != 0 {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == quote { quote = 0 }
                continue
            }
            switch b {
            case 0x22, 0x27: quote = b
            case 0x23: inComment = true
            case 0x28: depth += 1
            case 0x29: depth -= 1
            default: break
            }
        }
        return depth
    }

    /// A block starts with `campaign` on its first line and ends with a line `end`.
    static func isOpenBlock(_ text: String) -> Bool {
        // Only ASCII letters lower-case to "campaign": text without them is no block.
        guard containsCampaignIgnoringASCIICase(text) else { return false }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(withoutComment)
        // `campaign history` is a command of one line.
        guard let first = lines.first, case let words = trimmingBlanks(first).split(separator: " "),
              words.first?.lowercased() == "campaign", words.dropFirst().first?.lowercased() != "history" else { return false }
        return !lines.dropFirst().contains { trimmingBlanks($0).lowercased() == "end" }
    }

    private static func containsCampaignIgnoringASCIICase(_ text: String) -> Bool {
        let word = Array("campaign".utf8)
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= word.count else { return false }
            for start in 0...(bytes.count - word.count) where bytes[start] | 0x20 == word[0] {
                var i = 1
                while i < word.count, bytes[start + i] | 0x20 == word[i] { i += 1 }
                if i == word.count { return true }
            }
            return false
        }
    }

    /// `line` without the blanks at either end: the same as Foundation's
    /// `trimmingCharacters(in: .whitespaces)` (the tab and Unicode's space separators), without
    /// going through `NSString`, which was a third of reading a script of short commands.
    static func trimmingBlanks(_ line: Substring) -> Substring {
        let scalars = line.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isBlank($0) }) else { return line[line.endIndex...] }
        let last = scalars.lastIndex(where: { !isBlank($0) })!
        return Substring(scalars[first...last])
    }

    /// Foundation's `CharacterSet.whitespaces`: the tab, the space separators (Zs) and, in
    /// swift-corelibs-foundation, the zero-width space U+200B.
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x20, 0xA0, 0x1680, 0x2000...0x200B, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// The line up to its comment: the first `#` outside quotes and what follows it go.
    /// Quotes follow the Lexer's rules (`"…"`, `'…'`, `“…”`, backslash escapes).
    public static func withoutComment(_ line: Substring) -> Substring {
        var quote: Character?
        var escaped = false
        for index in line.indices {
            let c = line[index]
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == q || (q == "“" && c == "”") { quote = nil }
                continue
            }
            switch c {
            case "\"", "'", "“": quote = c
            case "#": return line[..<index]
            default: break
            }
        }
        return line
    }
}
