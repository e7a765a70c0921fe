import Foundation
import XCTest
import RapportTestSupport

/// Derived fields through the real binary: queried, sorted, grouped and shown like stored
/// fields, recomputed on every `--now`, refused as targets of a change, never stored.
final class DerivedFieldsEndToEndTests: XCTestCase {
    var data: String!

    override func setUpWithError() throws {
        data = NSTemporaryDirectory() + "rapport-derived-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    func rapport(_ args: [String], now: String = "2026-11-24", stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let r = RapportRunner.run(["--data", data, "--now", now, "--timezone", "UTC", "--format", "csv"] + args, stdin: stdin)
        return (r.status, r.stdout.replacingOccurrences(of: "\r\n", with: "\n"), r.stderr)
    }

    /// Three customers: C1 contacted twice (one ticket open, one closed), C2 once long ago, C3 never.
    func seed() {
        let script = """
            add customer id: "C1", name: "王芳", tier: gold
            add customer id: "C2", name: "Anna", tier: gold
            add customer id: "C3", name: "Li", tier: silver
            add contact customer: "C1", date: 2026-11-20, channel: phone
            add contact customer: "C1", date: 2026-11-24, channel: sms
            add contact customer: "C2", date: 2024-02-29, channel: email
            open ticket C1 complaint "late"
            open ticket C1 inquiry "where"
            update tickets where kind = inquiry set status = closed
            """
        let r = rapport(["-"], stdin: script + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testQueriedSortedGroupedAndShown() {
        seed()
        XCTAssertEqual(rapport(["-c", "find customers sort by daysSinceContact desc show id, daysSinceContact, contactCount, openTickets"]).stdout, """
            id,daysSinceContact,contactCount,openTickets
            C2,999,1,0
            C1,0,2,1
            C3,,0,0

            """, "2024-02-29 to 2026-11-24 is 999 days; never contacted sorts last")
        XCTAssertEqual(rapport(["-c", "find customers where contactCount >= 1 and daysSinceContact < 30 show id"]).stdout, "id\nC1\n")
        XCTAssertEqual(rapport(["-c", "count customers by openTickets"]).stdout, "openTickets,count\n0,2\n1,1\n")
        XCTAssertEqual(rapport(["-c", "sum contactCount of customers by tier"]).stdout, "tier,sum(contactCount)\ngold,3\nsilver,0\n")
        let all = rapport(["-c", "find customers where id = C1 show *"]).stdout
        XCTAssertTrue(all.hasPrefix("id,name,") && all.contains(",daysSinceContact,daysSincePurchase,contactCount,openTickets,points,nextPointsExpiry,pointsExpiringNext,nextContactDue,rfm,rfmSegment,ltv,churnRisk\n"), all)
    }

    func testMovingNowMovesDaysSinceContact() {
        seed()
        XCTAssertEqual(rapport(["-c", "find customers where id = C2 show daysSinceContact"], now: "2026-11-25").stdout, "daysSinceContact\n1000\n")
        XCTAssertEqual(rapport(["-c", "find customers where id = C2 show daysSinceContact"], now: "2025-02-28").stdout, "daysSinceContact\n365\n",
                       "a year across a leap day")
    }

    func testUpdatingADerivedFieldIsAUsageErrorNamingTheRule() {
        seed()
        let r = rapport(["-c", "update customers where id = C1 set contactCount = 3"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("error: 'contactCount' is a derived field, computed from the records (number of the customer's contacts; 0 when none); it cannot be set at 1:36"), r.stderr)
        XCTAssertTrue(r.stderr.contains("^^^^^^^^^^^^"), "a caret under the field: \(r.stderr)")
    }

    func testShowFieldsMarksDerivedFieldsWithTheirRule() {
        let r = rapport(["-c", "show fields customers"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("customers,openTickets,integer,derived,number of the customer's tickets whose status is not closed; 0 when none\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("customers,lastContact,date,built-in,\n"), r.stdout)
    }

    func testNothingDerivedIsWrittenToTheStore() throws {
        seed()
        let exported = NSTemporaryDirectory() + "rapport-derived-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: exported) }
        XCTAssertEqual(rapport(["-c", "export customers to \"\(exported)\""]).status, 0)
        let text = try String(contentsOfFile: exported, encoding: .utf8)
        XCTAssertTrue(text.contains("\"lastContact\"") && !text.contains("contactCount"), "export writes stored fields only: \(text)")
        XCTAssertEqual(rapport(["-c", "find customers where openTickets > 0 show id"]).stdout, "id\nC1\n")
        XCTAssertEqual(rapport(["-c", "save"]).status, 0)
        let files = try FileManager.default.subpathsOfDirectory(atPath: data)
        XCTAssertFalse(files.isEmpty)
        for file in files {
            guard let bytes = FileManager.default.contents(atPath: data + "/" + file) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            for name in ["daysSinceContact", "daysSincePurchase", "contactCount", "openTickets", "nextContactDue", "rfmSegment", "churnRisk"] {
                XCTAssertFalse(text.contains(name), "\(file) holds \(name)")
            }
        }
    }

    func testTheCardShowsCountsThatAreNotZero() {
        seed()
        let card = RapportRunner.run(["--data", data, "--now", "2026-11-24", "--timezone", "UTC", "-c", "show customer C1"]).stdout
        XCTAssertTrue(card.contains("contactCount    2"), card)
        XCTAssertTrue(card.contains("openTickets     1"), card)
        let other = RapportRunner.run(["--data", data, "--now", "2026-11-24", "--timezone", "UTC", "-c", "show customer C3"]).stdout
        XCTAssertFalse(other.contains("contactCount"), other)
    }
}
