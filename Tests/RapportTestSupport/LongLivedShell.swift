import Foundation
import XCTest

/// A `rapport --data DIR ... -` process kept open across commands and fed one line at a
/// time: what a long-lived session sees while other processes change its store. Output
/// is CSV (records end with CRLF, read as LF).
public final class LongLivedShell {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var seen = ""

    public convenience init(data: String) throws {
        try self.init(store: ["--data", data])
    }

    /// `store`: how to open it (`--data DIR`, `--db URL`); standard error goes to
    /// `errors` when given (read it with `errorsSoFar`).
    public init(store: [String], errors: URL? = nil) throws {
        process.executableURL = RapportRunner.binary
        process.arguments = store + ["--timezone", "UTC", "--format", "csv", "-"]
        process.standardInput = input
        process.standardOutput = output
        if let errors {
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errors)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
    }

    /// Sends `command` without waiting for an answer (one that prints nothing on standard output).
    public func send(_ command: String) {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
    }

    /// All it printed on standard output so far.
    public var printed: String {
        seen
    }

    /// Sends `command`, then waits (30 s at most) until all it printed so far ends with
    /// `expected`; fails the test when it does not.
    public func ask(_ command: String, until expected: String, file: StaticString = #filePath, line: UInt = #line) {
        input.fileHandleForWriting.write(Data((command + "\n").utf8))
        let deadline = Date().addingTimeInterval(30)
        while !seen.hasSuffix(expected), Date() < deadline {
            seen = (seen + String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)).replacingOccurrences(of: "\r\n", with: "\n")
        }
        XCTAssertTrue(seen.hasSuffix(expected), seen, file: file, line: line)
    }

    /// Closes its standard input and waits for it to end; its exit status.
    public func finish() -> Int32 {
        input.fileHandleForWriting.closeFile()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Ends the process and waits for it.
    public func close() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
