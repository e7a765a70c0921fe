import Foundation

/// Runs the inputs of a run (script files, `-c` commands, standard input, the shell's
/// lines) through one session: `let` definitions last to the end of the input they are
/// in, `include "FILE"` runs another file's commands in place, diagnostics name the file,
/// and `--bail` stops at the first failing command however deep in the includes.
public final class ScriptRunner {
    public let session: Session
    /// Stop at the first failing command (`--bail`).
    public var bail = false
    /// Print each script command before its output (`--echo`).
    public var echo = false
    /// Where each command's outcome goes as soon as it has run.
    public var write: (CommandOutcome) -> Void
    /// Where `echo` prints.
    public var echoOutput: (String) -> Void = { _ in }
    /// The worst status of the commands run since the input began: 0, 1 or 2.
    public private(set) var status: Int32 = 0
    /// Set by `--bail` once a command failed: nothing more runs.
    public private(set) var stopped = false

    /// The files being run, outermost first: their real paths (for cycles) and names as shown.
    private var chain: [(realPath: String, name: String)] = []

    public init(session: Session, write: @escaping (CommandOutcome) -> Void) {
        self.session = session
        self.write = write
        session.includeScript = { [unowned self] path, span in try self.include(path, at: span) }
    }

    /// A new input begins (a script, one `-c`, standard input): no lets, status 0.
    public func beginInput() {
        session.definitions = [:]
        status = 0
    }

    /// Runs a script file's text, `name` being its path as typed.
    public func runScript(_ source: String, name: String) {
        chain = [(Self.realPath(name), name)]
        defer { chain = [] }
        runCommands(of: source, name: name)
    }

    /// Runs one command; false once `--bail` says to stop. `sourceName` names the file the
    /// command's lines are in, nil for `-c`, standard input and the shell.
    @discardableResult
    public func run(_ command: ScriptReader.Command, source: String?, sourceName: String?) -> Bool {
        if stopped { return false }
        if echo { echoOutput("> " + command.text + "\n") }
        let outcome = session.run(command.text, firstLine: command.line, source: source, sourceName: sourceName)
        write(outcome)
        record(outcome.status.rawValue)
        return !stopped
    }

    private func record(_ code: Int32) {
        status = max(status, code)
        if bail, code != 0 { stopped = true }
    }

    private func runCommands(of source: String, name: String) {
        for command in ScriptReader.commands(in: source) {
            if !run(command, source: source, sourceName: name) { break }
        }
    }

    /// `include "FILE"`: FILE relative to the including file's directory (the working
    /// directory outside a file); refused when it is already being run (a cycle) or
    /// cannot be read. The included commands' statuses count as the includer's.
    private func include(_ path: String, at span: SourceSpan) throws {
        let directory = chain.last.map { ($0.name as NSString).deletingLastPathComponent } ?? ""
        let name = path.hasPrefix("/") || directory.isEmpty ? path : (directory as NSString).appendingPathComponent(path)
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(name) } catch let e as FileSystemError {
            throw Diagnostic.usage(.includeUnreadable, name, String(cString: strerror(e.code)), at: span)
        }
        guard let source = String(validating: bytes, as: UTF8.self) else {
            throw Diagnostic.usage(.includeUnreadable, name, "it is not UTF-8 text", at: span)
        }
        let real = Self.realPath(name)
        if chain.contains(where: { $0.realPath == real }) {
            throw Diagnostic.usage(.includeCycle, (chain.map(\.name) + [name]).joined(separator: " → "), at: span)
        }
        chain.append((real, name))
        defer { chain.removeLast() }
        runCommands(of: source, name: name)
    }

    /// The path with links and `..` resolved, so that two spellings of one file are one.
    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
