import Foundation
import XCTest
import RapportTestSupport

/// The real binary in a real terminal: a tmux session on a private server, typed into
/// with `send-keys` and read with `capture-pane`, as a person would use it.
final class TerminalSession {
    let socket = "rapport-test-\(UUID().uuidString.prefix(8))"
    let name = "shell"
    let home: String

    /// Starts `rapport ARGUMENTS` in a terminal of `columns` x `rows`, in its own home
    /// (XDG directories inside it; also the working directory) unless `home` is given.
    init(_ arguments: [String], environment: [String: String] = [:], home: String? = nil,
         columns: Int = 100, rows: Int = 30) throws {
        self.home = home ?? NSTemporaryDirectory() + "rapport-tty-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: self.home, withIntermediateDirectories: true)
        var env = ["HOME": self.home, "XDG_STATE_HOME": self.home + "/state", "XDG_CONFIG_HOME": self.home + "/config",
                   "LANG": "C.UTF-8", "TERM": "xterm-256color", "PAGER": "less -RFX"]
        for (k, v) in environment { env[k] = v }
        let assignments = env.sorted { $0.key < $1.key }.map { "\($0.key)=\(TerminalSession.quoted($0.value))" }
        let unset = environment["NO_COLOR"] == nil ? "-u NO_COLOR " : ""
        let command = "cd \(TerminalSession.quoted(self.home)) && env \(unset)" + assignments.joined(separator: " ") + " "
            + ([RapportRunner.binary.path] + arguments).map(TerminalSession.quoted).joined(separator: " ")
            + "; echo \"[exited $?]\"; sleep 60"
        try tmux(["new-session", "-d", "-s", name, "-x", String(columns), "-y", String(rows), command])
    }

    deinit {
        _ = try? tmux(["kill-server"])
    }

    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Types `text` literally, then the named keys (Enter, Tab, C-c, Up...), once the
    /// program is reading keys (see `waitUntilReading`).
    func type(_ text: String, then keys: String..., file: StaticString = #filePath, line: UInt = #line) {
        waitUntilReading(file: file, line: line)
        if !text.isEmpty { _ = try? tmux(["send-keys", "-t", name, "-l", text]) }
        if !keys.isEmpty { _ = try? tmux(["send-keys", "-t", name] + keys) }
    }

    /// Presses keys (Enter, Tab, C-c, C-d, C-r, Up, Escape, q...) once the program is
    /// reading keys (see `waitUntilReading`).
    func press(_ keys: String..., file: StaticString = #filePath, line: UInt = #line) {
        waitUntilReading(file: file, line: line)
        _ = try? tmux(["send-keys", "-t", name] + keys)
    }

    /// Presses keys at once, while a command runs: Ctrl-C to stop it.
    func pressWhileRunning(_ keys: String...) {
        _ = try? tmux(["send-keys", "-t", name] + keys)
    }

    /// Waits until the program in the terminal reads keys one at a time (the terminal out of
    /// canonical mode), as the line editor, the pager and a lesson's prompt do. While a
    /// command runs the terminal is in canonical mode, and its line discipline takes
    /// Ctrl-R, Ctrl-U, Ctrl-W and Ctrl-C for itself: a test that pressed Ctrl-R as soon as
    /// the last command's output showed, before the editor read again, lost the key and
    /// ran what it typed next as a command (a CI failure on a loaded machine).
    func waitUntilReading(timeout: Double = 20, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(timeout)
        var tty = ""
        while Date() < deadline {
            if tty.isEmpty {
                tty = ((try? tmux(["display-message", "-p", "-t", name, "#{pane_tty}"])) ?? "")
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if !tty.isEmpty, TerminalSession.readsKeyByKey(tty) { return }
            usleep(20_000)
        }
        XCTFail("the program in the terminal never read keys (\(tty.isEmpty ? "no terminal" : tty) stayed in canonical mode); it shows:\n\(screen())",
                file: file, line: line)
    }

    /// Whether the terminal at `path` is out of canonical mode.
    static func readsKeyByKey(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var settings = termios()
        guard tcgetattr(fd, &settings) == 0 else { return false }
        return settings.c_lflag & tcflag_t(ICANON) == 0
    }

    /// What the screen shows now; with `escapes`, colours included.
    func screen(escapes: Bool = false) -> String {
        (try? tmux(["capture-pane", "-p", "-t", name] + (escapes ? ["-e"] : []))) ?? ""
    }

    /// Waits until the screen shows `text` at least `count` times and returns the
    /// screen, or fails the test.
    @discardableResult
    func waitFor(_ text: String, count: Int = 1, timeout: Double = 20, file: StaticString = #filePath, line: UInt = #line) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var shown = ""
        while Date() < deadline {
            shown = screen()
            if shown.components(separatedBy: text).count - 1 >= count { return shown }
            usleep(50_000)
        }
        XCTFail("the screen never showed \(text.debugDescription)\(count > 1 ? " \(count) times" : ""); it shows:\n\(shown)",
                file: file, line: line)
        return shown
    }

    /// Waits until the line the cursor is on reads `expected`, or fails the test.
    func waitForCurrentLine(_ expected: String, timeout: Double = 10, file: StaticString = #filePath, line: UInt = #line) {
        let deadline = Date().addingTimeInterval(timeout)
        var shown = ""
        while Date() < deadline {
            shown = currentLine()
            if shown == expected { return }
            usleep(50_000)
        }
        XCTFail("the cursor line reads \(shown.debugDescription), not \(expected.debugDescription)", file: file, line: line)
    }

    /// The line the cursor is on, trailing blanks removed.
    func currentLine() -> String {
        let y = (try? tmux(["display-message", "-p", "-t", name, "#{cursor_y}"]))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = screen().components(separatedBy: "\n")
        guard let y, let row = Int(y), row < lines.count else { return "" }
        var text = lines[row]
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }

    /// Runs a tmux command with posix_spawn and waitpid. (Foundation's Process waits for
    /// an end-of-file the tmux server never gives: the server inherits the descriptor.)
    /// The output goes through a file for the same reason.
    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let outputPath = home + "/.tmux-output"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ["tmux", "-L", socket, "-f", "/dev/null"] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for p in cArguments { free(p) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, "tmux", &actions, nil, &cArguments, environ)
        guard status == 0 else { throw NSError(domain: "tmux", code: Int(status), userInfo: [NSLocalizedDescriptionKey: "cannot run tmux (is it installed? scripts/setup installs it)"]) }
        var exitStatus: Int32 = 0
        while waitpid(pid, &exitStatus, 0) < 0 && errno == EINTR {}
        return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }
}
