import Foundation
import XCTest
import RapportTestSupport

/// `find duplicates` and `merge` through the real binary: a store with planted duplicates
/// lists exactly them; a merge keeps every record, leaves the kept customer's rollups equal
/// to a recompute from its records, is one journal entry, survives restarts; an agent is
/// refused; a dry run changes nothing.
final class DuplicatesEndToEndTests: XCTestCase {
    var data: String!

    override func setUpWithError() throws {
        data = NSTemporaryDirectory() + "rapport-dups-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    @discardableResult
    func rapport(_ args: [String], role: String = "admin", stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let r = RapportRunner.run(["--data", data, "--now", "2026-11-24", "--timezone", "UTC", "--format", "csv", "--role", role] + args,
                                  stdin: stdin)
        return (r.status, r.stdout, r.stderr)
    }

    func seed(_ script: String) {
        let r = rapport(["-"], stdin: script + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testPlantedDuplicatesAreFoundAndNothingElse() {
        seed("""
            add customer id: "C1", name: "王芳", phone: "13800138000", city: 上海, createdAt: 2025-01-01
            add customer id: "C2", name: "王 芳", phone: "+86 138-0013-8000", city: 上海, createdAt: 2025-02-01
            add customer id: "C3", name: "王方", phone: "13900139000", city: 上海, createdAt: 2025-03-01
            add customer id: "C4", name: "Fang Wang", email: "Fang.Wang@Example.com", city: Shanghai, createdAt: 2025-04-01
            add customer id: "C5", name: "wang fang", email: "fang.wang@example.com", city: Shanghai, createdAt: 2025-05-01
            add customer id: "C6", name: "Lucas Obrien", city: 北京, createdAt: 2025-06-01
            add customer id: "C7", name: "Lucas Obrian", city: 北京, createdAt: 2025-07-01
            add customer id: "C8", name: "Lucas Obrien", city: 深圳, createdAt: 2025-08-01
            add customer id: "C9", name: "Li Na", city: 北京, createdAt: 2025-09-01
            add customer id: "C10", name: "Li Ma", city: 北京, createdAt: 2025-10-01
            """)
        let all = rapport(["-c", "find duplicates"])
        XCTAssertEqual(all.status, 0, all.stderr)
        XCTAssertEqual(all.stdout, """
            group,reason,id,name,phone,email,city,createdAt
            1,"same phone, similar name in 上海",C1,王芳,13800138000,,上海,2025-01-01
            1,"same phone, similar name in 上海",C2,王 芳,+86 138-0013-8000,,上海,2025-02-01
            2,"same email, similar name in Shanghai",C4,Fang Wang,,Fang.Wang@Example.com,Shanghai,2025-04-01
            2,"same email, similar name in Shanghai",C5,wang fang,,fang.wang@example.com,Shanghai,2025-05-01
            3,similar name in 北京,C6,Lucas Obrien,,,北京,2025-06-01
            3,similar name in 北京,C7,Lucas Obrian,,,北京,2025-07-01

            """)
        // One rule, and a limit on groups.
        XCTAssertEqual(rapport(["-c", "find duplicates by email"]).stdout.split(separator: "\n").count, 3, "the header and C4, C5")
        XCTAssertEqual(rapport(["-c", "find duplicates by name limit 1"]).stdout.split(separator: "\n").count, 3)
        // A trainee may list them.
        XCTAssertEqual(rapport(["-c", "find duplicates limit 1"], role: "trainee").status, 0)
        let bad = rapport(["-c", "find duplicates by fone"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("phone"), bad.stderr)
    }

    /// C2 (to merge) and C1 (to keep), each with records of every kind; C3 apart.
    func seedMerge() {
        seed("""
            add customer id: "C1", name: "王芳", phone: "13800138000", city: 上海, tags: (vip), createdAt: 2025-01-01
            add customer id: "C2", name: "王 芳", phone: "13800138000", email: "wf@example.cn", owner: 李娜, tags: (投诉过, VIP), optOut: (sms), createdAt: 2025-02-01
            add customer id: "C3", name: "李娜", city: 北京
            log purchase C1 amount 100 "茶"
            log purchase C2 amount 250.5 "茶具"
            add purchase customer: C2, date: 2026-11-01, amount: 40
            log contact C1 via phone "first"
            add contact customer: C2, date: 2026-11-20, channel: wechat, note: "later"
            add contact customer: C2, date: 2026-10-01, channel: sms
            open ticket C2 complaint "broken lid"
            log survey C2 score 2
            add task customer: C2, owner: 李娜, text: "call back", due: 2026-12-01
            add points C2 30 "gift"
            log purchase C3 amount 999
            """)
    }

    func counts() -> [String] {
        ["customers", "contacts", "purchases", "tickets", "events", "surveys", "tasks", "points"].map {
            rapport(["-c", "count \($0)"]).stdout
        }
    }

    func keptFields() -> String {
        rapport(["-c", "find customers where id = C1 show totalSpent, purchaseCount, lastPurchase, lastContact, points, satisfaction, email, owner, tags, optOut, city, createdAt"]).stdout
    }

    /// The kept customer's rollups recomputed from its records by queries.
    func recomputed() -> [String] {
        ["sum amount of purchases where customer = C1", "count purchases where customer = C1", "max date of purchases where customer = C1",
         "max date of contacts where customer = C1", "sum change of points where customer = C1"].map { rapport(["-c", $0]).stdout }
    }

    func testMergeMovesEveryRecordAndRecomputesTheKeptCustomer() throws {
        seedMerge()
        let before = counts()
        let journalBefore = try String(contentsOfFile: data + "/journal.jsonl", encoding: .utf8).split(separator: "\n").count
        let r = rapport(["-c", "merge C2 into C1"], role: "admin")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "merged C2 into C1: 2 contacts, 2 purchases, 1 ticket, 3 points entries, 1 event, 1 survey, 1 task; took email, owner, tags, optOut from C2\n")
        let after = counts()
        XCTAssertEqual(after[0], "count\n2\n", "the merged customer is gone")
        XCTAssertEqual(Array(after.dropFirst()), Array(before.dropFirst()), "every other record is kept")
        for entity in ["contacts", "purchases", "tickets", "events", "surveys", "tasks", "points"] {
            XCTAssertEqual(rapport(["-c", "count \(entity) where customer = C2"]).stdout, "count\n0\n", entity)
        }
        let journalAfter = try String(contentsOfFile: data + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(journalAfter.count, journalBefore + 1, "one change set")
        XCTAssertTrue(journalAfter.last!.contains("merge C2 into C1"))

        let expected = "totalSpent,purchaseCount,lastPurchase,lastContact,points,satisfaction,email,owner,tags,optOut,city,createdAt\n"
            + "390.5,3,2026-11-24,2026-11-24,420,2,wf@example.cn,李娜,vip;投诉过,sms,上海,2025-01-01\n"
        XCTAssertEqual(keptFields(), expected)
        XCTAssertEqual(recomputed(), ["sum(amount)\n390.5\n", "count\n3\n", "max(date)\n2026-11-24\n", "max(date)\n2026-11-24\n",
                                      "sum(change)\n420\n"])
        // After a snapshot as after the journal's replay.
        XCTAssertEqual(rapport(["-c", "save"]).status, 0)
        XCTAssertEqual(keptFields(), expected)
        XCTAssertEqual(Array(counts().dropFirst()), Array(before.dropFirst()))
    }

    func testDryRunAgentsAndBadIdsChangeNothing() throws {
        seedMerge()
        let before = counts()
        let fields = keptFields()
        let dry = rapport(["-c", "merge C2 into C1 --dry-run"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stderr.hasPrefix("dry run: would have merged C2 into C1: 2 contacts, 2 purchases"), dry.stderr)
        XCTAssertTrue(dry.stderr.hasSuffix("; nothing changed\n"), dry.stderr)

        let agent = rapport(["-c", "merge C2 into C1"], role: "agent")
        XCTAssertEqual(agent.status, 1)
        XCTAssertEqual(agent.stderr, "error: 'merge' needs the admin role; this session is agent\n")

        let itself = rapport(["-c", "merge C1 into C1"])
        XCTAssertEqual(itself.status, 2)
        XCTAssertTrue(itself.stderr.contains("cannot merge customer C1 into itself"), itself.stderr)
        let unknown = rapport(["-c", "merge C404 into C1"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.contains("no customer with id 'C404'"), unknown.stderr)
        XCTAssertEqual(rapport(["-c", "merge C2 into C405"]).status, 1)

        XCTAssertEqual(counts(), before)
        XCTAssertEqual(keptFields(), fields)
    }
}
