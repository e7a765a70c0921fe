import Foundation
import RapportTestSupport
import XCTest

/// Files large enough to be read in chunks, one per core (`Importer.rowsWorthSplitting`):
/// the result must be the one-thread result, in file order, with every error's line.
final class ImportChunkTests: XCTestCase {
    private let rowCount = 10_000

    private func jsonLines(badLines: Set<Int> = [], badJSONLine: Int? = nil) -> String {
        (1...rowCount).map { n -> String in
            if n == badJSONLine { return "{\"name\": \"broken\"" }
            let tier = badLines.contains(n) ? "diamond" : (n % 3 == 0 ? "gold" : "silver")
            return "{\"name\":\"Customer \(n)\",\"phone\":\"+86 138 \(String(format: "%08d", n))\",\"tier\":\"\(tier)\",\"birthday\":\"1980-01-\(String(format: "%02d", n % 28 + 1))\"}"
        }.joined(separator: "\n") + "\n"
    }

    func testALargeFileImportsEveryRowInFileOrder() throws {
        let store = TemporaryStore("chunks")
        let file = try store.file("many.jsonl", jsonLines())
        let r = store.run(["-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        let found = store.run(["--format", "csv", "-c", "find customers where id = C000001 or id = C005001 or id = C010000 show id, name, tier"])
        XCTAssertEqual(found.stdout, "id,name,tier\nC000001,Customer 1,silver\nC005001,Customer 5001,gold\nC010000,Customer 10000,silver\n")
        let gold = store.run(["--format", "csv", "-c", "count customers where tier = gold"])
        XCTAssertEqual(gold.stdout, "count\n\(rowCount / 3)\n")
    }

    func testBadRowsInEveryChunkAreAllReportedByLineAndNothingIsStored() throws {
        let store = TemporaryStore("chunks-bad")
        let file = try store.file("bad.jsonl", jsonLines(badLines: [17, 9_500]))
        let r = store.run(["-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("line 17:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 9500:"), r.stderr)
        XCTAssertEqual(store.run(["--format", "csv", "-c", "count customers"]).stdout, "count\n0\n")
    }

    func testInvalidJSONInTheLastChunkNamesItsLineAndColumn() throws {
        let store = TemporaryStore("chunks-json")
        let file = try store.file("broken.jsonl", jsonLines(badJSONLine: 9_999))
        let r = store.run(["-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("9999"), r.stderr)
        XCTAssertTrue(r.stderr.contains("invalid JSON at column"), r.stderr)
        XCTAssertEqual(store.run(["--format", "csv", "-c", "count customers"]).stdout, "count\n0\n")
    }
}
