import Foundation
import RapportTestSupport
import XCTest

/// `merge` on PostgreSQL (docs/postgres.md "Reports, duplicates and merge"): the same
/// summary, records and rollups as on the embedded store, one transaction with one audit
/// row that names the same record changes as the store's journal entry, and nothing
/// changed when the server refuses any of its statements.
final class PostgresMergeTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-11-24"

    /// Planted duplicates (DuplicatesEndToEndTests's): by phone, by email, by name in one city.
    static let duplicates = [
        #"add customer id: "C1", name: "王芳", phone: "13800138000", city: 上海, createdAt: 2025-01-01"#,
        #"add customer id: "C2", name: "王 芳", phone: "+86 138-0013-8000", city: 上海, createdAt: 2025-02-01"#,
        #"add customer id: "C3", name: "王方", phone: "13900139000", city: 上海, createdAt: 2025-03-01"#,
        #"add customer id: "C4", name: "Fang Wang", email: "Fang.Wang@Example.com", city: Shanghai, createdAt: 2025-04-01"#,
        #"add customer id: "C5", name: "wang fang", email: "fang.wang@example.com", city: Shanghai, createdAt: 2025-05-01"#,
        #"add customer id: "C6", name: "Lucas Obrien", city: 北京, createdAt: 2025-06-01"#,
        #"add customer id: "C7", name: "Lucas Obrian", city: 北京, createdAt: 2025-07-01"#,
        #"add customer id: "C8", name: "Lucas Obrien", city: 深圳, createdAt: 2025-08-01"#,
        #"add customer id: "C9", name: "Li Na", city: 北京, createdAt: 2025-09-01"#,
        #"add customer id: "C10", name: "Li Ma", city: 北京, createdAt: 2025-10-01"#,
    ]

    /// C2 (to merge) and C1 (to keep), each with records of every kind; C3 apart.
    static let mergeSeed = [
        #"add customer id: "C1", name: "王芳", phone: "13800138000", city: 上海, tags: (vip), createdAt: 2025-01-01"#,
        #"add customer id: "C2", name: "王 芳", phone: "13800138000", email: "wf@example.cn", owner: 李娜, tags: (投诉过, VIP), optOut: (sms), createdAt: 2025-02-01"#,
        #"add customer id: "C3", name: "李娜", city: 北京"#,
        #"log purchase C1 amount 100 "茶""#,
        #"log purchase C2 amount 250.5 "茶具""#,
        "add purchase customer: C2, date: 2026-11-01, amount: 40",
        #"log contact C1 via phone "first""#,
        #"add contact customer: C2, date: 2026-11-20, channel: wechat, note: "later""#,
        "add contact customer: C2, date: 2026-10-01, channel: sms",
        #"open ticket C2 complaint "broken lid""#,
        "log survey C2 score 2",
        #"add task customer: C2, owner: 李娜, text: "call back", due: 2026-12-01"#,
        #"add points C2 30 "gift""#,
        "log purchase C3 amount 999",
    ]

    static let readBack = ["find customers", "find contacts", "find purchases", "find tickets", "find events",
                           "find surveys", "find tasks", "find points", "find deleted customers",
                           "find customers where id = C1 show totalSpent, purchaseCount, lastPurchase, lastContact, points, satisfaction, tier"]

    /// Runs one script on both backends as `role` (the store as the database's login):
    /// the same output, errors and status.
    @discardableResult
    private func assertSame(_ url: String, _ store: TemporaryStore, _ commands: [String], role: String = "admin", format: String = "table",
                            file: StaticString = #filePath, line: UInt = #line) -> RapportRunner.Result {
        let login = (try? server.psql(url, "SELECT session_user")) ?? ""
        let script = commands.joined(separator: "\n") + "\n"
        let options = ["--now", Self.now, "--timezone", "UTC", "--role", role, "--format", format, "-"]
        let embedded = store.run(["--user", login] + options, stdin: script, now: Self.now)
        let pg = RapportRunner.run(["--db", url] + options, stdin: script)
        XCTAssertEqual(pg.stdout, embedded.stdout, "\(commands)", file: file, line: line)
        XCTAssertEqual(pg.stderr, embedded.stderr, "\(commands)", file: file, line: line)
        XCTAssertEqual(pg.status, embedded.status, "\(commands): \(pg.stderr)", file: file, line: line)
        return pg
    }

    /// A change set's record changes as (entity, id, kind, fields after, fields before):
    /// what the store's journal entry and PostgreSQL's audit row must both name.
    private static func outline(_ changes: Any?) -> [String] {
        (changes as? [[String: Any]] ?? []).map { c in
            // Text values as written; others by field name only (the journal writes instants as text).
            func fields(_ key: String) -> String {
                (c[key] as? [String: Any] ?? [:]).sorted { $0.key < $1.key }
                    .map { $0.key + (($0.value as? String).map { "=" + $0 } ?? "") }.joined(separator: ",")
            }
            // The journal calls the kind `op`.
            return "\(c["entity"] ?? "") \(c["id"] ?? "") \(c["kind"] ?? c["op"] ?? "") after(\(fields("after"))) before(\(fields("before")))"
        }
    }

    func testMergeIsTheEmbeddedStoresInOneTransactionWithItsAuditRow() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-merge")
        assertSame(url, store, Self.mergeSeed)
        let auditBefore = try server.psql(url, "SELECT count(*) FROM rapport_audit")

        // Refused alike: an agent, a customer into itself, an unknown customer; a dry run.
        assertSame(url, store, ["merge C2 into C1"], role: "agent")
        assertSame(url, store, ["merge C1 into C1"])
        assertSame(url, store, ["merge C404 into C1"])
        let dry = assertSame(url, store, ["merge C2 into C1 --dry-run"])
        XCTAssertTrue(dry.stdout.hasPrefix("dry run: would have merged C2 into C1"), dry.stdout)
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_audit"), auditBefore, "nothing refused or previewed is audited")

        let merged = assertSame(url, store, ["merge C2 into C1"])
        XCTAssertEqual(merged.stdout, "merged C2 into C1: 2 contacts, 2 purchases, 1 ticket, 3 points entries, 1 event, 1 survey, 1 task; took email, owner, tags, optOut from C2\n")
        for format in ["table", "csv"] { assertSame(url, store, Self.readBack, format: format) }

        // One audit row, naming the same record changes as the store's one journal entry.
        XCTAssertEqual(try server.psql(url, "SELECT count(*) - \(auditBefore) FROM rapport_audit"), "1")
        XCTAssertEqual(try server.psql(url, "SELECT command FROM rapport_audit ORDER BY seq DESC LIMIT 1"), "merge C2 into C1")
        let audited = try server.psql(url, "SELECT changes FROM rapport_audit ORDER BY seq DESC LIMIT 1")
        // A journal line is the entry, a tab, its checksum.
        let journal = try String(contentsOfFile: store.path + "/journal.jsonl", encoding: .utf8).split(separator: "\n").last?
            .split(separator: "\t").first.map(String.init) ?? ""
        let entry = try JSONSerialization.jsonObject(with: Data(journal.utf8)) as? [String: Any]
        XCTAssertEqual(entry?["command"] as? String, "merge C2 into C1")
        let fromPostgres = Self.outline(try JSONSerialization.jsonObject(with: Data(audited.utf8)))
        XCTAssertEqual(fromPostgres, Self.outline(entry?["changes"]))
        XCTAssertEqual(fromPostgres.count, 13, "10 moves, the kept customer's update, its rollup, the delete: \(fromPostgres)")
        // And the merged customer is in the bin, restorable.
        assertSame(url, store, ["restore C2", "find customers show id, name"])
    }

    func testAMergeTheServerRefusesPartWayChangesNothing() throws {
        let url = try server.freshDatabase(initialised: true)
        XCTAssertEqual(RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "--bail", "-"],
                                         stdin: Self.mergeSeed.joined(separator: "\n") + "\n").status, 0)
        // The last statement of the merge, the customer's delete, fails on the server: the
        // moves before it must not stay.
        try server.psql(url, """
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no deletes today'; END $$;
            CREATE TRIGGER refuse BEFORE DELETE ON customers FOR EACH ROW EXECUTE FUNCTION refuse();
            """)
        let tables = ["customers", "contacts", "purchases", "tickets", "events", "surveys", "tasks", "points", "customers_bin", "rapport_audit"]
        func everything() throws -> String { try tables.map { try server.psql(url, "SELECT * FROM \($0) ORDER BY 1") }.joined(separator: "\n--\n") }
        let before = try everything()
        let r = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "-c", "merge C2 into C1"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("PostgreSQL refused the statement, so nothing changed"), r.stderr)
        XCTAssertTrue(r.stderr.contains("no deletes today"), r.stderr)
        XCTAssertEqual(try everything(), before)
    }
}
