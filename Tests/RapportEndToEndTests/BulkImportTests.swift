import Foundation
import XCTest
import RapportTestSupport

/// A bulk import (at least the policy's `import.bulkRows` added records) goes into a new
/// snapshot and leaves one summary entry in the journal and audit log, not every record
/// twice (docs/storage.md "Bulk imports"); a crash anywhere leaves all of it or none, and
/// the audit trail agrees with the store.
final class BulkImportTests: XCTestCase {
    var root: String!
    var data: String { root + "/store" }
    var file: String { root + "/people.jsonl" }
    let rows = 1_200

    override func setUp() {
        root = NSTemporaryDirectory() + "rapport-bulk-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let lines = (1...rows).map { i in
            "{\"id\":\"K\(String(format: "%05d", i))\",\"name\":\"客户\(i)\",\"email\":\"k\(i)@example.com\",\"city\":\"上海\"}"
        }
        FileManager.default.createFile(atPath: file, contents: Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    @discardableResult
    func rapport(_ args: [String], faults: String? = nil, environment: [String: String] = [:]) -> RapportRunner.Result {
        var env = environment
        if let faults { env["RAPPORT_TEST_FAULTS"] = faults }
        return RapportRunner.run(["--data", data, "--now", "2026-11-01", "--timezone", "UTC"] + args, environment: env)
    }

    func csv(_ command: String) -> String {
        let r = rapport(["--format", "csv", "-c", command])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func size(_ name: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: data + "/" + name))?[.size] as? Int) ?? 0
    }

    /// Two customers in the snapshot and one change in the journal, before the import.
    func makeStore() {
        XCTAssertEqual(rapport(["-c", "add customer id: \"C1\", name: \"甲\"", "-c", "add customer id: \"C2\", name: \"乙\"",
                                "-c", "save", "-c", "log contact C1 via phone \"before the import\""]).status, 0)
    }

    func testABulkImportIsOneAuditEntryAndTheSnapshotHoldsItsRecords() throws {
        makeStore()
        let r = rapport(["-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(csv("count customers"), "count\n\(rows + 2)\n")
        XCTAssertEqual(csv("find customers where id = K00600 show email"), "email\nk600@example.com\n")
        // The records are in the snapshot; the journal was moved and emptied, and the audit
        // log holds the earlier entries and one short summary, not the records.
        XCTAssertEqual(size("journal.jsonl"), 0)
        XCTAssertLessThan(size("audit.jsonl"), 4_000, "the records are not copied into the audit log")
        XCTAssertLessThan(size("audit.jsonl") + size("journal.jsonl"), size("snapshot.json") / 20)
        let audit = csv("find audit where field = import show entity, record, after")
        let sha = try XCTUnwrap(shellSHA256(file))
        XCTAssertEqual(audit, "entity,record,after\ncustomers,\(file),\"added 1200 customers (K00001..K01200) from \(file), sha256 \(sha)\"\n")
        XCTAssertEqual(csv("count audit where entity = customers and record = K00001"), "count\n0\n",
                       "no row per field per imported record")
        XCTAssertEqual(csv("count audit where record = C1 and field = lastContact"), "count\n1\n", "earlier entries are kept")
        XCTAssertEqual(rapport(["--check"]).status, 0)
        // Later changes journal as usual on top of the import's snapshot.
        XCTAssertEqual(rapport(["-c", "update customers where id = K00001 set city = 北京"]).status, 0)
        XCTAssertEqual(csv("find customers where id = K00001 show city"), "city\n北京\n")
        XCTAssertEqual(csv("count audit where record = K00001 and field = city"), "count\n1\n")
    }

    /// The file's hash and the frees run on another core and are not waited for at once;
    /// the process waits for them before it exits (exit's teardown under a running thread
    /// crashed a test process once). A failed and a successful import, several times over,
    /// each end with their own status and message, never a signal.
    func testImportsEndWithTheirOwnStatusNeverASignal() throws {
        let bad = root + "/bad.csv"
        let lines = (1...6_000).map { "N\($0),2023-02-" + String(format: "%02d", $0 == 4_000 ? 30 : 1 + $0 % 28) }
        FileManager.default.createFile(atPath: bad, contents: Data(("id,birthday\n" + lines.joined(separator: "\n") + "\n").utf8))
        for _ in 0..<4 {
            let failed = rapport(["-c", "import customers from \"\(bad)\""])
            XCTAssertTrue(failed.status == 1 || failed.status == 2, "status \(failed.status): \(failed.stderr)")
            XCTAssertTrue(failed.stderr.contains("line 4001"), failed.stderr)
        }
        for _ in 0..<2 {
            try? FileManager.default.removeItem(atPath: data)
            let imported = rapport(["-c", "import customers from \"\(file)\""])
            XCTAssertEqual(imported.status, 0, imported.stderr)
        }
    }

    func testASmallImportStaysInTheJournalWithEveryField() throws {
        makeStore()
        let small = root + "/few.jsonl"
        FileManager.default.createFile(atPath: small, contents: Data("{\"id\":\"S1\",\"name\":\"小\"}\n".utf8))
        XCTAssertEqual(rapport(["-c", "import customers from \"\(small)\""]).status, 0)
        XCTAssertEqual(csv("find audit where record = S1 and field = name show after"), "after\n小\n")
        XCTAssertEqual(csv("count audit where field = import"), "count\n0\n")
    }

    func testTheThresholdIsThePolicys() throws {
        makeStore()
        let small = root + "/few.jsonl"
        FileManager.default.createFile(atPath: small, contents: Data("{\"id\":\"S1\",\"name\":\"小\"}\n{\"id\":\"S2\",\"name\":\"小\"}\n".utf8))
        XCTAssertEqual(rapport(["-c", "set policy import.bulkRows = 2", "-c", "import customers from \"\(small)\""]).status, 0)
        XCTAssertEqual(csv("find audit where field = import show after").hasPrefix("after\n\"added 2 customers (S1..S2) from"), true)
        XCTAssertEqual(csv("count customers where id in (S1, S2)"), "count\n2\n")
    }

    /// SIGKILL at every step of a bulk import: before the summary is written, while it is
    /// unsynced, before the snapshot's rename, and after it (before the journal moves).
    func testAKillAnywhereLeavesAllOrNothingAndTheAuditAgrees() throws {
        let points: [(fault: String, landed: Bool)] = [
            ("write:journal.jsonl:2:KILL", false),
            ("fsync:journal.jsonl:2:KILL", false),
            ("write:snapshot.json:1:KILL", false),
            ("rename:snapshot.json:1:KILL", false),
            ("write:audit.jsonl:1:KILL", true),
        ]
        for point in points {
            try? FileManager.default.removeItem(atPath: data)
            makeStore()
            let killed = rapport(["-c", "log contact C2 via visit \"just before\"", "-c", "import customers from \"\(file)\""],
                                 faults: point.fault)
            XCTAssertNotEqual(killed.status, 0, "\(point.fault): the process was killed")
            let opened = rapport(["--format", "csv", "-c", "count customers", "-c", "count audit where field = import"])
            XCTAssertEqual(opened.status, 0, "\(point.fault): \(opened.stderr)")
            let expected = point.landed ? rows + 2 : 2
            XCTAssertEqual(opened.stdout, "count\n\(expected)\ncount\n\(point.landed ? 1 : 0)\n", point.fault)
            XCTAssertEqual(csv("count contacts where note = \"just before\""), "count\n1\n", "\(point.fault): the change before it stays")
            let check = rapport(["--check"])
            XCTAssertEqual(check.status, 0, "\(point.fault): \(check.stdout)\(check.stderr)")
            // The store goes on: a second import of the same file adds it, or is refused as
            // a repeat of ids the first one landed.
            let again = rapport(["-c", "import customers from \"\(file)\""])
            XCTAssertEqual(again.status, point.landed ? 1 : 0, "\(point.fault): \(again.stderr)")
            XCTAssertEqual(csv("count customers"), "count\n\(rows + 2)\n", point.fault)
            XCTAssertEqual(csv("count audit where field = import"), "count\n1\n", point.fault)
        }
    }

    func testAFailedSnapshotImportsNothingAndTheSessionGoesOn() throws {
        makeStore()
        let r = rapport(["--format", "csv", "-c", "import customers from \"\(file)\"", "-c", "count customers",
                         "-c", "count audit where field = import"], faults: "rename:snapshot.json:1")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("the snapshot was not completed"), r.stderr)
        XCTAssertEqual(r.stdout, "count\n2\ncount\n0\n", "nothing of it stays in memory")
        XCTAssertEqual(csv("count customers"), "count\n2\n")
        XCTAssertEqual(rapport(["--check"]).status, 0)
    }

    /// The summary entry is written beside the apply (`Database.commitBulkImport`): when its
    /// write or fsync fails, the records already applied in memory go too, the journal keeps
    /// only the entries before it, and the same session goes on (a small change, then the
    /// import again) as if the failed import had never been tried.
    func testAFailedSummaryWriteImportsNothingAndTheSessionGoesOn() throws {
        makeStore()
        let journalBefore = try Data(contentsOf: URL(fileURLWithPath: data + "/journal.jsonl"))
        let r = rapport(["--format", "csv", "-c", "import customers from \"\(file)\"", "-c", "count customers",
                         "-c", "find customers where id = K00600 show email", "-c", "count audit where field = import"],
                        faults: "fsync:journal.jsonl:1")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("not saved"), r.stderr)
        XCTAssertEqual(r.stdout, "count\n2\nemail\ncount\n0\n", "nothing of it stays in memory")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: data + "/journal.jsonl")), journalBefore)
        XCTAssertEqual(csv("count customers"), "count\n2\n")
        XCTAssertEqual(rapport(["--check"]).status, 0)
        let again = rapport(["--format", "csv", "-c", "add customer id: \"C3\", name: \"丙\"", "-c", "import customers from \"\(file)\"",
                             "-c", "count customers", "-c", "count audit where field = import"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.hasSuffix("count\n\(rows + 3)\ncount\n1\n"), again.stdout)
    }

    func testEncryptedStoreTakesABulkImport() throws {
        let key = root + "/key"
        XCTAssertTrue(FileManager.default.createFile(atPath: key, contents: Data((0..<32).map { UInt8(($0 * 53 + 7) % 256) }),
                                                     attributes: [.posixPermissions: 0o600]))
        let env = ["RAPPORT_KEY_FILE": key]
        XCTAssertEqual(rapport(["--encrypt"], environment: env).status, 0)
        XCTAssertEqual(rapport(["-c", "add customer id: \"C1\""], environment: env).status, 0)
        let r = rapport(["-c", "import customers from \"\(file)\""], environment: env)
        XCTAssertEqual(r.status, 0, r.stderr)
        let counts = rapport(["--format", "csv", "-c", "count customers", "-c", "count audit where field = import"], environment: env)
        XCTAssertEqual(counts.stdout, "count\n\(rows + 1)\ncount\n1\n", counts.stderr)
        let plain = try String(contentsOfFile: data + "/audit.jsonl", encoding: .isoLatin1)
        XCTAssertFalse(plain.contains("people.jsonl"), "the summary is sealed like every entry")
    }

    /// A session open before another process's bulk import sees its records before its
    /// next command (the import's snapshot replaced the one it read), and its own change
    /// and audit view follow the import.
    func testAnOpenSessionCatchesUpWithAnotherProcesssBulkImport() throws {
        makeStore()
        let shell = try LongLivedShell(data: data)
        defer { shell.close() }
        func ask(_ command: String, until expected: String, line: UInt = #line) { shell.ask(command, until: expected, line: line) }
        ask("count customers", until: "count\n2\n")
        ask("count audit where field = import", until: "count\n0\n")
        XCTAssertEqual(rapport(["-c", "import customers from \"\(file)\""]).status, 0)
        ask("count customers", until: "count\n\(rows + 2)\n")
        ask("count audit where field = import", until: "count\n1\n")
        ask("log contact K00002 via visit", until: "count\n1\n")
        ask("count contacts", until: "count\n2\n")
        XCTAssertEqual(shell.finish(), 0)
        XCTAssertEqual(csv("count contacts where customer = K00002"), "count\n1\n")
        XCTAssertEqual(rapport(["--check"]).status, 0)
    }

    func shellSHA256(_ path: String) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
        let out = Pipe()
        p.standardOutput = out
        guard (try? p.run()) != nil else { return nil }
        p.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: " ").first.map(String.init)
    }
}
