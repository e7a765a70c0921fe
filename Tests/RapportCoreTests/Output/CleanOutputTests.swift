import Foundation
import XCTest
@testable import RapportCore

/// Every output path follows the same writer rules: terminal text without control
/// characters, CSV in CRLF records, one JSON key per column, `show customer` in every format.
final class CleanOutputTests: XCTestCase {
    let clock = QueryFixtures.clock
    let hostile = "Evil\u{1B}[2J\u{07}Name\u{9B}31m\r\nnext"

    func session(format: OutputFormat = .table) -> Session {
        let store = QueryFixtures.store()
        store.customers.append(QueryFixtures.customer("C9", ["name": .string(hostile), "city": .string("a\u{7F}b"),
                                                              "tags": .list(["x;y", "z\u{1B}"])]))
        var settings = Settings(user: "test")
        settings.format = format
        return Session(database: .inMemory(store), settings: settings, clock: clock, pinnedNow: clock.now)
    }

    func assertNoControlBytes(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let bad = text.unicodeScalars.filter { $0 != "\n" && TerminalText.isControl($0) }
        XCTAssertTrue(bad.isEmpty, "control characters \(bad.map(\.value)) in \(text.debugDescription)", file: file, line: line)
    }

    func testTerminalTextReplacesEveryControlCharacter() {
        XCTAssertEqual(TerminalText.clean(hostile), "Evil [2J Name 31m next")
        XCTAssertEqual(TerminalText.clean("tab\there\u{0}"), "tab here ")
        XCTAssertEqual(TerminalText.clean("王芳 ©°"), "王芳 ©°")
    }

    func testCardShowsNoRawControlCharacters() {
        let out = session().run("show customer C9")
        XCTAssertEqual(out.status, .success, out.messages)
        assertNoControlBytes(out.output)
        XCTAssertTrue(out.output.hasPrefix("Evil [2J Name 31m next  (C9)\n"), out.output)
        XCTAssertTrue(out.output.contains("a b"), out.output)
    }

    func testTableAndErrorsShareTheRule() {
        let s = session()
        let table = s.run("find customers where id = C9 show name, city, tags")
        assertNoControlBytes(table.output)
        XCTAssertTrue(table.output.contains("Evil [2J Name 31m next"), table.output)
        // An error echoing typed text: `\t` in a string is a real tab.
        let error = s.run("show customer \"C\\t9\"")
        XCTAssertEqual(error.status, .runtimeError)
        XCTAssertTrue(error.messages.contains("no customer with id 'C 9'"), error.messages)
        assertNoControlBytes(error.messages)
    }

    func testShowCustomerHonoursFormat() throws {
        let json = session(format: .json).run("show customer C9")
        XCTAssertEqual(json.status, .success, json.messages)
        let array = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
        XCTAssertEqual(array.count, 1)
        XCTAssertEqual(array[0]["name"] as? String, hostile, "JSON escapes control characters, it does not drop them")
        XCTAssertEqual(array[0]["tags"] as? [String], ["x;y", "z\u{1B}"])
        // The stored fields, the derived points balance, and the five lists.
        XCTAssertEqual(array[0].count, EntitySchema(entity: .customers).fields.count + 1 + 5)
        XCTAssertEqual(array[0]["points"] as? Int, 0)
        XCTAssertEqual((array[0]["latestContacts"] as? [Any])?.count, 0)
        XCTAssertTrue(json.output.contains("\\u001b"), json.output)

        let jsonl = session(format: .jsonl).run("show customer C9")
        XCTAssertEqual(jsonl.output.filter { $0 == "\n" }.count, 1)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(jsonl.output.utf8)) as? [String: Any])
        XCTAssertEqual(object["id"] as? String, "C9")

        let csv = session(format: .csv).run("show customer C9")
        let records = try CSVReader.parse(csv.output)
        XCTAssertEqual(records.count, 2)
        XCTAssertEqual(records[0].fields.first, "id")
        XCTAssertEqual(records[1].fields[records[0].fields.firstIndex(of: "name")!], hostile)
        XCTAssertEqual(ListCell.split(records[1].fields[records[0].fields.firstIndex(of: "tags")!]), ["x;y", "z\u{1B}"])
        XCTAssertTrue(csv.output.hasSuffix("\r\n"))
    }

    func testRelatedRecordsInJSONCard() throws {
        let store = Store()
        DemoGenerator(size: 20, today: clock.today).generate { entity, record in _ = store[entity].append(record) }
        var settings = Settings(user: "test")
        settings.format = .json
        let s = Session(database: .inMemory(store), settings: settings, clock: clock, pinnedNow: clock.now)
        let contacts = s.run("count contacts where customer = C000001")
        let count = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(contacts.output.utf8)) as? [[String: Any]])?.first?["count"] as? Int)
        let out = s.run("show customer C000001")
        let card = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(out.output.utf8)) as? [[String: Any]])?.first)
        let latest = try XCTUnwrap(card["latestContacts"] as? [[String: Any]])
        XCTAssertEqual(latest.count, min(count, 5))
        XCTAssertTrue(latest.allSatisfy { $0["customer"] as? String == "C000001" })
        let dates = latest.compactMap { $0["date"] as? String }
        XCTAssertEqual(dates, dates.sorted(by: >))
    }

    func testSameFieldTwiceIsOneColumnInEveryFormat() throws {
        for format in OutputFormat.allCases {
            let out = session(format: format).run("find customers where id = C1 show name, NAME, Name, city")
            XCTAssertEqual(out.status, .success, out.messages)
            XCTAssertEqual(out.output.components(separatedBy: "name").count - 1, 1, "\(format): \(out.output)")
        }
        let json = session(format: .json).run("find customers where id = C1 show name, NAME")
        XCTAssertEqual(json.output, "[\n{\"name\":\"王芳\"}\n]\n")
    }

    func testBacktickNames() throws {
        let tokens = try Lexer.tokenize("`First Name` `a``b` where")
        XCTAssertEqual(tokens.map(\.kind), [.quotedName("First Name"), .quotedName("a`b"), .word("where"), .end])
        XCTAssertEqual(tokens[0].span.length, 12)
        XCTAssertThrowsError(try Lexer.tokenize("show `open")) { XCTAssertTrue("\($0)".contains("unterminated field name"), "\($0)") }
        XCTAssertThrowsError(try Lexer.tokenize("show ``")) { XCTAssertTrue("\($0)".contains("empty field name"), "\($0)") }
        // A backtick-quoted name is a field even where it spells a keyword.
        guard case .find(let q) = try Parser.parse("find customers where `not` = 1 sort by `limit` show `where`") else { return XCTFail() }
        XCTAssertEqual(q.show?.map(\.name), ["where"])
        XCTAssertEqual(q.sort.map(\.expression.name), ["limit"])
        // On the value side too a backtick-quoted name is a field, never text.
        guard case .find(let named) = try Parser.parse("find customers where tier = `gold`"),
              case .compareExpressions(_, _, .field(let gold))? = named.condition else { return XCTFail() }
        XCTAssertEqual(gold.name, "gold")
        let checker = Checker(schema: EntitySchema(entity: .customers), clock: QueryFixtures.clock)
        XCTAssertThrowsError(try checker.check(named)) { XCTAssertTrue("\($0)".contains("unknown field 'gold'"), "\($0)") }
    }

    func testHeadersThatAreNotIdentifiersBecomeFields() throws {
        let store = QueryFixtures.store()
        let importer = Importer(store: store, clock: clock)
        let csv = "id, First Name ,電話,e-mail\r\nN1,Bob,123,b@x\r\nN2,Ann,,a@x\r\n"
        let result = try importer.read(bytes: Array(csv.utf8), format: .csv, into: .customers)
        XCTAssertEqual(result.fieldAdditions.map(\.field.name), ["First Name", "電話", "e-mail"])
        XCTAssertEqual(result.changes.first?.after["First Name"], .string("Bob"))
        XCTAssertThrowsError(try importer.read(bytes: Array("id,First Name,first name\nN1,a,b\n".utf8), format: .csv, into: .customers)) {
            XCTAssertTrue("\(($0 as? Importer.ImportFailure)?.message ?? "")".contains("appears twice"), "\($0)")
        }
        XCTAssertThrowsError(try importer.read(bytes: Array("{\"bad\\u0007key\":1}\n".utf8), format: .jsonl, into: .customers)) {
            XCTAssertTrue("\(($0 as? Importer.ImportFailure)?.message ?? "")".contains("not a usable field name"), "\($0)")
        }
    }

    func testCSVListCellsReadBackAsTheSameList() throws {
        let out = ResultRenderer(format: .csv, timeZone: clock.timeZone)
            .render(ResultSet(columns: ["id", "tags"], rows: [[.string("N1"), .list(["a;b", "c\\d", " e"])]]))
        XCTAssertEqual(out, "id,tags\r\nN1,a\\;b;c\\\\d;\\ e\r\n")
        let importer = Importer(store: Store(), clock: clock)
        let result = try importer.read(bytes: Array(out.utf8), format: .csv, into: .customers)
        XCTAssertEqual(result.changes.first?.after["tags"], .list(["a;b", "c\\d", " e"]))
    }
}
