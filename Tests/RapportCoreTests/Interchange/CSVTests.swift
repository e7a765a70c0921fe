import XCTest
@testable import RapportCore

final class CSVTests: XCTestCase {
    func fields(_ text: String) throws -> [[String]] { try CSVReader.parse(text).map(\.fields) }

    func testWriterQuotesOnlyWhenNeeded() {
        XCTAssertEqual(CSVWriter.field("plain 王芳"), "plain 王芳")
        XCTAssertEqual(CSVWriter.field("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVWriter.field("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVWriter.field("l1\nl2"), "\"l1\nl2\"")
        XCTAssertEqual(CSVWriter.field("cr\r"), "\"cr\r\"")
        XCTAssertEqual(CSVWriter.field(" lead"), "\" lead\"")
        XCTAssertEqual(CSVWriter.field("trail\t"), "\"trail\t\"")
        XCTAssertEqual(CSVWriter.field("in side"), "in side")
        XCTAssertEqual(CSVWriter.row(["a", "", "b,c"]), "a,,\"b,c\"\r\n")
        XCTAssertEqual(CSVWriter.row([""]), "\"\"\r\n")
    }

    func testRoundTrip() throws {
        let rows: [[String]] = [
            ["id", "name", "note"],
            ["C1", "王芳", "说：\"你好\"，再见"],
            ["C2", "", "a,b,,c"],
            ["C3", "multi\nline\r\nnote", "\"\""],
            ["C4", " spaced ", "😀👍🏽"],
            ["C5", "end", ""],
        ]
        let text = rows.map(CSVWriter.row).joined()
        let parsed = try CSVReader.parse(text)
        XCTAssertEqual(parsed.map(\.fields), rows)
        XCTAssertEqual(parsed.map(\.line), [1, 2, 3, 4, 7, 8])
    }

    func testLineEndingsBOMAndBlankLines() throws {
        XCTAssertEqual(try fields("a,b\r\n1,2\r\n"), [["a", "b"], ["1", "2"]])
        XCTAssertEqual(try fields("\u{FEFF}name,city\n王芳,北京"), [["name", "city"], ["王芳", "北京"]])
        XCTAssertEqual(try fields("a\n1\n\n"), [["a"], ["1"]])
        XCTAssertEqual(try fields("a\r\n\r\n1\r\n"), [["a"], ["1"]])
        XCTAssertEqual(try CSVReader.parse("a,b\n\n1,2\n").map(\.line), [1, 3])
        XCTAssertEqual(try fields("a,\n,b\n"), [["a", ""], ["", "b"]])
        XCTAssertEqual(try fields("\"x\"\"y\",\"\"\n"), [["x\"y", ""]])
        XCTAssertEqual(try fields("\"a\r\nb\",c"), [["a\r\nb", "c"]])
        XCTAssertEqual(try fields(""), [])
        XCTAssertEqual(try fields("\u{FEFF}"), [])
    }

    func testErrors() {
        XCTAssertThrowsError(try CSVReader.parse("a,b\n1,\"open\n2,3\n")) { e in
            let e = e as! CSVError
            XCTAssertEqual(e.line, 2)
            XCTAssertEqual(e.column, 3)
            XCTAssertTrue(e.message.contains("unterminated"))
            XCTAssertTrue(e.description.contains("line 2"))
        }
        XCTAssertThrowsError(try CSVReader.parse("a,b\n1,2\n王芳,\"ab\"c\n")) { e in
            let e = e as! CSVError
            XCTAssertEqual(e.line, 3)
            XCTAssertEqual(e.column, 8)
            XCTAssertTrue(e.message.contains("after a closing quote"))
        }
        XCTAssertThrowsError(try CSVReader.parse("a\n\"x\ny\"z,1\n")) { e in
            let e = e as! CSVError
            XCTAssertEqual(e.line, 3)
            XCTAssertEqual(e.column, 3)
        }
    }

    func testLargeInputIsFast() throws {
        var text = "id,name,city,tags,totalSpent\n"
        for i in 0..<100_000 { text += "C\(i),王芳\(i),\"Beijing, CN\",vip;north,\(i).5\n" }
        let start = Date()
        let records = try CSVReader.parse(text)
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(records.count, 100_001)
        XCTAssertEqual(records[100_000].fields, ["C99999", "王芳99999", "Beijing, CN", "vip;north", "99999.5"])
        XCTAssertEqual(records[100_000].line, 100_001)
        XCTAssertLessThan(elapsed, 5)
    }

    // MARK: Public test suite

    /// csv-spectrum (BSD-2-Clause, see csv-spectrum/README.md): every file read with its
    /// first record as header must give exactly the objects of its JSON expectation.
    func testCSVSpectrum() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("csv-spectrum")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("csvs").path)
            .filter { $0.hasSuffix(".csv") }.map { String($0.dropLast(4)) }.sorted()
        XCTAssertEqual(names.count, 12)
        // Upstream's expectation for this file has a placeholder phone number, not the
        // one in its CSV; everything else in it is checked.
        let upstreamErrors = ["location_coordinates": ["Contact Phone Number": "2095257564"]]
        for name in names {
            let csv = try Data(contentsOf: root.appendingPathComponent("csvs/\(name).csv"))
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("json/\(name).json")))
            var expected = (json as? [[String: String]]) ?? [json as! [String: String]]
            for (key, value) in upstreamErrors[name] ?? [:] { expected = expected.map { var o = $0; o[key] = value; return o } }
            let records = try CSVReader.parse(String(decoding: csv, as: UTF8.self))
            let header = try XCTUnwrap(records.first, name).fields
            let objects = records.dropFirst().map { r -> [String: String] in
                XCTAssertEqual(r.fields.count, header.count, name)
                return Dictionary(uniqueKeysWithValues: zip(header, r.fields).map { ($0, $1) })
            }
            XCTAssertEqual(objects, expected, name)
        }
    }

    // MARK: What spreadsheets and Python's csv module read

    func testQuotesInsideUnquotedFieldsAreCharacters() throws {
        XCTAssertEqual(try fields("a,b\n5'7\",O\"Brien\n"), [["a", "b"], ["5'7\"", "O\"Brien"]])
        // A quote that does not open the field (after a space) is a character too.
        XCTAssertEqual(try fields("a,b\n \"x\",y\n"), [["a", "b"], [" \"x\"", "y"]])
        XCTAssertEqual(try fields("a\n\"\"\"\"\n"), [["a"], ["\""]])
    }

    func testLineEndsOfEveryKindAndCRLFInsideQuotesKept() throws {
        // Old Mac files end lines with a lone CR.
        XCTAssertEqual(try fields("a,b\r1,2\r3,4"), [["a", "b"], ["1", "2"], ["3", "4"]])
        XCTAssertEqual(try CSVReader.parse("a\r1\r\n2\n3\r").map(\.line), [1, 2, 3, 4])
        XCTAssertEqual(try fields("a,b\r\n\"x\r\ny\",\"p\rq\"\r\n"), [["a", "b"], ["x\r\ny", "p\rq"]])
        // Lines inside a quoted field count, whichever the line end.
        XCTAssertEqual(try CSVReader.parse("a\r\"1\r2\"\r3\r").map(\.line), [1, 2, 4])
        XCTAssertEqual(try fields("a,b\n,\n"), [["a", "b"], ["", ""]])
    }

    // MARK: List cells

    func testListCellsRoundTripAnyItems() {
        let lists: [[String]] = [
            ["vip", "老客户"], ["a;b", "c"], ["back\\slash", ";", "\\"], [" padded ", "x"], ["end\\"], ["a\\;b"],
        ]
        for items in lists {
            let cell = ListCell.join(items)
            XCTAssertEqual(ListCell.split(cell), items, cell)
            // And through a whole CSV record.
            let parsed = try? CSVReader.parse(CSVWriter.row(["x", cell]))
            XCTAssertEqual(parsed.map { ListCell.split($0[0].fields[1]) }, items, cell)
        }
        XCTAssertEqual(ListCell.join(["a;b", "c"]), "a\\;b;c")
        XCTAssertEqual(ListCell.join(["a\\b"]), "a\\\\b")
        // Hand-written cells: spaces around items and empty items are dropped.
        XCTAssertEqual(ListCell.split(" vip ; north;;"), ["vip", "north"])
        XCTAssertEqual(ListCell.split("a\\;b; c"), ["a;b", "c"])
        XCTAssertEqual(ListCell.split("trailing\\"), ["trailing\\"])
    }

    /// The byte-wise split of ASCII cells (the fast one) gives what the scalar-wise split
    /// gives, for cells of separators, every ASCII space and control, and letters.
    func testListCellASCIISplitAgreesWithTheScalarSplit() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = [";", " ", "\t", "\n", "\u{0B}", "\u{0C}", "\r", "\u{1C}", "\u{1F}", "\u{7F}", "a", "Z", "-", "0"]
        for _ in 0..<5_000 {
            let cell = String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            XCTAssertEqual(ListCell.splitASCII(cell), ListCell.splitScalars(cell), cell.debugDescription)
        }
        XCTAssertEqual(ListCell.splitASCII("vip"), ["vip"])
        XCTAssertEqual(ListCell.splitASCII(""), [])
        // Not for the fast split: escapes and anything beyond ASCII go scalar by scalar.
        XCTAssertNil(ListCell.splitASCII("a\\;b"))
        XCTAssertNil(ListCell.splitASCII("老客户"))
        XCTAssertEqual(ListCell.split("\u{3000}vip\u{3000}"), ["vip"])
    }
}
