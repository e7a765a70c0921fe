import Foundation
import RapportTestSupport
import XCTest

/// Roles as PostgreSQL roles, bulk import and export on PostgreSQL (docs/postgres.md
/// "Roles", "Import and export"), through the binary on the test server ($RAPPORT_TEST_PG).
final class PostgresTrustTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-11-01"

    static func unique() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(12).description }

    /// The same database as `url`, connected as `user`.
    static func url(_ url: String, as user: String) -> String {
        url.replacingOccurrences(of: "user=postgres", with: "user=\(user)")
    }

    func run(_ url: String, _ commands: [String], _ options: [String] = []) -> RapportRunner.Result {
        RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + options + commands.flatMap { ["-c", $0] })
    }

    func runEmbedded(_ store: TemporaryStore, _ commands: [String]) -> RapportRunner.Result {
        RapportRunner.run(["--data", store.path, "--now", Self.now, "--timezone", "UTC"] + commands.flatMap { ["-c", $0] })
    }

    // MARK: Roles

    func testATraineeLoginIsHeldToTraineeByRapportAndByTheServer() throws {
        let url = try server.freshDatabase()
        XCTAssertEqual(run(url, ["init", #"add customer name: "Ada", city: Berlin"#]).status, 0)
        XCTAssertEqual(try server.psql(url, "SELECT pg_has_role('postgres', 'rapport_admin', 'MEMBER')"), "t", "init makes its runner an admin")
        let clerk = "clerk_" + Self.unique()
        try server.psql(url, "CREATE ROLE \(clerk) LOGIN")

        // An admin that is no superuser: grants through its group's CREATEROLE.
        let boss = "boss_" + Self.unique()
        try server.psql(url, "CREATE ROLE \(boss) LOGIN")
        XCTAssertEqual(run(url, ["grant \(boss) admin"]).status, 0)
        let asBoss = Self.url(url, as: boss)
        let granted = run(asBoss, ["grant \(clerk) trainee"])
        XCTAssertEqual(granted.status, 0, granted.stderr)
        XCTAssertEqual(try server.psql(url, directGroups(of: clerk)), "rapport_trainee")

        let asClerk = Self.url(url, as: clerk)
        let reads = run(asClerk, ["find customers show name"])
        XCTAssertEqual(reads.status, 0, reads.stderr)
        XCTAssertTrue(reads.stdout.contains("Ada"), reads.stdout)
        let writes = run(asClerk, [#"add customer name: "Eve""#])
        XCTAssertEqual(writes.status, 1)
        XCTAssertTrue(writes.stderr.contains("'add' needs the agent role; this session is trainee"), writes.stderr)
        let above = run(asClerk, ["find customers"], ["--role", "agent"])
        XCTAssertEqual(above.status, 1)
        XCTAssertTrue(above.stderr.contains(clerk), above.stderr)

        // A hand-made connection as the clerk: the server itself refuses the write.
        let direct = try server.psqlResult(asClerk, "INSERT INTO customers (id, name) VALUES ('C000099', 'Eve')")
        XCTAssertNotEqual(direct.status, 0)
        XCTAssertTrue(direct.errors.contains("permission denied for table customers"), direct.errors)
        XCTAssertEqual(try server.psqlResult(asClerk, "SELECT count(*) FROM rapport_audit WHERE command <> ''").status, 1,
                       "the audit trail is a manager's to read")
        // An admin may lower the role: the session is SET ROLE to the lower group.
        let lowered = run(asBoss, ["find customers show name", "set show"], ["--role", "trainee"])
        XCTAssertEqual(lowered.status, 0, lowered.stderr)
        XCTAssertTrue(lowered.stdout.contains("Ada") && lowered.stdout.contains("trainee"), lowered.stdout)
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM customers"), "1", "nothing changed")

        // Raised, the clerk may add; revoked, the clerk may not even open a session.
        XCTAssertEqual(run(asBoss, ["grant \(clerk) agent"]).status, 0)
        let added = run(asClerk, [#"add customer name: "Eve""#])
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertEqual(try server.psql(url, "SELECT \"user\", role FROM rapport_audit ORDER BY seq DESC LIMIT 1"), "\(clerk)|agent")
        XCTAssertEqual(try server.psql(url, directGroups(of: clerk)), "rapport_agent", "one group at a time")
        let revoked = run(asBoss, ["revoke \(clerk)"])
        XCTAssertEqual(revoked.status, 0, revoked.stderr)
        let refused = run(asClerk, ["find customers"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("the PostgreSQL user \(clerk) is not a member of rapport_trainee"), refused.stderr)

        let ghost = run(url, ["grant ghost_\(Self.unique()) trainee"])
        XCTAssertEqual(ghost.status, 1)
        XCTAssertTrue(ghost.stderr.contains("there is no PostgreSQL role"), ghost.stderr)
    }

    /// A database made before the roles lets everyone take admin, until `init` sets them up.
    func testInitSetsUpTheRolesInADatabaseMadeBeforeThem() throws {
        let url = try server.freshDatabase()
        XCTAssertEqual(run(url, ["init"]).status, 0)
        try server.psql(url, "DELETE FROM rapport_meta WHERE key = 'roles'")
        let clerk = "old_" + Self.unique()
        try server.psql(url, "CREATE ROLE \(clerk) LOGIN")
        let before = run(Self.url(url, as: clerk), ["set show"])
        XCTAssertEqual(before.status, 0, before.stderr)
        XCTAssertTrue(before.stdout.contains("admin"), "no roles yet: everyone may take admin, as before: \(before.stdout)")

        let again = run(url, ["init"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("gave the tables to the group roles"), again.stdout)
        XCTAssertEqual(try server.psql(url, "SELECT value FROM rapport_meta WHERE key = 'roles'"), "1")
        let after = run(Self.url(url, as: clerk), ["set show"])
        XCTAssertEqual(after.status, 1)
        XCTAssertTrue(after.stderr.contains("is not a member of rapport_trainee"), after.stderr)
        XCTAssertTrue(run(url, ["init"]).stdout.contains("nothing to do"))
    }

    /// The rapport_* groups `user` is a direct member of.
    func directGroups(of user: String) -> String {
        """
        SELECT string_agg(r.rolname, ',' ORDER BY r.rolname) FROM pg_auth_members a
        JOIN pg_roles r ON r.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
        WHERE m.rolname = '\(user)' AND r.rolname LIKE 'rapport%'
        """
    }

    // MARK: Import and export

    static let customersFile = """
    {"name":"张伟","city":"上海","tier":"gold","totalSpent":1200.5,"birthday":"1990-03-04","tags":["vip","老客户"]}
    {"name":"Tab\\there","city":"back\\\\slash","purchaseCount":3,"lastContact":"2026-10-20"}
    {"name":"Line\\nbreak","email":"anna@example.com","satisfaction":4,"tags":[]}
    {"id":"C000007","name":"Émile","totalSpent":0.1}

    """

    /// A bulk import's audit row names the file and its ids (as the embedded store's summary
    /// does) instead of copying every record again; a smaller one keeps each record whole;
    /// both rows are valid JSON whatever the values hold (quotes, tabs, Chinese).
    func testABulkImportIsAuditedAsASummaryAndASmallOneRecordByRecord() throws {
        let url = try server.freshDatabase()
        XCTAssertEqual(run(url, ["init"]).status, 0)
        XCTAssertEqual(run(url, ["set policy import.bulkRows = 3"]).status, 0)
        let store = TemporaryStore("pg-import-audit")
        let file = try store.file("customers.jsonl", Self.customersFile)
        let csvFile = try store.file("more.csv", "name,city,totalSpent\nBo,Paris,5\n\"Quote \"\"q\"\"\",,7.25\n")
        XCTAssertEqual(run(url, [#"import customers from "\#(file)""#]).status, 0)
        XCTAssertEqual(run(url, [#"import customers from "\#(csvFile)""#]).status, 0)
        let rows = try server.psql(url, "SELECT changes FROM rapport_audit WHERE command LIKE 'import%' ORDER BY seq").split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 2, rows.joined(separator: "\n"))
        guard rows.count == 2 else { return }
        let bulk = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(rows[0].utf8)) as? [[String: Any]])
        XCTAssertEqual(bulk.count, 1, "no updates: the summary alone")
        XCTAssertEqual(bulk.first?["kind"] as? String, "import")
        XCTAssertEqual(bulk.first?["file"] as? String, file)
        XCTAssertEqual((bulk.first?["sha256"] as? String)?.count, 64)
        let added = try XCTUnwrap(bulk.first?["added"] as? [[String: Any]])
        XCTAssertEqual(added.first?["entity"] as? String, "customers")
        XCTAssertEqual(added.first?["count"] as? Int, 4)
        XCTAssertFalse(rows[0].contains("张伟"), "the records are not copied into the audit row")
        let small = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(rows[1].utf8)) as? [[String: Any]])
        XCTAssertEqual(small.map { $0["kind"] as? String }, ["insert", "insert"])
        let names = small.compactMap { ($0["after"] as? [String: Any])?["name"] as? String }
        XCTAssertEqual(Set(names), ["Bo", "Quote \"q\""])
    }

    func testImportAndExportAreTheEmbeddedStoresByteForByte() throws {
        let url = try server.freshDatabase()
        XCTAssertEqual(run(url, ["init"]).status, 0)
        let store = TemporaryStore("pg-import")
        let file = try store.file("customers.jsonl", Self.customersFile)
        let csvFile = try store.file("more.csv", "name,city,totalSpent\nBo,Paris,5\n\"Quote \"\"q\"\"\",,7.25\n")
        for commands in [[#"import customers from "\#(file)""#], [#"import customers from "\#(csvFile)""#]] {
            let embedded = runEmbedded(store, commands), postgres = run(url, commands)
            XCTAssertEqual(postgres.stdout, embedded.stdout)
            XCTAssertEqual(postgres.stderr, embedded.stderr)
            XCTAssertEqual(postgres.status, 0, postgres.stderr)
        }
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_audit"), "2", "one audit row per import")
        for format in ["jsonl", "csv", "json"] {
            let fromStore = store.path + "/../store-export-\(Self.unique()).\(format)"
            let fromPostgres = store.path + "/../pg-export-\(Self.unique()).\(format)"
            let a = runEmbedded(store, [#"export customers to "\#(fromStore)""#])
            let b = run(url, [#"export customers to "\#(fromPostgres)""#])
            XCTAssertEqual(a.status, 0, a.stderr)
            XCTAssertEqual(b.status, 0, b.stderr)
            XCTAssertEqual(a.stdout.replacingOccurrences(of: fromStore, with: "FILE"), b.stdout.replacingOccurrences(of: fromPostgres, with: "FILE"))
            let storeBytes = try Data(contentsOf: URL(fileURLWithPath: fromStore))
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: fromPostgres)), storeBytes, format)
            XCTAssertTrue(String(decoding: storeBytes, as: UTF8.self).contains("张伟"))
            try? FileManager.default.removeItem(atPath: fromStore)
            try? FileManager.default.removeItem(atPath: fromPostgres)
        }
        // Exported, then imported into a new database: the same rows again.
        let exported = store.path + "/../roundtrip-\(Self.unique()).jsonl"
        XCTAssertEqual(run(url, [#"export customers to "\#(exported)""#]).status, 0)
        let second = try server.freshDatabase()
        XCTAssertEqual(run(second, ["init", #"import customers from "\#(exported)""#]).status, 0)
        XCTAssertEqual(run(second, ["find customers"]).stdout, run(url, ["find customers"]).stdout)
        try? FileManager.default.removeItem(atPath: exported)
    }

    func testABadFileLeavesNothingOnPostgres() throws {
        let url = try server.freshDatabase()
        XCTAssertEqual(run(url, ["init", #"add customer name: "Ada""#]).status, 0)
        let store = TemporaryStore("pg-bad-import")
        let file = try store.file("bad.jsonl", """
        {"name":"Good one"}
        {"name":"Bad date","birthday":"1990-13-45"}
        {"name":"Another"}

        """)
        let embedded = runEmbedded(store, [#"import customers from "\#(file)""#])
        let postgres = run(url, [#"import customers from "\#(file)""#])
        XCTAssertNotEqual(postgres.status, 0)
        XCTAssertEqual(postgres.status, embedded.status)
        XCTAssertEqual(postgres.stderr, embedded.stderr, "the importer's own message, with its line")
        XCTAssertTrue(postgres.stderr.contains("line 2") || postgres.stderr.contains(":2:"), postgres.stderr)
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM customers"), "1")
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_audit"), "1")

        // A row the server refuses inside the COPY (here: an id taken behind Rapport's back,
        // so the primary key fails) rolls back the whole import, audit row and id mark too.
        try server.psql(url, "INSERT INTO customers (id, name) VALUES ('C000003', 'Sneaked in')")
        let good = try store.file("good.jsonl", "{\"name\":\"One\"}\n{\"name\":\"Two\"}\n{\"name\":\"Three\"}\n")
        let refused = run(url, [#"import customers from "\#(good)""#])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("PostgreSQL refused the statement, so nothing changed"), refused.stderr)
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM customers"), "2")
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_audit"), "1")
        XCTAssertEqual(try server.psql(url, "SELECT highest FROM rapport_ids WHERE entity = 'customers'"), "1")
    }
}

extension PostgresTrustTests {
    // MARK: A whole store between the backends

    func testAStoreMovesFromTheEmbeddedStoreToPostgresAndBack() throws {
        let url = try server.freshDatabase()
        let work = TemporaryStore("pg-transfer")
        let demo = ["--demo", "--demo-size", "200", "--now", Self.now, "--timezone", "UTC"]
        let fromDemo = work.files + "/from-demo"
        let exported = RapportRunner.run(demo + ["-c", #"export store to "\#(fromDemo)""#])
        XCTAssertEqual(exported.status, 0, exported.stderr)

        let imported = run(url, ["init", #"import store from "\#(fromDemo)""#])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let fromPostgres = work.files + "/from-postgres"
        XCTAssertEqual(run(url, [#"export store to "\#(fromPostgres)""#]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: fromPostgres + "/manifest.json")),
                       try Data(contentsOf: URL(fileURLWithPath: fromDemo + "/manifest.json")),
                       "the same counts, checksums and id marks")

        // And back into a store directory, whose export is the same again.
        let back = TemporaryStore("pg-transfer-back")
        XCTAssertEqual(back.run(["-c", #"import store from "\#(fromPostgres)""#], now: Self.now).status, 0)
        let again = work.files + "/again"
        XCTAssertEqual(back.run(["-c", #"export store to "\#(again)""#], now: Self.now).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: again + "/manifest.json")),
                       try Data(contentsOf: URL(fileURLWithPath: fromDemo + "/manifest.json")))
        for query in ["count customers by tier", "find customers where totalSpent > 1000 sort by totalSpent desc limit 5",
                      "count tickets by status", "find points sort by id limit 3"] {
            let expected = RapportRunner.run(demo + ["-c", query])
            XCTAssertEqual(run(url, [query]).stdout, expected.stdout, query)
            XCTAssertEqual(back.run(["-c", query], now: Self.now).stdout, expected.stdout, query)
        }

        // A bad directory leaves a database untouched; so does a database that holds records.
        let other = try server.freshDatabase()
        XCTAssertEqual(run(other, ["init"]).status, 0)
        try "{}\n".write(toFile: fromDemo + "/tasks.jsonl", atomically: true, encoding: .utf8)
        let damaged = run(other, [#"import store from "\#(fromDemo)""#])
        XCTAssertEqual(damaged.status, 1)
        XCTAssertTrue(damaged.stderr.contains("tasks.jsonl does not match its SHA-256"), damaged.stderr)
        XCTAssertEqual(try server.psql(other, "SELECT count(*) FROM customers"), "0")
        let full = run(url, [#"import store from "\#(fromPostgres)""#])
        XCTAssertEqual(full.status, 1)
        XCTAssertTrue(full.stderr.contains("import store fills an empty store"), full.stderr)
    }

    /// The id marks travel: a customer deleted before the move keeps its number taken.
    func testIdMarksTravelToPostgres() throws {
        let url = try server.freshDatabase()
        let store = TemporaryStore("pg-marks")
        XCTAssertEqual(store.run(["-c", #"add customer name: "A""#, "-c", #"add customer name: "B""#,
                                  "-c", "delete customers where id = C000002"], now: Self.now).status, 0)
        let directory = store.files + "/out"
        XCTAssertEqual(store.run(["-c", #"export store to "\#(directory)""#], now: Self.now).status, 0)
        XCTAssertEqual(run(url, ["init", #"import store from "\#(directory)""#]).status, 0)
        let added = run(url, [#"add customer name: "C""#, "find customers show id"])
        XCTAssertEqual(added.status, 0, added.stderr)
        XCTAssertTrue(added.stdout.contains("C000003") && !added.stdout.contains("C000002"), added.stdout)
    }
}
