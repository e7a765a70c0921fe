import Foundation

/// Runs the built `rapport` binary and collects what it printed.
public enum RapportRunner {
    public struct Result: Sendable {
        public var status: Int32
        /// Standard output with CSV's CRLF record ends read as LF: most tests read CSV
        /// output line by line, and Swift's `split(separator: "\n")` does not split a
        /// CRLF (one Character). Tests of the bytes themselves read `rawStdout`.
        public var stdout: String
        public var stderr: String
        public var rawStdout: String
    }

    /// The binary: $RAPPORT_BIN, else `rapport` beside the test bundle (.build/<triple>/debug).
    public static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["RAPPORT_BIN"] { return URL(fileURLWithPath: path) }
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("rapport")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        let fallback = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rapport")
        return fallback
    }()

    /// `directory`: the working directory to run in (relative paths start there).
    public static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                    directory: String? = nil) -> Result {
        let process = Process()
        process.executableURL = binary
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory, isDirectory: true) }
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        do { try process.run() } catch {
            return Result(status: -1, stdout: "", stderr: "cannot run \(binary.path): \(error)", rawStdout: "")
        }
        final class Box: @unchecked Sendable { var data = Data() }
        let outBox = Box(), errBox = Box()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { outBox.data = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errBox.data = err.fileHandleForReading.readDataToEndOfFile() }
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        group.wait()
        process.waitUntilExit()
        let stdout = String(decoding: outBox.data, as: UTF8.self)
        return Result(status: process.terminationStatus,
                      stdout: stdout.replacingOccurrences(of: "\r\n", with: "\n"),
                      stderr: String(decoding: errBox.data, as: UTF8.self),
                      rawStdout: stdout)
    }
}

extension RapportRunner {
    /// Runs one of the repository's Python scripts (`scripts/NAME`): its exit status and
    /// everything it printed, both streams together.
    public static func runScript(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("scripts/" + name).path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
