import Foundation
import XCTest
import RapportTestSupport

/// `deliver via "COMMAND"` through the real binary: what the command receives, sent and
/// failed recorded and journalled, failures retried, messages whose time has not come
/// waiting, a command that is not there, a dry run, the role it needs.
final class DeliveryTests: XCTestCase {
    var store: TemporaryStore!
    static let now = "2026-03-01T09:00:00Z"

    static let greeting = """
    campaign "spring greeting"
      target all customers
      send sms "春天好，{name|first}！"
    end
    """

    override func setUpWithError() throws {
        store = TemporaryStore("delivery")
        let added = rapport([#"add customer id: C1, name: "王芳", phone: "13800000001""#,
                             #"add customer id: C2, name: "Anna Smith", phone: "+44 20 7946 0000""#])
        XCTAssertEqual(added.status, 0, added.stderr)
        let file = try store.file("greeting.rapport", Self.greeting + "\n")
        let run = store.run([file], now: Self.now)
        XCTAssertEqual(run.stdout, "spring greeting: targeted 2, skipped 0, sent 2\n", run.stderr)
    }

    override func tearDown() { store = nil }

    @discardableResult
    func rapport(_ commands: [String], format: String = "csv", extra: [String] = [], now: String = DeliveryTests.now) -> RapportRunner.Result {
        store.run(["--format", format] + extra + commands.flatMap { ["-c", $0] }, now: now)
    }

    /// `deliver via "cat >> FILE"`: what the command received goes to `received`.
    var received: String { store.files + "/received.jsonl" }
    var appendToReceived: String { #"deliver via "cat >> '"# + received + #"'""# }

    func messages(_ fields: String = "id, status, attempts, lastError") -> String {
        rapport(["find messages show \(fields) sort by id"]).stdout
    }

    func testDeliverHandsEachMessageItsOutboxLineAndMarksItSent() throws {
        let r = rapport([appendToReceived], format: "table")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "delivered 2, failed 0, waiting 0\n")
        // Exactly the outbox's objects, one line each, in id order.
        let outbox = try String(contentsOfFile: store.path + "/outbox/2026-03-01.jsonl", encoding: .utf8)
        XCTAssertEqual(try String(contentsOfFile: received, encoding: .utf8), outbox)
        XCTAssertTrue(outbox.hasPrefix(#"{"id":"M0000001","campaign":"spring greeting","customer":"C1","channel":"sms","to":"13800000001","text":"春天好，王芳！""#), outbox)
        XCTAssertEqual(messages("id, status, sentAt"), """
        id,status,sentAt
        M0000001,sent,2026-03-01T09:00:00+00:00
        M0000002,sent,2026-03-01T09:00:00+00:00

        """)
        // Sent is sent: nothing is handed over twice; each outcome is a journal entry of its own.
        let again = rapport([appendToReceived], format: "table")
        XCTAssertEqual(again.stdout, "delivered 0, failed 0, waiting 0\n")
        XCTAssertEqual(try String(contentsOfFile: received, encoding: .utf8), outbox)
        let journal = try String(contentsOfFile: store.path + "/journal.jsonl", encoding: .utf8)
        XCTAssertEqual(journal.split(separator: "\n").filter { $0.contains(#""sentAt""#) }.count, 2)
    }

    func testAFailingCommandMarksFailedAndTheNextDeliverTriesAgain() throws {
        let failing = rapport([#"deliver via "echo 'gateway down' >&2; echo more >&2; exit 3""#], format: "table")
        XCTAssertEqual(failing.status, 1)
        XCTAssertEqual(failing.stdout, "delivered 0, failed 2, waiting 0\n")
        XCTAssertTrue(failing.stderr.contains("2 of 2 messages were not delivered; the first: M0000001: exit status 3: gateway down"), failing.stderr)
        XCTAssertEqual(messages(), """
        id,status,attempts,lastError
        M0000001,failed,1,exit status 3: gateway down
        M0000002,failed,1,exit status 3: gateway down

        """)
        XCTAssertEqual(rapport([#"deliver via "exit 1""#]).status, 1)
        XCTAssertEqual(messages(), """
        id,status,attempts,lastError
        M0000001,failed,2,exit status 1
        M0000002,failed,2,exit status 1

        """)
        // The next deliver tries the failed ones again, and they go.
        let retried = rapport([appendToReceived], format: "table")
        XCTAssertEqual(retried.status, 0, retried.stderr)
        XCTAssertEqual(retried.stdout, "delivered 2, failed 0, waiting 0\n")
        XCTAssertEqual(try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").count, 2)
        XCTAssertEqual(rapport(["count messages by status"]).stdout, "status,count\nsent,2\n")
    }

    func testOnlyTheFailingMessagesFailAndCountByStatusShowsBoth() throws {
        // The command fails for C2 only: it reads the object and looks at the customer.
        let r = rapport([#"deliver via "grep -q '\"customer\":\"C1\"'""#])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(rapport(["count messages by status"]).stdout, "status,count\nfailed,1\nsent,1\n")
        XCTAssertEqual(rapport(["count messages by campaign"]).stdout, "campaign,count\nspring greeting,2\n")
    }

    func testAMessageWhoseTimeHasNotComeWaits() throws {
        // An hour before the messages' time (as quiet hours would have stamped them).
        let early = rapport([appendToReceived], format: "table", now: "2026-03-01T08:00:00Z")
        XCTAssertEqual(early.status, 0, early.stderr)
        XCTAssertEqual(early.stdout, "delivered 0, failed 0, waiting 2 (the first at 2026-03-01T09:00:00+00:00)\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: received))
        XCTAssertEqual(rapport(["count messages by status"]).stdout, "status,count\npending,2\n")
        XCTAssertEqual(rapport([appendToReceived], format: "table").stdout, "delivered 2, failed 0, waiting 0\n")
    }

    func testACommandThatIsNotThereFailsEachMessageWithTheReason() throws {
        let r = rapport([#"deliver via "./no-such-sender --fast""#], format: "table")
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "delivered 0, failed 2, waiting 0\n")
        XCTAssertFalse(r.stderr.contains("Fatal"), r.stderr)
        let reasons = rapport(["find messages show lastError"]).stdout
        XCTAssertTrue(reasons.contains("exit status 127 (command not found):"), reasons)
        XCTAssertTrue(reasons.contains("no-such-sender"), reasons)
    }

    func testACommandThatHangsIsStoppedAtThePolicysTimeout() throws {
        XCTAssertEqual(rapport(["set policy delivery.timeout = 1s"]).status, 0)
        let started = Date()
        let r = rapport([#"deliver via "sleep 20""#], format: "table")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertEqual(r.stdout, "delivered 0, failed 2, waiting 0\n")
        XCTAssertTrue(messages().contains("M0000001,failed,1,timed out after 1s and was stopped"), messages())
    }

    func testADryRunListsWhatWouldBeHandedOverAndChangesNothing() throws {
        let r = rapport([appendToReceived + " --dry-run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, """
        id,customer,channel,to,status,text
        M0000001,C1,sms,13800000001,pending,春天好，王芳！
        M0000002,C2,sms,+44 20 7946 0000,pending,春天好，Anna！

        """)
        XCTAssertTrue(r.stderr.contains("dry run: would deliver 2, waiting 0; nothing changed"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: received))
        XCTAssertEqual(rapport(["count messages by status"]).stdout, "status,count\npending,2\n")
    }

    func testDeliveringNeedsAManagerAndACommand() throws {
        let agent = rapport([appendToReceived], extra: ["--role", "agent"])
        XCTAssertEqual(agent.status, 1)
        XCTAssertTrue(agent.stderr.contains("'deliver' needs the manager role; this session is agent"), agent.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: received))
        XCTAssertEqual(rapport([appendToReceived], extra: ["--role", "manager"]).status, 0)

        let empty = rapport([#"deliver via " ""#])
        XCTAssertEqual(empty.status, 2)
        XCTAssertTrue(empty.stderr.contains("deliver needs a command to hand each message to"), empty.stderr)
        XCTAssertEqual(rapport(["deliver \"cat\""]).status, 2)
    }

    func testMessagesStayWrittenOnlyByCampaignsAndDeliver() throws {
        let r = rapport([#"update messages where id = M0000001 set status = sent"#])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("written only by running a campaign block"), r.stderr)
        XCTAssertEqual(rapport(["count messages by status"]).stdout, "status,count\npending,2\n")
    }
}
