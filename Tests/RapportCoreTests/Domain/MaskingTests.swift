import XCTest
@testable import RapportCore

final class MaskingTests: XCTestCase {
    func testAPhoneKeepsItsFirstThreeAndLastFourDigits() {
        XCTAssertEqual(Masking.phone("13812345678"), "138****5678")
        XCTAssertEqual(Masking.phone("138-1234-5678"), "138****5678", "separators go, so their places tell nothing")
        XCTAssertEqual(Masking.phone("+8613812345678"), "+861******5678")
        XCTAssertEqual(Masking.phone("12345678"), "123*5678")
    }

    func testAShortNumberKeepsOnlyItsLastTwoDigits() {
        XCTAssertEqual(Masking.phone("1234567"), "*****67")
        XCTAssertEqual(Masking.phone("110"), "*10")
        XCTAssertEqual(Masking.phone("12"), "12")
        XCTAssertEqual(Masking.phone("no digits"), "****")
    }

    func testAnEmailKeepsTheFirstLetterAndTheDomain() {
        XCTAssertEqual(Masking.email("wang.fang@example.com"), "w***@example.com")
        XCTAssertEqual(Masking.email("@example.com"), "***@example.com")
        XCTAssertEqual(Masking.email("not an address"), "***")
        XCTAssertEqual(Masking.contact("li@example.cn"), "l***@example.cn", "a message's to holds either")
        XCTAssertEqual(Masking.contact("13900001111"), "139****1111")
    }

    func testAResultMasksContactColumnsInAnyCaseAndLeavesTheRest() {
        let result = ResultSet(columns: ["id", "Phone", "email", "city", "count"],
                               rows: [[.string("C1"), .string("13812345678"), .string("a@b.com"), .string("上海"), .integer(12345678)],
                                      [.string("C2"), .null, .null, .string("13812345678"), .integer(1)]])
        let masked = Masking.result(result)
        XCTAssertEqual(masked.rows[0], [.string("C1"), .string("138****5678"), .string("a***@b.com"), .string("上海"), .integer(12345678)])
        XCTAssertEqual(masked.rows[1], result.rows[1], "nulls stay; a phone-like city is not a contact column")
        XCTAssertEqual(masked.columns, result.columns)
    }

    func testAuditRowsMaskBeforeAndAfterOfContactFieldsOnly() {
        let audit = ResultSet(columns: ["seq", "field", "before", "after"],
                              rows: [[.integer(1), .string("phone"), .string("13812345678"), .string("13900001111")],
                                     [.integer(2), .string("email"), .null, .string("wang@example.com")],
                                     [.integer(3), .string("city"), .string("13812345678"), .string("北京")]])
        let masked = Masking.result(audit)
        XCTAssertEqual(masked.rows[0], [.integer(1), .string("phone"), .string("138****5678"), .string("139****1111")])
        XCTAssertEqual(masked.rows[1], [.integer(2), .string("email"), .null, .string("w***@example.com")])
        XCTAssertEqual(masked.rows[2], audit.rows[2])
    }

    func testTextMasksEmailsAndLongDigitRunsOnly() {
        XCTAssertEqual(Masking.text("no customer with email wang.fang@example.com or phone 138 1234 5678"),
                       "no customer with email w***@example.com or phone 138****5678")
        XCTAssertEqual(Masking.text("C000123 has 12 points, limit 500"), "C000123 has 12 points, limit 500")
        XCTAssertEqual(Masking.text("a @ sign alone"), "a @ sign alone")
    }

    func testARecordMasksItsContactFields() {
        XCTAssertEqual(Masking.record(["phone": .string("13812345678"), "name": .string("王芳")]),
                       ["phone": .string("138****5678"), "name": .string("王芳")])
    }
}
