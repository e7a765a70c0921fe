import Foundation
import RapportTestSupport
import XCTest

/// `report kpi` and `find duplicates` on PostgreSQL (docs/postgres.md "Reports,
/// duplicates and merge"): a demo store moved into PostgreSQL by `import store` and into a
/// store directory the same way, then each report on both, byte for byte, in each format.
final class PostgresReportTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-11-24T15:30:00Z"

    /// The same demo store on PostgreSQL and in a store directory.
    private func sameDemoOnBoth(size: Int) throws -> (url: String, store: TemporaryStore) {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-report")
        let directory = store.files + "/demo"
        let exported = RapportRunner.run(["--demo", "--demo-size", String(size), "--now", Self.now, "--timezone", "UTC",
                                          "-c", #"export store to "\#(directory)""#])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let load = #"import store from "\#(directory)""#
        XCTAssertEqual(store.run(["-c", load], now: Self.now).status, 0)
        let imported = RapportRunner.run(["--db", url, "--now", Self.now, "-c", load])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        return (url, store)
    }

    /// Each command on both backends, in one process per backend and format: the same
    /// output, errors and status (reports that fail to check fail alike).
    private func assertSameOnBoth(_ url: String, _ store: TemporaryStore, _ commands: [String], zone: String = "UTC",
                                  file: StaticString = #filePath, line: UInt = #line) {
        for command in commands {
            for format in ["table", "csv", "json"] {
                let options = ["--timezone", zone, "--format", format, "-c", command]
                let embedded = store.run(options, now: Self.now)
                let pg = RapportRunner.run(["--db", url, "--now", Self.now] + options)
                XCTAssertEqual(pg.rawStdout, embedded.rawStdout, "\(command) as \(format)", file: file, line: line)
                XCTAssertEqual(pg.stderr, embedded.stderr, "\(command) as \(format)", file: file, line: line)
                XCTAssertEqual(pg.status, embedded.status, "\(command) as \(format): \(pg.stderr)", file: file, line: line)
            }
        }
    }

    func testKPIReportsAreTheEmbeddedStoresByteForByte() throws {
        let (url, store) = try sameDemoOnBoth(size: 150)
        // Records whose edges the report reads: purchases of a customer now in the bin,
        // a customer without createdAt or satisfaction, a ticket without openedAt, and a
        // lapse today.
        let edges = [
            #"add customer id: C900001, name: "No Date", city: "Zürich""#,
            #"update customers where id = C900001 set createdAt = null"#,
            "delete customers where id = C000003",
            #"add purchase customer: C000001, date: 2026-06-25, amount: 7"#,
            #"add ticket customer: C000002, kind: inquiry, text: "no opening", status: open"#,
        ]
        let script = edges.joined(separator: "\n") + "\n"
        let embedded = store.run(["--timezone", "UTC", "--role", "admin", "--bail", "-"], stdin: script, now: Self.now)
        let pg = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "--role", "admin", "--bail", "-"], stdin: script)
        XCTAssertEqual(embedded.status, 0, embedded.stderr)
        XCTAssertEqual(pg.stdout, embedded.stdout)
        XCTAssertEqual(pg.status, 0, pg.stderr)

        assertSameOnBoth(url, store, [
            "report kpi",
            "report kpi from 2025-01-01 to 2026-11-24 by month",
            "report kpi from 2024-01-01 to 2026-11-24 by quarter",
            "report kpi from 2026-09-01 to 2026-11-24 by week",
            "report kpi from 2020-01-01 to 2026-12-31 by year",
            "report kpi from -365d to today by tier",
            "report kpi from 2025-06-01 to 2026-11-24 by city",
            // Derived text fields: translated as `find` translates them.
            "report kpi from 2025-01-01 to 2026-11-24 by rfmSegment",
            "report kpi from 2025-01-01 to 2026-11-24 by churnRisk",
            // Errors are the checker's, before the backend is asked.
            "report kpi by satisfaction",
            "report kpi by citty",
            "report kpi from 2026-02-01 to 2026-01-01",
        ])
        // Local days of the tickets' openings in another zone.
        assertSameOnBoth(url, store, ["report kpi from 2025-01-01 to 2026-11-24 by week"], zone: "Asia/Shanghai")
    }

    func testDuplicatesAreTheEmbeddedStoresByteForByte() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-duplicates")
        let seed = PostgresMergeTests.duplicates.joined(separator: "\n") + "\n"
        for run in [store.run(["--timezone", "UTC", "--bail", "-"], stdin: seed, now: Self.now),
                    RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC", "--bail", "-"], stdin: seed)] {
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        assertSameOnBoth(url, store, ["find duplicates", "find duplicates by email", "find duplicates by phone",
                                      "find duplicates by name limit 1", "find duplicates limit 2", "find duplicates by fone"])
        // The list is not empty: the groups are found, not missed alike.
        let found = RapportRunner.run(["--db", url, "--format", "csv", "-c", "find duplicates"])
        XCTAssertEqual(found.stdout.split(separator: "\n").count, 7, found.stdout)
    }

    /// A report whose last read fails (the tickets, after the customers and purchases were
    /// read) prints nothing and fails with the server's message, never a report without tickets.
    func testAReportOrDuplicatesWhoseReadFailsPrintNothing() throws {
        let url = try server.freshDatabase(initialised: true)
        let seed = PostgresMergeTests.mergeSeed.joined(separator: "\n") + "\n"
        XCTAssertEqual(RapportRunner.run(["--db", url, "--now", Self.now, "--bail", "-"], stdin: seed).status, 0)
        for (table, command) in [("tickets", "report kpi"), ("customers", "find duplicates")] {
            let holder = try server.openSession(url)
            holder.send("BEGIN; LOCK TABLE \(table) IN ACCESS EXCLUSIVE MODE; SELECT 'locked';")
            XCTAssertTrue(holder.waitFor("locked"))
            let r = RapportRunner.run(["--db", url, "--now", Self.now, "-c", command], environment: ["PGOPTIONS": "-c lock_timeout=200"])
            holder.end()
            XCTAssertEqual(r.status, 1, command)
            XCTAssertEqual(r.stdout, "", command)
            XCTAssertTrue(r.stderr.contains("the PostgreSQL database could not answer, so nothing is shown"), r.stderr)
        }
    }
}
