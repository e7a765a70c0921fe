import Foundation
import RapportTestSupport
import XCTest

/// The PostgreSQL backend through the real binary (`--db URL`), on the throwaway server
/// scripts/test starts and names in $RAPPORT_TEST_PG. Each test makes a database of its own.
final class PostgresBackendTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-11-01"

    func run(_ url: String, _ commands: [String]) -> RapportRunner.Result {
        RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + commands.flatMap { ["-c", $0] })
    }

    func testInitCreatesTheSchemaAndTwiceChangesNothing() throws {
        let url = try server.freshDatabase()
        let before = run(url, ["find customers"])
        XCTAssertEqual(before.status, 1)
        XCTAssertTrue(before.stderr.contains("has no Rapport schema"), before.stderr)
        XCTAssertTrue(before.stderr.contains("-c init"), before.stderr)

        let first = run(url, ["init"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("created the Rapport schema (version 4)"), first.stdout)
        XCTAssertEqual(try server.psql(url, "SELECT value FROM rapport_meta WHERE key = 'schemaVersion'"), "4")
        XCTAssertEqual(try server.psql(url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'tags'"), "ARRAY")
        XCTAssertEqual(try server.psql(url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'birthday'"), "date")

        XCTAssertEqual(run(url, ["add customer name: \"Ada\""]).status, 0)
        let second = run(url, ["init", "count customers"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("nothing to do"), second.stdout)
        XCTAssertTrue(second.stdout.contains("    1"), "init again kept the customer: \(second.stdout)")
    }

    func testConnectionFailureSaysWhy() {
        let r = RapportRunner.run(["--db", "postgres:///rapport?host=/nonexistent-rapport-socket&user=nobody", "-c", "find customers"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("cannot connect to the PostgreSQL database"), r.stderr)
        XCTAssertTrue(r.stderr.contains("/nonexistent-rapport-socket"), "the server's own message: \(r.stderr)")
    }

    /// The same commands on the embedded store and on PostgreSQL print the same bytes.
    func testSameOutputAsTheEmbeddedStore() throws {
        let url = try server.freshDatabase()
        XCTAssertEqual(run(url, ["init"]).status, 0)
        let store = TemporaryStore("pg-differential")
        let setup = [
            #"add customer name: "张伟", city: "上海", tier: gold, totalSpent: 1200, birthday: 1990-03-04, tags: "vip, 老客户""#,
            #"add customer name: "王芳", city: "北京", tier: silver, totalSpent: 1200, lastContact: 2026-10-20"#,
            #"add customer name: "anna", city: Berlin, tier: Silver, totalSpent: 80.5, email: "anna@example.com""#,
            #"add customer name: "Bob", city: berlin, purchaseCount: 3, tags: "new""#,
            #"add customer name: "Émile", city: "Paris", tier: GOLD, lastContact: 2026-05-01, satisfaction: 4"#,
            #"add customer name: "zoë""#,
            #"log contact C000002 via phone"#,
            #"log purchase C000003 amount 19.99 "tea""#,
        ]
        for command in setup {
            let embedded = store.run(["--timezone", "UTC", "-c", command], now: Self.now)
            let postgres = run(url, [command])
            XCTAssertEqual(embedded.status, 0, "\(command): \(embedded.stderr)")
            XCTAssertEqual(postgres.stdout, embedded.stdout, command)
            XCTAssertEqual(postgres.stderr, embedded.stderr, command)
            XCTAssertEqual(postgres.status, embedded.status, command)
        }
        let queries = [
            "find customers",
            "find customers sort by name",
            "find customers sort by name desc",
            "find customers sort by totalSpent desc",
            "find customers sort by tier, totalSpent desc limit 3",
            "find customers sort by lastContact limit 2 offset 1",
            "find customers where city = \"BERLIN\"",
            "find customers where tier = gold show id, name, tier",
            "find customers where tier != gold",
            "find customers where name > \"Z\"",
            "find customers where city in (berlin, 上海)",
            "find customers where name contains \"a\"",
            "find customers where name starts with \"é\"",
            "find customers where email ends with \"example.com\"",
            "find customers where tags has vip",
            "find customers where not (tags has vip)",
            "find customers where totalSpent > 100 and not (city = berlin)",
            "find customers where totalSpent between 50 and 1200 or tier is null",
            "find customers where lastContact > 30d",
            "find customers where lastContact < 30d",
            "find customers where not (lastContact < 30d)",
            "find customers where birthday is not null",
            "find customers where satisfaction >= 4",
            "find contacts",
            "find points",
            "find purchases where amount > 10",
            "count customers",
            "count customers by tier",
            "count customers by city",
            "count customers where totalSpent > 100 by lastContact",
            "update customers where city = berlin set owner: \"li\"",
            "find customers where owner = LI show id, owner",
            "delete customers where name = zoë",
            "add customer name: \"Yan\"",
            "find customers sort by id desc limit 2 show id, name",
        ]
        for query in queries {
            let embedded = store.run(["--timezone", "UTC", "--format", "csv", "-c", query], now: Self.now)
            let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "--format", "csv", "-c", query])
            XCTAssertEqual(embedded.status, 0, "\(query): \(embedded.stderr)")
            XCTAssertEqual(pg.rawStdout, embedded.rawStdout, query)
            XCTAssertEqual(pg.stderr, embedded.stderr, query)
            XCTAssertEqual(pg.status, embedded.status, query)
        }
        // The audit rows: one per change set, in order.
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_audit"), String(setup.count + 3))
    }

    func testAnUntranslatedCommandIsRefusedNotAnsweredWrongly() throws {
        let url = try server.freshDatabase()
        XCTAssertEqual(run(url, ["init", "add customer name: \"Ada\""]).status, 0)
        // A value field inside a relation, refused until issue 17's last steps, now runs (PostgresValueTests compares its answers).
        let update = run(url, ["update customers where no tickets(customer.ltv = 0) set tier: gold"])
        XCTAssertEqual(update.status, 0, update.stderr)
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM customers WHERE tier = 'gold'"), "1", "Ada has no tickets")
        let command = run(url, [#"backup to "/tmp/never""#])
        XCTAssertEqual(command.status, 1)
        XCTAssertTrue(command.stderr.contains("'backup' does not apply on PostgreSQL: the database is backed up by the server's tools"), command.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/never"), "nothing written")
        let check = run(url, ["check"])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stderr.contains("'check' does not apply on PostgreSQL: the server checks its own files"), check.stderr)
    }

    /// A change set whose second statement fails leaves nothing: not the first statement, not an audit row.
    func testAChangeIsAllOrNothing() throws {
        let url = try server.freshDatabase()
        let made = run(url, ["init", "add customer name: \"Ada\"", "add customer name: \"Bo\""])
        XCTAssertEqual(made.status, 0, made.stderr)
        try server.psql(url, "ALTER TABLE customers ADD CONSTRAINT not_bo_in_nowhere CHECK (id <> 'C000002' OR city IS DISTINCT FROM 'Nowhere')")
        let r = run(url, ["update all customers set city: Nowhere"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("PostgreSQL refused the statement"), r.stderr)
        XCTAssertTrue(r.stderr.contains("nothing changed"), r.stderr)
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM customers WHERE city IS NOT NULL"), "0")
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_audit"), "2")
        XCTAssertEqual(run(url, ["add customer name: \"Cy\""]).stdout, "added customer C000003\n", "ids continue after the failure")
    }
}
