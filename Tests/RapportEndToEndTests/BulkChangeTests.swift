import Foundation
import XCTest
import RapportTestSupport

/// Changing every record takes an explicit `all`, and every update or delete says how
/// many records it touched, also in a dry run.
final class BulkChangeTests: XCTestCase {
    var store: TemporaryStore!
    var data: String { store.path }

    override func setUpWithError() throws {
        store = TemporaryStore("bulk")
        let r = rapport(["-c", #"add customer id: "C1", name: "王芳", city: 上海"#, "-c", #"add customer id: "C2", name: "李娜", city: 上海"#,
                         "-c", #"add customer id: "C3", name: "张伟", city: 北京"#,
                         "-c", "log contact C1 via phone", "-c", "log contact C2 via sms", "-c", "log purchase C1 amount 10",
                         "-c", #"open ticket C2 inquiry "发票""#, "-c", "log contact C3 via email"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    override func tearDown() {
        store = nil
    }

    @discardableResult
    func rapport(_ args: [String]) -> RapportRunner.Result {
        store.run(args)
    }

    func csv(_ command: String) -> String { rapport(["--format", "csv", "-c", command]).stdout }

    func testUpdateWithoutWhereIsRefusedAndPointsAtAll() {
        let r = rapport(["-c", "update customers set stage = lost"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, """
        error: update needs a where condition, or all for every record at 1:18
          update customers set stage = lost
                           ^^^
          to change every record, say so: update all customers set ...

        """)
        XCTAssertEqual(csv("count customers where stage = lost"), "count\n0\n", "nothing changed")
    }

    func testDeleteWithoutWhereIsRefusedTheSameWay() {
        let r = rapport(["-c", "delete customers"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("error: delete needs a where condition, or all for every record at 1:17\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("to delete every record, say so: delete all customers"), r.stderr)
        XCTAssertEqual(csv("count customers"), "count\n3\n")
    }

    func testUpdateAllChangesEveryRecordAndSaysHowMany() {
        var r = rapport(["--dry-run", "-c", "update all customers set stage = lost"])
        XCTAssertEqual(r.stdout, "dry run: would have updated 3 customers; nothing changed\n")
        XCTAssertEqual(csv("count customers where stage = lost"), "count\n0\n")
        r = rapport(["-c", "update all customers set stage = lost"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "updated 3 customers\n")
        XCTAssertEqual(csv("count customers where stage = lost"), "count\n3\n")
        // Counts only what changed; a repeat changes nothing and says why.
        XCTAssertEqual(rapport(["-c", "update all customers set stage = lost"]).stdout,
                       "updated 0 customers: the 3 that matched already had these values\n")
        XCTAssertEqual(rapport(["-c", "update customers where city = 上海 and stage = lost set stage = active"]).stdout,
                       "updated 2 customers\n")
        XCTAssertEqual(rapport(["-c", "update customers where city = 广州 set stage = active"]).stdout,
                       "updated 0 customers: none matched\n")
        XCTAssertEqual(rapport(["-c", "update customers where id = C3 set city = 深圳"]).stdout,
                       "updated 1 customer (C3)\n")
        // In machine formats the note goes to standard error, still with its count.
        r = rapport(["--format", "json", "-c", "update all tickets set priority = high"])
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, "updated 1 ticket (T000001)\n")
    }

    func testDeleteAllCountsTheRelatedRecords() {
        var r = rapport(["--dry-run", "-c", "delete customers where city = 上海"])
        XCTAssertEqual(r.stdout, "dry run: would have deleted 2 customers and 6 related records; nothing changed\n",
                       "with the purchase's points entry and the ticket's timeline entry")
        r = rapport(["-c", "delete customers where city = 火星"])
        XCTAssertEqual(r.stdout, "deleted 0 customers: none matched\n")
        r = rapport(["-c", "delete all customers"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "deleted 3 customers and 7 related records\n")
        XCTAssertEqual(csv("count customers"), "count\n0\n")
        XCTAssertEqual(csv("count contacts"), "count\n0\n")
        XCTAssertEqual(rapport(["--check"]).status, 0)
    }
}
