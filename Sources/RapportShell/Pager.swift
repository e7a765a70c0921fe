import Foundation

/// Long results on a terminal go through a pager: `$PAGER`, else `less -RFX`.
enum Pager {
    /// The terminal's rows and columns, when standard output is one.
    static func terminalSize() -> (rows: Int, columns: Int)? {
        var size = winsize()
        guard isatty(STDOUT_FILENO) != 0, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 else { return nil }
        return (Int(size.ws_row), Int(size.ws_col))
    }

    /// True when `text` would not fit on a screen of `rows` rows (one is left for the prompt).
    static func isLonger(_ text: String, than rows: Int) -> Bool {
        var lines = 0
        for byte in text.utf8 where byte == 10 {
            lines += 1
            if lines >= rows { return true }
        }
        return false
    }

    /// The pager command: `$PAGER` when set and not empty, else `less -RFX`
    /// (colours pass through, one screen quits at once, the screen is not cleared).
    static func command(_ environment: [String: String]) -> String {
        if let pager = environment["PAGER"], !pager.trimmingCharacters(in: .whitespaces).isEmpty { return pager }
        return "less -RFX"
    }

    /// Shows `text` in the pager and waits for it to end; false when no pager could start.
    static func show(_ text: String, command: String) -> Bool {
        guard let status = try? ChildProcess.run("exec " + command, input: text) else { return false }
        return status != 127 && status != 126
    }
}
