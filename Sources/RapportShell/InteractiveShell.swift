import Foundation
import RapportCore

/// The interactive shell: a prompt with line editing, domain completion and history;
/// multi-line commands; Ctrl-C that cancels, never kills; a pager for long results;
/// colour on a terminal; a start-up file; `edit` in $EDITOR.
struct InteractiveShell {
    let session: Session
    let options: Options
    let environment: [String: String]

    /// Words that leave the shell.
    static let exitWords: Set<String> = ["exit", "quit", "\\q", ".quit", ".exit"]

    func run() -> Int32 {
        Interrupt.install()
        StandardStreams.stopWhenInterrupted = true
        let onTerminal = isatty(STDOUT_FILENO) != 0
        session.settings.colour = onTerminal && (environment["NO_COLOR"] ?? "").isEmpty
        session.settings.pager = onTerminal
        session.isCancelled = { Interrupt.isRaised }
        session.savesInBackground = true

        StandardStreams.output(welcome)
        if !options.noRC { runStartupFile() }

        let history = ShellHistory(path: environment["RAPPORT_HISTORY"] ?? ShellHistory.defaultPath(environment))
        let backend = session.backend
        let role = session.settings.role
        // Parsed on the first Tab after `tutorial`, not before the first prompt: a line typed
        // before the prompt appears would be echoed by the terminal and garbled.
        var lessonNames: [String]?
        let lessons = { () -> [String] in
            if lessonNames == nil { lessonNames = session.lessonNames }
            return lessonNames!
        }
        // The lines of an unfinished command typed so far: completion sees them too.
        var pending: [String] = []
        let editor = LineEditor(history: history) { before in
            let earlier = pending.isEmpty ? "" : pending.joined(separator: "\n") + "\n"
            var completer = Completer(backend: backend, lessons: lessons)
            completer.role = role
            let completion = completer.complete(earlier + before)
            return (max(0, completion.replacementStart - earlier.count), completion.candidates)
        }
        var state = State()
        while true {
            switch editor.readLine(prompt: pending.isEmpty ? prompt : continuationPrompt) {
            case .endOfInput:
                StandardStreams.output("\n")
                return 0
            case .interrupted:
                // The line being typed (and any unfinished command) is dropped.
                pending = []
                StandardStreams.output("\n")
            case .line(let line):
                pending.append(line)
                let text = pending.joined(separator: "\n")
                if ScriptReader.isUnfinished(text) { continue }
                pending = []
                if session.lesson != nil, text.trimmingCharacters(in: .whitespaces).isEmpty {
                    // Enter moves past a lesson's reading step.
                    run("")
                    continue
                }
                // A line that is only a comment is kept in the history but runs nothing.
                guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
                editor.remember(text)
                if InteractiveShell.withoutComments(text).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
                if handle(text, editor: editor, state: &state) == .leave { return 0 }
            }
        }
    }

    // MARK: Commands of the shell itself

    private struct State {
        /// The last command run, for `edit`.
        var lastCommand: String?
    }

    private enum Next { case goOn, leave }

    /// The text with each line's `#` comment removed, as the Lexer reads it.
    static func withoutComments(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map(ScriptReader.withoutComment).joined(separator: "\n")
    }

    private func handle(_ text: String, editor: LineEditor, state: inout State) -> Next {
        let trimmed = InteractiveShell.withoutComments(text).trimmingCharacters(in: .whitespacesAndNewlines)
        let words = trimmed.split(separator: " ", maxSplits: 1).map(String.init)
        let word = words.first?.lowercased() ?? ""
        let argument = words.count > 1 ? words[1].trimmingCharacters(in: .whitespacesAndNewlines) : nil
        switch word {
        case "quit" where session.lesson != nil && argument == nil:
            // Inside a lesson, quit leaves the lesson, not the shell.
            run(text)
        case _ where InteractiveShell.exitWords.contains(word):
            if argument == nil { return .leave }
            StandardStreams.error("error: \(word) takes nothing after it\n")
        case "edit":
            if argument == nil {
                edit(state.lastCommand, editor: editor, state: &state)
            } else {
                StandardStreams.error("error: edit takes nothing after it: it opens the last command in the editor\n")
            }
        case "history":
            if let count = argument.map({ Int($0) }) ?? 20, count > 0 {
                showHistory(editor.history, last: count)
            } else {
                StandardStreams.error("error: history takes how many commands to list, such as history 50\n")
            }
        default:
            run(text)
            state.lastCommand = text
        }
        return .goOn
    }

    private func run(_ command: String) {
        Interrupt.clear()
        let outcome = session.run(command)
        show(outcome)
    }

    private func edit(_ last: String?, editor: LineEditor, state: inout State) {
        let template = last.map { $0 + "\n" } ?? """
        # Write commands here, one per line (a block may span lines); save and quit to run them.
        # Lines starting with # are skipped. An empty file runs nothing.

        """
        let edited: String
        do {
            edited = try ExternalEditor.edit(template, command: ExternalEditor.command(environment))
        } catch {
            StandardStreams.error("error: \(error)\n")
            return
        }
        let commands = ScriptReader.commands(in: edited)
        if commands.isEmpty { StandardStreams.error("nothing to run\n") }
        for command in commands {
            StandardStreams.output(prompt + command.text + "\n")
            editor.remember(command.text)
            Interrupt.clear()
            let outcome = session.run(command.text, firstLine: command.line, source: edited)
            show(outcome)
            state.lastCommand = command.text
            if Interrupt.isRaised { break }
        }
    }

    private func showHistory(_ history: ShellHistory, last count: Int) {
        let entries = history.entries
        let first = max(0, entries.count - count)
        var out = ""
        for i in first..<entries.count { out += String(format: "%5d  ", i + 1) + entries[i] + "\n" }
        StandardStreams.output(out)
    }

    // MARK: Start-up file

    /// Runs `$XDG_CONFIG_HOME/rapport/rc` (default `~/.config/rapport/rc`) if it exists:
    /// settings and commands to start each session with. Errors name the file.
    private func runStartupFile() {
        let path = XDGDirectories(environment).config + "/rapport/rc"
        guard let data = FileManager.default.contents(atPath: path) else { return }
        guard let source = String(data: data, encoding: .utf8) else {
            StandardStreams.error("\(path): not UTF-8 text; skipped\n")
            return
        }
        for command in ScriptReader.commands(in: source) {
            let outcome = session.run(command.text, firstLine: command.line, source: source)
            if !outcome.output.isEmpty { StandardStreams.output(outcome.output) }
            if !outcome.messages.isEmpty { StandardStreams.error("\(path):\n" + outcome.messages) }
        }
    }

    // MARK: Output

    /// Writes an outcome: long results on a terminal go through the pager.
    private func show(_ outcome: CommandOutcome) {
        if !outcome.output.isEmpty {
            if session.settings.pager, let size = Pager.terminalSize(), Pager.isLonger(outcome.output, than: size.rows - 1),
               Pager.show(outcome.output, command: Pager.command(environment)) {
                // shown
            } else {
                StandardStreams.output(outcome.output)
            }
        }
        if !outcome.messages.isEmpty { StandardStreams.error(outcome.messages) }
        if Interrupt.isRaised {
            // Ctrl-C while the result was being written: the rest of it was dropped.
            if !outcome.messages.hasSuffix("cancelled\n") { StandardStreams.error("\ncancelled\n") }
            Interrupt.clear()
        }
    }

    // MARK: Prompt

    private var storeName: String {
        session.backend.location.map { Path.lastComponent($0) } ?? "demo"
    }

    var prompt: String { session.lesson?.prompt ?? "\(storeName) (\(session.settings.role.rawValue))> " }

    private var continuationPrompt: String {
        String(repeating: " ", count: max(DisplayWidth.of(prompt) - 5, 0)) + "...> "
    }

    private var welcome: String {
        let count = session.backend.count(.customers)
        let readOnly = session.backend.isReadOnly ? ", read-only" : ""
        return "Rapport \(Rapport.version): store '\(storeName)' with \(count) customer\(count == 1 ? "" : "s")\(readOnly). "
            + "Type help for commands, Ctrl-D to leave.\n"
    }
}
