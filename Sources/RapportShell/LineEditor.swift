import CEditLine
import Foundation

/// Line editing through libedit's readline interface: Emacs keys, arrows, reverse
/// search (Ctrl-R), Tab completion through a closure, and a history kept in a file.
///
/// libedit holds its state in C globals, so there is one editor per process.
final class LineEditor {
    /// Given the text before the cursor, the column (in characters) where the word
    /// being completed starts and the words that may replace it.
    typealias CompletionProvider = (_ textBeforeCursor: String) -> (start: Int, candidates: [String])

    /// What `readLine` got.
    enum Input: Equatable {
        case line(String)
        /// Ctrl-C: the line being typed is dropped.
        case interrupted
        /// Ctrl-D on an empty line, or the end of input.
        case endOfInput
    }

    private(set) var history: ShellHistory
    // libedit's callbacks are C function pointers that capture nothing, so what they read
    // lives in statics; the shell runs on one thread.
    nonisolated(unsafe) private static var completionProvider: CompletionProvider?
    nonisolated(unsafe) private static var pendingMatches: [String] = []
    nonisolated(unsafe) private static let wordBreaks = strdup(" \t\n\"'(),=<>!")

    init(history: ShellHistory, completion: @escaping CompletionProvider) {
        self.history = history
        LineEditor.completionProvider = completion
        LineEditor.useUTF8Locale()
        rapport_rl_configure(strdup("rapport"), LineEditor.wordBreaks) { text, start, end in LineEditor.complete(text, start, end) }
        using_history()
        stifle_history(Int32(history.capacity))
        for entry in history.entries { add_history(entry) }
    }

    /// libedit reads multibyte characters (上海) only under a UTF-8 locale; the C locale
    /// a bare environment starts with is not one.
    private static func useUTF8Locale() {
        if let name = setlocale(LC_CTYPE, ""), String(cString: name).lowercased().replacingOccurrences(of: "-", with: "").contains("utf8") { return }
        if setlocale(LC_CTYPE, "C.UTF-8") == nil { _ = setlocale(LC_CTYPE, "en_US.UTF-8") }
    }

    /// Shows `prompt` and reads one line with editing.
    func readLine(prompt: String) -> Input {
        Interrupt.clear()
        errno = 0
        guard let raw = readline(prompt) else {
            if Interrupt.isRaised || errno == EINTR {
                Interrupt.clear()
                return .interrupted
            }
            return .endOfInput
        }
        defer { free(raw) }
        if Interrupt.isRaised {
            Interrupt.clear()
            return .interrupted
        }
        return .line(String(decoding: UnsafeRawBufferPointer(start: raw, count: strlen(raw)), as: UTF8.self))
    }

    /// Records a command in the history (unless the history's hygiene rules say no) and
    /// in libedit's list, for the arrow keys and Ctrl-R.
    func remember(_ command: String) {
        if let stored = history.record(command) { add_history(stored) }
    }

    // MARK: Completion

    private static func complete(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
        rapport_rl_set_attempted_completion_over(1)
        guard let provider = completionProvider else { return nil }
        let line = rapport_rl_line_buffer().map { String(cString: $0) } ?? ""
        // libedit counts the cursor in characters (wide characters), not bytes.
        let scalars = Array(line.unicodeScalars)
        let cursor = min(max(Int(end), 0), scalars.count)
        var beforeCursor = String.UnicodeScalarView()
        beforeCursor.append(contentsOf: scalars[..<cursor])
        let before = String(beforeCursor)
        let libeditWord = text.map { String(cString: $0) } ?? ""
        let (wordStart, candidates) = provider(before)
        let ourWord = String(before.dropFirst(wordStart))
        pendingMatches = LineEditor.align(candidates, ourWord: ourWord, libeditWord: libeditWord)
        if pendingMatches.isEmpty { return nil }
        rapport_rl_set_completion_append_character(pendingMatches.count == 1 && (pendingMatches[0].hasSuffix("/") || pendingMatches[0].hasSuffix("(")) ? 0 : 32)
        return rl_completion_matches(text) { _, state in
            let index = Int(state)
            guard index < LineEditor.pendingMatches.count else { return nil }
            return strdup(LineEditor.pendingMatches[index])
        }
    }

    /// The completer and libedit may disagree on where the word starts (libedit splits
    /// on its break characters); rewrites candidates to replace libedit's word.
    static func align(_ candidates: [String], ourWord: String, libeditWord: String) -> [String] {
        if ourWord == libeditWord { return candidates }
        if ourWord.count > libeditWord.count, ourWord.hasSuffix(libeditWord) {
            let extra = ourWord.dropLast(libeditWord.count)
            return candidates.compactMap { c in
                c.lowercased().hasPrefix(extra.lowercased()) ? String(c.dropFirst(extra.count)) : nil
            }
        }
        if libeditWord.count > ourWord.count, libeditWord.hasSuffix(ourWord) {
            let extra = libeditWord.dropLast(ourWord.count)
            return candidates.map { extra + $0 }
        }
        return []
    }
}
