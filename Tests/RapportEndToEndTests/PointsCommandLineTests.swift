import Foundation
import XCTest
import RapportTestSupport

/// The points ledger through the real binary: purchases earn, redeem spends and is
/// refused when short, points expire, the balance cannot be set, and a purchase and its
/// ledger entry are one change set.
final class PointsCommandLineTests: XCTestCase {
    var data: String!

    override func setUpWithError() throws {
        data = NSTemporaryDirectory() + "rapport-points-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    @discardableResult
    func rapport(_ commands: [String], now: String = "2026-11-24", format: String = "table",
                 faults: String? = nil) -> RapportRunner.Result {
        RapportRunner.run(["--data", data, "--now", now, "--timezone", "UTC", "--format", format] + commands.flatMap { ["-c", $0] },
                          environment: faults.map { ["RAPPORT_TEST_FAULTS": $0] } ?? [:])
    }

    func points(_ id: String, now: String = "2026-11-24") -> String {
        let r = rapport(["find customers where id = \(id) show points"], now: now, format: "csv")
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func testAPurchaseEarnsPointsThatExpireAfterTheirPeriod() {
        var r = rapport([#"add customer id: "C1", name: "王芳""#, "log purchase C1 amount 120.99"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(points("C1"), "points\n120\n")
        r = rapport(["find points show id, customer, date, change, reason, expiresAt"], format: "csv")
        XCTAssertEqual(r.stdout, "id,customer,date,change,reason,expiresAt\nLP0000001,C1,2026-11-24,120,purchase P0000001,2027-11-24\n")
        // The last day it counts, then the day it expires.
        XCTAssertEqual(points("C1", now: "2027-11-23"), "points\n120\n")
        XCTAssertEqual(points("C1", now: "2027-11-24"), "points\n0\n")
        // The card shows the balance and what expires next.
        r = rapport(["show customer C1"])
        XCTAssertTrue(r.stdout.contains("points          120 (120 expire on 2027-11-24)"), r.stdout)
        // Changing the purchase changes its points; deleting it removes them.
        r = rapport(["update purchases where id = P0000001 set amount = 50"], format: "table")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(points("C1"), "points\n50\n")
        XCTAssertEqual(RapportRunner.run(["--data", data, "--role", "admin", "-c", "delete purchases where id = P0000001"]).status, 0)
        XCTAssertEqual(points("C1"), "points\n0\n")
        XCTAssertEqual(rapport(["count points"], format: "csv").stdout, "count\n0\n")
    }

    func testRedeemSpendsAndIsRefusedWhenShort() {
        XCTAssertEqual(rapport([#"add customer id: "C1", name: "A""#, "log purchase C1 amount 100"]).status, 0)
        var r = rapport([#"add points C1 30 "birthday gift""#])
        XCTAssertEqual(r.stdout, "added 30 points (L0000001) for customer C1: balance 130\n")
        r = rapport([#"redeem C1 131 "voucher""#])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, """
        error: customer C1 has 130 points: cannot redeem 131 at 1:11
          redeem C1 131 "voucher"
                    ^^^

        """)
        r = rapport(["set dry-run on", #"redeem C1 130 "voucher""#])
        XCTAssertTrue(r.stdout.contains("dry run: would have redeemed 130 points"), r.stdout)
        XCTAssertEqual(points("C1"), "points\n130\n", "a dry run changes nothing")
        r = rapport([#"redeem C1 130 "voucher""#])
        XCTAssertEqual(r.stdout, "redeemed 130 points (L0000002) for customer C1: balance 0\n")
        XCTAssertEqual(points("C1"), "points\n0\n")
        XCTAssertEqual(rapport([#"redeem C9 1 "x""#]).status, 1)
        XCTAssertEqual(rapport([#"add points C1 -5 "x""#]).status, 2)
        // The ledger is queried like any record entity.
        r = rapport(["find customers where any points(change < 0) show id", "sum change of points by month(date)"], format: "csv")
        XCTAssertEqual(r.stdout, "id\nC1\nmonth(date),sum(change)\n2026-11,0\n")
        r = rapport(["find points where customer.name = A and change < 0 show id"], format: "csv")
        XCTAssertEqual(r.stdout, "id\nL0000002\n")
    }

    func testTheBalanceCannotBeSetByHand() {
        XCTAssertEqual(rapport([#"add customer id: "C1", name: "A""#]).status, 0)
        let r = rapport(["update customers where id = C1 set points = 1"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("'points' is a derived field"), r.stderr)
        XCTAssertTrue(r.stderr.contains("add points"), "the refusal names the way to change points: \(r.stderr)")
        XCTAssertEqual(rapport(["update all points set change = 5"]).status, 2)
    }

    func testAnImportedPointsColumnBecomesAnOpeningBalance() throws {
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let file = data + "/../points-import-\(UUID().uuidString).csv"
        try "id,name,points\nC1,A,250\nC2,B,\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = RapportRunner.run(["--data", data + "/s", "--now", "2026-11-24", "--timezone", "UTC", "--format", "csv",
                                   "-c", "import customers from \"\(file)\"", "-c", "find customers show id, points",
                                   "-c", "find points show customer, change, reason, expiresAt"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasSuffix("id,points\nC1,250\nC2,0\ncustomer,change,reason,expiresAt\nC1,250,opening balance (import),2027-11-24\n"), r.stdout)
    }

    /// The purchase, its customer's figures and its ledger entry are one journal entry:
    /// when that write fails, none of them is kept.
    func testAPurchaseAndItsPointsCommitTogetherOrNotAtAll() throws {
        XCTAssertEqual(rapport([#"add customer id: "C1", name: "A""#]).status, 0)
        let journal = data + "/journal.jsonl"
        var r = rapport(["log purchase C1 amount 75"], faults: "write:journal.jsonl:1:ENOSPC")
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertEqual(rapport(["count purchases", "count points"], format: "csv").stdout, "count\n0\ncount\n0\n")
        r = rapport(["log purchase C1 amount 75"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let last = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.contains(#""entity":"purchases","id":"P0000001""#), last)
        XCTAssertTrue(last.contains(#""entity":"points","id":"LP0000001""#), "one entry holds both: \(last)")
    }
}
