import Foundation
import RapportCore
import RapportPostgres
import RapportTestSupport
import XCTest

/// Tab completion on PostgreSQL offers what it offers on a store with the same records:
/// ids by prefix (ASCII case ignored, wildcards taken literally) and the live values of a
/// string or list field, none past the completer's limit.
final class PostgresCompletionTests: XCTestCase {
    static let setup = [
        #"add customer id: C000001, name: "Ada", city: "Oslo", tier: gold, tags: (tea, vip)"#,
        #"add customer id: C000002, name: "Bo", city: "上海", tags: (tea)"#,
        #"add customer id: C000010, name: "Cy", city: "Oslo""#,
        #"add customer id: "C_1%", name: "Odd""#,
        #"add customer id: c000003, name: "Lower""#,
        #"add purchase customer: C000001, date: 2026-01-10, amount: 12.5, product: "茶""#,
        #"delete customers where id = C000010"#,
    ]

    static let lines = [
        "show customer c", "show customer C00000", "show customer C_", "show customer c_1%", "show customer X",
        "find customers where city = ", "find customers where city = O", "find customers where tags has ",
        "find customers where tier = ", "find purchases where product = ", "find customers where name = ",
    ]

    func testCompletionOffersWhatTheStoreOffers() throws {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-completion")
        let script = Self.setup.joined(separator: "\n") + "\n"
        let embedded = store.run(["--role", "admin", "-"], stdin: script, now: "2026-03-01T09:00:00Z")
        XCTAssertEqual(embedded.status, 0, embedded.stderr)
        let pg = RapportRunner.run(["--db", url, "--role", "admin", "--now", "2026-03-01T09:00:00Z", "-"], stdin: script)
        XCTAssertEqual(pg.status, 0, pg.stderr)

        let database = try Database.open(directory: store.path, readOnly: true)
        defer { database.close() }
        let onStore = Completer(backend: InMemoryBackend(database: database), fileNames: { _ in [] })
        let onPostgres = Completer(backend: try PostgresBackend(url: url), fileNames: { _ in [] })
        for line in Self.lines {
            XCTAssertEqual(onPostgres.complete(line).candidates, onStore.complete(line).candidates, line)
        }
        // The checks above would pass on two backends offering nothing.
        // Live ids only (C000010 is in the bin), case ignored, `_` and `%` literal, quoted as typed back.
        XCTAssertEqual(onPostgres.complete("show customer c").candidates, [#""C_1%""#, "C000001", "C000002", "c000003"])
        XCTAssertEqual(onPostgres.complete("show customer C_").candidates, [#""C_1%""#])
        XCTAssertTrue(onPostgres.complete("find customers where city = ").candidates.contains("上海"))
        XCTAssertTrue(onPostgres.complete("find customers where city = ").candidates.contains("Oslo"))
        XCTAssertTrue(onPostgres.complete("find customers where tags has ").candidates.contains("vip"))

        // Past the completer's limit a field offers no values, on both.
        let many = (0...Completer.maxDistinctValues).map { #"add customer name: "n\#($0)", city: "city \#($0)""# }.joined(separator: "\n") + "\n"
        XCTAssertEqual(RapportRunner.run(["--db", url, "--role", "admin", "-"], stdin: many).status, 0)
        let crowded = onPostgres.complete("find customers where city = ").candidates
        XCTAssertFalse(crowded.contains("city 1"), "more distinct cities than the limit: none offered")
    }
}
