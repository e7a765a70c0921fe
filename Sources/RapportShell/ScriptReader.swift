import Foundation
import RapportCore

/// Splits a script into commands: one per line, `#` comment lines and a `#!` first line
/// skipped; a line with an open parenthesis continues on the next.
public struct ScriptReader {
    public struct Command {
        public var text: String
        /// The line the command starts on, from 1.
        public var line: Int
    }

    public static func commands(in source: String) -> [Command] {
        var result: [Command] = []
        var pending: [Substring] = []
        var pendingLine = 0
        for (index, rawLine) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty {
                if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("--") { continue }
                pendingLine = index + 1
            }
            pending.append(line)
            let text = pending.joined(separator: "\n")
            if !isUnfinished(text) {
                result.append(Command(text: text, line: pendingLine))
                pending = []
            }
        }
        if !pending.isEmpty { result.append(Command(text: pending.joined(separator: "\n"), line: pendingLine)) }
        return result
    }

    /// An open parenthesis: the command goes on past the end of the line. (A string
    /// cannot span lines, so an open quote ends at the line's end and gets its error.)
    public static func isUnfinished(_ text: String) -> Bool {
        var depth = 0
        var quote: Character?
        var escaped = false
        for c in text {
            if c == "\n" { quote = nil; escaped = false; continue }
            if let q = quote {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == q || (q == "“" && c == "”") { quote = nil }
                continue
            }
            switch c {
            case "\"", "'", "“": quote = c
            case "(", "（": depth += 1
            case ")", "）": depth -= 1
            default: break
            }
        }
        return depth > 0
    }
}

