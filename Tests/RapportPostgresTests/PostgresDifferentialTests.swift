import Foundation
import RapportTestSupport
import XCTest

/// The embedded differential test's random customers, tickets and queries
/// (RapportTestSupport/RandomQueries.swift), loaded into a store and into PostgreSQL with
/// the same `add` commands, then every query run on both: the answers must be the same
/// bytes, and the same as sqlite3's. Queries PostgreSQL refuses ("... is not yet supported
/// on PostgreSQL") are counted and must stay a small share.
final class PostgresDifferentialTests: XCTestCase {
    /// The most of the queries PostgreSQL may refuse (none today: points lots that expire
    /// and custom fields are what it still refuses, and this data has neither).
    static let mostRefused = 0.02

    func testRandomQueriesAgreeWithTheEmbeddedStoreAndSQLite() throws {
        let server = try PostgresTestServer()
        let url = try server.freshDatabase()
        let seed: UInt64 = ProcessInfo.processInfo.environment["RAPPORT_DIFF_SEED"].flatMap { UInt64($0) } ?? 20261101
        var random = SeededRandom(seed: seed)
        // PostgreSQL has no custom fields yet, so no `vip`; points are a ledger whose
        // balance is not translated, so none: the same data on all three sides.
        let customers = (0..<700).map { number -> Customer in
            var c = CustomerGenerator.customer(number: number, random: &random)
            c.values["vip"] = nil
            c.values["points"] = nil
            return c
        }
        let tickets = TicketGenerator.tickets(of: customers, random: &random)
        let queries = (0..<450).map { _ in QueryGenerator.query(random: &random) }.filter { !Self.readsVIP($0.rapport) }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-pgdiff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = ["--data", dir.appendingPathComponent("store").path]
        let database = ["--db", url]
        let common = ["--now", CustomerGenerator.today, "--timezone", "UTC"]

        // The store imports the records; PostgreSQL (no import yet) takes them by COPY,
        // the values as the store keeps them (the generator writes vocabulary words so).
        for (entity, records) in [("customers", customers), ("tickets", tickets)] {
            let file = dir.appendingPathComponent("\(entity).jsonl")
            try records.map(\.jsonLine).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
            let imported = RapportRunner.run(store + common + ["-c", "import \(entity) from \"\(file.path)\""])
            XCTAssertEqual(imported.status, 0, imported.stderr)
        }
        XCTAssertEqual(RapportRunner.run(database + ["-c", "init"]).status, 0)
        try copy(customers, into: "customers", columns: Self.customerColumns, server: server, url: url, directory: dir)
        try copy(tickets, into: "tickets", columns: Self.ticketColumns, server: server, url: url, directory: dir)

        let oracle = try SQLiteOracle.answers(customers: customers, tickets: tickets, queries: queries, directory: dir)
        let script = queries.map(\.rapport).joined(separator: "\n") + "\n"
        let embedded = RapportRunner.run(store + common + ["--format", "json", "--bail", "-"], stdin: script)
        XCTAssertEqual(embedded.status, 0, embedded.stderr)
        // After each query a marker whose answer no generated query gives: a refused
        // query prints nothing on standard output, so its answer is the empty stretch.
        let marked = queries.map { $0.rapport + "\n" + Self.marker }.joined(separator: "\n") + "\n"
        let onPostgres = RapportRunner.run(database + common + ["--format", "json", "-"], stdin: marked)
        let refusals = onPostgres.stderr.components(separatedBy: "is not yet supported on PostgreSQL").count - 1
        let otherErrors = onPostgres.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") && !$0.contains("is not yet supported on PostgreSQL") }
        XCTAssertTrue(otherErrors.isEmpty, "PostgreSQL failed otherwise than by refusing: \(otherErrors.prefix(5))")
        let embeddedBlocks = Self.blocks(embedded.stdout)
        let postgresAnswers = Self.answers(Self.blocks(onPostgres.stdout))
        XCTAssertEqual(embeddedBlocks.count, queries.count, "one JSON array per query on the embedded store")
        XCTAssertEqual(postgresAnswers.count, queries.count, "one stretch per query on PostgreSQL")
        guard embeddedBlocks.count == queries.count, postgresAnswers.count == queries.count else { return }
        let refused = postgresAnswers.filter { $0 == nil }.count
        XCTAssertEqual(refused, refusals, "every query without an answer was refused by name")

        var disagreements = 0, oracleDisagreements = 0
        let embeddedAnswers = RapportAnswers.parse(embedded.stdout, queries: queries)
        for (index, query) in queries.enumerated() {
            // Compared by hand: an XCTest assertion per query costs more than the query.
            if embeddedAnswers[index] != oracle[index] {
                oracleDisagreements += 1
                if oracleDisagreements <= 5 { XCTFail("the embedded store and sqlite3 disagree on \(query.rapport)") }
            }
            guard let block = postgresAnswers[index] else { continue }
            if block != embeddedBlocks[index] {
                disagreements += 1
                if disagreements <= 5 {
                    XCTFail("""
                        seed \(seed), query \(index):
                          rapport: \(query.rapport)
                          embedded: \(embeddedBlocks[index].prefix(600))
                          postgres: \(block.prefix(600))
                        """)
                }
            }
        }
        XCTAssertEqual(oracleDisagreements, 0, "queries on which the store and sqlite3 disagree")
        XCTAssertEqual(disagreements, 0, "\(disagreements) of \(queries.count - refused) answered queries differ")
        let reasons = Dictionary(grouping: onPostgres.stderr.split(separator: "\n").filter { $0.contains("is not yet supported on PostgreSQL") }, by: { $0 })
            .map { "\($0.value.count)× \($0.key.dropFirst("error: ".count))" }.sorted()
        print("PostgreSQL differential: \(queries.count - refused) of \(queries.count) queries answered (\(disagreements) unlike the store), \(refused) refused: \(reasons.joined(separator: "; "))")
        XCTAssertLessThanOrEqual(Double(refused) / Double(queries.count), Self.mostRefused,
                                 "PostgreSQL refused \(refused) of \(queries.count) queries: \(onPostgres.stderr.prefix(1500))")
    }

    /// The custom field `vip` as a field (a tag "vip" is quoted).
    static func readsVIP(_ query: String) -> Bool {
        query.range(of: #"(?<!")\b[Vv][Ii][Pp]\b(?!")"#, options: .regularExpression) != nil
    }

    static let marker = "min text of tickets"
    static let markerAnswer = "[\n{\"min(text)\":\"ticket\"}\n]"

    /// Per query, its one array before the next marker, or nil when there was none.
    static func answers(_ blocks: [String]) -> [String?] {
        var answers: [String?] = []
        var pending: String?
        for block in blocks {
            if block == markerAnswer { answers.append(pending); pending = nil } else { pending = block }
        }
        return answers
    }

    /// `--format json` output split into its arrays, each as printed.
    static func blocks(_ output: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "[]" { blocks.append("[]"); continue }
            current.append(line)
            if line == "]" { blocks.append(current.joined(separator: "\n")); current = [] }
        }
        return blocks
    }

    static let customerColumns = ["id", "name", "email", "city", "owner", "tier", "grade", "stage", "birthday", "createdAt",
                                  "lastContact", "lastPurchase", "totalSpent", "purchaseCount", "satisfaction", "tags"]
    static let ticketColumns = ["id", "customer", "kind", "text", "status", "priority", "owner"]

    /// Loads records with psql's \copy (CSV: an empty unquoted cell is NULL).
    func copy(_ records: [Customer], into table: String, columns: [String], server: PostgresTestServer, url: String, directory: URL) throws {
        func cell(_ v: Any?) -> String {
            func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            switch v {
            case nil: return ""
            case let list as [String]:
                if list.isEmpty { return "" }
                return quoted("{" + list.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}")
            case let s as String: return quoted(s)
            default: return "\(v!)"
            }
        }
        let lines = records.map { r in columns.map { $0 == "id" ? cell(r.id) : cell(r.values[$0]) }.joined(separator: ",") }
        let file = directory.appendingPathComponent("\(table).csv")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        try server.psql(url, "\\copy \(table) (\(list)) FROM '\(file.path)' WITH (FORMAT csv)")
    }
}
