import Foundation
import RapportTestSupport
import XCTest

/// Saved segments and the `show` forms on PostgreSQL through the real binary: the same
/// stdout, stderr and status as the embedded store, errors included (an unknown segment,
/// one of another entity, a name saved with another condition).
final class PostgresSegmentTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-03-01T09:00:00Z"

    static let setup = [
        #"add customer id: C1, name: "Ada", tier: gold, city: "Oslo", lastContact: 2025-10-01"#,
        #"add customer id: C2, name: "Bo", tier: GOLD, city: "Rome", lastContact: 2026-02-20"#,
        #"add customer id: C3, name: "Cy", tier: gold, city: "oslo""#,
        #"add customer id: C4, name: "Di", tier: platinum, city: "Rome", lastContact: 2025-01-01"#,
        #"add customer id: C5, name: "Ed", tier: silver, phone: "13800000005""#,
        #"add contact customer: C1, date: 2026-02-01, channel: phone, note: "called""#,
        #"add purchase customer: C1, date: 2026-01-10, amount: 12.5, product: "tea""#,
    ]

    /// The segments' commands, errors among them: the script goes on past them (no --bail).
    static let segmentScript = [
        #"save segment "Lapsing Gold" as customers where tier = gold and (lastContact > 90d or lastContact is null)"#,
        #"save segment "lapsing gold" as customers where tier = gold and (lastContact > 90d or lastContact is null)"#,
        #"save segment "lapsing gold" as customers where tier = silver"#,
        #"find customers in segment "LAPSING GOLD" show id, name"#,
        #"count customers in segment "lapsing gold" and city = "OSLO""#,
        #"count customers where not in segment "lapsing gold" or tier = platinum"#,
        #"count customers in segment "lapsing gold" by city"#,
        #"find customers in segment "lapsng gold""#,
        #"count contacts in segment "lapsing gold""#,
        #"save segment vips as customers where tier = platinum or any purchases(amount > 10)"#,
        #"save segment nested as customers where in segment vips"#,
        #"update customers where in segment vips set owner = "kim""#,
        "find customers where owner = kim show id, owner",
        "campaign \"vip call\"\n  target segment vips\n  assign to owner \"call\" due 3d\nend",
        "campaign \"no such\"\n  target segment vipz\n  assign to owner \"call\" due 3d\nend",
        "find tasks show customer, owner, text, due",
        "show segments",
        #"save segment "lapsing gold" replace as customers where tier = silver"#,
        #"delete segment vips"#,
        "find customers in segment vips",
        "show segments",
        #"delete segment vips"#,
    ]

    /// The login the PostgreSQL session runs as: the store runs as that user too, so that
    /// `savedBy` and the records' authors are the same.
    private func login(_ url: String) throws -> String { try server.psql(url, "SELECT session_user") }

    /// One script on both backends at `now` (as admin, in UTC): the same stdout, stderr and
    /// status, the real time of a save (`savedAt`) masked.
    private func assertSame(_ url: String, _ store: TemporaryStore, _ commands: [String], format: String = "table", role: String = "admin",
                            file: StaticString = #filePath, line: UInt = #line) throws {
        let script = commands.joined(separator: "\n") + "\n"
        let common = ["--role", role, "--format", format, "-"]
        let embedded = store.run(["--user", try login(url)] + common, stdin: script, now: Self.now)
        let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + common, stdin: script)
        XCTAssertEqual(Self.masked(pg.stdout), Self.masked(embedded.stdout), "\(commands)", file: file, line: line)
        XCTAssertEqual(Self.masked(pg.stderr), Self.masked(embedded.stderr), "\(commands)", file: file, line: line)
        XCTAssertEqual(pg.status, embedded.status, embedded.stderr, file: file, line: line)
    }

    /// A real time (a save's `savedAt`, an audit row's `at`: today's date) as `SAVED`: the two
    /// processes write a moment apart.
    static func masked(_ text: String) -> String {
        let today = ISO8601DateFormatter().string(from: Date()).prefix(10)
        return text.replacingOccurrences(of: "\(today)T[0-9:]{8}(Z|\\+00:00)", with: "SAVED", options: .regularExpression)
    }

    func testSavedSegmentsWorkAsOnTheEmbeddedStore() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-segments")
        try assertSame(url, store, Self.setup)
        try assertSame(url, store, Self.segmentScript)
        try assertSame(url, store, Self.segmentScript.suffix(8), format: "csv")
        // Kept in the database, read by the next process; a trainee (who may not save) reads them.
        try assertSame(url, store, [#"find customers in segment "lapsing gold" show id"#, "show segments"], role: "trainee")
        try assertSame(url, store, [#"save segment x as customers where tier = gold"#], role: "agent")
        XCTAssertEqual(try server.psql(url, "SELECT key, name, entity, condition FROM rapport_segments"),
                       "lapsing gold|Lapsing Gold|customers|tier = silver")
        // Audited as a change set of its own, with the command.
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_audit WHERE command LIKE 'save segment%' OR command LIKE 'delete segment%'"), "4")
        // The audit row holds the segment before and after, as the store's audit trail does.
        let login = try login(url)
        let deleted = try server.psql(url, "SELECT changes FROM rapport_audit WHERE command = 'delete segment vips'")
        let savedAt = try XCTUnwrap(deleted.range(of: #"(?<="savedAt":)[0-9]+"#, options: .regularExpression).map { String(deleted[$0]) })
        XCTAssertEqual(deleted, """
            [{"after":null,"before":{"condition":"tier = platinum or any purchases ( amount > 10 )","entity":"customers","name":"vips",\
            "savedAt":\(savedAt),"savedBy":"\(login)"},"kind":"segment","name":"vips"}]
            """)
        let replaced = try server.psql(url, "SELECT changes::jsonb -> 0 -> 'after' ->> 'condition', changes::jsonb -> 0 -> 'before' ->> 'name' FROM rapport_audit WHERE command LIKE '%replace%'")
        XCTAssertEqual(replaced, "tier = silver|Lapsing Gold")
    }

    func testADryRunSavesNoSegment() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-segments-dry")
        try assertSame(url, store, ["set dry-run on", "save segment vips as customers where tier = platinum",
                                    "set dry-run off", "find customers in segment vips"])
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_segments"), "0")
    }

    func testAVersion3DatabaseIsRefusedThenMigratedToKeepSegments() throws {
        let url = try server.freshDatabase(initialised: true)
        try server.psql(url, "DROP TABLE rapport_segments, rapport_fields; UPDATE rapport_meta SET value = '3' WHERE key = 'schemaVersion'")
        let refused = RapportRunner.run(["--db", url, "-c", "show segments"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("schema version 3, older than this Rapport's (4)"), refused.stderr)
        let migrated = RapportRunner.run(["--db", url, "-c", "init"])
        XCTAssertEqual(migrated.status, 0, migrated.stderr)
        XCTAssertTrue(migrated.stdout.contains("migrated the Rapport schema from version 3 to 4"), migrated.stdout)
        let saved = RapportRunner.run(["--db", url, "--role", "manager", "-c", "save segment vips as customers where tier = platinum"])
        XCTAssertEqual(saved.status, 0, saved.stderr)
        // The table a migration adds is granted to the group roles: a trainee reads it.
        let listed = RapportRunner.run(["--db", url, "--role", "trainee", "--format", "csv", "-c", "show segments"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        XCTAssertTrue(listed.stdout.hasPrefix("segment,entity,condition,savedBy,savedAt\nvips,customers,tier = platinum,"), listed.stdout)
        // And the custom fields' table (version 4 too): an import adds one, a trainee reads it.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("v4-\(UUID().uuidString).jsonl").path
        try "{\"id\":\"C1\",\"name\":\"A\",\"shoe\":41}\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        XCTAssertEqual(RapportRunner.run(["--db", url, "-c", "import customers from \"\(file)\""]).status, 0)
        let fields = RapportRunner.run(["--db", url, "--role", "trainee", "--format", "csv", "-c", "find customers where shoe = 41 show id, shoe"])
        XCTAssertEqual(fields.stdout, "id,shoe\nC1,41\n", fields.stderr)
    }
}
