import Foundation
import RapportTestSupport
import XCTest

/// Every `show ...` form (and `why churn`) on PostgreSQL through the real binary: the same
/// stdout, stderr and status as the embedded store in every output format, errors
/// included; `save` without a segment (a snapshot) is refused by name.
final class PostgresShowTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-03-01T09:00:00Z"

    static let setup = [
        #"add customer id: C1, name: "Ada", tier: gold, city: "Oslo", lastContact: 2025-10-01, phone: "13800000001", tags: (tea, vip)"#,
        #"add customer id: C2, name: "Bo", email: "bo@example.com""#,
        #"add contact customer: C1, date: 2026-02-01, channel: phone, note: "called""#,
        #"add purchase customer: C1, date: 2026-01-10, amount: 12.5, product: "tea""#,
        #"add purchase customer: C1, date: 2025-04-01, amount: 80, product: "pot""#,
        #"add survey customer: C1, date: 2026-02-02, score: 3, nps: 4, comment: "meh""#,
        #"open ticket C1 complaint via email "broken cup" priority high"#,
        #"reply T000001 "we are on it""#,
        #"add points C1 40 "welcome""#,
        "set policy resolution.high = 3d",
        "set policy churn.oneTimeAfter = 30d",
        "save segment vips as customers where tier = gold",
    ]

    static let shows = [
        "show customer C1", "show customer c1", "show customer C2", "show customers C9",
        "show ticket T000001", "show tickets T000009",
        "show fields", "show fields customers", "show schema tickets",
        "show settings", "show policy", "show policy resolution", "show policy nope",
        "show segments", "show nonsense", "show",
        "why churn C1", "why churn C2", "why churn C9",
    ]

    /// One script on both backends: the same stdout, stderr and status. The store runs as
    /// the database's login, as records and settings name the session's user.
    private func assertSame(_ url: String, _ store: TemporaryStore, _ commands: [String], format: String,
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let login = try server.psql(url, "SELECT session_user")
        let script = commands.joined(separator: "\n") + "\n"
        let common = ["--role", "admin", "--format", format, "-"]
        let embedded = store.run(["--user", login] + common, stdin: script, now: Self.now)
        let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + common, stdin: script)
        XCTAssertEqual(PostgresSegmentTests.masked(pg.stdout), PostgresSegmentTests.masked(embedded.stdout), format, file: file, line: line)
        XCTAssertEqual(pg.stderr, embedded.stderr, format, file: file, line: line)
        XCTAssertEqual(pg.status, embedded.status, embedded.stderr, file: file, line: line)
    }

    func testEveryShowFormPrintsWhatTheEmbeddedStorePrints() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-show")
        try assertSame(url, store, Self.setup, format: "table")
        XCTAssertEqual(RapportRunner.run(["--db", url, "--format", "csv", "-c", "count customers"]).stdout, "count\n2\n", "the set-up ran")
        for format in ["table", "csv", "json", "jsonl"] {
            try assertSame(url, store, Self.shows, format: format)
        }
        // A masked session (trainee) sees the same masked contacts.
        let masked = ["show customer C1", "show customer C2"]
        let login = try server.psql(url, "SELECT session_user")
        let embedded = store.run(["--user", login, "--role", "trainee", "-"], stdin: masked.joined(separator: "\n"), now: Self.now)
        let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "--role", "trainee", "-"], stdin: masked.joined(separator: "\n"))
        XCTAssertEqual(pg.stdout, embedded.stdout)
        XCTAssertEqual(pg.stderr, embedded.stderr)
        XCTAssertEqual(pg.status, 0, pg.stderr)
    }

    /// The grants are the database's group memberships, so the cluster's other logins may
    /// be listed too: the rows of the logins this test grants are the store's rows.
    func testShowGrantsListsWhatTheEmbeddedStoreLists() throws {
        let url = try server.freshDatabase(initialised: true)
        let login = try server.psql(url, "SELECT session_user")
        let agent = "seg_agent_" + UUID().uuidString.prefix(8).lowercased()
        try server.psql(url, "CREATE ROLE \(agent) LOGIN")
        defer { _ = try? server.psql(url, "DROP ROLE \(agent)") }
        let store = TemporaryStore("pg-grants")
        let script = "grant \(login) admin\ngrant \(agent) agent\nshow grants\n"
        let embedded = store.run(["--user", login, "--format", "csv", "-"], stdin: script, now: Self.now)
        let pg = RapportRunner.run(["--db", url, "--format", "csv", "-"], stdin: script)
        XCTAssertEqual(pg.status, 0, pg.stderr)
        func rows(_ output: String) -> [String] {
            output.split(separator: "\n").map(String.init).filter { $0 == "user,role" || $0.hasPrefix(login + ",") || $0.hasPrefix(agent + ",") }
        }
        XCTAssertEqual(rows(pg.stdout), ["user,role", "\(agent),agent", "\(login),admin"].sorted { $0 == "user,role" || ($1 != "user,role" && $0 < $1) })
        XCTAssertEqual(rows(pg.stdout), rows(embedded.stdout))
        XCTAssertEqual(RapportRunner.run(["--db", url, "-c", "revoke \(agent)"]).status, 0)
    }

    func testASnapshotIsRefusedByName() throws {
        let url = try server.freshDatabase(initialised: true)
        for command in ["save", "checkpoint"] {
            let r = RapportRunner.run(["--db", url, "-c", command])
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.stderr.contains("'save' does not apply on PostgreSQL: the server writes its own files durably at every commit"), r.stderr)
            XCTAssertTrue(r.stderr.contains("pg_dump"), r.stderr)
            XCTAssertEqual(r.stdout, "")
        }
    }
}
