import Foundation
import RapportTestSupport
import XCTest

/// Queries beyond plain stored fields (derived fields, relations, customer.FIELD, within,
/// expressions, aggregates, periods) print the same bytes on PostgreSQL as on the store.
final class PostgresQueryTests: XCTestCase {
    /// 2027 is not a leap year: a 29 February birthday recurs on the 28th.
    static let now = "2027-02-20"

    func testDerivedFieldsRelationsAndAggregatesAsTheEmbeddedStore() throws {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase()
        XCTAssertEqual(RapportRunner.run(["--db", url, "-c", "init"]).status, 0)
        let store = TemporaryStore("pg-queries")
        let setup = [
            #"add customer name: "张伟", city: "上海", tier: gold, totalSpent: 1200.10, purchaseCount: 3, birthday: 1992-02-29, lastContact: 2027-02-01, tags: ("vip", "老客户")"#,
            #"add customer name: "anna", city: Berlin, tier: silver, grade: b, totalSpent: 80.5, purchaseCount: 0, birthday: 1990-02-27, tags: ("vip", "VIP", "b2b")"#,
            #"add customer name: "Bob", city: berlin, grade: A, totalSpent: 0.1, purchaseCount: 7, birthday: 1985-03-01, lastPurchase: 2026-12-31"#,
            #"add customer name: "Émile", city: Paris, tier: GOLD, totalSpent: 0.2, lastContact: 2026-02-20, createdAt: 2020-01-06"#,
            #"add customer name: "zoë""#,
            #"log contact C000001 via phone"#,
            #"log contact C000001 via email"#,
            #"log contact C000003 via phone"#,
            #"log purchase C000002 amount 19.99 "tea""#,
            #"log purchase C000004 amount 5 "cup""#,
            #"add ticket customer: C000001, kind: complaint, text: "late", status: open, priority: high"#,
            #"add ticket customer: C000001, kind: inquiry, text: "where", status: closed"#,
            #"add ticket customer: C000002, kind: inquiry, text: "why""#,
            // Late evening in UTC: the next day east of it.
            #"update tickets where kind = complaint set openedAt = "2027-02-19T20:30:00Z""#,
        ]
        let script = setup.joined(separator: "\n") + "\n"
        let embeddedSetup = store.run(["--timezone", "UTC", "--bail", "-"], stdin: script, now: Self.now)
        let postgresSetup = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "--bail", "-"], stdin: script)
        XCTAssertEqual(embeddedSetup.status, 0, embeddedSetup.stderr)
        XCTAssertEqual(postgresSetup.stdout, embeddedSetup.stdout)
        XCTAssertEqual(postgresSetup.status, embeddedSetup.status, postgresSetup.stderr)

        let queries = [
            "find customers show name, daysSinceContact, daysSincePurchase, contactCount, openTickets, nextContactDue",
            "find customers where nextContactDue <= 2027-03-01 sort by nextContactDue show name",
            "find customers where daysSinceContact > 10 or daysSinceContact is null show name",
            "find customers sort by contactCount desc, openTickets show name, contactCount",
            "find customers where birthday within 7d show name, birthday",
            "find customers where birthday within 1d show name",
            "find customers where birthday within 8d show name",
            "find customers where createdAt within 1y show name",
            "find customers where any contacts(channel = phone) show name",
            "find customers where no tickets show name",
            "find customers where count tickets(status != closed) >= 1 show name",
            "find customers where count contacts = 2 show name",
            "find tickets where customer.city = BERLIN show id, kind",
            "find tickets where not (customer.tier = gold) show id",
            "find tickets where customer.tier is null show id",
            "find customers where totalSpent / purchaseCount > 10 show name, totalSpent / purchaseCount",
            "find customers sort by totalSpent * -1 show name, totalSpent",
            "find customers where lastContact - createdAt > 30 show name",
            "find customers where lastContact > 12h show name",
            "find customers where city = tier or name < city show name",
            "find customers show name, lastContact + 30d, birthday - lastContact",
            "sum totalSpent of customers",
            "avg totalSpent of customers",
            "sum purchaseCount of customers by city",
            "avg purchaseCount of customers by tier",
            "min name of customers",
            "max lastContact of customers by city",
            "min totalSpent of customers where city = nowhere",
            "count customers by tags",
            "count customers by month(birthday)",
            "count customers by week(lastContact)",
            "count customers by weekday(createdAt)",
            "sum totalSpent of customers by quarter(birthday)",
            "count tickets by year(openedAt)",
            "count customers by daysSinceContact",
            "count customers by openTickets",
            "sum totalSpent of customers by contactCount",
            "count customers by month(nextContactDue)",
            "max nextContactDue of customers where any purchases",
            "count tickets by customer",
            "find customers where count tickets(kind = inquiry and not (status = closed)) = 1 show name",
            "find contacts where customer.name = \"张伟\" and channel = phone show id",
        ]
        // One process per backend and format; the answers come in the queries' order.
        let queryScript = queries.joined(separator: "\n") + "\n"
        for format in ["table", "json"] {
            let embedded = store.run(["--timezone", "UTC", "--format", format, "--bail", "-"], stdin: queryScript, now: Self.now)
            let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "--format", format, "-"], stdin: queryScript)
            XCTAssertEqual(embedded.status, 0, embedded.stderr)
            XCTAssertEqual(pg.stderr, "", format)
            XCTAssertEqual(pg.status, 0, format)
            let embeddedAnswers = embedded.rawStdout, postgresAnswers = pg.rawStdout
            XCTAssertEqual(postgresAnswers, embeddedAnswers, format)
            XCTAssertGreaterThan(embeddedAnswers.count, 2000, "every query answered")
        }
    }

    /// Periods of an instant fall on the local day of the clock's zone, also one that
    /// Foundation names by its offset (GMT+0800, which PostgreSQL would read as west).
    func testPeriodsOfInstantsInTheClocksZone() throws {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase()
        XCTAssertEqual(RapportRunner.run(["--db", url, "-c", "init"]).status, 0)
        let store = TemporaryStore("pg-zones")
        let setup = [#"add customer id: C1, name: "Ada""#, #"add ticket customer: C1, kind: complaint, text: "late""#,
                     #"update tickets where kind = complaint set openedAt = "2027-02-19T20:30:00Z""#]
        for command in setup {
            XCTAssertEqual(store.run(["--timezone", "UTC", "-c", command], now: Self.now).status, 0, command)
            XCTAssertEqual(RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "-c", command]).status, 0, command)
        }
        var days: Set<String> = []
        for zone in ["UTC", "GMT+8", "Asia/Shanghai", "America/New_York", "GMT-5"] {
            for query in ["count tickets by weekday(openedAt)", "count tickets by week(openedAt)"] {
                let embedded = store.run(["--timezone", zone, "--format", "csv", "-c", query], now: Self.now)
                let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", zone, "--format", "csv", "-c", query])
                XCTAssertEqual(embedded.status, 0, embedded.stderr)
                XCTAssertEqual(pg.stdout, embedded.stdout, "\(zone): \(query)")
                days.insert(embedded.stdout)
            }
        }
        XCTAssertGreaterThan(days.count, 2, "the zones put the ticket on different days")
    }

    /// The balance is the ledger's sum while no lot expires; once one does, FIFO over the ledger.
    func testPointsBalanceIsTheLedgerSumUntilALotExpires() throws {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase()
        XCTAssertEqual(RapportRunner.run(["--db", url, "-c", "init", "-c", "add customer name: \"Ada\"", "-c", "add customer name: \"Bo\""]).status, 0)
        // Earned, redeemed beyond what was earned (a debt), undated, and one dated after today.
        try server.psql(url, """
            INSERT INTO points (id, customer, date, change) VALUES
              ('P1', 'C000001', date '2027-01-01', 100), ('P2', 'C000001', date '2027-01-05', -130),
              ('P3', 'C000001', NULL, 40), ('P4', 'C000001', date '2027-03-01', 1000), ('P5', 'C000002', date '2027-02-20', 7)
            """)
        let args = ["--db", url, "--now", Self.now, "--timezone", "UTC", "--format", "csv"]
        let shown = RapportRunner.run(args + ["-c", "find customers sort by points show name, points"])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertEqual(shown.stdout, "name,points\nBo,7\nAda,10\n")
        XCTAssertEqual(RapportRunner.run(args + ["-c", "count customers where points > 8"]).stdout, "count\n1\n")

        // A lot that expires: the balances become FIFO over the ledger (PostgresValueTests),
        // inside a relation (`customer.points`) too.
        try server.psql(url, "INSERT INTO points (id, customer, date, change, \"expiresAt\") VALUES ('P6', 'C000002', date '2027-01-01', 5, date '2028-01-01')")
        let fifo = RapportRunner.run(args + ["-c", "find customers sort by points show name, points, nextPointsExpiry, pointsExpiringNext"])
        XCTAssertEqual(fifo.stdout, "name,points,nextPointsExpiry,pointsExpiringNext\nAda,10,,0\nBo,12,2028-01-01,5\n", fifo.stderr)
        let related = RapportRunner.run(args + ["-c", "find points where customer.points > 11 or customer.nextPointsExpiry is not null show id"])
        XCTAssertEqual(related.stdout, "id\nP5\nP6\n", related.stderr)
    }
}
