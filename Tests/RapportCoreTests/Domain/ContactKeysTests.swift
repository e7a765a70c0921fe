import XCTest
@testable import RapportCore

final class ContactKeysTests: XCTestCase {
    func testOneMobileNumberWrittenEveryWayGivesOneKey() {
        let spellings = ["13800138000", "138 0013 8000", "+86 138-0013-8000", "0086 13800138000",
                         "(86) 13800138000", "8613800138000", " +8613800138000"]
        for s in spellings { XCTAssertEqual(ContactKeys.phone(s), "8613800138000", s) }
    }

    func testLandlineTrunkZeroAndForeignNumbers() {
        XCTAssertEqual(ContactKeys.phone("010 6552 9988"), "861065529988")
        XCTAssertEqual(ContactKeys.phone("+1 (415) 555-0100"), "14155550100")
        XCTAssertEqual(ContactKeys.phone("0044 20 7946 0958"), "442079460958")
        XCTAssertNotEqual(ContactKeys.phone("+1 415 555 0100"), ContactKeys.phone("415 555 0100"))
    }

    func testNoDigitsIsNoPhone() {
        XCTAssertNil(ContactKeys.phone("n/a"))
        XCTAssertNil(ContactKeys.phone(""))
    }

    func testEmailIsTrimmedAndCaseFolded() {
        XCTAssertEqual(ContactKeys.email(" Wang.Fang@Example.COM "), "wang.fang@example.com")
        XCTAssertEqual(ContactKeys.email("a+tag@x.cn"), "a+tag@x.cn")
        XCTAssertNil(ContactKeys.email("  "))
    }
}
