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
        XCTAssertEqual(CSVWriter.row(["a", "", "b,c"]), "a,,\"b,c\"\n")
        XCTAssertEqual(CSVWriter.row([""]), "\"\"\n")
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
        XCTAssertThrowsError(try CSVReader.parse("a,b\n1,2\n王芳,ab\"c\n")) { e in
            let e = e as! CSVError
            XCTAssertEqual(e.line, 3)
            XCTAssertEqual(e.column, 6)
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
}
