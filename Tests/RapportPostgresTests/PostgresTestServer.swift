import Foundation
import RapportTestSupport
import XCTest

/// The test server ($RAPPORT_TEST_PG, started by scripts/test): fresh databases, psql.
struct PostgresTestServer {
    let url: String

    init() throws {
        guard let server = ProcessInfo.processInfo.environment["RAPPORT_TEST_PG"], !server.isEmpty else {
            throw XCTSkip("needs a PostgreSQL server: run scripts/test, or scripts/pg-server start and export RAPPORT_TEST_PG=<the URL it prints>")
        }
        url = server
    }

    /// A new database on the test server, empty or with the Rapport schema (`init`); its URL.
    func freshDatabase(initialised: Bool = false) throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try psql(url, "CREATE DATABASE \(name)")
        guard let range = url.range(of: "/rapport?") else { throw XCTSkip("RAPPORT_TEST_PG should name the database rapport: \(url)") }
        let database = url.replacingCharacters(in: range, with: "/\(name)?")
        if initialised {
            let created = RapportRunner.run(["--db", database, "-c", "init"])
            XCTAssertEqual(created.status, 0, created.stderr)
        }
        return database
    }

    static var psqlBinary: URL {
        let bin = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted().last.map { "/usr/lib/postgresql/\($0)/bin/psql" }
        return URL(fileURLWithPath: bin ?? "/usr/bin/psql")
    }

    /// psql on `database`: its exit status, output (trimmed) and errors (a refusal is a result here).
    func psqlResult(_ database: String, _ sql: String) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = Self.psqlBinary
        process.arguments = ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", database, "-c", sql]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text.trimmingCharacters(in: .whitespacesAndNewlines), errors)
    }

    /// Runs SQL with psql (the server's own client): set-up, looking behind the binary's back,
    /// or writing as a hand-made connection (`expectFailure`: the server must refuse it).
    @discardableResult
    func psql(_ database: String, _ sql: String, expectFailure: Bool = false, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try psqlResult(database, sql)
        XCTAssertEqual(r.status != 0, expectFailure, "psql on: \(sql): \(r.errors)", file: file, line: line)
        return r.output
    }

    /// Polls `sql` (5 s at most) until its output passes `test`.
    func waitUntil(_ database: String, _ sql: String, _ test: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let out = try? psql(database, sql), test(out) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    /// A psql process kept open: a second connection that holds locks while the test acts.
    func openSession(_ database: String) throws -> PsqlSession { try PsqlSession(database) }
}

final class PsqlSession {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var seen = ""

    init(_ database: String) throws {
        process.executableURL = PostgresTestServer.psqlBinary
        process.arguments = ["-X", "-q", "-t", "-A", database]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func send(_ sql: String) { input.fileHandleForWriting.write(Data((sql + "\n").utf8)) }

    /// Waits (10 s at most) until psql printed `text`.
    func waitFor(_ text: String) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while !seen.contains(text), Date() < deadline {
            seen += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        }
        return seen.contains(text)
    }

    /// Ends the session (its transaction rolls back).
    func end() {
        guard process.isRunning else { return }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
