import Foundation
import RapportTestSupport
import XCTest

/// The value fields ranked or summed over the whole store (rfm, rfmSegment, ltv) print the
/// same bytes on PostgreSQL as on the embedded store: ties in every score, purchases after
/// today, without an amount, sums whose last bits differ (0.1 + 0.2 against 0.3), an ltv on
/// half a cent, customers without a purchase and a deleted one.
final class PostgresValueTests: XCTestCase {
    static let now = "2027-02-20"

    /// The same commands on both; the PostgreSQL database's URL and the store.
    private func twoBackends(_ name: String, _ commands: [String]) throws -> (url: String, store: TemporaryStore) {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore(name)
        assertSameChanges(url, store, commands, now: Self.now)
        return (url, store)
    }

    /// Changing commands as admin on both backends at `now`, as one script: both succeed and print the same.
    private func assertSameChanges(_ url: String, _ store: TemporaryStore, _ commands: [String], now: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        let script = commands.joined(separator: "\n") + "\n"
        let embedded = store.run(["--timezone", "UTC", "--role", "admin", "--bail", "-"], stdin: script, now: now)
        let pg = RapportRunner.run(["--db", url, "--now", now, "--timezone", "UTC", "--role", "admin", "--bail", "-"], stdin: script)
        XCTAssertEqual(embedded.status, 0, embedded.stderr, file: file, line: line)
        XCTAssertEqual(pg.stdout, embedded.stdout, "\(now): \(commands)", file: file, line: line)
        XCTAssertEqual(pg.status, 0, pg.stderr, file: file, line: line)
    }

    /// Each query on both backends, in one process per backend and format: the same bytes.
    private func assertSameAnswers(_ url: String, _ store: TemporaryStore, _ queries: [String], file: StaticString = #filePath, line: UInt = #line) {
        let script = queries.joined(separator: "\n") + "\n"
        for format in ["table", "csv"] {
            let embedded = store.run(["--timezone", "UTC", "--format", format, "--bail", "-"], stdin: script, now: Self.now)
            let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "--format", format, "-"], stdin: script)
            XCTAssertEqual(embedded.status, 0, embedded.stderr, file: file, line: line)
            XCTAssertEqual(pg.stderr, "", format, file: file, line: line)
            XCTAssertEqual(pg.rawStdout, embedded.rawStdout, format, file: file, line: line)
        }
    }

    static var valueSetup: [String] {
        var commands = [
            #"add customer id: C1, name: "Ada""#, #"add customer id: C2, name: "Bo""#, #"add customer id: C3, name: "Cy""#,
            #"add customer id: C4, name: "Di""#, #"add customer id: C5, name: "Ed""#, #"add customer id: C6, name: "Flo""#,
            #"add customer id: C7, name: "Gus""#, #"add customer id: C9, name: "Ida""#,
            // 0.1 + 0.2 is not 0.3 in the last bit: M ranks them apart, as the store sums.
            #"add purchase customer: C1, date: 2026-06-01, amount: 0.1, product: "tea""#,
            #"add purchase customer: C1, date: 2027-01-10, amount: 0.2, product: "tea""#,
            #"add purchase customer: C2, date: 2027-01-10, amount: 0.3, product: "tea""#,
            // One purchase before the 12-month window: in M, not in ltv.
            #"add purchase customer: C3, date: 2025-01-01, amount: 100, product: "cup""#,
            #"add purchase customer: C3, date: 2026-12-01, amount: 50, product: "cup""#,
            // After today: not counted at all; without an amount: counted, adds 0.
            #"add purchase customer: C4, date: 2027-03-01, amount: 999, product: "pot""#,
            #"add purchase customer: C5, date: 2026-03-01, product: "pot""#,
            #"add purchase customer: C7, date: 2026-08-08, amount: 0.125, product: "cup""#,
            #"add purchase customer: C9, date: 2026-09-09, amount: 70, product: "cup""#,
            "delete customers where id = C9",
        ]
        // Ties in every score: counts 1-4, a few days and amounts shared by many.
        for i in 10..<33 {
            commands.append("add customer id: C\(i), name: \"N\(i)\"")
            for k in 0...(i % 4) {
                commands.append("add purchase customer: C\(i), date: 2026-10-0\(1 + (i + k) % 5), amount: \((i % 3) * 10 + k + 1), product: \"x\"")
            }
        }
        return commands
    }

    func testRFMAndLTVAsTheEmbeddedStore() throws {
        let (url, store) = try twoBackends("pg-value", Self.valueSetup)
        let queries = [
            "find customers show id, rfm, rfmSegment, ltv",
            "count customers by rfmSegment",
            "count customers by rfm",
            "find customers where rfmSegment = champions or rfm starts with \"5\" show id, rfm",
            "find customers where rfmSegment in (lost, \"can't lose\", hibernating) show id",
            "find customers where rfm is null show id",
            "find customers sort by ltv desc, rfm show id, ltv",
            "avg ltv of customers by rfmSegment",
            "sum ltv of customers",
            "find customers where ltv > 10 and any purchases(amount > 1) show id, ltv * 2",
            "count customers where not (rfmSegment = loyal)",
        ]
        assertSameAnswers(url, store, queries)
        let shown = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "--format", "csv",
                                       "-c", "find customers where id in (C1, C2, C4, C6) show id, rfm, ltv"])
        XCTAssertEqual(shown.stdout.split(separator: "\n").count, 5, shown.stdout)
        XCTAssertTrue(shown.stdout.contains("C4,,0\n") && shown.stdout.contains("C6,,0\n"), "no purchase up to today: no rfm, ltv 0: \(shown.stdout)")

        // ltv's factor 1: 0.125 is 12.5 cents, rounded away from zero as the store rounds
        // (PostgreSQL's round() would give 12).
        let policy = ["set policy ltv.margin = 1", "set policy ltv.discountRate = 0", "set policy ltv.horizon = 1"]
        for command in policy {
            XCTAssertEqual(store.run(["--role", "admin", "-c", command], now: Self.now).status, 0, command)
            XCTAssertEqual(RapportRunner.run(["--db", url, "--role", "admin", "-c", command]).status, 0, command)
        }
        assertSameAnswers(url, store, ["find customers where id = C7 show id, ltv", "find customers sort by ltv show id, ltv"])
        let half = RapportRunner.run(["--db", url, "--now", Self.now, "--format", "csv", "-c", "find customers where id = C7 show ltv"])
        XCTAssertEqual(half.stdout, "ltv\n0.13\n")
    }

    /// rfm, rfmSegment and ltv inside `customer.FIELD` (on records, and inside a relation on
    /// customers) and in the bin, where the store ranks the customers in the bin over the
    /// purchases in the bin (a store of its own): ties, customers without purchases, 29 February
    /// purchases before the window and after today, a purchase of a live customer in the bin
    /// (it counts for nobody there), a customer in the bin without purchases.
    func testValueFieldsInsideRelationsAndInTheBinAsTheEmbeddedStore() throws {
        let (url, store) = try twoBackends("pg-value-related", Self.valueSetup + [
            #"add customer id: C40, name: "Leap""#,
            #"add purchase customer: C40, date: 2024-02-29, amount: 29, product: "leap""#,
            #"add purchase customer: C40, date: 2028-02-29, amount: 29, product: "leap""#,
            #"add purchase customer: C40, date: 2026-10-01, amount: 11, product: "x""#,
            #"add customer id: C41, name: "Gone""#,
            #"add purchase customer: C41, date: 2024-02-29, amount: 70, product: "leap""#,
            #"add purchase customer: C41, date: 2026-09-09, amount: 0.1, product: "tea""#,
            #"add purchase customer: C41, date: 2026-09-09, amount: 0.2, product: "tea""#,
            #"add customer id: C42, name: "Never""#,
            #"add ticket customer: C1, kind: inquiry, text: "a", status: open"#,
            #"add ticket customer: C10, kind: inquiry, text: "b", status: open"#,
            #"add ticket customer: C40, kind: complaint, text: "c", status: closed"#,
            #"add ticket customer: C41, kind: complaint, text: "d", status: open"#,
            #"add contact customer: C2, channel: phone, date: 2027-01-01"#,
            #"add contact customer: C6, channel: email, date: 2027-01-02"#,
            #"add contact customer: C12, channel: email, date: 2027-01-02"#,
            #"add contact customer: C41, channel: email, date: 2027-01-02"#,
            "delete customers where id in (C41, C42)",
            "delete purchases where customer = C10 and amount > 2",
        ])
        assertSameAnswers(url, store, [
            "find purchases where customer.rfmSegment = champions show id, customer",
            "find purchases where customer.rfm is null or customer.ltv = 0 show id, customer",
            "count tickets where customer.ltv > 1 by customer",
            "find contacts where not (customer.rfmSegment in (lost, hibernating)) show id, customer",
            "sum amount of purchases where customer.rfm > \"300\" by customer",
            "count customers where any purchases(customer.rfm starts with \"5\" and amount > 1)",
            "find customers where count purchases(customer.ltv >= 10) >= 2 show id, ltv",
            "find customers where no tickets(customer.rfmSegment = loyal) show id",
            "find deleted customers show id, rfm, rfmSegment, ltv",
            "count deleted customers by rfmSegment",
            "find deleted customers where ltv >= 0 sort by rfm desc, ltv show id, ltv",
            "find deleted purchases show id, customer",
            "find deleted purchases where customer.rfm is not null show id, customer",
            "count deleted tickets where customer.rfmSegment is null",
            "find deleted customers where any purchases(customer.ltv > 0) show id",
            "avg ltv of deleted customers",
            // Relations and derived fields in the bin read the bin's records, not the live ones.
            "find deleted customers where any contacts or any tickets show id, contactCount, openTickets, daysSincePurchase",
            "find deleted tickets where customer.name = Gone and customer.openTickets = 1 show id",
        ])
        // Not vacuous: the bin ranks its two buyers among themselves (the same last day: R 3;
        // C41's three purchases and 70.3 over C9's one and 70), C10's purchases in the bin
        // counting for nobody.
        let bin = RapportRunner.run(["--db", url, "--now", Self.now, "--format", "csv", "-c", "find deleted customers show id, rfm"])
        XCTAssertEqual(bin.stdout, "id,rfm\nC41,344\nC42,\nC9,322\n", bin.stderr)
    }

    /// Whether the balances are FIFO over the ledger is asked of the ledger the query reads:
    /// here only the bin's has a lot that expires (the live one has no entries at all).
    func testTheBinsExpiringLotsAreSeenWhenTheLiveLedgerHasNone() throws {
        let (url, store) = try twoBackends("pg-bin-ledger", [
            "set policy points.expiry = 30d",
            #"add customer id: C1, name: "Ada""#, #"add customer id: C2, name: "Bo""#,
            #"add points C1 100 "welcome""#, #"redeem C1 30 "voucher""#,
            "delete customers where id = C1",
        ])
        assertSameAnswers(url, store, [
            "find deleted customers show id, points, nextPointsExpiry, pointsExpiringNext",
            "find deleted points where customer.nextPointsExpiry is not null show id, customer",
            "find customers show id, points, nextPointsExpiry",
        ])
        let bin = RapportRunner.run(["--db", url, "--now", Self.now, "--format", "csv", "-c", "find deleted customers show points, nextPointsExpiry"])
        XCTAssertEqual(bin.stdout, "points,nextPointsExpiry\n70,2027-03-22\n", bin.stderr)
    }

    /// The service targets through the lifecycle (pauses while pending, a reopen, a resolve
    /// while pending), tickets without a channel, without openedAt, in capitals, asked at
    /// three instants: the same bytes on both backends.
    func testServiceTargetsAsTheEmbeddedStore() throws {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-service")
        let steps: [(String, [String])] = [
            ("2027-02-10T09:00:00Z", [#"add customer id: C1, name: "Ada""#, #"add customer id: C2, name: "Bo""#,
                                      #"open ticket C1 inquiry via phone "a" priority urgent"#,
                                      #"open ticket C1 inquiry via email "b" priority high"#,
                                      #"open ticket C2 complaint "c" priority low"#,
                                      #"open ticket C2 inquiry via wechat "d""#,
                                      #"open ticket C2 inquiry via sms "e" priority normal"#,
                                      #"open ticket C1 inquiry via visit "f" priority high"#,
                                      #"add ticket customer: C1, kind: inquiry, text: "old", status: CLOSED, channel: Phone"#,
                                      #"add ticket customer: C2, kind: inquiry, text: "imported", status: Resolved, channel: EMAIL, priority: URGENT, openedAt: "2027-02-01T00:00:00Z", resolvedAt: "2027-02-03T00:00:00Z""#,
                                      #"add ticket customer: C2, kind: inquiry, text: "closed", status: closed, channel: wechat, openedAt: "2027-02-01T00:00:00Z", closedAt: "2027-02-01T00:30:00Z""#]),
            ("2027-02-10T09:02:00Z", [#"reply T000001 "ok""#]),
            ("2027-02-11T10:00:00Z", [#"wait T000002 "asked""#, #"wait T000004 "asked""#, #"resolve T000003 "done""#]),
            ("2027-02-12T10:00:00Z", [#"reply T000002 "back""#, #"reopen T000003 "again""#, #"close T000005 "gone""#]),
            ("2027-02-13T08:00:00Z", [#"wait T000003 "asked""#, #"resolve T000006 "done""#, #"resolve T000004 "done""#]),
        ]
        for (now, commands) in steps { assertSameChanges(url, store, commands, now: now) }
        let queries = [
            "find tickets show id, status, respondBy, resolveBy, overdue, sla",
            "find tickets where overdue show id",
            "find tickets where not overdue show id",
            "count tickets by sla",
            "find tickets where sla is null or sla = met show id",
            "find tickets sort by resolveBy desc, respondBy show id",
            "find tickets where resolveBy - respondBy > 86400 show id, resolveBy - openedAt",
            "find customers where any tickets(overdue) show id",
            "find customers where count tickets(sla = breached) >= 2 show id",
            "count tickets where respondBy < 2027-02-11",
        ]
        let script = queries.joined(separator: "\n") + "\n"
        var answers: Set<String> = []
        for now in ["2027-02-10T09:30:00Z", "2027-02-12T09:00:00Z", "2027-02-20T12:00:00Z"] {
            let embedded = store.run(["--timezone", "UTC", "--format", "csv", "--bail", "-"], stdin: script, now: now)
            let pg = RapportRunner.run(["--db", url, "--now", now, "--timezone", "UTC", "--format", "csv", "-"], stdin: script)
            XCTAssertEqual(embedded.status, 0, embedded.stderr)
            XCTAssertEqual(pg.stderr, "", now)
            XCTAssertEqual(pg.rawStdout, embedded.rawStdout, now)
            answers.insert(embedded.stdout)
        }
        XCTAssertEqual(answers.count, 3, "the targets move with now")
    }

    /// churnRisk from each signal (lapse, one-time buyer, low and falling satisfaction with a
    /// same-day pair of surveys, complaints on the day boundary of the clock's zone, one after
    /// today, an overdue revisit), in four zones and with the policy's weights changed.
    func testChurnRiskAsTheEmbeddedStore() throws {
        let (url, store) = try twoBackends("pg-churn", [
            #"add customer id: C1, name: "Lapse", lastContact: 2027-02-01"#,
            #"add customer id: C2, name: "Once", lastContact: 2027-02-01"#,
            #"add customer id: C3, name: "Unhappy", satisfaction: 2, lastContact: 2027-02-01"#,
            #"add customer id: C4, name: "Falling", satisfaction: 4, lastContact: 2027-02-01"#,
            #"add customer id: C5, name: "Edge", lastContact: 2027-02-01"#,
            #"add customer id: C6, name: "Later", lastContact: 2027-02-01"#,
            #"add customer id: C7, name: "Overdue", grade: A, lastContact: 2026-06-01"#,
            #"add customer id: C8, name: "Quiet""#,
            "add purchase customer: C1, date: 2026-01-01, amount: 10, product: \"x\"",
            "add purchase customer: C1, date: 2026-02-01, amount: 10, product: \"x\"",
            "add purchase customer: C1, date: 2026-03-01, amount: 10, product: \"x\"",
            "add purchase customer: C2, date: 2026-05-01, amount: 10, product: \"x\"",
            "add purchase customer: C2, date: 2026-05-01, amount: 20, product: \"y\"",
            "add purchase customer: C3, date: 2027-03-01, amount: 10, product: \"x\"",
            "add survey customer: C4, date: 2027-01-01, score: 5",
            "add survey customer: C4, date: 2027-02-01, score: 4",
            "add survey customer: C4, date: 2027-02-01, score: 3",
            "add survey customer: C3, date: 2027-02-01, score: 5",
            "add survey customer: C3, date: 2027-02-10, score: 5",
            #"add ticket customer: C5, kind: Complaint, text: "late", status: closed, openedAt: "2026-11-21T20:30:00Z""#,
            #"add ticket customer: C6, kind: complaint, text: "soon", status: open, openedAt: "2027-03-01T00:00:00Z""#,
            #"add ticket customer: C1, kind: complaint, text: "open", status: OPEN"#,
        ])
        let queries = [
            "find customers show id, churnRisk",
            "count customers by churnRisk",
            "find customers where churnRisk in (medium, high) sort by churnRisk show id",
            "find tickets where customer.churnRisk = high show id",
            "find customers where any tickets(kind = complaint) and churnRisk != low show id",
        ]
        var answers: Set<String> = []
        for zone in ["UTC", "Asia/Shanghai", "GMT+8", "America/New_York"] {
            let script = queries.joined(separator: "\n") + "\n"
            let embedded = store.run(["--timezone", zone, "--format", "csv", "--bail", "-"], stdin: script, now: Self.now)
            let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", zone, "--format", "csv", "-"], stdin: script)
            XCTAssertEqual(embedded.status, 0, embedded.stderr)
            XCTAssertEqual(pg.stderr, "", zone)
            XCTAssertEqual(pg.rawStdout, embedded.rawStdout, zone)
            answers.insert(embedded.stdout)
        }
        XCTAssertEqual(answers.count, 2, "the complaint on the day boundary counts east of Greenwich only")
        for command in ["set policy churn.weight.complaint = 5", "set policy churn.high = 3", "set policy churn.gapFactor = 1.5"] {
            XCTAssertEqual(store.run(["--role", "admin", "-c", command], now: Self.now).status, 0, command)
            XCTAssertEqual(RapportRunner.run(["--db", url, "--role", "admin", "-c", command]).status, 0, command)
        }
        assertSameAnswers(url, store, queries)
    }

    /// churnRisk and nextContactDue read at the query's own level come from facts aggregated
    /// once per customer and joined; inside a relation, from subqueries per customer. Both
    /// agree with the store where the join could differ: a customer with no facts at all or
    /// only ones after today, a survey without a score, purchases of a deleted customer (in
    /// the bin, so not joined), sorted, limited, counted by group and filtered in one statement.
    func testChurnFactsJoinedAgreeWithTheRelationsAndTheStore() throws {
        let (url, store) = try twoBackends("pg-churn-joined", [
            #"add customer id: C1, name: "Lapse", grade: B, lastContact: 2027-02-01"#,
            #"add customer id: C2, name: "Future", lastContact: 2026-01-01"#,
            #"add customer id: C3, name: "NoScore", satisfaction: 4"#,
            #"add customer id: C4, name: "Gone""#,
            #"add customer id: C5, name: "Nothing", grade: D"#,
            "add purchase customer: C1, date: 2026-01-01, amount: 10, product: \"x\"",
            "add purchase customer: C1, date: 2026-02-01, amount: 10, product: \"x\"",
            "add purchase customer: C1, date: 2026-04-01, amount: 10, product: \"x\"",
            "add purchase customer: C2, date: 2027-05-01, amount: 10, product: \"x\"",
            "add purchase customer: C4, date: 2027-02-01, amount: 10, product: \"x\"",
            "add survey customer: C3, date: 2027-02-01, score: 2",
            "add survey customer: C3, date: 2027-02-10, comment: \"no score\"",
            "add survey customer: C3, date: 2027-02-11, score: 1",
            "add survey customer: C2, date: 2027-03-01, score: 1",
            #"add ticket customer: C2, kind: complaint, text: "later", status: open, openedAt: "2027-04-01T00:00:00Z""#,
            #"add ticket customer: C4, kind: complaint, text: "gone", status: open"#,
            #"add contact customer: C1, channel: phone, date: 2027-02-01"#,
            #"add contact customer: C2, channel: phone, date: 2026-01-01"#,
            #"add contact customer: C5, channel: phone, date: 2026-01-01"#,
            "delete customers where id = C4",
        ])
        assertSameAnswers(url, store, [
            "find customers show id, churnRisk, nextContactDue",
            "find customers sort by nextContactDue desc, churnRisk limit 3 show id, nextContactDue, churnRisk",
            "count customers where nextContactDue < 2027-06-01 by churnRisk",
            "count customers by nextContactDue",
            "find contacts where customer.churnRisk != low or customer.nextContactDue < 2027-02-20 show id, customer",
            "find customers where churnRisk = high and rfm is null show id",
            "min nextContactDue of customers where churnRisk != low",
        ])
    }

    /// Points once lots expire: FIFO over the ledger as the store computes it (a redemption
    /// takes the oldest valid lot first, a lot lapses on its expiry day, the next expiry and
    /// what it takes at most the balance), asked on and around the expiry days, at the
    /// query's own level, inside `customer.FIELD` and in the bin (over the bin's ledger).
    func testPointsWithExpiringLotsAsTheEmbeddedStore() throws {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-points")
        let steps: [(String, String)] = [
            ("2027-01-01", "set policy points.expiry = 30d"),
            ("2027-01-01", #"add customer id: C1, name: "Ada""#), ("2027-01-01", #"add customer id: C2, name: "Bo""#),
            ("2027-01-01", #"add customer id: C3, name: "Cy""#),
            ("2027-01-01", #"add points C1 100 "welcome""#), ("2027-01-20", #"add points C1 50 "more""#),
            ("2027-01-25", #"redeem C1 30 "voucher""#), ("2027-02-01", #"add points C2 10 "hello""#),
            ("2027-02-01", #"add points C2 5 "again""#), ("2027-02-02", #"redeem C2 15 "all""#),
            ("2027-02-05", #"add points C3 7 "late""#),
            // A customer in the bin with its ledger: balanced over the bin's ledger.
            ("2027-01-01", #"add customer id: C4, name: "Di""#), ("2027-01-01", #"add points C4 20 "a""#),
            ("2027-01-15", #"add points C4 40 "b""#), ("2027-01-20", #"redeem C4 10 "c""#),
            ("2027-02-06", "delete customers where id = C4"),
        ]
        for (now, command) in steps { assertSameChanges(url, store, [command], now: now) }
        let queries = [
            "find customers show id, points, nextPointsExpiry, pointsExpiringNext",
            "find customers where points > 0 sort by nextPointsExpiry desc show id",
            "count customers by nextPointsExpiry",
            "sum pointsExpiringNext of customers",
            "find points where customer.points > 0 and customer.nextPointsExpiry is not null show id, customer",
            "count customers where any points(customer.pointsExpiringNext > 0)",
            "find deleted customers show id, points, nextPointsExpiry, pointsExpiringNext",
            "find deleted points where customer.points > 0 show id",
        ]
        let script = queries.joined(separator: "\n") + "\n"
        var answers: Set<String> = []
        for now in ["2027-01-30", "2027-01-31", "2027-02-19", "2027-02-20", "2027-03-10"] {
            let embedded = store.run(["--format", "csv", "--bail", "-"], stdin: script, now: now)
            let pg = RapportRunner.run(["--db", url, "--now", now, "--timezone", "UTC", "--format", "csv", "-"], stdin: script)
            XCTAssertEqual(embedded.status, 0, embedded.stderr)
            XCTAssertEqual(pg.stderr, "", now)
            XCTAssertEqual(pg.rawStdout, embedded.rawStdout, now)
            answers.insert(embedded.stdout)
        }
        XCTAssertGreaterThanOrEqual(answers.count, 4, "lots lapse between the days asked")
    }
}
