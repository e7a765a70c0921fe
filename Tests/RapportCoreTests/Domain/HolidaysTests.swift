import XCTest
@testable import RapportCore

/// The holidays a campaign may wait for, against published dates for 2020–2030: the
/// Hong Kong Observatory's Gregorian–lunar tables (the lunar festivals; HK's general
/// holiday lists for 2024 and 2025 name the same days) and the solar terms' published
/// times for 清明.
final class HolidaysTests: XCTestCase {
    func day(_ text: String) -> Day { Day(iso: text)! }

    /// Year by year from 2020 to 2030.
    static let published: [(Holiday, [String])] = [
        (.springFestival, ["2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22", "2024-02-10", "2025-01-29",
                           "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03"]),
        (.lanternFestival, ["2020-02-08", "2021-02-26", "2022-02-15", "2023-02-05", "2024-02-24", "2025-02-12",
                            "2026-03-03", "2027-02-20", "2028-02-09", "2029-02-27", "2030-02-17"]),
        (.qingming, ["2020-04-04", "2021-04-04", "2022-04-05", "2023-04-05", "2024-04-04", "2025-04-04",
                     "2026-04-05", "2027-04-05", "2028-04-04", "2029-04-04", "2030-04-05"]),
        (.dragonBoat, ["2020-06-25", "2021-06-14", "2022-06-03", "2023-06-22", "2024-06-10", "2025-05-31",
                       "2026-06-19", "2027-06-09", "2028-05-28", "2029-06-16", "2030-06-05"]),
        (.qixi, ["2020-08-25", "2021-08-14", "2022-08-04", "2023-08-22", "2024-08-10", "2025-08-29",
                 "2026-08-19", "2027-08-08", "2028-08-26", "2029-08-16", "2030-08-05"]),
        (.midAutumn, ["2020-10-01", "2021-09-21", "2022-09-10", "2023-09-29", "2024-09-17", "2025-10-06",
                      "2026-09-25", "2027-09-15", "2028-10-03", "2029-09-22", "2030-09-12"]),
        (.doubleNinth, ["2020-10-25", "2021-10-14", "2022-10-04", "2023-10-23", "2024-10-11", "2025-10-29",
                        "2026-10-18", "2027-10-08", "2028-10-26", "2029-10-16", "2030-10-05"]),
    ]

    func testEveryHolidayFallsOnItsPublishedDayFrom2020To2030() {
        for (holiday, dates) in HolidaysTests.published {
            for (i, expected) in dates.enumerated() {
                XCTAssertEqual(holiday.date(in: 2020 + i)?.description, expected, "\(holiday.name) \(2020 + i)")
            }
        }
        for year in 2020...2030 {
            XCTAssertEqual(Holiday.newYear.date(in: year), Day(year: year, month: 1, day: 1))
            XCTAssertEqual(Holiday.labourDay.date(in: year), Day(year: year, month: 5, day: 1))
            XCTAssertEqual(Holiday.nationalDay.date(in: year), Day(year: year, month: 10, day: 1))
            XCTAssertEqual(Holiday.christmas.date(in: year), Day(year: year, month: 12, day: 25))
        }
    }

    func testTheIssuesDatesByName() {
        XCTAssertEqual(Holidays.date(of: "春节", year: 2026), day("2026-02-17"))
        XCTAssertEqual(Holidays.date(of: "春节", year: 2027), day("2027-02-06"))
        XCTAssertEqual(Holidays.date(of: "中秋", year: 2026), day("2026-09-25"))
        XCTAssertNil(Holidays.date(of: "Easter", year: 2026))
    }

    /// 2023 had a leap second month, 2025 a leap sixth: the festivals after them fall a
    /// month later than the plain count of months would give, and a day of the leap month
    /// is never taken for the festival's.
    func testLeapMonthsArePassedOver() {
        XCTAssertEqual(Holidays.lunarParts(day("2023-03-22")).isLeapMonth, true, "闰二月 2023 begins on 03-22")
        XCTAssertEqual(Holidays.lunarParts(day("2025-07-25")).isLeapMonth, true, "闰六月 2025 begins on 07-25")
        XCTAssertEqual(Holidays.lunarDate(month: 2, day: 1, gregorianYear: 2023), day("2023-02-20"), "the ordinary 2nd month, not the leap one")
        XCTAssertEqual(Holidays.lunarDate(month: 3, day: 1, gregorianYear: 2023), day("2023-04-20"))
        XCTAssertEqual(Holidays.lunarDate(month: 6, day: 1, gregorianYear: 2025), day("2025-06-25"))
        XCTAssertEqual(Holidays.lunarDate(month: 7, day: 7, gregorianYear: 2025), day("2025-08-29"))
    }

    /// 清明 is computed from the sun, never a table: it stays on 4 or 5 April for two
    /// centuries, drifting earlier through each century as leap years do.
    func testQingmingIsASolarTermEveryYear() {
        for year in 1950...2150 {
            let date = Holiday.qingming.date(in: year)!.parts
            XCTAssertEqual(date.month, 4, "\(year)")
            XCTAssertTrue((3...6).contains(date.day), "\(year): \(date)")
        }
        XCTAssertEqual(Holiday.qingming.date(in: 2008), day("2008-04-04"))
        XCTAssertEqual(Holiday.qingming.date(in: 2016), day("2016-04-04"))
        XCTAssertEqual(Holiday.qingming.date(in: 2019), day("2019-04-05"))
        XCTAssertEqual(Holiday.qingming.date(in: 2032)?.description, "2032-04-04")
    }

    func testLunarHolidaysExistEveryYearAndStayInTheirSeason() {
        for year in 1901...2099 {
            for holiday in Holiday.allCases {
                XCTAssertNotNil(holiday.date(in: year), "\(holiday.name) \(year)")
            }
            let newYear = Holiday.springFestival.date(in: year)!
            XCTAssertTrue(newYear >= Day(year: year, month: 1, day: 21)! && newYear <= Day(year: year, month: 2, day: 20)!, "\(year)")
            XCTAssertEqual(Holiday.lanternFestival.date(in: year), newYear.adding(days: 14), "\(year)")
        }
    }

    func testNamesAliasesAndTheUnknown() throws {
        XCTAssertEqual(Holidays.names, ["元旦", "春节", "元宵", "清明", "劳动节", "端午", "七夕", "中秋", "重阳", "国庆", "圣诞"])
        for (name, holiday) in [("中秋节", Holiday.midAutumn), ("Mid-Autumn Festival", .midAutumn), ("mid autumn", .midAutumn),
                                ("Spring Festival", .springFestival), ("chinese new year", .springFestival), ("圣诞节", .christmas),
                                ("Christmas", .christmas), ("New Year's Day", .newYear), ("Labor Day", .labourDay),
                                ("劳动", .labourDay), ("Dragon Boat Festival", .dragonBoat), ("Tomb-Sweeping Day", .qingming)] {
            XCTAssertEqual(Holidays.holiday(named: name), holiday, name)
        }
        XCTAssertEqual(try Holidays.resolve("国庆节", at: nil), .nationalDay)
        let span = SourceSpan(start: SourceLocation(line: 2, column: 17), length: 4)
        XCTAssertThrowsError(try Holidays.resolve("Chrismas", at: span)) { error in
            let d = error as? Diagnostic
            XCTAssertEqual(d?.id, .unknownHoliday)
            XCTAssertEqual(d?.kind, .usage)
            XCTAssertEqual(d?.suggestion, "Christmas")
            XCTAssertEqual(d?.span, span)
            XCTAssertEqual(d?.message, "unknown holiday 'Chrismas'")
        }
        XCTAssertEqual((try? Holidays.resolve("中球", at: nil)) == nil, true)
        do { _ = try Holidays.resolve("中球", at: nil) } catch let d as Diagnostic { XCTAssertEqual(d.suggestion, "中秋") }
    }

    /// "From D days before the named holiday to the holiday itself", both ends included,
    /// across the year's end.
    func testWithinRunsFromDaysBeforeToTheHolidayAcrossTheYearsEnd() {
        XCTAssertTrue(Holidays.isWithin(day("2026-12-28"), .newYear, days: 7), "元旦 2027 is 4 days ahead")
        XCTAssertTrue(Holidays.isWithin(day("2026-12-25"), .newYear, days: 7), "exactly 7 days before")
        XCTAssertFalse(Holidays.isWithin(day("2026-12-24"), .newYear, days: 7))
        XCTAssertTrue(Holidays.isWithin(day("2027-01-01"), .newYear, days: 7), "the day itself")
        XCTAssertFalse(Holidays.isWithin(day("2027-01-02"), .newYear, days: 7), "the day after")
        XCTAssertTrue(Holidays.isWithin(day("2027-01-01"), .newYear, days: 0))
        XCTAssertTrue(Holidays.isWithin(day("2026-02-10"), "春节", days: 7))
        XCTAssertFalse(Holidays.isWithin(day("2026-02-09"), "Spring Festival", days: 7))
        XCTAssertTrue(Holidays.isWithin(day("2026-12-20"), "春节", days: 60), "春节 2027 on 02-06 is 48 days ahead")
        XCTAssertFalse(Holidays.isWithin(day("2026-12-20"), "no such day", days: 365))
        XCTAssertTrue(Holidays.isWithin(day("2026-01-02"), .newYear, days: 365), "a year-long window reaches the next one")
    }
}
