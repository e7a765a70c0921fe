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

    /// Each parsed row's cells are dropped as soon as the row is converted (on the thread
    /// that converts it): what reports the rows later (a dry run's listing and its
    /// refusals, from every chunk) must read the converted rows.
    func testADryRunListsEveryChunksRowsAndRefusalsAfterTheirCellsAreGone() throws {
        let store = TemporaryStore("chunks-dry-run")
        let file = try store.file("many.jsonl", jsonLines(badLines: [2, 5_001, 9_999]))
        let r = store.run(["--dry-run", "-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The first rows added, then every refused row, each from its converted row.
        XCTAssertEqual(r.stdout, """
            line  action  id       name        phone             email  detail
            ----  ------  -------  ----------  ----------------  -----  -------------------------------
               1  add     C000001  Customer 1  +86 138 00000001
               3  add     C000002  Customer 3  +86 138 00000003
               4  add     C000003  Customer 4  +86 138 00000004
               5  add     C000004  Customer 5  +86 138 00000005
               6  add     C000005  Customer 6  +86 138 00000006
               2  refuse                                                'tier': 'diamond' is not a tier
            5001  refuse                                                'tier': 'diamond' is not a tier
            9999  refuse                                                'tier': 'diamond' is not a tier
            (8 rows)
            dry run: would add 9997 customers, update 0 and refuse 3; nothing changed

            """)
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

    /// The resolve pass's checks across chunks: a given id equal to one generated for an
    /// earlier row, an id given twice, and emails and phones of earlier rows in another
    /// spelling, each reported on its line and naming the first line; nothing stored.
    func testIDsAndContactsSeenEarlierInTheFileAreFoundAcrossChunks() throws {
        let store = TemporaryStore("chunks-resolve")
        let lines = (1...6_000).map { n -> String in
            switch n {
            case 5_001: return "{\"id\":\"C000001\",\"name\":\"Takes a generated id\"}"
            case 5_002: return "{\"id\":\"G7\",\"name\":\"Given twice\",\"email\":\"refused@example.com\"}"
            // The row with G7 again is refused: its email is no earlier row's for this one.
            case 5_005: return "{\"name\":\"After the refused row\",\"email\":\"Refused@example.com\"}"
            case 5_003: return "{\"name\":\"Phone again\",\"phone\":\"+86 138 0000 0010\"}"
            case 5_004: return "{\"name\":\"Email again\",\"email\":\"Row20@EXAMPLE.com\"}"
            case 7: return "{\"id\":\"G7\",\"name\":\"Given first\"}"
            default: return "{\"name\":\"Row \(n)\",\"email\":\"row\(n)@example.com\",\"phone\":\"+86 138 \(String(format: "%08d", n))\"}"
            }
        }
        let file = try store.file("resolve.jsonl", lines.joined(separator: "\n") + "\n")
        let dry = store.run(["-c", "import customers from \"\(file)\" --dry-run"])
        XCTAssertTrue(dry.stdout.contains("line 5003: phone '+86 138 0000 0010' is also on line 10")
                      || dry.stderr.contains("line 5003: phone '+86 138 0000 0010' is also on line 10"), dry.stdout + dry.stderr)
        XCTAssertTrue((dry.stdout + dry.stderr).contains("line 5004: email 'Row20@EXAMPLE.com' is also on line 20"), dry.stdout + dry.stderr)
        XCTAssertFalse((dry.stdout + dry.stderr).contains("line 5005"), dry.stdout + dry.stderr)
        let r = store.run(["-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("line 5001: id C000001 appears twice in the file"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 5002: id G7 appears twice in the file"), r.stderr)
        XCTAssertEqual(store.run(["--format", "csv", "-c", "count customers"]).stdout, "count\n0\n")
    }

    /// Rows share a record layout per key list and set of empty cells: every row must still
    /// store its own values, empty cells stay empty, given and generated ids mix, and the
    /// duplicate checks name the right lines in a file read in chunks.
    func testRowsWithDifferentKeysAndEmptyCellsEachStoreTheirOwnValues() throws {
        let store = TemporaryStore("chunks-layouts")
        let seed = try store.file("seed.jsonl", "{\"name\":\"Stored\",\"email\":\"stored@example.com\"}\n")
        XCTAssertEqual(store.run(["-c", "import customers from \"\(seed)\""]).status, 0)
        let lines = (1...6_000).map { n -> String in
            switch n % 3 {
            case 0: return "{\"name\":\"Even \(n)\",\"email\":\"c\(n)@example.com\",\"tier\":\"gold\",\"vip\":\"yes\"}"
            case 1: return "{\"tier\":\"silver\",\"email\":null,\"name\":\"Odd \(n)\",\"phone\":\"+86 138 \(String(format: "%08d", n))\"}"
            default: return "{\"id\":\"X\(n)\",\"name\":\"Given \(n)\",\"email\":\"\(n == 5_999 ? "STORED@example.com" : "g\(n)@example.com")\",\"vip\":null}"
            }
        } + ["{\"name\":\"Twin\",\"email\":\"C3@Example.com\"}"]
        let file = try store.file("layouts.jsonl", lines.joined(separator: "\n") + "\n")
        let r = store.run(["-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("line 5999: email 'STORED@example.com' is also customer C000001's"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 6001: email 'C3@Example.com' is also on line 3"), r.stderr)
        let found = store.run(["--format", "csv", "-c",
                               "find customers where name = \"Odd 1\" or name = \"Given 2\" or name = \"Even 3\" or name = Twin sort by name show id, name, email, phone, tier, vip"])
        XCTAssertEqual(found.stdout, """
            id,name,email,phone,tier,vip
            C000003,Even 3,c3@example.com,,gold,yes
            X2,Given 2,g2@example.com,,,
            C000002,Odd 1,,+86 138 00000001,silver,
            C004002,Twin,C3@Example.com,,,

            """)
        XCTAssertEqual(store.run(["--format", "csv", "-c", "count customers where vip = yes"]).stdout, "count\n2000\n")
        XCTAssertEqual(store.run(["--format", "csv", "-c", "count customers where email is null"]).stdout, "count\n2000\n")
    }

    /// The commit appends a file's rows column by column (`Table.appendInserts`, on two
    /// cores for a large batch): read back through `export`, every row's every cell must be
    /// its own line's, whatever the line's key order, empty cells, lists, Chinese text and
    /// custom fields, with an upsert of a stored customer among the inserts.
    func testEveryCellOfEveryRowLandsInItsOwnColumn() throws {
        let store = TemporaryStore("chunks-columns")
        let seed = try store.file("seed.jsonl", "{\"name\":\"Stored\",\"email\":\"seed@example.cn\",\"city\":\"杭州\"}\n")
        XCTAssertEqual(store.run(["-c", "import customers from \"\(seed)\""]).status, 0)
        let cities = ["上海", "北京", "Shenzhen", "成都"]
        var expected: [String: [String: Any]] = [:]
        let lines = (1...6_000).map { n -> String in
            var row: [(String, Any)]
            switch n % 3 {
            case 0:
                row = [("name", "王芳 \(n)"), ("city", n % 4 == 0 ? NSNull() : cities[n % 4]), ("tags", n % 5 == 0 ? [String]() : ["会员", "t\(n % 7)"]),
                       ("totalSpent", n % 6 == 0 ? NSNull() : Double(n) / 4), ("会员卡", "卡\(n % 11)"), ("email", "w\(n)@example.cn")]
            case 1:
                row = [("email", "l\(n)@example.com"), ("visits", n * 3), ("tags", ["vip"]), ("CITY", cities[(n + 1) % 4]),
                       ("satisfaction", n % 4 == 1 ? NSNull() : n % 5 + 1), ("name", "Li Na \(n)"), ("birthday", "1980-01-\(String(format: "%02d", n % 28 + 1))")]
            default:
                row = [("name", "赵磊 \(n)"), ("optOut", ["email", "sms"]), ("email", n == 3_002 ? "SEED@example.cn" : "z\(n)@example.cn"),
                       ("会员卡", n % 4 == 2 ? NSNull() : "卡\(n)")]
            }
            var fields: [String: Any] = [:]
            for (key, value) in row { fields[key.lowercased() == "city" ? "city" : key] = value }
            expected[fields["name"] as! String] = fields
            let members = row.map { key, value -> String in
                let json = try! JSONSerialization.data(withJSONObject: [key: value], options: [.fragmentsAllowed])
                return String(String(decoding: json, as: UTF8.self).dropFirst().dropLast())
            }
            return "{" + members.joined(separator: ",") + "}"
        }
        let file = try store.file("columns.jsonl", lines.joined(separator: "\n") + "\n")
        let r = store.run(["-c", "import customers from \"\(file)\" update by email"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("imported 6000 customers: added 5999, updated 1"), r.stdout)
        let out = store.path + "/../columns-export.jsonl"
        XCTAssertEqual(store.run(["-c", "export customers to \"\(out)\""]).status, 0)
        let exported = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(exported.count, 6_000)
        func text(_ value: Any) -> String {
            if let list = value as? [Any] { return "[" + list.map { "\($0)" }.joined(separator: "|") + "]" }
            return value is NSNull ? "null" : "\(value)"
        }
        var seen = 0
        for record in exported {
            let name = try XCTUnwrap(record["name"] as? String)
            guard let fields = expected[name] else { XCTFail("unexpected row \(name)"); continue }
            seen += 1
            if name == "赵磊 3002" { XCTAssertEqual(record["id"] as? String, "C000001", "the upsert updates the stored customer") }
            for (key, value) in fields where key != "email" || name != "赵磊 3002" {
                // An empty list is stored as null (`Value.isNull`).
                let want: Any = (value as? [String])?.isEmpty == true ? NSNull() : value
                XCTAssertEqual(text(record[key] ?? NSNull()), text(want), "\(name): \(key)")
            }
            for key in ["会员卡", "visits", "city", "tags", "totalSpent", "satisfaction", "optOut", "birthday"] where fields[key] == nil && name != "赵磊 3002" {
                XCTAssertTrue(record[key] is NSNull, "\(name): \(key) is \(record[key] ?? "missing")")
            }
        }
        XCTAssertEqual(seen, 6_000)
    }
}
