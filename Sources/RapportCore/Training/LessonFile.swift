import Foundation

/// A lesson as its file describes it (docs/training.md, "The lesson file"): a title, a
/// pinned clock and demo size, setup commands, then steps, each with teaching text, an
/// optional check and hints. Positions are lines of the file, for diagnostics.
public struct Lesson: Sendable {
    public enum CheckKind: Sendable, Equatable {
        /// The trainee's result must equal this query's result.
        case query
        /// The sandbox must end as this command would leave it.
        case change
        /// The trainee's command must fail with this diagnostic.
        case error(DiagnosticID)
        /// Any command that succeeds.
        case run
    }

    /// A command written in the file, at its line.
    public struct LessonCommand: Sendable {
        public var text: String
        public var line: Int
    }

    public struct Check: Sendable {
        public var kind: CheckKind
        /// What the fence holds: the expected query or change, an example of the error.
        public var commands: [LessonCommand]
        /// The line of the fence's opening.
        public var line: Int
    }

    public struct Step: Sendable {
        public var title: String
        public var text: String
        public var check: Check?
        public var hints: [String]
        public var line: Int
    }

    public var title: String
    public var name: String
    /// The pinned clock, seconds since 1970.
    public var now: Int64
    public var demoSize: Int
    public var summary: String
    public var setup: [LessonCommand]
    public var steps: [Step]
    /// Where the lesson came from (a file path, or `built-in`), and its text, for diagnostics.
    public var sourceName: String
    public var source: String
}

/// Reads a lesson file's text. The structure is checked here; that its commands run is
/// checked by `LessonRun` on a sandbox.
public struct LessonParser {
    public static let defaultDemoSize = 300
    /// More would make a lesson slow to start for no teaching gain.
    public static let largestDemoSize = 20_000

    public static func parse(_ source: String, sourceName: String, timeZone: TimeZone) throws -> Lesson {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        func span(_ line: Int, column: Int = 1, length: Int? = nil) -> SourceSpan {
            let text = line <= lines.count ? lines[line - 1] : ""
            return SourceSpan(start: SourceLocation(line: line, column: column), length: max(1, length ?? (text.count - column + 1)))
        }
        func broken(_ line: Int, _ why: String, column: Int = 1, length: Int? = nil) -> Diagnostic {
            Diagnostic.usage(.lessonInvalid, why, at: span(line, column: column, length: length))
        }

        guard let first = lines.first, first.hasPrefix("# "), !first.dropFirst(2).trimmingCharacters(in: .whitespaces).isEmpty else {
            throw broken(1, "the first line must be the lesson's title: # TITLE")
        }
        var lesson = Lesson(title: first.dropFirst(2).trimmingCharacters(in: .whitespaces), name: "", now: 0,
                            demoSize: defaultDemoSize, summary: "", setup: [], steps: [], sourceName: sourceName, source: source)
        var sawNow = false
        var index = 1
        var inHeader = true
        var stepText: [String] = []

        func finishText() {
            guard !lesson.steps.isEmpty else { stepText = []; return }
            lesson.steps[lesson.steps.count - 1].text = stepText.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            stepText = []
        }

        while index < lines.count {
            let lineNumber = index + 1
            let line = lines[index]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            index += 1

            if trimmed.hasPrefix("```") {
                let info = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces)
                var body: [(text: String, line: Int)] = []
                var closed = false
                while index < lines.count {
                    let inner = lines[index]
                    index += 1
                    if inner.trimmingCharacters(in: .whitespaces).hasPrefix("```") { closed = true; break }
                    body.append((inner, index))
                }
                guard closed else { throw broken(lineNumber, "this block has no closing ```") }
                let commands = Self.commands(body)
                let words = info.split(separator: " ").map(String.init)
                if words.first == "setup" {
                    guard lesson.steps.isEmpty else { throw broken(lineNumber, "the setup block comes before the first step (## TITLE)") }
                    lesson.setup += commands
                    continue
                }
                guard words.first == "expect" else {
                    // A plain code block: part of the teaching text.
                    stepText.append(line)
                    stepText += body.map(\.text)
                    stepText.append("```")
                    continue
                }
                guard !lesson.steps.isEmpty else { throw broken(lineNumber, "an expect block belongs to a step: put a ## TITLE line before it") }
                guard lesson.steps[lesson.steps.count - 1].check == nil else { throw broken(lineNumber, "a step has one expect block; start a new step (## TITLE) for the next check") }
                let kind: Lesson.CheckKind
                switch words.count > 1 ? words[1] : "" {
                case "query": kind = .query
                case "change": kind = .change
                case "run": kind = .run
                case "error":
                    guard words.count > 2 else { throw broken(lineNumber, "expect error names the diagnostic's id: expect error unknownField") }
                    guard let id = DiagnosticID(rawValue: words[2]) else {
                        let column = line.distance(from: line.startIndex, to: line.range(of: words[2])!.lowerBound) + 1
                        var d = broken(lineNumber, "'\(words[2])' is no diagnostic id", column: column, length: words[2].count)
                        d.suggestion = nearestName(to: words[2], among: DiagnosticID.allCases.map(\.rawValue))
                        throw d
                    }
                    kind = .error(id)
                default:
                    throw broken(lineNumber, "expect takes query, change, error ID or run")
                }
                if kind == .query || kind == .change, commands.count != 1 {
                    throw broken(lineNumber, "an expect \(kind == .query ? "query" : "change") block holds exactly one command")
                }
                lesson.steps[lesson.steps.count - 1].check = Lesson.Check(kind: kind, commands: commands, line: lineNumber)
                continue
            }
            if line.hasPrefix("## ") {
                finishText()
                inHeader = false
                lesson.steps.append(Lesson.Step(title: line.dropFirst(3).trimmingCharacters(in: .whitespaces), text: "", check: nil, hints: [], line: lineNumber))
                continue
            }
            if inHeader {
                if trimmed.isEmpty { continue }
                guard let colon = trimmed.firstIndex(of: ":") else {
                    throw broken(lineNumber, "before the first step, a line is a setting (name:, now:, demo-size:, summary:) or a setup block")
                }
                let key = trimmed[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                let valueColumn = line.count - value.count + 1
                switch key {
                case "name":
                    guard Self.isLessonName(value) else {
                        throw broken(lineNumber, "a lesson name is letters, digits and hyphens, such as first-queries", column: valueColumn)
                    }
                    lesson.name = value
                case "now":
                    guard let t = Clock.parseInstant(value, timeZone: timeZone) else {
                        throw broken(lineNumber, "now takes a date (2026-11-24) or a time (2026-11-24T09:30:00+08:00)", column: valueColumn)
                    }
                    lesson.now = t
                    sawNow = true
                case "demo-size":
                    guard let size = Int(value), size >= 1, size <= largestDemoSize else {
                        throw broken(lineNumber, "demo-size takes a number of customers from 1 to \(largestDemoSize)", column: valueColumn)
                    }
                    lesson.demoSize = size
                case "summary":
                    lesson.summary = value
                default:
                    throw broken(lineNumber, "'\(key)' is no lesson setting (name, now, demo-size, summary)", length: key.count)
                }
                continue
            }
            if trimmed.hasPrefix("hint:") {
                let hint = trimmed.dropFirst(5).trimmingCharacters(in: .whitespaces)
                guard !hint.isEmpty else { throw broken(lineNumber, "hint: needs its text") }
                lesson.steps[lesson.steps.count - 1].hints.append(hint)
                continue
            }
            stepText.append(line)
        }
        finishText()
        guard !lesson.name.isEmpty else { throw broken(1, "the lesson needs a name: line (name: first-queries) after its title") }
        guard sawNow else { throw broken(1, "the lesson needs a now: line (now: 2026-11-24) after its title: lessons run on a pinned clock") }
        guard !lesson.steps.isEmpty else { throw broken(lines.count, "the lesson has no steps: each starts with a ## TITLE line") }
        return lesson
    }

    /// Letters (any script), digits and hyphens: what `tutorial NAME` can type.
    static func isLessonName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
    }

    /// The commands in a fence's lines; `#` lines are comments.
    private static func commands(_ body: [(text: String, line: Int)]) -> [Lesson.LessonCommand] {
        guard let firstLine = body.first?.line else { return [] }
        let text = body.map(\.text).joined(separator: "\n")
        return ScriptReader.commands(in: text).map { Lesson.LessonCommand(text: $0.text, line: firstLine + $0.line - 1) }
    }
}
