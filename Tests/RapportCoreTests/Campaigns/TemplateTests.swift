import XCTest
@testable import RapportCore

/// Templates: fields, formats, braces, and the errors that come before anything is sent.
final class TemplateTests: XCTestCase {
    func template(_ text: String) throws -> Template {
        try Template(Literal(kind: .string(text, quoted: true), span: SourceSpan(start: SourceLocation(line: 3, column: 8), length: text.count + 2), text: "\"\(text)\""))
    }

    func render(_ text: String, _ record: [String: Value]) throws -> String {
        let t = try template(text)
        let names = Dictionary(t.fields.map { ($0.name, $0.name) }, uniquingKeysWith: { first, _ in first })
        return t.render(record, names: names, formatter: ValueFormatter(timeZone: TimeZone(identifier: "UTC")!))
    }

    func testFieldsFormatsAndBraces() throws {
        let record: [String: Value] = ["name": .string("Anna Smith"), "points": .integer(1234567), "totalSpent": .number(-12345.5),
                                       "lastPurchase": .date(Day(year: 2026, month: 2, day: 3)!), "at": .instant(86_400 * 3 + 7200)]
        XCTAssertEqual(try render("Hi {name|first}, {points|number} / {points}", record), "Hi Anna, 1,234,567 / 1234567")
        XCTAssertEqual(try render("{totalSpent|number} {lastPurchase|date} {at|date}", record), "-12,345.5 2026-02-03 1970-01-04")
        XCTAssertEqual(try render("{{literal}} {missing}!", record), "{literal} !")
        XCTAssertEqual(try render("{ name }", ["name": .string("王芳")]), "王芳")
    }

    func testFirstKeepsAChineseNameWhole() {
        XCTAssertEqual(Template.givenName("王芳"), "王芳")
        XCTAssertEqual(Template.givenName(" Anna  Smith "), "Anna")
        XCTAssertEqual(Template.givenName("Madonna"), "Madonna")
        XCTAssertEqual(Template.grouped("999"), "999")
        XCTAssertEqual(Template.grouped("1000"), "1,000")
    }

    func testErrorsPointAtTheFieldInsideTheString() {
        XCTAssertThrowsError(try template("ab {name|frist}")) { error in
            let d = error as! Diagnostic
            XCTAssertEqual(d.id, .unknownTemplateFormat)
            XCTAssertEqual(d.suggestion, "first")
            XCTAssertEqual(d.span?.start.column, 8 + 1 + 9)
        }
        XCTAssertThrowsError(try template("ab {name")) { error in
            XCTAssertEqual((error as! Diagnostic).id, .templateBraceUnclosed)
            XCTAssertEqual((error as! Diagnostic).span?.start.column, 8 + 1 + 3)
        }
    }
}
