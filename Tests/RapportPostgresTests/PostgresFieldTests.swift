import Foundation
import RapportTestSupport
import XCTest

/// Custom fields on PostgreSQL through the real binary: an import that brings new keys adds
/// typed columns, and every command on them (conditions, sorting, groups, sums, updates, the
/// bin, `show`) prints what the embedded store prints; a store moved with its custom fields
/// keeps them; an admin who does not own the tables is refused with nothing changed.
final class PostgresFieldTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-03-01T09:00:00Z"

    static let customers = """
        {"id":"C1","name":"Ada","vip":true,"shoe":41,"since":"2020-01-02","nick":"ada","weight":61.5}
        {"id":"C2","name":"Bo","vip":false,"shoe":44,"nick":"Bo"}
        {"id":"C3","name":"Cy"}

        """

    static let purchases = "id,customer,date,amount,product,gift\nP9,C1,2026-01-01,5,tea,yes\n"

    static let queries = [
        "show fields customers", "show fields purchases",
        "find customers where vip show id, vip, shoe, since, nick, weight",
        "find customers where not vip",
        "find customers where shoe > 42 or since < 2021-01-01 sort by shoe desc show *",
        "count customers by nick", "sum shoe of customers", "avg weight of customers", "max since of customers",
        "find customers where nick = ADA", "find customers where nick starts with \"b\" show id",
        "find customers where shoe between 40 and 42 or weight is null show id, shoe",
        "find purchases where gift = yes show id, gift",
        "find customers where any purchases(gift = yes) show id",
        "find customers where nope = 1",
        "show customer C1",
    ]

    private func login(_ url: String) throws -> String { try server.psql(url, "SELECT session_user") }

    /// One script on both backends (as admin): the same stdout, stderr and status.
    private func assertSame(_ url: String, _ store: TemporaryStore, _ commands: [String], format: String = "table",
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let script = commands.joined(separator: "\n") + "\n"
        let common = ["--role", "admin", "--format", format, "-"]
        let embedded = store.run(["--user", try login(url)] + common, stdin: script, now: Self.now)
        let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + common, stdin: script)
        XCTAssertEqual(pg.stdout, embedded.stdout, format, file: file, line: line)
        XCTAssertEqual(pg.stderr, embedded.stderr, format, file: file, line: line)
        XCTAssertEqual(pg.status, embedded.status, embedded.stderr, file: file, line: line)
    }

    func testCustomFieldsWorkAsOnTheEmbeddedStore() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-fields")
        let customers = try store.file("c.jsonl", Self.customers)
        let purchases = try store.file("p.csv", Self.purchases)
        try assertSame(url, store, ["import customers from \"\(customers)\"", "import purchases from \"\(purchases)\""])
        XCTAssertEqual(try server.psql(url, "SELECT entity, position, name, type FROM rapport_fields ORDER BY entity, position"), """
            customers|1|vip|boolean
            customers|2|shoe|integer
            customers|3|since|date
            customers|4|nick|string
            customers|5|weight|number
            purchases|1|gift|string
            """)
        for format in ["table", "csv", "json"] {
            try assertSame(url, store, Self.queries, format: format)
        }
        // Changed, deleted into the bin with its custom values, restored; a field added later comes last.
        let later = try store.file("c2.jsonl", "{\"id\":\"C4\",\"name\":\"Di\",\"hat\":\"red\",\"shoe\":38}\n")
        try assertSame(url, store, [
            "update customers where id = C3 set shoe = 39, vip = true, nick = \"cy\"",
            "find customers sort by shoe show id, shoe, vip, nick",
            "delete customers where id = C2", "find deleted customers show id, shoe, nick, vip",
            "restore C2", "find customers where vip = false show id, shoe, nick",
            "import customers from \"\(later)\"", "show fields customers", "find customers where hat = RED show id, hat, shoe",
            "update customers where id = C1 set shoe = \"big\"",
        ])
    }

    func testAStoreMovedWithItsCustomFieldsKeepsThem() throws {
        let source = try server.freshDatabase(initialised: true)
        let target = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-fields-move")
        let customers = try store.file("c.jsonl", Self.customers)
        XCTAssertEqual(RapportRunner.run(["--db", source, "-c", "import customers from \"\(customers)\""]).status, 0)
        let directory = store.path + "-export"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let exported = RapportRunner.run(["--db", source, "-c", "export store to \"\(directory)\""])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let imported = RapportRunner.run(["--db", target, "-c", "import store from \"\(directory)\""])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let query = ["--now", Self.now, "--format", "csv", "-c", "find customers show *", "-c", "show fields customers"]
        let before = RapportRunner.run(["--db", source] + query)
        XCTAssertEqual(before.status, 0, before.stderr)
        XCTAssertTrue(before.stdout.contains("customers,weight,number,custom"), before.stdout)
        XCTAssertEqual(RapportRunner.run(["--db", target] + query).stdout, before.stdout)
    }

    /// Adding a column is the tables' owner's: another admin's import is refused by the
    /// server, and neither the field nor its records are kept.
    func testAnAdminWhoDoesNotOwnTheTablesIsRefusedWithNothingChanged() throws {
        let url = try server.freshDatabase(initialised: true)
        let admin = "fld_admin_" + UUID().uuidString.prefix(8).lowercased()
        try server.psql(url, "CREATE ROLE \(admin) LOGIN")
        defer { _ = try? server.psql(url, "DROP ROLE \(admin)") }
        XCTAssertEqual(RapportRunner.run(["--db", url, "-c", "grant \(admin) admin"]).status, 0)
        defer { _ = RapportRunner.run(["--db", url, "-c", "revoke \(admin)"]) }
        let store = TemporaryStore("pg-fields-owner")
        let customers = try store.file("c.jsonl", Self.customers)
        let asAdmin = url.replacingOccurrences(of: #"user=[^&]*"#, with: "user=\(admin)", options: .regularExpression)
        XCTAssertNotEqual(asAdmin, url, "the test server's URL names its user")
        let refused = RapportRunner.run(["--db", asAdmin, "-c", "import customers from \"\(customers)\""])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("PostgreSQL refused the statement, so nothing changed"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("must be owner of table customers"), refused.stderr)
        XCTAssertEqual(try server.psql(url, "SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM rapport_fields)"), "0")
        XCTAssertEqual(RapportRunner.run(["--db", asAdmin, "--format", "csv", "-c", "show fields customers"]).stdout.contains("vip"), false)
    }
}
