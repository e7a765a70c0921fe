import Foundation
import RapportTestSupport
import XCTest

/// The audit trail as entity `audit` on PostgreSQL through the real binary: after the same
/// changes on both backends (records of several entities, an update, a delete, a policy
/// key, a segment, a bulk import summarised, a custom field), every query on `audit` and
/// `audit ID` print what the embedded store prints, the real time of each change masked.
final class PostgresAuditTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-03-01T09:00:00Z"

    static let queries = [
        "find audit",
        "find audit where entity = customers and field = city show seq, record, before, after",
        "count audit by entity",
        "count audit where before is null by field",
        "find audit where entity in (policy, segments) show record, field, before, after",
        "find audit where record = C2 sort by seq desc",
        "find audit where command starts with \"import\" show seq, entity, record, field, after",
        "find audit where after contains \"gold\" or before = \"Rome\" show seq, record, field",
        "audit C1", "audit c2", "audit C9",
        "find audit where user = nobody",
        "find audit where seq > 3 limit 4 offset 2 show id, seq, field",
    ]

    private func run(_ url: String, _ store: TemporaryStore, _ script: String, format: String, role: String = "admin")
        throws -> (embedded: RapportRunner.Result, pg: RapportRunner.Result) {
        let login = try server.psql(url, "SELECT session_user")
        let common = ["--role", role, "--format", format, "-"]
        return (store.run(["--user", login] + common, stdin: script, now: Self.now),
                RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + common, stdin: script))
    }

    func testTheAuditTrailAnswersAsOnTheEmbeddedStore() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-audit")
        let many = try store.file("many.jsonl", "{\"id\":\"C10\",\"name\":\"J\"}\n{\"id\":\"C11\",\"name\":\"K\"}\n{\"id\":\"C12\",\"name\":\"L\"}\n")
        let custom = try store.file("custom.jsonl", "{\"id\":\"C20\",\"name\":\"Zed\",\"shoe\":41,\"vip\":true}\n")
        let changes = [
            #"add customer id: C1, name: "Ada", tier: gold, city: "Oslo", lastContact: 2025-10-01, tags: (tea, vip)"#,
            #"add customer id: C2, name: "Bo""#,
            #"add purchase customer: C1, date: 2026-01-10, amount: 12.5, product: "tea""#,
            #"update customers where id = C2 set city = "Rome", tier = silver"#,
            #"open ticket C1 complaint via email "broken cup" priority high"#,
            "set policy resolution.high = 3d",
            "save segment vips as customers where tier = gold",
            "delete customers where id = C2",
            "set policy import.bulkRows = 2",
            "import customers from \"\(many)\"",
            "import customers from \"\(custom)\"",
            "update customers where id = C20 set shoe = 42",
        ]
        let made = try run(url, store, changes.joined(separator: "\n") + "\n", format: "table")
        XCTAssertEqual(made.embedded.status, 0, made.embedded.stderr)
        XCTAssertEqual(made.pg.status, 0, made.pg.stderr)
        // Each query in a process of its own is checked in one script per format.
        for format in ["table", "csv", "json"] {
            let (embedded, pg) = try run(url, store, Self.queries.joined(separator: "\n") + "\n", format: format)
            // The bulk import is one summary row; the custom field's values are rows of their own.
            XCTAssertTrue(embedded.stdout.contains("added 3 customers (C10..C12) from"), embedded.stdout)
            XCTAssertTrue(embedded.stdout.contains("shoe"), embedded.stdout)
            XCTAssertEqual(PostgresSegmentTests.masked(pg.stdout), PostgresSegmentTests.masked(embedded.stdout), format)
            XCTAssertEqual(pg.stderr, embedded.stderr, format)
            XCTAssertEqual(pg.status, embedded.status, format)
        }
        // A change made after the trail was read in the same session is in the next answer.
        let later = try run(url, store, "count audit\nadd customer id: C3, name: \"Cy\"\ncount audit\n", format: "csv")
        XCTAssertEqual(later.pg.stdout, later.embedded.stdout)
        XCTAssertNotEqual(later.pg.stdout.split(separator: "\n").dropFirst().first, later.pg.stdout.split(separator: "\n").last)
        // Below manager, the trail is refused on both, before anything is read.
        let agent = try run(url, store, "find audit\n", format: "csv", role: "agent")
        XCTAssertEqual(agent.pg.stderr, agent.embedded.stderr)
        XCTAssertEqual(agent.pg.status, agent.embedded.status)
        XCTAssertEqual(agent.pg.stdout, "")
        XCTAssertTrue(agent.pg.stderr.contains("manager"), agent.pg.stderr)
    }
}
