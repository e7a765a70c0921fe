import Foundation
import XCTest
import RapportTestSupport

/// The ticket lifecycle through the real binary with a pinned clock (times of day, UTC):
/// targets met and breached, the resolve clock pausing, complaints closing with a score,
/// reopen keeping the timeline, the overdue list moving with the clock and the policy,
/// refused transitions, dry run, and each command one journal entry.
final class TicketLifecycleTests: XCTestCase {
    var store: TemporaryStore!
    /// The store's directory, as the tests name it.
    var data: String { store.path }

    override func setUpWithError() throws {
        store = TemporaryStore("tickets")
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

    func targets(at now: String) -> String {
        let r = rapport(["find tickets show id, status, respondBy, resolveBy, overdue, sla"], at: now)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func openPhoneComplaint() {
        let r = rapport([#"open ticket C1 complaint via phone "快递太慢了" priority high"#], format: "table")
        XCTAssertEqual(r.stdout, "opened ticket T000001 for customer C1\n", r.stderr)
    }

    func testAPhoneComplaintAnsweredAfterTwoMinutesIsMetAndAfterFourBreached() {
        openPhoneComplaint()
        XCTAssertEqual(rapport([#"open ticket C1 complaint via phone "又一个""#]).status, 0)
        XCTAssertEqual(rapport([#"reply T000001 "我们来查""#], at: "2026-11-24T10:02:00Z").status, 0)
        XCTAssertEqual(rapport([#"reply T000002 "我们来查""#], at: "2026-11-24T10:04:00Z").status, 0)
        // Exactly at the target is met; high priority resolves within 48h, normal 72h.
        XCTAssertEqual(targets(at: "2026-11-24T10:05:00Z"), """
        id,status,respondBy,resolveBy,overdue,sla
        T000001,responded,2026-11-24T10:03:00+00:00,2026-11-26T10:00:00+00:00,false,due
        T000002,responded,2026-11-24T10:03:00+00:00,2026-11-27T10:00:00+00:00,false,breached

        """)
        // Resolving both in time: the first is met, the second stays breached.
        XCTAssertEqual(rapport([#"resolve T000001 "补发了""#, #"resolve T000002 "补发了""#], at: "2026-11-25T09:00:00Z").status, 0)
        XCTAssertEqual(rapport(["count tickets where openedAt <= 30d by sla"], at: "2026-11-25T09:00:00Z").stdout, "sla,count\nbreached,1\nmet,1\n")
    }

    func testWaitingOnTheCustomerPausesTheResolveClock() {
        openPhoneComplaint()
        XCTAssertEqual(rapport([#"wait T000001 "请提供订单号""#], at: "2026-11-24T10:01:00Z").status, 0)
        // Pending from 10:01: at 10:01 + 3 days the 48h target has moved with the clock.
        XCTAssertEqual(targets(at: "2026-11-27T10:01:00Z"), """
        id,status,respondBy,resolveBy,overdue,sla
        T000001,pending,2026-11-24T10:03:00+00:00,2026-11-29T10:00:00+00:00,false,due

        """)
        // The customer answers after 3 days; the clock runs again with 3 days added.
        XCTAssertEqual(rapport([#"reply T000001 "收到""#], at: "2026-11-27T10:01:00Z").status, 0)
        XCTAssertEqual(targets(at: "2026-11-29T10:00:00Z"), """
        id,status,respondBy,resolveBy,overdue,sla
        T000001,responded,2026-11-24T10:03:00+00:00,2026-11-29T10:00:00+00:00,false,due

        """)
        XCTAssertEqual(targets(at: "2026-11-29T10:00:01Z"), """
        id,status,respondBy,resolveBy,overdue,sla
        T000001,responded,2026-11-24T10:03:00+00:00,2026-11-29T10:00:00+00:00,true,breached

        """)
    }

    func testAComplaintClosesOnlyWithAScoreWhichReachesTheCustomer() {
        openPhoneComplaint()
        var r = rapport(["close T000001"], at: "2026-11-24T11:00:00Z", format: "table")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr, """
        error: ticket T000001 is a complaint: it closes only with a satisfaction score from 1 to 5 at 1:7
          close T000001
                ^^^^^^^
          close T000001 satisfaction 4 "NOTE"; the score becomes the customer's satisfaction

        """)
        r = rapport(["close T000001 satisfaction 6"], at: "2026-11-24T11:00:00Z")
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("satisfaction is from 1 to 5, found 6"), r.stderr)
        XCTAssertEqual(rapport(["count events"]).stdout, "count\n1\n", "a refused step adds nothing")
        r = rapport([#"close T000001 satisfaction 2 "不太满意""#], at: "2026-11-24T11:00:00Z", format: "table")
        XCTAssertEqual(r.stdout, "ticket T000001 closed: status closed; customer C1 satisfaction 2\n", r.stderr)
        XCTAssertEqual(rapport(["find customers show satisfaction"]).stdout, "satisfaction\n2\n")
        // Closing fills every time it implies: never left empty.
        XCTAssertEqual(rapport(["find tickets show respondedAt, resolvedAt, closedAt"]).stdout,
                       "respondedAt,resolvedAt,closedAt\n2026-11-24T11:00:00+00:00,2026-11-24T11:00:00+00:00,2026-11-24T11:00:00+00:00\n")
    }

    func testReopenAndASecondCloseKeepTheWholeTimeline() {
        openPhoneComplaint()
        XCTAssertEqual(rapport([#"reply T000001 via phone "在查""#, "assign T000001 to 张伟"], at: "2026-11-24T10:02:00Z").status, 0)
        XCTAssertEqual(rapport([#"resolve T000001 "补发了""#, #"close T000001 satisfaction 4"#], at: "2026-11-24T12:00:00Z").status, 0)
        XCTAssertEqual(rapport([#"reopen T000001 "还是坏的""#], at: "2026-11-25T09:00:00Z", format: "table").stdout, "ticket T000001 reopened: status open\n")
        // Reopened: the resolution times are cleared; the resolved-to-reopen time does not count.
        XCTAssertEqual(targets(at: "2026-11-25T09:00:00Z"), """
        id,status,respondBy,resolveBy,overdue,sla
        T000001,open,2026-11-24T10:03:00+00:00,2026-11-27T07:00:00+00:00,false,due

        """)
        XCTAssertEqual(rapport([#"resolve T000001 "换新""#, #"close T000001 satisfaction 5 "好了""#], at: "2026-11-25T10:00:00Z").status, 0)
        let r = rapport(["find events where ticket = T000001 show kind, status, by, channel, text"])
        XCTAssertEqual(r.stdout, """
        kind,status,by,channel,text
        opened,open,\(NSUserName()),phone,快递太慢了
        replied,responded,\(NSUserName()),phone,在查
        assigned,responded,\(NSUserName()),,to 张伟
        resolved,resolved,\(NSUserName()),,补发了
        closed,closed,\(NSUserName()),,satisfaction 4
        reopened,open,\(NSUserName()),,还是坏的
        resolved,resolved,\(NSUserName()),,换新
        closed,closed,\(NSUserName()),,satisfaction 5: 好了

        """)
        let card = rapport(["show ticket T000001"], at: "2026-11-25T10:00:00Z", format: "table").stdout
        XCTAssertTrue(card.hasPrefix("ticket T000001  complaint, high, for customer C1\n"), card)
        XCTAssertTrue(card.contains("  owner       张伟\n"), card)
        XCTAssertTrue(card.contains("  sla         met\n"), card)
        XCTAssertEqual(card.components(separatedBy: "\n").filter { $0.hasPrefix("  E00000") }.count, 8, card)
        XCTAssertEqual(rapport(["find customers show satisfaction"]).stdout, "satisfaction\n5\n")
    }

    func testTheOverdueListMovesWithTheClockAndThePolicy() {
        XCTAssertEqual(rapport([#"open ticket C1 inquiry via email "发票""#, #"open ticket C1 suggestion "包装""# + " priority urgent"]).status, 0)
        func overdue(at now: String) -> String { rapport(["find tickets where overdue sort by resolveBy show id"], at: now).stdout }
        XCTAssertEqual(overdue(at: "2026-11-25T10:00:00Z"), "id\n")
        XCTAssertEqual(overdue(at: "2026-11-25T10:00:01Z"), "id\nT000002\nT000001\n", "reply by email 24h; urgent resolved in 24h")
        XCTAssertEqual(rapport(["find tickets where not overdue show id"], at: "2026-11-25T10:00:01Z").stdout, "id\n")
        let admin = ["--role", "admin"]
        XCTAssertEqual(rapport(["set policy response.email = 48h", "set policy resolution.urgent = 2d"], extra: admin).status, 0)
        XCTAssertEqual(overdue(at: "2026-11-25T10:00:01Z"), "id\n")
        XCTAssertEqual(overdue(at: "2026-11-26T10:00:01Z"), "id\nT000002\nT000001\n", "urgent 48h before normal 72h")
    }

    func testWrongStepsAreRefusedNamingTheStatusAndWhatToDo() {
        openPhoneComplaint()
        XCTAssertEqual(rapport([#"close T000001 satisfaction 3"#]).status, 0)
        var r = rapport([#"resolve T000001 "x""#], format: "table")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: ticket T000001 is closed: it cannot be resolved at 1:9\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains(#"reopen T000001 "WHY" first"#), r.stderr)
        r = rapport([#"reopen T000001 "x""#, #"reopen T000001 "y""#])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("ticket T000001 is open: it cannot be reopened"), r.stderr)
        r = rapport([#"wait T000001 "a""#, #"wait T000001 "b""#])
        XCTAssertTrue(r.stderr.contains("ticket T000001 is pending: it cannot be put on hold again"), r.stderr)
        r = rapport([#"reply T000009 "x""#])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("error: no ticket with id 'T000009'"), r.stderr)
        r = rapport(["reply T000001"])
        XCTAssertEqual(r.status, 2, "the reply's text is missing: a usage error")
        r = rapport([#"add event ticket: T000001, kind: replied"#])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("the ticket timeline cannot be changed with add"), r.stderr)
        // A trainee may read tickets but not work them.
        r = rapport([#"reply T000001 "x""#], extra: ["--role", "trainee"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("needs the agent role"), r.stderr)
    }

    func testDryRunChangesNothingAndEachStepIsOneJournalEntry() throws {
        openPhoneComplaint()
        var r = rapport([#"reply T000001 "x""#], extra: ["--dry-run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(rapport(["find tickets show status", "count events"]).stdout, "status\nopen\ncount\n1\n")
        // A failing disk keeps nothing of the step: neither the ticket, the timeline nor the customer.
        r = rapport([#"close T000001 satisfaction 5"#], faults: "write:journal.jsonl:1:ENOSPC")
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertEqual(rapport(["find tickets show status", "count events", "find customers show satisfaction"]).stdout,
                       "status\nopen\ncount\n1\nsatisfaction\n\"\"\n")
        XCTAssertEqual(rapport([#"close T000001 satisfaction 5"#]).status, 0)
        let last = try String(contentsOfFile: data + "/journal.jsonl", encoding: .utf8).split(separator: "\n").last.map(String.init) ?? ""
        for part in [#""entity":"tickets","id":"T000001""#, #""entity":"events","id":"E0000002""#, #""entity":"customers","id":"C1""#] {
            XCTAssertTrue(last.contains(part), "one entry holds \(part): \(last)")
        }
    }

    func testTheStoredTicketsOfAVersionOneStoreStillWork() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/store-v1").path
        try? FileManager.default.removeItem(atPath: data)
        try FileManager.default.copyItem(atPath: fixture, toPath: data)
        let r = rapport(["count tickets by status", "count tickets by sla"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.isEmpty)
    }
}
