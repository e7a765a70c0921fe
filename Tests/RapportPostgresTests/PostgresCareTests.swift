import Foundation
import RapportTestSupport
import XCTest

/// The care routines on PostgreSQL through the real binary (`--db URL`): campaigns and
/// `deliver` print what they print on the embedded store, byte for byte; two schedulers or
/// two deliverers racing each other touch a customer once and hand a message over once.
final class PostgresCareTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-03-01T09:00:00Z"

    func onPostgres(_ url: String, _ arguments: [String]) -> RapportRunner.Result { Self.onPostgres(url, arguments) }

    static func onPostgres(_ url: String, _ arguments: [String]) -> RapportRunner.Result {
        RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + arguments)
    }

    static let customers = [
        #"add customer id: C1, name: "王芳", phone: "13800000001", owner: "li""#,
        #"add customer id: C2, name: "Anna Smith", phone: "+44 20 7946 0000", email: "anna@example.com", preferredChannel: email"#,
        #"add customer id: C3, name: "Bob", email: "bob@example.com", optOut: "sms""#,
        #"add customer id: C4, name: "Zoë", phone: "13800000004", optOut: "all""#,
        #"add customer id: C5, name: "Émile", city: Paris, owner: "wu""#,
    ]

    static let greeting = """
    campaign "Spring Greeting"
      target customers where name != "Bob"
      every 30d
      send sms "春天好，{name|first}！"
      log contact via sms "spring greeting"
      add points 50 "spring gift"
    end
    campaign "revisit"
      target customers where city = paris or name = "Bob"
      assign to owner "call to say hello" due 3d
    end
    campaign "preferred"
      target all customers
      send preferred "hello {name}"
    end
    """

    /// Runs each step on both backends and asserts the same stdout, stderr and status.
    /// The embedded store runs as the database's login (`--user`): on PostgreSQL the session's
    /// user is the connection's, and records name who made them.
    func assertSameOnBothBackends(_ steps: [[String]], url: String, store: TemporaryStore, file: StaticString = #filePath, line: UInt = #line) {
        let login = (try? server.psql(url, "SELECT session_user")) ?? ""
        XCTAssertFalse(login.isEmpty, "the test server's login", file: file, line: line)
        for step in steps {
            let embedded = store.run(["--user", login] + step, now: Self.now)
            let postgres = onPostgres(url, step)
            XCTAssertEqual(postgres.stdout, embedded.stdout, "\(step)", file: file, line: line)
            XCTAssertEqual(postgres.stderr, embedded.stderr, "\(step)", file: file, line: line)
            XCTAssertEqual(postgres.status, embedded.status, "\(step): \(embedded.stderr)", file: file, line: line)
        }
    }

    func testCampaignsAndDeliveryPrintWhatTheEmbeddedStorePrints() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-care")
        let script = try store.file("care.rapport", Self.greeting + "\n")
        let received = store.files + "/received.jsonl"
        let readBack = [
            "find messages", "find contacts", "find points", "find tasks", "find touchpoints",
            "find customers show id, lastContact", "campaign history", #"campaign history "spring greeting""#,
        ]
        assertSameOnBothBackends(Self.customers.map { ["-c", $0] } + [
            ["--dry-run", script],
            [script],
            // Run again: every customer is skipped as touched, nothing added.
            [script],
            ["--format", "csv", "-c", "set policy campaign.weeklyCap = 1", "-c", "find customers show id"],
        ] + readBack.map { ["--format", "csv", "-c", $0] } + [
            ["-c", "deliver via \"exit 0\" --dry-run"],
            ["-c", #"deliver via "echo 'gateway down' >&2; exit 3""#],
            ["--format", "csv", "-c", "find messages show id, status, attempts, lastError"],
            ["-c", "deliver via \"cat >> '\(received)'\""],
            ["--format", "csv", "-c", "find messages show id, status, sentAt, attempts"],
            ["-c", "deliver via \"cat >> '\(received)'\""],
        ], url: url, store: store)
        // On PostgreSQL the messages table is the outbox: no directory named after the URL appears.
        XCTAssertFalse(FileManager.default.fileExists(atPath: "postgres:"))
        // Each customer touched once per campaign and window; the block with two messages' one customer once.
        XCTAssertEqual(try server.psql(url, "SELECT campaign || ':' || customer FROM rapport_touches ORDER BY 1"),
                       "preferred:C1\npreferred:C2\npreferred:C3\nrevisit:C3\nrevisit:C5\nspring greeting:C1\nspring greeting:C2")
    }

    /// Tickets, tasks and points: the commands whose builders read only stored records.
    func testTicketsTasksAndPointsPrintWhatTheEmbeddedStorePrints() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-tickets")
        let steps: [String] = Self.customers + [
            #"open ticket C1 complaint via phone "the scarf arrived torn" priority high"#,
            #"open ticket C2 inquiry "opening hours?""#,
            #"reply T000001 "we are sending a new one""#,
            "assign T000001 to 李娜",
            #"wait T000002 "the receipt number""#,
            #"resolve T000001 "replaced""#,
            "close T000001 satisfaction 4",
            #"reopen T000001 "still torn""#,
            "close T999999",
            #"add task customer: C1, text: "call back", owner: "li", due: 2026-03-04"#,
            "done A0000001 via phone",
            "done A0000001",
            #"add points C1 150 "welcome""#,
            #"redeem C1 100 "voucher""#,
            #"redeem C1 100 "too many""#,
            #"log purchase C2 amount 120.5 "tea""#,
            "log survey C2 score 5",
        ]
        let readBack = ["find tickets show id, customer, kind, status, priority, assignee, satisfaction", "find timeline",
                        "find tasks", "find points", "find contacts", "find purchases", "find customers show id, lastContact, satisfaction"]
        assertSameOnBothBackends(steps.map { ["-c", $0] } + readBack.map { ["--format", "csv", "-c", $0] }, url: url, store: store)
        // The steps did what they say, not merely failed alike.
        XCTAssertEqual(try server.psql(url, "SELECT id || ' ' || status FROM tickets ORDER BY id"), "T000001 open\nT000002 pending")
        XCTAssertEqual(try server.psql(url, "SELECT sum(change) FROM points WHERE customer = 'C1'"), "50")
    }

    /// `recompute` reads every customer and the year's purchases (`segmentationInputs`).
    func testRecomputePrintsWhatTheEmbeddedStorePrints() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-recompute")
        var steps: [String] = Self.customers
        // Spend of the 12 months and the purchase count decide the tier; one purchase too old to count, one in the future.
        for (customer, amounts) in [("C1", [3000.1, 2999.9, 4000]), ("C2", [800, 450.25]), ("C3", [0.1, 0.2, 0.3]), ("C5", [99])] {
            for (i, amount) in amounts.enumerated() { steps.append("add purchase customer: \(customer), amount: \(amount), date: 2026-0\(i + 1)-01") }
        }
        steps += ["add purchase customer: C4, amount: 50000, date: 2024-01-01", "add purchase customer: C5, amount: 7000, date: 2026-12-01",
                  #"open ticket C2 complaint "late""#, "set policy tier.silver.spend = 1200", "set policy tier.gold.spend = 9000"]
        let readBack = ["find customers show id, tier, grade, stage, lastPurchase"]
        assertSameOnBothBackends(steps.map { ["-c", $0] } + [
            ["-c", "recompute tiers --dry-run"], ["-c", "recompute tiers"], ["-c", "recompute tiers"],
            ["-c", "recompute grades"], ["-c", "recompute stages"],
        ] + readBack.map { ["--format", "csv", "-c", $0] }, url: url, store: store)
        XCTAssertEqual(try server.psql(url, "SELECT id || ' ' || tier FROM customers ORDER BY id"), "C1 silver\nC2 silver\nC3 bronze\nC4 bronze\nC5 bronze")
    }

    /// `delete` moves records to the bin; `find deleted`, `restore` and `purge` read and empty it.
    func testTheBinWorksAsOnTheEmbeddedStore() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-bin")
        let steps: [String] = Self.customers + [
            "log contact C1 via phone", "log contact C2 via email",
            "add purchase customer: C1, amount: 120.5, date: 2026-02-01",
            "delete customers where id = C1",
            "delete contacts where customer = C2",
            "restore C1",
            "restore C1",
            "delete customers where id in (C1, C3)",
            "restore P0000001",
            "restore K0000002",
        ]
        let readBack = ["find deleted customers", "find deleted contacts", "find deleted purchases where amount > 100",
                        "count deleted customers", "find customers show id, totalSpent, purchaseCount", "find contacts", "find purchases"]
        assertSameOnBothBackends(steps.map { ["-c", $0] } + readBack.map { ["--format", "csv", "-c", $0] } + [
            ["-c", "purge older than 30d"], ["--format", "csv", "-c", "find deleted customers"],
            ["-c", "purge"], ["--format", "csv", "-c", "find deleted customers"], ["-c", "restore C3"],
        ], url: url, store: store)
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM customers_bin"), "0")
        XCTAssertEqual(try server.psql(url, "SELECT id FROM customers ORDER BY id"), "C2\nC4\nC5")
    }

    func testTwoSchedulersRacingTouchEachCustomerOnce() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-race")
        var adds: [String] = []
        for n in 1...40 { adds += ["-c", "add customer id: C\(n), name: \"Customer \(n)\", phone: \"1380000\(1000 + n)\""] }
        XCTAssertEqual(onPostgres(url, adds).status, 0)
        let script = try store.file("race.rapport", """
        campaign "race"
          target all customers
          every 7d
          send sms "hi {name}"
          log contact via sms "race"
        end

        """)
        for round in 0..<2 {
            let results = racing(2) { _ in Self.onPostgres(url, [script]) }
            for r in results { XCTAssertEqual(r.status, 0, r.stderr) }
            let outputs = results.map(\.stdout).sorted()
            if round == 0 {
                XCTAssertEqual(outputs, ["race: targeted 40, skipped 0, sent 40\n", "race: targeted 40, skipped 40 (touched within 7d: 40), sent 0\n"].sorted())
            } else {
                XCTAssertEqual(outputs, Array(repeating: "race: targeted 40, skipped 40 (touched within 7d: 40), sent 0\n", count: 2))
            }
            XCTAssertEqual(try server.psql(url, "SELECT count(*), count(DISTINCT customer) FROM messages"), "40|40")
            XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM contacts"), "40")
        }
        // A writer that skips the advisory lock still cannot touch a customer twice in the window.
        let window = try server.psql(url, "SELECT window_key FROM rapport_touches WHERE customer = 'C1'")
        try server.psql(url, "INSERT INTO rapport_touches VALUES ('race', 'C1', \(window))", expectFailure: true)
        // A run whose touches collide is refused whole: nothing of it is left.
        try server.psql(url, "DELETE FROM messages WHERE customer = 'C2'")
        let refused = onPostgres(url, [script])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("nothing changed"), refused.stderr)
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM messages"), "39")
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM contacts"), "40")
    }

    /// Two writers on two connections, each change its own transaction: no id handed out
    /// twice, no update lost, one audit row per change set with its own sequence number.
    func testTwoWritersRacingOnChangesLoseNothing() throws {
        let url = try server.freshDatabase(initialised: true)
        XCTAssertEqual(onPostgres(url, ["-c", #"add customer id: C1, name: "王芳", phone: "13800000001""#]).status, 0)
        let perWriter = 20
        let results = racing(2) { writer in
            var commands: [String] = []
            for n in 1...perWriter {
                commands += ["-c", "add customer name: \"Writer \(writer) 客户 \(n)\"", "-c", "add points C1 \(writer + 1) \"race \(writer)\""]
            }
            return Self.onPostgres(url, commands)
        }
        for r in results { XCTAssertEqual(r.status, 0, r.stderr) }
        XCTAssertEqual(try server.psql(url, "SELECT count(*), count(DISTINCT id) FROM customers"), "\(2 * perWriter + 1)|\(2 * perWriter + 1)")
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM customers WHERE name LIKE 'Writer 0 客户 %'"), String(perWriter))
        XCTAssertEqual(try server.psql(url, "SELECT count(*), sum(change) FROM points WHERE customer = 'C1'"), "\(2 * perWriter)|\(perWriter * 1 + perWriter * 2)")
        XCTAssertEqual(onPostgres(url, ["--format", "csv", "-c", "find customers where id = C1 show points"]).stdout, "points\n\(perWriter * 3)\n")
        // One audit row per change set: the first add, then every change of both writers, numbered without a gap.
        XCTAssertEqual(try server.psql(url, "SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM rapport_audit WHERE command IS DISTINCT FROM 'init'"),
                       try server.psql(url, "SELECT count(*), count(*), min(seq), min(seq) + count(*) - 1 FROM rapport_audit WHERE command IS DISTINCT FROM 'init'"))
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_audit WHERE command LIKE 'add points C1%'"), String(2 * perWriter))
    }

    func testTwoDeliverersHandEachMessageOverOnce() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-deliver")
        var adds: [String] = []
        for n in 1...30 { adds += ["-c", "add customer id: C\(n), name: \"Customer \(n)\", phone: \"1380000\(1000 + n)\""] }
        XCTAssertEqual(onPostgres(url, adds).status, 0)
        let script = try store.file("all.rapport", "campaign \"all\"\n  target all customers\n  send sms \"hi\"\nend\n")
        XCTAssertEqual(onPostgres(url, [script]).stdout, "all: targeted 30, skipped 0, sent 30\n")
        // Slow enough that both deliverers are at work at once.
        let files = store.files
        let results = racing(2) { i in
            Self.onPostgres(url, ["-c", "deliver via \"sleep 0.05; cat >> '\(files)/received\(i).jsonl'\""])
        }
        var delivered = 0
        for r in results {
            XCTAssertEqual(r.status, 0, r.stderr)
            guard let n = r.stdout.split(separator: " ").dropFirst().first.flatMap({ Int($0.dropLast()) }) else { return XCTFail(r.stdout) }
            delivered += n
        }
        XCTAssertEqual(delivered, 30, results.map(\.stdout).joined())
        let lines = (0..<2).flatMap { i in
            ((try? String(contentsOfFile: "\(store.files)/received\(i).jsonl", encoding: .utf8)) ?? "").split(separator: "\n")
        }
        XCTAssertEqual(lines.count, 30)
        XCTAssertEqual(Set(lines).count, 30, "a message handed over twice")
        XCTAssertEqual(try server.psql(url, "SELECT status, count(*) FROM messages GROUP BY status"), "sent|30")
        XCTAssertEqual(onPostgres(url, ["-c", "deliver via \"exit 1\""]).stdout, "delivered 0, failed 0, waiting 0\n")
    }

    func testAnOlderSchemaIsRefusedUntilInitBringsItForward() throws {
        let url = try server.freshDatabase(initialised: true)
        try server.psql(url, "DROP TABLE rapport_touches; DROP TABLE rapport_policy; DROP INDEX events_ticket; UPDATE rapport_meta SET value = '1'")
        let refused = onPostgres(url, ["-c", "find customers"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("schema version 1, older than this Rapport's (4)"), refused.stderr)
        let migrated = onPostgres(url, ["-c", "init"])
        XCTAssertEqual(migrated.status, 0, migrated.stderr)
        XCTAssertTrue(migrated.stdout.contains("migrated the Rapport schema from version 1 to 4"), migrated.stdout)
        XCTAssertEqual(try server.psql(url, "SELECT value FROM rapport_meta WHERE key = 'schemaVersion'"), "4")
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'events_ticket'"), "1", "version 3's index")
        XCTAssertEqual(onPostgres(url, ["-c", "set policy campaign.weeklyCap = 3"]).status, 0)
        XCTAssertEqual(try server.psql(url, "SELECT key, value FROM rapport_policy"), "campaign.weeklyCap|3")
    }

    /// A target reading a value field inside a relation (refused here until issue 17's last
    /// steps) targets the customers the store targets.
    func testACampaignTargetingByAValueFieldInsideARelationRunsAsOnTheEmbeddedStore() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-campaign-value")
        let steps = Self.customers + [
            "add purchase customer: C1, amount: 10, date: 2026-02-01",
            #"add ticket customer: C1, kind: inquiry, text: "a", status: open"#,
            #"add ticket customer: C2, kind: inquiry, text: "b", status: open"#,
            "campaign \"x\"\n target customers where any tickets(customer.rfm is not null)\n send sms \"hi\"\nend",
        ]
        assertSameOnBothBackends(steps.map { ["-c", $0] } + [["--format", "csv", "-c", "find messages show customer"]], url: url, store: store)
        XCTAssertEqual(try server.psql(url, "SELECT customer FROM messages"), "C1", "the one customer with tickets and a purchase")
    }

    /// Runs `count` copies of `body` at once, on threads of their own; their results in order.
    func racing(_ count: Int, _ body: @escaping @Sendable (Int) -> RapportRunner.Result) -> [RapportRunner.Result] {
        final class Box: @unchecked Sendable { var results: [RapportRunner.Result?] = [] }
        let box = Box()
        box.results = Array(repeating: nil, count: count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: count) { i in
            let r = body(i)
            lock.lock(); box.results[i] = r; lock.unlock()
        }
        return box.results.map { $0! }
    }
}
