import Foundation
import XCTest
import RapportTestSupport

/// Expressions through the real binary: `where`, `show`, `sort by` and `update ... set`.
final class ExpressionCommandLineTests: XCTestCase {
    var data: String!

    override func setUpWithError() throws {
        data = NSTemporaryDirectory() + "rapport-expr-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    func rapport(_ args: [String]) -> RapportRunner.Result {
        RapportRunner.run(["--now", "2026-11-24", "--timezone", "UTC"] + args)
    }

    /// Customers with a custom field, imported from JSON Lines.
    func seed(_ lines: [String]) throws {
        let file = NSTemporaryDirectory() + "rapport-expr-\(UUID().uuidString).jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = rapport(["--data", data!, "-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testRatioFilteredShownAndSorted() throws {
        let demo = ["--demo-size", "400", "--format", "csv"]
        let r = rapport(demo + ["-c", "find customers where totalSpent / purchaseCount > 1000 show id, totalSpent / purchaseCount sort by totalSpent / purchaseCount desc limit 5"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "id,totalSpent / purchaseCount")
        let rows = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }
        XCTAssertEqual(rows.count, 5)
        let ratios = rows.map { Double($0[1])! }
        XCTAssertEqual(ratios, ratios.sorted(by: >))
        XCTAssertTrue(ratios.allSatisfy { $0 > 1000 })
        // The same ratios, computed here from the stored fields of every customer.
        let all = rapport(demo + ["-c", "find customers show id, totalSpent, purchaseCount"])
        var expected: [(String, Double)] = []
        for line in all.stdout.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard let spent = Double(cells[1]), let count = Double(cells[2]), count != 0, spent / count > 1000 else { continue }
            expected.append((cells[0], spent / count))
        }
        expected.sort { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        XCTAssertEqual(rows.map { $0[0] }, expected.prefix(5).map(\.0))
        for (ratio, (_, value)) in zip(ratios, expected) { XCTAssertEqual(ratio, value, accuracy: 1e-6 * value) }
    }

    func testUpdateComputesFromEachRecordAllOrNothing() throws {
        let store = ["--data", data!]
        // bonus: a custom integer field (points is the ledger's balance, not settable).
        try seed([#"{"id":"C000001","name":"Anna","bonus":500,"city":"Berlin"}"#, #"{"id":"C000002","name":"Bob","bonus":15}"#])
        var r = rapport(store + ["-c", "update customers where id = C000001 set bonus = bonus - 100, owner = city"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "updated 1 customer (C000001)\n")
        r = rapport(store + ["--format", "csv", "-c", "find customers show id, bonus, owner"])
        XCTAssertEqual(r.stdout, "id,bonus,owner\nC000001,400,Berlin\nC000002,15,\n")

        // 15 / 2 is not whole: refused with the record's id, and C000001 keeps its value too.
        r = rapport(store + ["-c", "update customers where bonus > 0 set bonus = bonus / 2"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("customer C000002: bonus / 2 is 7.5, not a whole number for the integer field 'bonus'"), r.stderr)
        r = rapport(store + ["--format", "csv", "-c", "find customers show id, bonus"])
        XCTAssertEqual(r.stdout, "id,bonus\nC000001,400\nC000002,15\n")

        // A missing result clears the field.
        r = rapport(store + ["-c", "update customers where id = C000002 set satisfaction = bonus / 0, bonus = bonus * 2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = rapport(store + ["--format", "csv", "-c", "find customers where id = C000002 show bonus, satisfaction"])
        XCTAssertEqual(r.stdout, "bonus,satisfaction\n30,\n")
    }

    func testTypeErrorsStopBeforeAnythingRuns() throws {
        let store = ["--data", data!]
        try seed([#"{"id":"C1","name":"Anna","bonus":5,"createdAt":"2026-11-24"}"#])
        var r = rapport(store + ["-c", "update all customers set bonus = createdAt - 1d"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, """
        error: 'bonus' is an integer field; 'createdAt - 1d' is a date at 1:34
          update all customers set bonus = createdAt - 1d
                                           ^^^^^^^^^^^^^^

        """)
        r = rapport(store + ["-c", "find customers where lastContact + 5 > today"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("error: cannot add a date and a number: '5' is a number at 1:36\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("a number of days is written as a duration, such as 30d"), r.stderr)
        // A date beyond year 9999 is refused rather than stored or cleared.
        r = rapport(store + ["-c", "update all customers set createdAt = createdAt + 9999y"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("customer C1: createdAt + 9999y is out of range for the date field 'createdAt'"), r.stderr)
        r = rapport(store + ["--format", "csv", "-c", "find customers show id, bonus, createdAt"])
        XCTAssertEqual(r.stdout, "id,bonus,createdAt\nC1,5,2026-11-24\n")
    }
}
