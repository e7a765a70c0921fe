import XCTest
@testable import RapportCore

/// A date prints as `YYYY-MM-DD` (written in place for years 0 to 9999; the language's dates are years 1 to 9999): every day of
/// those years reads back as itself, and the text is the one made from its parts.
final class DayTextTests: XCTestCase {
    func testEveryDayOfFourDigitYearsPrintsAndReadsBack() {
        let first = Day(year: 1, month: 1, day: 1)!.daysSinceEpoch
        let last = Day(year: 9999, month: 12, day: 31)!.daysSinceEpoch
        var wrong = 0
        for n in stride(from: first, through: last, by: 1) {
            let day = Day(daysSinceEpoch: n)
            let (y, m, d) = day.parts
            let expected = String(repeating: "0", count: 4 - String(y).count) + String(y)
                + (m < 10 ? "-0" : "-") + String(m) + (d < 10 ? "-0" : "-") + String(d)
            if day.description != expected || Day(iso: day.description) != day { wrong += 1 }
        }
        XCTAssertEqual(wrong, 0)
        XCTAssertEqual(Day(year: 2026, month: 2, day: 9)!.description, "2026-02-09")
        XCTAssertEqual(Day(daysSinceEpoch: last + 1).description, "10000-01-01")
    }
}
