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

    public init(data: String) throws {
        process.executableURL = RapportRunner.binary
        process.arguments = ["--data", data, "--timezone", "UTC", "--format", "csv", "-"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
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
