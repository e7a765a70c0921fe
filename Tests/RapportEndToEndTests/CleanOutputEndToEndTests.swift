import Foundation
import XCTest
import RapportTestSupport

/// Real files in, clean output out, through the real binary.
final class CleanOutputEndToEndTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "rapport-clean-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func rapport(_ args: [String]) -> RapportRunner.Result {
        RapportRunner.run(["--now", "2026-11-24", "--timezone", "UTC"] + args)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A `show *` JSON answer without the derived fields, as comparable text.
    private func storedFields(_ json: String) throws -> String {
        let records = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let derived: Set<String> = ["daysSinceContact", "daysSincePurchase", "contactCount", "openTickets", "points",
                                     "nextPointsExpiry", "pointsExpiringNext", "nextContactDue", "rfm", "rfmSegment", "ltv", "churnRisk"]
        let stored = records.map { $0.filter { !derived.contains($0.key) } }
        return String(decoding: try JSONSerialization.data(withJSONObject: stored, options: [.sortedKeys]), as: UTF8.self)
    }

    func testExportToCSVThenImportGivesTheSameRecords() throws {
        let second = dir + "/second", file = dir + "/out.csv"
        // Demo data plus the cases that broke before: a tag holding ';' and '\', a note with CRLF.
        let extra = try write("extra.jsonl", #"{"id":"X1","name":" padded ","tags":["a;b","c\\d","plain"],"memo":"l1\r\nl2, \"q\""}"# + "\n")
        let query = "find customers sort by id show *"
        let before = rapport(["--demo-size", "40", "--format", "json", "-c", "import customers from \"\(extra)\"",
                              "-c", "export customers to \"\(file)\"", "-c", query])
        XCTAssertEqual(before.status, 0, before.stderr)

        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.hasSuffix("\r\n"))
        XCTAssertFalse(text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "a bare LF outside the memo's CRLF")

        let reimported = rapport(["--data", second, "-c", "import customers from \"\(file)\""])
        XCTAssertEqual(reimported.status, 0, reimported.stderr)
        let after = rapport(["--data", second, "--format", "json", "-c", query])
        XCTAssertEqual(before.status, 0, before.stderr)
        XCTAssertGreaterThan(before.stdout.count, 1000)
        // Derived fields are no part of the file: the reimported store has no contacts, so
        // they differ; every stored field must come back the same.
        XCTAssertEqual(try storedFields(after.stdout), try storedFields(before.stdout))
        XCTAssertTrue(after.stdout.contains(#""tags":["a;b","c\\d","plain"]"#), after.stdout)
        XCTAssertTrue(after.stdout.contains(#""memo":"l1\r\nl2, \"q\"""#), after.stdout)
    }

    func testShowSameFieldTwiceHasOneKey() throws {
        let r = rapport(["--demo-size", "5", "--format", "json", "-c", "find customers limit 1 show name, NAME, id"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.first?.count, 2)
        XCTAssertEqual(r.stdout.components(separatedBy: "\"name\"").count - 1, 1, r.stdout)
    }

    func testShowCustomerHonoursFormat() throws {
        let json = rapport(["--demo-size", "5", "--format", "json", "-c", "show customer C000001"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let card = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])?.first)
        XCTAssertEqual(card["id"] as? String, "C000001")
        XCTAssertNotNil(card["latestContacts"] as? [Any])
        let csv = rapport(["--demo-size", "5", "--format", "csv", "-c", "show customer C000001"])
        XCTAssertTrue(csv.rawStdout.hasPrefix("id,name,"), csv.rawStdout)
        XCTAssertEqual(csv.rawStdout.components(separatedBy: "\r\n").count, 3, csv.rawStdout)
    }

    func testImportedControlCharactersNeverReachTheCard() throws {
        let data = dir + "/store"
        let file = try write("evil.jsonl", #"{"id":"E1","name":"Mal\u001b[2J\u0007lory","city":"X\u009b31m"}"# + "\n")
        XCTAssertEqual(rapport(["--data", data, "-c", "import customers from \"\(file)\""]).status, 0)
        let card = rapport(["--data", data, "-c", "show customer E1"])
        XCTAssertEqual(card.status, 0, card.stderr)
        XCTAssertTrue(card.stdout.hasPrefix("Mal [2J lory  (E1)\n"), card.stdout)
        XCTAssertFalse(card.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || (0x7F...0x9F).contains($0.value) },
                       card.stdout.debugDescription)
    }

    func testNonIdentifierHeadersImportAndQueryWithBackticks() throws {
        let data = dir + "/store"
        let file = try write("people.csv", "id,First Name,e-mail,電話\r\nP1,Bob,bob@x.org,123\r\nP2,Ann,ann@x.org,456\r\n")
        let imported = rapport(["--data", data, "-c", "import customers from \"\(file)\""])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let r = rapport(["--data", data, "--format", "csv", "-c", "find customers where `First Name` = bob show `First Name`, `e-mail`, `電話`"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.rawStdout, "First Name,e-mail,電話\r\nBob,bob@x.org,123\r\n")
        let unknown = rapport(["--data", data, "-c", "find customers where `First Nam` = bob"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'First Name'?"), unknown.stderr)
    }

    func testCSVWithMismatchedRowNamesItsLine() throws {
        let data = dir + "/store"
        let file = try write("bad.csv", "id,name\r\nB1,5'7\" tall\r\nB2,x,extra\r\n")
        let r = rapport(["--data", data, "-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("line 3"), r.stderr)
        XCTAssertEqual(rapport(["--data", data, "--format", "csv", "-c", "count customers"]).rawStdout, "count\r\n0\r\n")
    }
}
