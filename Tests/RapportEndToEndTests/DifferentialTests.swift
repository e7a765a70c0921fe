import Foundation
import XCTest
import RapportTestSupport

/// Random customers and hundreds of random queries, each run by the real `rapport` binary
/// and by sqlite3 on the same data; sqlite3 is the oracle and every answer must agree.
///
/// The generator leans on the contract's edge cases: missing fields, 29 February
/// birthdays, Chinese names, values that differ only in case, ties in sort keys, empty
/// tag lists, dates on the exact boundary of a duration, a custom true/false field (stored
/// as 0/1 in SQLite), tickets for relations (`any/no/count ticket(...)` as `EXISTS`, `NOT
/// EXISTS` and a correlated count) and `customer.FIELD` on tickets (a join). `RAPPORT_DIFF_SEEDS=1,2,3` runs several seeds. Set `RAPPORT_DIFF_SEED` to
/// replay a run; a failure prints its seed, the Rapport query and the SQL.
final class DifferentialTests: XCTestCase {
    static let today = CustomerGenerator.today

    func testRandomQueriesAgreeWithSQLite() throws {
        let environment = ProcessInfo.processInfo.environment
        let seeds = (environment["RAPPORT_DIFF_SEEDS"] ?? environment["RAPPORT_DIFF_SEED"])?
            .split(separator: ",").compactMap { UInt64($0) } ?? []
        for seed in seeds.isEmpty ? [20261101] : seeds { try runQueries(seed: seed) }
    }

    private func runQueries(seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        let customers = (0..<700).map { CustomerGenerator.customer(number: $0, random: &random) }
        let tickets = TicketGenerator.tickets(of: customers, random: &random)
        let queries = (0..<450).map { _ in QueryGenerator.query(random: &random) }

        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataFile = dir.appendingPathComponent("customers.jsonl")
        try customers.map(\.jsonLine).joined(separator: "\n").write(to: dataFile, atomically: true, encoding: .utf8)
        let store = dir.appendingPathComponent("store").path
        let common = ["--data", store, "--now", Self.today, "--timezone", "UTC"]
        let imported = RapportRunner.run(common + ["-c", "import customers from \"\(dataFile.path)\""])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        // Tickets leave the customers' stored fields as they are (contacts and purchases
        // would move totals and last dates), so the oracle's customers stay as generated.
        let ticketFile = dir.appendingPathComponent("tickets.jsonl")
        try tickets.map(\.jsonLine).joined(separator: "\n").write(to: ticketFile, atomically: true, encoding: .utf8)
        let ticketsImported = RapportRunner.run(common + ["-c", "import tickets from \"\(ticketFile.path)\""])
        XCTAssertEqual(ticketsImported.status, 0, ticketsImported.stderr)

        let oracle = try SQLiteOracle.answers(customers: customers, tickets: tickets, queries: queries, directory: dir)
        for indexes in ["on", "off"] {
            let script = queries.map(\.rapport).joined(separator: "\n") + "\n"
            let run = RapportRunner.run(common + ["--format", "json", "--bail", "-"], stdin: script,
                                        environment: ["RAPPORT_INDEXES": indexes])
            XCTAssertEqual(run.status, 0, "seed \(seed), indexes \(indexes): \(run.stderr)")
            // Words outside a vocabulary (tier = diamond) warn; nothing may fail.
            XCTAssertFalse(run.stderr.contains("error"), run.stderr)
            let answers = RapportAnswers.parse(run.stdout, queries: queries)
            XCTAssertEqual(answers.count, queries.count, "seed \(seed): one JSON array per query")
            let nonEmpty = oracle.filter { !$0.isEmpty }.count
            XCTAssertGreaterThan(nonEmpty, queries.count / 2, "the generator should mostly ask queries with answers")
            var disagreements = 0
            for (index, query) in queries.enumerated() where index < answers.count {
                if answers[index] != oracle[index] {
                    disagreements += 1
                    if disagreements <= 5 {
                        XCTFail("""
                            seed \(seed), indexes \(indexes), query \(index):
                              rapport: \(query.rapport)
                              sql:     \(query.sql)
                              rapport answered \(answers[index].prefix(12))
                              sqlite3 answered \(oracle[index].prefix(12))
                            """)
                    }
                }
            }
            XCTAssertEqual(disagreements, 0, "seed \(seed), indexes \(indexes): \(disagreements) of \(queries.count) queries disagree")
        }
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
