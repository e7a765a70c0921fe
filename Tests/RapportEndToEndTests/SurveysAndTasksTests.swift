import Foundation
import XCTest
import RapportTestSupport

/// Surveys and tasks through the real binary with a pinned clock: the latest survey by date
/// is the customer's satisfaction (logged, back-dated, deleted), a complaint closed with a
/// score leaves a survey, `done` logs the contact and refuses a second time, roles, dry
/// run, and a failing disk keeping nothing.
final class SurveysAndTasksTests: XCTestCase {
    var store: TemporaryStore!
    /// The store's directory, as the tests name it.
    var data: String { store.path }

    override func setUpWithError() throws {
        store = TemporaryStore("surveys")
        XCTAssertEqual(rapport([#"add customer id: "C1", name: "王芳", owner: "李娜""#]).status, 0)
    }

    override func tearDown() {
        store = nil
    }

    @discardableResult
    func rapport(_ commands: [String], at now: String = "2026-11-24T10:00:00Z", format: String = "csv",
                 extra: [String] = [], faults: String? = nil) -> RapportRunner.Result {
        store.run(["--format", format] + extra + commands.flatMap { ["-c", $0] }, now: now, faults: faults)
    }

    func satisfaction() -> String { rapport(["find customers show satisfaction"]).stdout }

    func testTheLatestSurveyByDateIsTheSatisfaction() {
        var r = rapport([#"log survey C1 score 4 nps 9 via 微信 "好""#], format: "table")
        XCTAssertEqual(r.stdout, "logged survey S0000001 for customer C1: satisfaction 4\n", r.stderr)
        XCTAssertEqual(rapport(["find surveys"]).stdout,
                       "id,customer,date,score,nps,channel,comment\nS0000001,C1,2026-11-24,4,9,wechat,好\n")
        XCTAssertEqual(satisfaction(), "satisfaction\n4\n")
        // A survey entered for an earlier day does not overwrite the later one.
        r = rapport([#"add survey customer: C1, date: 2026-10-01, score: 1"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(satisfaction(), "satisfaction\n4\n")
        // A later one does; deleting it brings back the one before.
        XCTAssertEqual(rapport(["log survey C1 score 2"], at: "2026-11-25T09:00:00Z").status, 0)
        XCTAssertEqual(satisfaction(), "satisfaction\n2\n")
        XCTAssertEqual(rapport(["delete surveys where score = 2"]).status, 0)
        XCTAssertEqual(satisfaction(), "satisfaction\n4\n")
        // Moving the older survey past the latest makes it the latest.
        XCTAssertEqual(rapport(["update surveys where score = 1 set date = 2026-11-30"]).status, 0)
        XCTAssertEqual(satisfaction(), "satisfaction\n1\n")
        XCTAssertEqual(rapport(["find customers where any survey(score <= 2) show id"]).stdout, "id\nC1\n")
    }

    func testImportedSurveysSetTheSatisfactionFromTheirLatest() throws {
        let file = data + "-surveys.jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
        {"id":"S9","customer":"C1","date":"2026-01-05","score":5}
        {"id":"S8","customer":"C1","date":"2026-03-05","score":3}
        {"id":"S7","customer":"C1","date":"2026-02-05","score":2}
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let r = rapport([#"import surveys from "\#(file)""#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(satisfaction(), "satisfaction\n3\n")
    }

    func testSurveyValuesAreChecked() {
        var r = rapport(["log survey C1 score 6"])
        XCTAssertEqual(r.status, 2, r.stderr)
        XCTAssertTrue(r.stderr.contains("satisfaction is from 1 to 5, found 6"), r.stderr)
        r = rapport(["log survey C1 score 3 nps 11"])
        XCTAssertTrue(r.stderr.contains("nps is from 0 to 10, found 11"), r.stderr)
        r = rapport(["log survey C9 score 3"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: no customer with id 'C9'"), r.stderr)
        r = rapport(["log survey C1 score 3 via fax"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(rapport(["count surveys"]).stdout, "count\n0\n")
    }

    func testAComplaintClosedWithAScoreLeavesASurvey() {
        XCTAssertEqual(rapport([#"open ticket C1 complaint via phone "太慢""#]).status, 0)
        let r = rapport([#"close T000001 satisfaction 2 "补偿了""#], format: "table")
        XCTAssertEqual(r.stdout, "ticket T000001 closed: status closed; customer C1 satisfaction 2\n", r.stderr)
        XCTAssertEqual(rapport(["find surveys show customer, date, score, channel, comment"]).stdout,
                       "customer,date,score,channel,comment\nC1,2026-11-24,2,phone,ticket T000001: 补偿了\n")
        XCTAssertEqual(satisfaction(), "satisfaction\n2\n")
    }

    func testDoneCompletesATaskLogsTheContactAndRefusesASecondTime() {
        var r = rapport([#"add task customer: C1, owner: 李娜, text: "回访", due: 2026-11-24"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(rapport(["find tasks where owner = 李娜 and due <= today show id, status"]).stdout, "id,status\nA0000001,open\n")
        r = rapport([#"done A0000001 via phone "都好""#], at: "2026-11-25T08:30:00Z", format: "table")
        XCTAssertEqual(r.stdout, "task A0000001 done; logged contact K0000001 with customer C1 via phone\n", r.stderr)
        XCTAssertEqual(rapport(["find tasks show status, doneAt, text"]).stdout, "status,doneAt,text\ndone,2026-11-25T08:30:00+00:00,回访 — 都好\n")
        XCTAssertEqual(rapport(["find contacts show customer, date, channel, note"]).stdout, "customer,date,channel,note\nC1,2026-11-25,phone,都好\n")
        XCTAssertEqual(rapport(["find customers show lastContact"]).stdout, "lastContact\n2026-11-25\n")
        r = rapport(["done A0000001"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: task A0000001 is done already"), r.stderr)
        r = rapport(["done A0000009"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: no task with id 'A0000009'"), r.stderr)
        XCTAssertEqual(rapport(["done"]).status, 2)
        XCTAssertEqual(rapport(["count contacts"]).stdout, "count\n1\n", "a refused done logs nothing")
    }

    func testADoneWithoutAChannelLogsNoContact() {
        XCTAssertEqual(rapport([#"add task customer: C1, owner: 李娜, text: "寄样品", due: 2026-11-30"#]).status, 0)
        XCTAssertEqual(rapport(["done A0000001"], format: "table").stdout, "task A0000001 done\n")
        XCTAssertEqual(rapport(["count contacts", "find tasks show status"]).stdout, "count\n0\nstatus\ndone\n")
    }

    func testRolesDryRunAndAFailingDisk() {
        XCTAssertEqual(rapport([#"add task customer: C1, owner: 李娜, text: "回访", due: 2026-11-24"#]).status, 0)
        for command in ["log survey C1 score 3", "done A0000001 via phone"] {
            let r = rapport([command], extra: ["--role", "trainee"])
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("needs the agent role"), r.stderr)
            XCTAssertEqual(rapport([command], extra: ["--dry-run"]).status, 0, command)
            // A failing disk keeps nothing: not the survey or task, not the contact, not the customer.
            XCTAssertEqual(rapport([command], faults: "write:journal.jsonl:1:ENOSPC").status, 1, command)
        }
        XCTAssertEqual(rapport(["count surveys", "count contacts", "find tasks show status", "find customers show satisfaction, lastContact"]).stdout,
                       "count\n0\ncount\n0\nstatus\nopen\nsatisfaction,lastContact\n,\n")
        XCTAssertEqual(rapport(["log survey C1 score 3", "done A0000001 via phone"], extra: ["--role", "agent"]).status, 0)
        XCTAssertEqual(rapport(["count surveys", "count contacts"]).stdout, "count\n1\ncount\n1\n")
    }

    func testDeletingACustomerTakesItsSurveysAndTasks() {
        XCTAssertEqual(rapport(["log survey C1 score 3", #"add task customer: C1, owner: 李娜, text: "x", due: 2026-11-24"#]).status, 0)
        let r = rapport(["delete customers where id = C1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(rapport(["count surveys", "count tasks"]).stdout, "count\n0\ncount\n0\n")
    }
}
