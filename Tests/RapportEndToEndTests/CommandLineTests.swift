import Foundation
import XCTest
import RapportTestSupport

/// Drives the real `rapport` binary: -c, scripts, stdin, exit codes, error shapes,
/// persistence across runs.
final class CommandLineTests: XCTestCase {
    var data: String!

    override func setUpWithError() throws {
        data = NSTemporaryDirectory() + "rapport-cli-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    func rapport(_ args: [String], stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let r = RapportRunner.run(["--now", "2026-11-24", "--timezone", "UTC"] + args, stdin: stdin)
        return (r.status, r.stdout, r.stderr)
    }

    func testContractErrorShapeAndExitStatus() {
        // The saved demo store: the message is the same on any store, and --demo's is tested below.
        let r = rapport(SharedDemoStore.arguments(now: "2026-11-24") + ["-c", "find customers where lastcontct > 90d"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, """
        error: unknown field 'lastcontct' at 1:22
          find customers where lastcontct > 90d
                               ^^^^^^^^^^
          did you mean 'lastContact'?

        """)
    }

    func testShellOnlyCommandsInAScriptSaySo() {
        let r = rapport(["--demo-size", "5", "-"], stdin: "count customers\nedit\nhistroy\n")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("'edit' works in the interactive shell only at 2:1"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'history'?"), r.stderr)
    }

    func testDemoAnswersContractExamples() {
        let r = rapport(["--demo", "--format", "csv", "-c", "find customers where tier = gold and lastContact > 90d show id, tier, lastContact"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "id,tier,lastContact")
        XCTAssertGreaterThan(lines.count, 10, "the demo store should have gold customers not contacted for 90 days")
        for line in lines.dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            XCTAssertEqual(cells[1], "gold")
            XCTAssertLessThan(String(cells[2]), "2026-08-26", "last contact more than 90 days before 2026-11-24")
        }
        let count = rapport(["--demo", "-c", "count customers by tier"])
        XCTAssertEqual(count.status, 0, count.stderr)
        XCTAssertTrue(count.stdout.contains("platinum"))
        XCTAssertTrue(count.stdout.hasSuffix("rows)\n"))
    }

    func testChangesSurviveARestartAndAreAudited() throws {
        var r = rapport(["--data", data, "--user", "alice", "-c", #"add customer id: "C9", name: "王芳", tier: gold, birthday: 1990-02-14"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = rapport(["--data", data, "-c", "log purchase C9 amount 1200.5 \"茶具\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = rapport(["--data", data, "--format", "json", "-c", "find customers where id = c9 show id, name, totalSpent, purchaseCount, points, lastPurchase"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [[String: Any]]
        XCTAssertEqual(rows.count, 1)
        XCTAssertEqual(rows[0]["name"] as? String, "王芳")
        XCTAssertEqual(rows[0]["totalSpent"] as? Double, 1200.5)
        XCTAssertEqual(rows[0]["purchaseCount"] as? Int, 1)
        XCTAssertEqual(rows[0]["points"] as? Int, 1200)
        XCTAssertEqual(rows[0]["lastPurchase"] as? String, "2026-11-24")
        // The audit trail: change sets stay in the journal or move to the audit log at a snapshot.
        let trail = ["journal.jsonl", "audit.jsonl"].compactMap { try? String(contentsOfFile: data + "/" + $0, encoding: .utf8) }.joined()
        XCTAssertTrue(trail.contains("\"user\":\"alice\""), trail)
        XCTAssertTrue(trail.contains(#""command":"log purchase C9 amount 1200.5 \"茶具\"""#), trail)
        XCTAssertTrue(trail.contains(#""before":{"stage":null,"lastPurchase":null,"totalSpent":null"#), trail)
    }

    func testSaveThenReopenGivesSameAnswers() {
        XCTAssertEqual(rapport(["--data", data, "-c", #"add customer id: "C1", name: "Anna", tier: silver, tags: (vip, new)"#]).status, 0)
        XCTAssertEqual(rapport(["--data", data, "-c", "save"]).status, 0)
        XCTAssertEqual(rapport(["--data", data, "-c", #"update customers where id = C1 set tier = gold"#]).status, 0)
        let r = rapport(["--data", data, "--format", "csv", "-c", "find customers where tags has VIP show id, tier, tags"])
        XCTAssertEqual(r.stdout, "id,tier,tags\nC1,gold,vip;new\n")
    }

    func testDryRunChangesNothing() {
        XCTAssertEqual(rapport(["--data", data, "-c", #"add customer id: "C1", name: "Anna""#]).status, 0)
        let r = rapport(["--data", data, "--dry-run", "-c", "delete customers where id = C1"])
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("dry run"), r.stdout)
        XCTAssertTrue(rapport(["--data", data, "-c", "count customers"]).stdout.contains("1"))
    }

    func testScriptFromStdinReportsLineNumbersAndContinues() {
        let script = """
        #!/usr/bin/env rapport
        # a comment
        add customer id: "C1", name: "A"
        find customers where nmae = x
        count customers
        """
        let r = rapport(["--data", data, "-"], stdin: script)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("unknown field 'nmae' at 4:22"), r.stderr)
        XCTAssertTrue(r.stdout.contains("(1 row)"), r.stdout)
    }

    func testBailStopsAtFirstError() {
        let r = rapport(["--data", data, "--bail", "-"], stdin: "find customers where x = 1\ncount customers\n")
        XCTAssertEqual(r.status, 2)
        XCTAssertFalse(r.stdout.contains("count"))
    }

    func testRuntimeErrorExitsOne() {
        let r = rapport(["--data", data, "-c", "log contact C404 via phone \"hi\""])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: no customer with id 'C404'"), r.stderr)
    }

    func testBadImportIsAllOrNothing() throws {
        let file = data + "-import.jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
        {"id":"C1","name":"A","birthday":"1990-01-01"}
        {"id":"C2","name":"B","birthday":"2026-02-30"}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let r = rapport(["--data", data, "-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("line 2"), r.stderr)
        XCTAssertTrue(rapport(["--data", data, "--format", "csv", "-c", "count customers"]).stdout.hasSuffix("\n0\n"))
    }

    /// Writers share a store (SharedStoreTests); one whose commit waits too long for
    /// another's gets a clear message, and reading never waits.
    func testAWriterKeptWaitingGetsAClearMessage() throws {
        XCTAssertEqual(rapport(["--data", data, "-c", "set policy store.lockWait = 0s"]).status, 0)
        let lock = open(data + "/lock", O_RDWR)
        XCTAssertGreaterThanOrEqual(lock, 0)
        defer { close(lock) }
        XCTAssertEqual(flock(lock, LOCK_EX | LOCK_NB), 0)
        XCTAssertEqual(rapport(["--data", data, "-c", "count customers"]).status, 0)
        let r = rapport(["--data", data, "-c", #"add customer id: "C1""#])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("in use"), r.stderr)
    }

    func testUnknownOptionIsAUsageError() {
        let r = rapport(["--formt", "csv"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("--format"), r.stderr)
    }
}
