import Foundation
import XCTest
import RapportTestSupport

/// The audit trail through the real binary: every journal and audit entry records the real
/// time (a pinned clock cannot backdate it), the pinned clock beside it, user and role,
/// and its format version.
final class AuditTrailTests: XCTestCase {
    var data: String!

    override func setUp() {
        data = NSTemporaryDirectory() + "rapport-audit-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    func rapport(_ args: [String], stdin: String? = nil) -> RapportRunner.Result {
        RapportRunner.run(["--data", data, "--timezone", "UTC"] + args, stdin: stdin)
    }

    /// The entries of a journal or audit file, each line's JSON before its checksum.
    func entries(_ name: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: data + "/" + name, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let json = line[..<line.lastIndex(of: "\t")!]
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        }
    }

    func realNow() -> Int { Int(Date().timeIntervalSince1970) }

    func assertRealTime(_ entry: [String: Any], between start: Int, and end: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let at = try XCTUnwrap(entry["at"] as? String, file: file, line: line)
        let formatter = ISO8601DateFormatter()
        let time = Int(try XCTUnwrap(formatter.date(from: at), file: file, line: line).timeIntervalSince1970)
        XCTAssertTrue((start...end).contains(time), "at \(at) is not the real time of the change", file: file, line: line)
    }

    func testPinnedClockIsRecordedBesideTheRealTimeWithUserAndRole() throws {
        let start = realNow()
        var r = rapport(["--now", "2020-01-01", "--role", "agent", "--user", "alice",
                         "-c", #"add customer id: "C1", name: "王芳""#, "-c", "log contact C1 via phone"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let end = realNow()
        let journal = try entries("journal.jsonl")
        XCTAssertEqual(journal.count, 2)
        for entry in journal {
            try assertRealTime(entry, between: start, and: end)
            XCTAssertEqual(entry["pinnedNow"] as? String, "2020-01-01T00:00:00Z")
            XCTAssertEqual(entry["user"] as? String, "alice")
            XCTAssertEqual(entry["role"] as? String, "agent")
            XCTAssertEqual(entry["version"] as? Int, 5, "the current entry version")
        }
        // The records themselves keep following the business clock.
        r = rapport(["--format", "csv", "-c", "find contacts show customer, date"])
        XCTAssertEqual(r.stdout, "customer,date\nC1,2020-01-01\n")

        // Unpinned, default role; and a snapshot moves the entries to the audit log unchanged.
        r = rapport(["-c", "update customers where id = C1 set tier = gold", "-c", "save"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let audit = try entries("audit.jsonl")
        XCTAssertEqual(audit.count, 3)
        XCTAssertEqual(audit[0]["pinnedNow"] as? String, "2020-01-01T00:00:00Z")
        XCTAssertNil(audit[2]["pinnedNow"], "no pinned clock, no pinnedNow")
        XCTAssertEqual(audit[2]["role"] as? String, "admin")
        try assertRealTime(audit[2], between: start, and: realNow())
        XCTAssertEqual(rapport(["--check"]).status, 0)
    }

    func testSetNowInAScriptCannotBackdateTheAuditTime() throws {
        let start = realNow()
        let r = rapport(["--role", "manager", "-"], stdin: """
        set now 2019-05-05
        add customer id: "C1", name: "李娜"
        set now off
        add customer id: "C2", name: "张伟"
        """)
        XCTAssertEqual(r.status, 0, r.stderr)
        let journal = try entries("journal.jsonl")
        XCTAssertEqual(journal.count, 2)
        try assertRealTime(journal[0], between: start, and: realNow())
        XCTAssertEqual(journal[0]["pinnedNow"] as? String, "2019-05-05T00:00:00Z")
        XCTAssertEqual(journal[0]["role"] as? String, "manager")
        try assertRealTime(journal[1], between: start, and: realNow())
        XCTAssertNil(journal[1]["pinnedNow"])
    }

    func testDryRunWritesNoAuditEntry() throws {
        XCTAssertEqual(rapport(["-c", #"add customer id: "C1", name: "A""#]).status, 0)
        let before = try entries("journal.jsonl").count
        let r = rapport(["--dry-run", "-c", "delete customers where id = C1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try entries("journal.jsonl").count, before)
    }
}
