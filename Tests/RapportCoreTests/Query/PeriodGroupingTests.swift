import Foundation
import XCTest
@testable import RapportCore

/// `by month(F)`, `quarter`, `year`, `week` (ISO) and `weekday`: the calendar maths
/// against Foundation's ISO 8601 calendar, the zone of instants, order, nulls and errors.
final class PeriodGroupingTests: XCTestCase {
    private func label(_ period: Period, _ iso: String) -> String {
        period.label(ofKey: period.key(ofDay: Day(iso: iso)!.daysSinceEpoch))
    }

    func testISOWeekAtYearBoundaries() {
        XCTAssertEqual(label(.week, "2020-12-31"), "2020-W53")
        XCTAssertEqual(label(.week, "2021-01-01"), "2020-W53")
        XCTAssertEqual(label(.week, "2021-01-04"), "2021-W01")
        XCTAssertEqual(label(.week, "2024-12-29"), "2024-W52")
        XCTAssertEqual(label(.week, "2024-12-30"), "2025-W01")
        XCTAssertEqual(label(.week, "2026-12-31"), "2026-W53")
        XCTAssertEqual(label(.week, "2027-01-01"), "2026-W53")
        XCTAssertEqual(label(.week, "2027-01-04"), "2027-W01")
        XCTAssertEqual(label(.week, "2026-11-29"), "2026-W48")
    }

    func testLabels() {
        XCTAssertEqual(label(.month, "2026-11-29"), "2026-11")
        XCTAssertEqual(label(.month, "2026-01-01"), "2026-01")
        XCTAssertEqual(label(.quarter, "2026-11-29"), "2026-Q4")
        XCTAssertEqual(label(.quarter, "2026-03-31"), "2026-Q1")
        XCTAssertEqual(label(.quarter, "2026-04-01"), "2026-Q2")
        XCTAssertEqual(label(.year, "0042-06-01"), "0042")
        XCTAssertEqual(label(.month, "0001-01-01"), "0001-01")
        XCTAssertEqual(label(.weekday, "2026-11-29"), "Sun")
        XCTAssertEqual(label(.weekday, "2026-11-30"), "Mon")
        XCTAssertEqual(label(.weekday, "1969-12-29"), "Mon")
    }

    /// Every day of 1895..2105 (before the epoch, across 2000 and 2100) agrees with Foundation.
    func testEveryDayAgreesWithFoundationsISOCalendar() {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        for days in Int32(Day(iso: "1895-01-01")!.daysSinceEpoch)...Day(iso: "2105-12-31")!.daysSinceEpoch {
            let date = Date(timeIntervalSince1970: TimeInterval(days) * 86400)
            let c = calendar.dateComponents([.year, .month, .weekOfYear, .yearForWeekOfYear, .weekday], from: date)
            let d = Day(daysSinceEpoch: days)
            func pad(_ n: Int, _ width: Int) -> String { String(repeating: "0", count: width - String(n).count) + String(n) }
            let expected: [Period: String] = [
                .month: "\(c.year!)-\(pad(c.month!, 2))",
                .quarter: "\(c.year!)-Q\((c.month! - 1) / 3 + 1)",
                .year: "\(c.year!)",
                .week: "\(c.yearForWeekOfYear!)-W\(pad(c.weekOfYear!, 2))",
                .weekday: names[c.weekday! - 1],
            ]
            for (period, text) in expected where label(period, d.description) != text {
                XCTFail("\(d): \(period) is \(label(period, d.description)), Foundation says \(text)")
                return
            }
        }
    }

    /// The per-UTC-day offset cache gives the same local day as asking the zone for each
    /// instant, also around transitions (half-hour DST, 45-minute offsets, a skipped day).
    func testLocalDaysMatchTheClockAcrossTransitions() {
        let start = Clock.parseInstant("2011-01-01", timeZone: TimeZone(identifier: "UTC")!)!
        for zone in ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Apia"] {
            let clock = Clock(now: 0, timeZone: TimeZone(identifier: zone)!)
            var localDays = LocalDays(clock: clock)
            // Every 7 minutes and 13 seconds over a little more than two years.
            var t = start
            while t < start + 800 * 86400 {
                if localDays.day(of: t) != clock.day(of: t).daysSinceEpoch {
                    XCTFail("\(zone) at \(t): \(localDays.day(of: t)) != \(clock.day(of: t))")
                    break
                }
                t += 433
            }
        }
    }

    // MARK: Through the parser, checker and executor

    private func tickets(_ openedAt: [String?]) -> Table {
        let table = Table(entity: .tickets)
        let opened = table.schema.position(of: "openedAt")!
        for (i, text) in openedAt.enumerated() {
            var record = [Value](repeating: .null, count: table.schema.fields.count)
            record[0] = .string("T\(i + 1)")
            record[opened] = text.map { .instant(Clock.parseISO8601($0, defaultZone: TimeZone(identifier: "UTC")!)!) } ?? .null
            _ = table.append(record)
        }
        return table
    }

    private func run(_ text: String, on table: Table, zone: String = "UTC") throws -> ResultSet {
        guard case .aggregate(let q) = try Parser.parse(text) else { fatalError("not an aggregate: \(text)") }
        let clock = Clock(now: 0, timeZone: TimeZone(identifier: zone)!)
        let checked = try Checker(schema: table.schema, clock: clock).check(q)
        return QueryExecutor(table: table, clock: clock).aggregate(checked)
    }

    func testInstantsTakeThePeriodInTheStoresZone() throws {
        let table = tickets(["2026-11-30T23:30:00Z", "2026-11-30T12:00:00Z", nil, "2026-12-31T20:00:00Z"])
        let utc = try run("count tickets by month(openedAt)", on: table)
        XCTAssertEqual(utc.columns, ["month(openedAt)", "count"])
        XCTAssertEqual(utc.rows, [[.string("2026-11"), .integer(2)], [.string("2026-12"), .integer(1)], [.null, .integer(1)]])
        // In Shanghai (UTC+8) the first ticket opened on 1 December and the last in 2027.
        let shanghai = try run("count tickets by month(openedAt)", on: table, zone: "Asia/Shanghai")
        XCTAssertEqual(shanghai.rows, [[.string("2026-11"), .integer(1)], [.string("2026-12"), .integer(1)],
                                       [.string("2027-01"), .integer(1)], [.null, .integer(1)]])
        let years = try run("count tickets by YEAR(OPENEDAT)", on: table, zone: "Asia/Shanghai")
        XCTAssertEqual(years.columns, ["year(openedAt)", "count"])
        XCTAssertEqual(years.rows.map { $0[0] }, [.string("2026"), .string("2027"), .null])
    }

    func testGroupsAreChronologicalWeekdaysMondayFirstNullLast() throws {
        let store = QueryFixtures.store()
        let table = store.customers
        // lastContact: 2026-07-01 (Wed), 2026-11-20 (Fri), null, 2026-08-26 (Wed), 2025-01-01 (Wed).
        XCTAssertEqual(try run("count customers by month(lastContact)", on: table).rows,
                       [[.string("2025-01"), .integer(1)], [.string("2026-07"), .integer(1)], [.string("2026-08"), .integer(1)],
                        [.string("2026-11"), .integer(1)], [.null, .integer(1)]])
        XCTAssertEqual(try run("sum points of customers by year(lastContact)", on: table).rows,
                       [[.string("2025"), .integer(99999)], [.string("2026"), .integer(5210)], [.null, .integer(0)]])
        XCTAssertEqual(try run("count customers where tier != silver by quarter(lastContact)", on: table).rows,
                       [[.string("2025-Q1"), .integer(1)], [.string("2026-Q3"), .integer(1)], [.string("2026-Q4"), .integer(1)]])
        // birthday: 1992-02-29 (Sat), 1980-11-28 (Fri), 1990-12-25 (Tue), null, 2000-11-24 (Fri).
        let weekdays = try run("max name of customers by weekday(birthday)", on: table)
        XCTAssertEqual(weekdays.columns, ["weekday(birthday)", "max(name)"])
        XCTAssertEqual(weekdays.rows.map { $0[0] }, [.string("Tue"), .string("Fri"), .string("Sat"), .null])
        XCTAssertEqual(try run("count customers by week(birthday)", on: table).rows.map { $0[0] },
                       [.string("1980-W48"), .string("1990-W52"), .string("1992-W09"), .string("2000-W47"), .null])
    }

    func testRefusals() {
        let table = QueryFixtures.store().customers
        func refusal(_ text: String) -> Diagnostic? {
            do { _ = try run(text, on: table); return nil } catch { return error as? Diagnostic }
        }
        let notADate = refusal("count customers by month(tier)")
        XCTAssertEqual(notADate?.kind, .usage)
        XCTAssertEqual(notADate?.message, "month needs a date or instant field; 'tier' is a string")
        XCTAssertEqual(notADate?.span?.start.column, 26)
        let unknown = refusal("count customers by mnth(lastContact)")
        XCTAssertEqual(unknown?.kind, .usage)
        XCTAssertEqual(unknown?.span?.start.column, 20)
        XCTAssertEqual(unknown?.span?.length, 4)
        XCTAssertEqual(unknown?.suggestion, "month")
        XCTAssertEqual(refusal("count customers by weekdy(birthday)")?.suggestion, "weekday")
        XCTAssertEqual(refusal("count customers by fortnight(birthday)")?.kind, .usage)
        XCTAssertEqual(refusal("count customers by month(nosuchfield)")?.message, "unknown field 'nosuchfield'")
        let unfinished = refusal("count customers by month(")
        XCTAssertEqual(unfinished?.message, "expected a field name, found end of command")
        XCTAssertEqual(unfinished?.span?.start.column, 26)
        XCTAssertEqual(refusal("count customers by month(birthday")?.message, "expected ')', found end of command")
        XCTAssertEqual(refusal("count customers by month(birthday) limit 3")?.kind, .usage)
    }

    func testCompletionOffersPeriodsAfterByAndDateFieldsInside() {
        let store = QueryFixtures.store()
        store.customers.addField(Field("renewalDate", .date))
        let completer = Completer(backend: InMemoryBackend(store: store))
        func candidates(_ line: String) -> [String] { completer.complete(line).candidates }
        let afterBy = candidates("count customers by ")
        XCTAssertTrue(afterBy.contains("tier"))
        for period in ["month", "quarter", "year", "week", "weekday"] { XCTAssertTrue(afterBy.contains(period), period) }
        XCTAssertEqual(candidates("count customers by we"), ["week", "weekday"])
        XCTAssertEqual(candidates("count customers by mo"), ["month"])
        let inside = candidates("count customers by month(")
        XCTAssertTrue(inside.contains("lastContact"))
        XCTAssertTrue(inside.contains("renewalDate"), "custom date fields too")
        XCTAssertFalse(inside.contains("tier"), "only dates and instants")
        XCTAssertEqual(candidates("count tickets by WEEK(op"), ["openedAt"])
        XCTAssertEqual(candidates("sum points of customers group by quarter(lastC"), ["lastContact"])
        XCTAssertEqual(candidates("count customers by month(lastContact) "), [])
    }
}
