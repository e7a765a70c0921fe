import Foundation
import XCTest
import RapportTestSupport

/// Campaign blocks through the real binary with a pinned clock: safe to run twice, dry
/// runs that change nothing, errors before anything is sent, the outbox agreeing with the
/// messages after disk faults, a torn line and kill -9.
final class CampaignTests: XCTestCase {
    var store: TemporaryStore!
    static let now = "2026-03-01T09:00:00Z"

    static let birthday = """
    campaign "birthday greetings"
      target customers where birthday within 7d
      every 365d
      send sms "生日快乐，{name|first}！您有 {points|number} 积分。"
      log contact via sms "birthday greeting"
      add points 1500 "birthday"
    end
    """

    override func setUpWithError() throws {
        store = TemporaryStore("campaigns")
        let r = rapport([#"add customer id: C1, name: "王芳", phone: "13800000001", birthday: 1990-03-05, owner: "李娜""#,
                         #"add customer id: C2, name: "Anna Smith", phone: "+44 20 7946 0000", birthday: 1985-03-02"#,
                         #"add customer id: C3, name: "Bob Lee", email: "bob@example.com", birthday: 1985-03-03"#,
                         #"add customer id: C4, name: "Dan Wu", phone: "555", birthday: 1985-08-02"#])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    override func tearDown() { store = nil }

    @discardableResult
    func rapport(_ commands: [String], format: String = "csv", extra: [String] = [], faults: String? = nil) -> RapportRunner.Result {
        store.run(["--format", format] + extra + commands.flatMap { ["-c", $0] }, now: Self.now, faults: faults)
    }

    /// Runs `text` as a script; in the table format the summary line is on standard output.
    func script(_ text: String, format: String = "table", extra: [String] = [], faults: String? = nil) throws -> RapportRunner.Result {
        let file = try store.file("care.rapport", text + "\n")
        return store.run(["--format", format] + extra + [file], now: Self.now, faults: faults)
    }

    var outboxFile: String { store.path + "/outbox/2026-03-01.jsonl" }

    /// The outbox's lines as (id, customer, text), in file order.
    func outboxLines() throws -> [[String]] {
        let text = try String(contentsOfFile: outboxFile, encoding: .utf8)
        XCTAssertTrue(text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { line in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            for key in ["id", "campaign", "customer", "channel", "to", "text", "at"] { XCTAssertNotNil(object[key], key) }
            return [object["id"]!, object["customer"]!, object["text"]!]
        }
    }

    func messages() throws -> [[String]] {
        let r = rapport(["find messages show id, customer, text sort by id"], format: "jsonl")
        XCTAssertEqual(r.status, 0, r.stderr)
        return try r.stdout.split(separator: "\n").map { line in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            return [object["id"]!, object["customer"]!, object["text"]!]
        }
    }

    func testASecondRunSendsNothingAndEveryActionAppliesOnce() throws {
        let first = try script(Self.birthday)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(first.stdout, "birthday greetings: targeted 3, skipped 1 (no address: 1), sent 2\n")
        let second = try script(Self.birthday)
        XCTAssertEqual(second.stdout, "birthday greetings: targeted 3, skipped 3 (touched within 365d: 2, no address: 1), sent 0\n")
        // The template: the whole Chinese name, a Latin given name, points grouped as before the run.
        XCTAssertEqual(try messages(), [["M0000001", "C1", "生日快乐，王芳！您有 0 积分。"], ["M0000002", "C2", "生日快乐，Anna！您有 0 积分。"]])
        XCTAssertEqual(try outboxLines(), try messages())
        XCTAssertEqual(rapport(["count messages by campaign"]).stdout, "campaign,count\nbirthday greetings,2\n")
        XCTAssertEqual(rapport(["find customers show id, lastContact, points, contactCount"]).stdout, """
        id,lastContact,points,contactCount
        C1,2026-03-01,1500,1
        C2,2026-03-01,1500,1
        C3,,0,0
        C4,,0,0

        """)
        XCTAssertEqual(rapport(["campaign history \"birthday greetings\""]).stdout, """
        id,campaign,at,by,targeted,skipped,sent,applied,skips
        R000001,birthday greetings,2026-03-01T09:00:00+00:00,\(ProcessInfo.processInfo.environment["USER"] ?? "root"),3,1,2,2,no address: 1

        """)
        // A message on the points afterwards shows them grouped.
        let later = try script(Self.birthday.replacingOccurrences(of: "every 365d", with: "every 1min").replacingOccurrences(of: "birthday greetings", with: "again"))
        XCTAssertEqual(later.status, 0, later.stderr)
        let all = try messages()
        XCTAssertTrue(all.contains(["M0000003", "C1", "生日快乐，王芳！您有 1,500 积分。"]), "\(all)")
    }

    func testABlockThatSendsNothingIsStillTouchedOnlyOnce() throws {
        let block = """
        campaign "vip points"
          target customers where phone is not null
          add points 10 "vip"
          assign to owner "call to thank" due 3d
          set tags = (vip)
        end
        """
        XCTAssertEqual(try script(block).stdout, "vip points: targeted 3, skipped 0, applied to 3\n")
        XCTAssertEqual(try script(block).stdout, "vip points: targeted 3, skipped 3 (touched before: 3), applied to 0\n")
        XCTAssertEqual(rapport(["find customers where phone is not null show id, points, tags"]).stdout, "id,points,tags\nC1,10,vip\nC2,10,vip\nC4,10,vip\n")
        XCTAssertEqual(rapport(["find tasks show customer, owner, due, text"]).stdout,
                       "customer,owner,due,text\nC1,李娜,2026-03-04,call to thank\nC2,,2026-03-04,call to thank\nC4,,2026-03-04,call to thank\n")
        XCTAssertEqual(rapport(["count touchpoints"]).stdout, "count\n3\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: outboxFile))
    }

    func testADryRunListsTheMessagesAndChangesNothing() throws {
        let r = try script(Self.birthday, format: "csv", extra: ["--dry-run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "customer,channel,to,text\nC1,sms,13800000001,生日快乐，王芳！您有 0 积分。\nC2,sms,+44 20 7946 0000,生日快乐，Anna！您有 0 积分。\n")
        XCTAssertTrue(r.stderr.contains("dry run: birthday greetings: targeted 3, skipped 1 (no address: 1), would send 2; nothing changed"), r.stderr)
        XCTAssertEqual(rapport(["count messages", "count contacts", "count runs", "sum points of customers"]).stdout, "count\n0\ncount\n0\ncount\n0\nsum(points)\n0\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path + "/outbox"))
    }

    func testErrorsComeBeforeAnythingIsSentAndPointIntoTheBlock() throws {
        let unknownField = try script(Self.birthday.replacingOccurrences(of: "{points|number}", with: "{pionts}"))
        XCTAssertEqual(unknownField.status, 2)
        XCTAssertTrue(unknownField.stderr.contains("unknown field 'pionts' in the template"), unknownField.stderr)
        XCTAssertTrue(unknownField.stderr.contains("did you mean 'points'?"), unknownField.stderr)
        XCTAssertTrue(unknownField.stderr.contains("care.rapport:4:35"), unknownField.stderr)
        let caretLine = try XCTUnwrap(unknownField.stderr.split(separator: "\n").first { $0.contains("^") })
        XCTAssertEqual(caretLine.trimmingCharacters(in: .whitespaces), "^^^^^^")

        let badFormat = try script(Self.birthday.replacingOccurrences(of: "{name|first}", with: "{name|frist}"))
        XCTAssertTrue(badFormat.stderr.contains("unknown format 'frist'") && badFormat.stderr.contains("did you mean 'first'?"), badFormat.stderr)
        let badClause = try script(Self.birthday.replacingOccurrences(of: "  send sms", with: "  sned sms"))
        XCTAssertEqual(badClause.status, 2)
        XCTAssertTrue(badClause.stderr.contains("unknown campaign line 'sned'") && badClause.stderr.contains("did you mean 'send'?"), badClause.stderr)
        XCTAssertTrue(badClause.stderr.contains("care.rapport:4:3"), badClause.stderr)
        let badChannel = try script(Self.birthday.replacingOccurrences(of: "via sms", with: "via smss"))
        XCTAssertEqual(badChannel.status, 2, badChannel.stderr)
        let badTarget = try script(Self.birthday.replacingOccurrences(of: "birthday within", with: "birthdy within"))
        XCTAssertTrue(badTarget.stderr.contains("did you mean 'birthday'?"), badTarget.stderr)
        let noEnd = try script(Self.birthday.replacingOccurrences(of: "\nend", with: ""))
        XCTAssertTrue(noEnd.stderr.contains("has no end line"), noEnd.stderr)
        XCTAssertEqual(rapport(["count messages", "count contacts"]).stdout, "count\n0\ncount\n0\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path + "/outbox"))
    }

    /// Huge lengths of time once crashed the run (an Int64 or a day count overflowing).
    func testHugeLengthsOfTimeAreErrorsOrNeverAgainNotCrashes() throws {
        let never = try script(Self.birthday.replacingOccurrences(of: "every 365d", with: "every 1e300d"))
        XCTAssertEqual(never.status, 0, never.stderr)
        XCTAssertEqual(try script(Self.birthday.replacingOccurrences(of: "every 365d", with: "every 1e300d")).stdout,
                       "birthday greetings: targeted 3, skipped 3 (touched within 1e300d: 2, no address: 1), sent 0\n")

        let lateTask = try script("campaign \"late\"\n  target all customers\n  assign to owner \"call\" due 99999999999999d\nend")
        XCTAssertEqual(lateTask.status, 2, lateTask.stderr)
        XCTAssertTrue(lateTask.stderr.contains("due must be a date from 0001-01-01 to 9999-12-31"), lateTask.stderr)
        XCTAssertTrue(lateTask.stderr.contains("care.rapport:3:30"), lateTask.stderr)

        let wideWindow = try script("campaign \"wide\"\n  target all customers\n  when holiday \"春节\" within 1e30d\n  send sms \"hi\"\nend")
        XCTAssertEqual(wideWindow.status, 2, wideWindow.stderr)
        XCTAssertTrue(wideWindow.stderr.contains("a number of days up to 366d"), wideWindow.stderr)
        XCTAssertEqual(rapport(["count tasks"]).stdout, "count\n0\n")
    }

    func testRunningNeedsManagerAndAnAgentMayPreview() throws {
        let refused = try script(Self.birthday, extra: ["--role", "agent"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("manager"), refused.stderr)
        XCTAssertEqual(try script(Self.birthday, extra: ["--role", "agent", "--dry-run"]).status, 0)
        XCTAssertEqual(rapport(["campaign history"], extra: ["--role", "agent"]).status, 0)
        XCTAssertEqual(rapport(["campaign history"], extra: ["--role", "trainee"]).status, 1)
        XCTAssertEqual(rapport(["count messages"]).stdout, "count\n0\n")
    }

    /// A failed outbox write after the commit: the run says so and exits 1; the next run
    /// writes the missing lines first and sends nothing twice.
    func testAnOutboxWriteThatFailsIsRepairedByTheNextRun() throws {
        let failed = try script(Self.birthday, faults: "write:2026-03-01.jsonl:1")
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("the messages are recorded but the outbox file was not written"), failed.stderr)
        XCTAssertEqual(try messages().count, 2)
        let fsyncFailed = try script(Self.birthday, faults: "fsync:2026-03-01.jsonl:1")
        XCTAssertEqual(fsyncFailed.status, 1, fsyncFailed.stderr)
        let again = try script(Self.birthday)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("sent 0"), again.stdout)
        XCTAssertEqual(try outboxLines(), try messages())
    }

    /// A failed journal write: nothing recorded, no outbox line; the next run sends.
    func testAJournalWriteThatFailsSendsNothingAndTheNextRunSends() throws {
        let failed = try script(Self.birthday, faults: "fsync:journal.jsonl:1")
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertEqual(rapport(["count messages", "count contacts"]).stdout, "count\n0\ncount\n0\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: outboxFile))
        XCTAssertTrue(try script(Self.birthday).stdout.contains("sent 2"))
        XCTAssertEqual(try outboxLines(), try messages())
    }

    func testATornLastLineIsCutAndWrittenAgainOnce() throws {
        XCTAssertEqual(try script(Self.birthday).status, 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: outboxFile))
        bytes.removeLast(20)
        try bytes.write(to: URL(fileURLWithPath: outboxFile))
        XCTAssertEqual(try script(Self.birthday).status, 0)
        XCTAssertEqual(try outboxLines(), try messages())
    }

    /// kill -9 at random points of runs over 2,000 customers, then a run to the end: one
    /// message per targeted customer, a contact per message, and the outbox agreeing.
    func testKillNineAnywhereThenRunAgainEndsWithOneMessagePerCustomer() throws {
        var lines: [String] = []
        for i in 1...2000 { lines.append(#"{"id":"D\#(i)","name":"Kunde \#(i)","phone":"1390000\#(i)"}"#) }
        let file = try store.file("many.jsonl", lines.joined(separator: "\n") + "\n")
        XCTAssertEqual(rapport(["import customers from \"\(file)\""]).status, 0)
        let block = """
        campaign "welcome"
          target customers where id starts with D
          send sms "欢迎 {name}"
          log contact via sms "welcome"
        end
        """
        let scriptFile = try store.file("welcome.rapport", block + "\n")
        for attempt in 0..<4 {
            let process = Process()
            process.executableURL = RapportRunner.binary
            process.arguments = ["--data", store.path, "--now", Self.now, "--timezone", "UTC", scriptFile]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(50_000 + attempt * 120_000 + Int.random(in: 0..<100_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let last = store.run(["--format", "csv", scriptFile], now: Self.now)
        XCTAssertEqual(last.status, 0, last.stderr)
        let counts = rapport(["count messages", "count contacts", "count customers where id starts with D and lastContact = 2026-03-01"])
        XCTAssertEqual(counts.stdout, "count\n2000\ncount\n2000\ncount\n2000\n")
        let outbox = try outboxLines()
        XCTAssertEqual(outbox.count, 2000)
        XCTAssertEqual(Set(outbox.map { $0[1] }).count, 2000)
        XCTAssertEqual(outbox, try messages())
    }
}
