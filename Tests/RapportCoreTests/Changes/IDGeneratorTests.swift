import XCTest
@testable import RapportCore

/// Generated ids: the entity's prefix and the number zero-padded to the entity's width,
/// written byte by byte (an import makes one per opening balance): the same text as the
/// padding and joining of strings made.
final class IDGeneratorTests: XCTestCase {
    /// The ids as they were made before, by strings.
    private func byStrings(_ entity: Entity, _ number: Int) -> String {
        var digits = String(number)
        let width = IDGenerator.width(entity)
        if digits.count < width { digits = String(repeating: "0", count: width - digits.count) + digits }
        return entity.idPrefix + digits
    }

    func testIDsArePrefixAndPaddedNumberForEveryEntity() {
        let numbers = [0, 1, 9, 10, 99, 100, 12_345, 99_999, 999_999, 1_000_000, 9_999_999, 10_000_000,
                       123_456_789_012, Int.max, -1, -42, Int.min]
        for entity in Entity.allCases {
            for number in numbers {
                XCTAssertEqual(IDGenerator.id(entity, number: number), byStrings(entity, number), "\(entity) \(number)")
            }
        }
        XCTAssertEqual(IDGenerator.id(.customers, number: 42), "C000042")
        XCTAssertEqual(IDGenerator.id(.points, number: 1_000_001), "L1000001")
        XCTAssertEqual(IDGenerator.id(.customers, number: 1_234_567), "C1234567")
    }

    func testIDsOfAMillionNumbersMatchTheStringsAndCompareAsStrings() {
        // Every id compares, hashes and orders like the one made by strings: a
        // generated id is found again by the store's id map and sorted with the rest.
        for number in stride(from: 0, through: 2_000_000, by: 7919) {
            let id = IDGenerator.id(.customers, number: number)
            let expected = byStrings(.customers, number)
            XCTAssertEqual(id, expected)
            XCTAssertEqual(id.hashValue, expected.hashValue)
            XCTAssertEqual(id.utf8.count, expected.utf8.count)
        }
    }
}
