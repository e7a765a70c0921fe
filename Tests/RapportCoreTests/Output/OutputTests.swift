import Foundation
import XCTest
@testable import RapportCore

final class OutputTests: XCTestCase {
    let shanghai = TimeZone(identifier: "Asia/Shanghai")!
    let utc = TimeZone(identifier: "UTC")!

    func render(_ r: ResultSet, _ f: OutputFormat, _ tz: TimeZone? = nil) -> String {
        ResultRenderer(format: f, timeZone: tz ?? utc).render(r)
    }

    // MARK: Display width

    func testDisplayWidth() {
        XCTAssertEqual(DisplayWidth.of("abc"), 3)
        XCTAssertEqual(DisplayWidth.of("王芳"), 4)
        XCTAssertEqual(DisplayWidth.of("王芳 Li"), 7)
        XCTAssertEqual(DisplayWidth.of("生日快乐，{name}！"), 18)
        XCTAssertEqual(DisplayWidth.of("ｶ"), 1)  // halfwidth katakana
        XCTAssertEqual(DisplayWidth.of("ＡＢ"), 4)  // fullwidth Latin
        XCTAssertEqual(DisplayWidth.of("한국어"), 6)
        XCTAssertEqual(DisplayWidth.of("かな"), 4)
        XCTAssertEqual(DisplayWidth.of("e\u{301}"), 1)
        XCTAssertEqual(DisplayWidth.of("a\u{200B}b"), 2)
        XCTAssertEqual(DisplayWidth.of("🎂"), 2)
        XCTAssertEqual(DisplayWidth.of("👍🏽"), 2)
        XCTAssertEqual(DisplayWidth.of("❤️"), 2)
        XCTAssertEqual(DisplayWidth.of("🇨🇳"), 2)
        XCTAssertEqual(DisplayWidth.of("Café"), 4)
        XCTAssertEqual(DisplayWidth.of(""), 0)
        XCTAssertEqual(DisplayWidth.pad("王", to: 4, alignRight: false), "王  ")
        XCTAssertEqual(DisplayWidth.pad("7", to: 3, alignRight: true), "  7")
        XCTAssertEqual(DisplayWidth.pad("王芳", to: 3, alignRight: false), "王芳")
    }

    // MARK: Values

    func testNumbers() {
        let n = ValueFormatter.number
        XCTAssertEqual(n(1200.0), "1200")
        XCTAssertEqual(n(0.1), "0.1")
        XCTAssertEqual(n(-75), "-75")
        XCTAssertEqual(n(4.5), "4.5")
        XCTAssertEqual(n(-0.0), "0")
        XCTAssertEqual(n(1234567.25), "1234567.25")
        XCTAssertEqual(n(1e15), "1000000000000000")
        XCTAssertEqual(n(0.00001), "0.00001")
        XCTAssertEqual(n(-1.25e-5), "-0.0000125")
        XCTAssertEqual(n(1e-6), "0.000001")
        // Fifteen significant digits, as SQLite prints: no float noise in sums of money.
        XCTAssertEqual(n(0.1 + 0.2), "0.3")
        XCTAssertEqual(n(1.0 / 3), "0.333333333333333")
        XCTAssertEqual(n(12345678.9 + 0.01), "12345678.91")
        XCTAssertTrue(["1e+20", "100000000000000000000"].contains(n(1e20)))
        for d in [0.1, 2.5e-6, 123456789.125, 1e20, 1e-300] {
            XCTAssertEqual(Double(n(d)), d)
        }
    }

    func testValueText() {
        let f = ValueFormatter(timeZone: shanghai)
        XCTAssertEqual(f.text(.integer(-42)), "-42")
        XCTAssertEqual(f.text(.date(Day(year: 2026, month: 2, day: 3)!)), "2026-02-03")
        XCTAssertEqual(f.text(.list(["vip", "老客户"]), forCSV: false), "vip, 老客户")
        XCTAssertEqual(f.text(.list(["vip", "老客户"]), forCSV: true), "vip;老客户")
        XCTAssertEqual(f.text(.boolean(true)), "true")
        XCTAssertEqual(f.text(.null), "")
    }

    func testInstants() {
        // 2026-11-01T01:30:00Z
        let t: Int64 = 1_793_496_600
        XCTAssertEqual(ValueFormatter(timeZone: shanghai).text(.instant(t)), "2026-11-01T09:30:00+08:00")
        XCTAssertEqual(ValueFormatter(timeZone: utc).text(.instant(t)), "2026-11-01T01:30:00+00:00")
        XCTAssertEqual(ValueFormatter(timeZone: TimeZone(identifier: "America/New_York")!).text(.instant(t)),
                       "2026-10-31T21:30:00-04:00")
        XCTAssertEqual(ValueFormatter(timeZone: utc).text(.instant(-1)), "1969-12-31T23:59:59+00:00")
        XCTAssertEqual(Clock.parseISO8601("2026-11-01T09:30:00+08:00", defaultZone: utc), t)
    }

    // MARK: Table

    func testTableAlignsWideCharactersAndNumbers() {
        let r = ResultSet(columns: ["id", "name", "amount"], rows: [
            [.string("C1"), .string("王芳"), .number(1200)],
            [.string("C22"), .string("Li Lei"), .integer(-75)],
            [.string("C3"), .string("张三a"), .number(4.5)],
        ])
        XCTAssertEqual(render(r, .table), """
            id   name    amount
            ---  ------  ------
            C1   王芳      1200
            C22  Li Lei     -75
            C3   张三a      4.5
            (3 rows)

            """)
    }

    func testTableRowCountsAndNoTrailingSpaces() {
        let one = ResultSet(columns: ["name", "city"], rows: [[.string("王芳"), .null]])
        XCTAssertEqual(render(one, .table), "name  city\n----  ----\n王芳\n(1 row)\n")
        let none = ResultSet(columns: ["id", "name"], rows: [])
        XCTAssertEqual(render(none, .table), "id  name\n--  ----\n(0 rows)\n")
        let out = render(ResultSet(columns: ["a", "bbbbbb"], rows: [[.string("x"), .string("y")]]), .table)
        for line in out.split(separator: "\n") { XCTAssertFalse(line.hasSuffix(" "), "trailing space in \(line)") }
    }

    func testTableNumericColumnWithNullsIsRightAligned() {
        let r = ResultSet(columns: ["count", "note"], rows: [[.integer(5), .string("a\nb")], [.null, .string("c")], [.integer(120), .string("")]])
        XCTAssertEqual(render(r, .table), """
            count  note
            -----  ----
                5  a b
                   c
              120
            (3 rows)

            """)
    }

    /// The table is written as bytes: a short row, a cell of spaces at the end of a line,
    /// a wide cell narrower than its column, a percent column and the colour codes.
    func testTableBytesPadShortRowsAndColour() {
        var r = ResultSet(columns: ["名字", "note", "share"], rows: [
            [.string("芳")],
            [.string("Li"), .string("x  "), .number(12.345)],
            [.string("王小芳"), .string("   "), .integer(3)],
        ])
        r.percentColumns = [2]
        XCTAssertEqual(render(r, .table), """
            名字    note  share
            ------  ----  -----
            芳
            Li      x     12.3%
            王小芳         3.0%
            (3 rows)

            """)
        var colour = ResultRenderer(format: .table, timeZone: utc)
        colour.colour = true
        XCTAssertEqual(colour.render(ResultSet(columns: ["a"], rows: [[.integer(1)]])),
                       "\u{1B}[1ma\u{1B}[0m\n-\n1\n\u{1B}[2m(1 row)\u{1B}[0m\n")
    }

    func testTableDatesListsAndInstants() {
        let r = ResultSet(columns: ["birthday", "tags", "openedAt"],
                          rows: [[.date(Day(year: 1990, month: 2, day: 14)!), .list(["vip", "north"]), .instant(0)]])
        XCTAssertEqual(render(r, .table, shanghai), """
            birthday    tags        openedAt
            ----------  ----------  -------------------------
            1990-02-14  vip, north  1970-01-01T08:00:00+08:00
            (1 row)

            """)
    }

    // MARK: CSV

    func testCSVOutput() throws {
        let r = ResultSet(columns: ["id", "note", "tags", "amount", "birthday"], rows: [
            [.string("C1"), .string("说 \"你好\", then left\nbye"), .list(["vip", "老客户"]), .number(1200), .date(Day(year: 1990, month: 2, day: 14)!)],
            [.string("C2"), .null, .list([]), .null, .null],
        ])
        let out = render(r, .csv)
        // Records end in CRLF; the LF inside the quoted note is data and stays an LF.
        XCTAssertEqual(out, "id,note,tags,amount,birthday\r\n"
            + "C1,\"说 \"\"你好\"\", then left\nbye\",vip;老客户,1200,1990-02-14\r\n"
            + "C2,,,,\r\n")
        let back = try CSVReader.parse(out)
        XCTAssertEqual(back.map(\.line), [1, 2, 4])
        XCTAssertEqual(back[1].fields, ["C1", "说 \"你好\", then left\nbye", "vip;老客户", "1200", "1990-02-14"])
        XCTAssertEqual(back[2].fields, ["C2", "", "", "", ""])
        XCTAssertEqual(render(ResultSet(columns: ["a", "b"]), .csv), "a,b\r\n")
    }

    func testCSVSingleColumnNullSurvivesRoundTrip() throws {
        let out = render(ResultSet(columns: ["city"], rows: [[.string("北京")], [.null], [.string("上海")]]), .csv)
        XCTAssertEqual(try CSVReader.parse(out).map(\.fields), [["city"], ["北京"], [""], ["上海"]])
    }

    // MARK: JSON

    func testJSONText() {
        XCTAssertEqual(JSONText.quoted("王芳"), "\"王芳\"")
        XCTAssertEqual(JSONText.quoted("a\"b\\c"), #""a\"b\\c""#)
        XCTAssertEqual(JSONText.quoted("l1\nl2\r\t\u{0}\u{1F}\u{7F}\u{8}\u{C}"), #""l1\nl2\r\t\u0000\u001f\u007f\b\f""#)
    }

    func testJSONArray() throws {
        let r = ResultSet(columns: ["id", "name", "spent", "n", "d", "at", "tags", "ok", "x"], rows: [
            [.string("C1"), .string("王芳"), .number(1200), .integer(-75), .date(Day(year: 2026, month: 11, day: 1)!),
             .instant(1_793_496_600), .list(["vip", "a\"b"]), .boolean(true), .null],
            [.string("C2"), .string("Tab\there"), .number(0.1), .null, .null, .null, .list([]), .boolean(false), .number(.nan)],
        ])
        let out = render(r, .json, shanghai)
        XCTAssertEqual(out, #"""
            [
            {"id":"C1","name":"王芳","spent":1200,"n":-75,"d":"2026-11-01","at":"2026-11-01T09:30:00+08:00","tags":["vip","a\"b"],"ok":true,"x":null}
            {"id":"C2","name":"Tab\there","spent":0.1,"n":null,"d":null,"at":null,"tags":null,"ok":false,"x":null}
            ]

            """#.replacingOccurrences(of: "}\n{", with: "},\n{"))
        let parsed = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]
        XCTAssertEqual(parsed?.count, 2)
        XCTAssertEqual(parsed?[0]["name"] as? String, "王芳")
        XCTAssertEqual(parsed?[1]["name"] as? String, "Tab\there")
        XCTAssertEqual(parsed?[0]["tags"] as? [String], ["vip", "a\"b"])
        XCTAssertTrue(parsed?[0]["x"] is NSNull)
        XCTAssertEqual(render(ResultSet(columns: ["id"]), .json), "[]\n")
    }

    func testJSONLines() throws {
        let r = ResultSet(columns: ["id", "note"], rows: [[.string("C1"), .string("a\nb\u{1}")], [.string("C2"), .null]])
        let out = render(r, .jsonl)
        XCTAssertEqual(out, #"""
            {"id":"C1","note":"a\nb\u0001"}
            {"id":"C2","note":null}

            """#)
        for line in out.split(separator: "\n") {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            XCTAssertNotNil(o)
        }
        XCTAssertEqual(render(ResultSet(columns: ["id"]), .jsonl), "")
    }
}
