import XCTest
@testable import RapportCore

/// Each measure of `report kpi` at its edges, over hand-built columns.
final class KPIReportTests: XCTestCase {
    func d(_ iso: String) -> Int32 { Day(iso: iso)!.daysSinceEpoch }
    func range(_ a: String, _ b: String) -> DayRange { DayRange(first: d(a), last: d(b)) }
    let never = NullSentinel.date

    func measure(_ c: KPIColumns, _ r: [DayRange], grouped: Bool = false, lost: Int32 = 365, today: String = "2026-12-31") -> [KPIRow] {
        KPIReport.measure(c, ranges: r, grouped: grouped, lostAfter: lost, today: d(today))
    }

    func testEmptyStoreGivesZeroCountsAndNoRates() {
        let row = measure(KPIColumns(), [range("2026-01-01", "2026-01-31")])[0]
        XCTAssertEqual(row.newCustomers, 0)
        XCTAssertEqual(row.ticketsOpened, 0)
        XCTAssertNil(row.churnRate, "no one active: no rate, not 0%")
        XCTAssertNil(row.repeatRate)
        XCTAssertNil(row.avgSatisfaction)
        XCTAssertNil(row.targetsMet, "no ticket met or breached: no rate, not 0%")
    }

    func testTargetsMetCountsMetAmongMetAndBreachedOfTheTicketsOpened() {
        var c = KPIColumns(ticketOwner: [0, 0, 0, 0, 0], ticketOpenedDay: [d("2026-01-01"), d("2026-01-02"), d("2026-01-03"), d("2026-01-04"), d("2026-02-01")])
        c.ticketSLA = [1, 2, 0, 1, 2]  // met, breached, due, met; the last opened after the period
        let row = measure(c, [range("2026-01-01", "2026-01-31")])[0]
        XCTAssertEqual(row.ticketsOpened, 4)
        XCTAssertEqual(row.targetsMet, 66.7, "2 met of 3 met or breached; the due one is not counted")
        let months = measure(c, [range("2026-01-01", "2026-01-31"), range("2026-02-01", "2026-02-28")])
        XCTAssertEqual(months.map(\.targetsMet), [66.7, 0], "each period counts its own tickets")
    }

    func testPeriodBoundariesAreInclusive() {
        // Created the day before, the first day, the last day (29 Feb), the day after.
        let c = KPIColumns(customerCreated: [d("2024-01-31"), d("2024-02-01"), d("2024-02-29"), d("2024-03-01"), never],
                           customerSatisfaction: [.nan, .nan, .nan, .nan, .nan],
                           ticketOwner: [0, 1, -1], ticketOpenedDay: [d("2024-02-01"), d("2024-02-29"), d("2024-03-01")])
        let row = measure(c, [range("2024-02-01", "2024-02-29")])[0]
        XCTAssertEqual(row.newCustomers, 2)
        XCTAssertEqual(row.ticketsOpened, 2)
    }

    func testLostCustomersLapseWhenStageLostPassesWithoutAPurchase() {
        // 0: bought 2025-01-10 only: lapses 2026-01-10. 1: bought again within a year: no lapse then.
        // 2: lapses 2026-02-01, just after the period. 3: no purchase: never lost.
        let c = KPIColumns(customerCreated: [never, never, never, never], customerSatisfaction: [4, .nan, 2, 5],
                           purchaseOwner: [0, 1, 1, 2], purchaseDay: [d("2025-01-10"), d("2025-01-10"), d("2025-06-01"), d("2025-02-01")])
        let row = measure(c, [range("2026-01-01", "2026-01-31")], lost: 365)[0]
        XCTAssertEqual(row.lostCustomers, 1)
        // Active on 2026-01-01 (a purchase in the 365 days before): 0, 1 and 2.
        XCTAssertEqual(row.activeAtStart, 3)
        XCTAssertEqual(row.churnRate, 33.3)
    }

    func testALapseStillToComeIsNotCounted() {
        let c = KPIColumns(customerCreated: [never], customerSatisfaction: [.nan], purchaseOwner: [0], purchaseDay: [d("2026-01-10")])
        let row = measure(c, [range("2026-01-01", "2026-01-31")], lost: 5, today: "2026-01-12")[0]
        XCTAssertEqual(row.lostCustomers, 0, "2026-01-15 has not come yet")
    }

    func testRepeatRateAndSatisfactionAreThoseOfThePeriodsBuyers() {
        // 0 buys twice in the period, 1 once, 2 twice but one purchase falls outside.
        let c = KPIColumns(customerCreated: [never, never, never], customerSatisfaction: [5, 2, .nan],
                           purchaseOwner: [0, 0, 1, 2, 2],
                           purchaseDay: [d("2026-03-01"), d("2026-03-31"), d("2026-03-15"), d("2026-03-02"), d("2026-04-01")])
        let row = measure(c, [range("2026-03-01", "2026-03-31")])[0]
        XCTAssertEqual(row.buyers, 3)
        XCTAssertEqual(row.repeatBuyers, 1)
        XCTAssertEqual(row.repeatRate, 33.3)
        XCTAssertEqual(row.avgSatisfaction, 3.5, "the unrated buyer is left out")
    }

    func testPeriodsSplitTheRangeAndEachRowCountsItsOwnDays() {
        let buckets = KPIReport.buckets(range("2024-01-15", "2024-03-10"), by: .month)
        XCTAssertEqual(buckets.map(\.label), ["2024-01", "2024-02", "2024-03"])
        XCTAssertEqual(buckets[0].days, range("2024-01-15", "2024-01-31"))
        XCTAssertEqual(buckets[1].days, range("2024-02-01", "2024-02-29"))
        XCTAssertEqual(buckets[2].days, range("2024-03-01", "2024-03-10"))
        let c = KPIColumns(customerCreated: [d("2024-01-14"), d("2024-01-15"), d("2024-02-29"), d("2024-03-10")],
                           customerSatisfaction: [.nan, .nan, .nan, .nan])
        XCTAssertEqual(measure(c, buckets.map(\.days)).map(\.newCustomers), [1, 1, 1])
    }

    func testGroupsByCustomerField() {
        let c = KPIColumns(customerCreated: [d("2026-01-02"), d("2026-01-03"), d("2025-01-01")], customerSatisfaction: [.nan, .nan, .nan],
                           customerGroup: [0, 1, 0], groupLabels: [.string("gold"), .null],
                           ticketOwner: [2, 2, 1], ticketOpenedDay: [d("2026-01-05"), d("2026-01-06"), d("2026-01-07")])
        let rows = measure(c, [range("2026-01-01", "2026-01-31")], grouped: true)
        XCTAssertEqual(rows.map(\.newCustomers), [1, 1])
        XCTAssertEqual(rows.map(\.ticketsOpened), [2, 1])
    }

    func testPercentHasOneDecimalAndNoDivisionByZero() {
        XCTAssertEqual(KPIReport.percent(1, of: 8), 12.5)
        XCTAssertEqual(KPIReport.percent(2, of: 3), 66.7)
        XCTAssertNil(KPIReport.percent(0, of: 0))
    }

    func testRequestErrors() {
        let schema = EntitySchema(entity: .customers)
        let clock = Clock(now: 1_780_000_000, timeZone: TimeZone(identifier: "UTC")!)
        func request(_ text: String) throws -> KPIRequest {
            guard case .report(let q) = try Parser.parse(text) else { throw XCTSkip("not a report") }
            return try KPIRequest(q, schema: schema, clock: clock)
        }
        XCTAssertEqual(try request("report kpi").range.last, clock.today.daysSinceEpoch)
        XCTAssertEqual(try request("report kpi").range.first, clock.today.daysSinceEpoch - 29)
        XCTAssertEqual(try request("report kpi from 2024-02-29 to 2024-02-29 by Quarter").split, .period(.quarter))
        XCTAssertEqual(try request("report kpi by TIER").split, .customerField("tier"))
        for (text, id) in [("report kpi from 2026-02-01 to 2026-01-01", DiagnosticID.reportPeriodReversed),
                           ("report kpi from soon to 2026-01-01", .reportNeedsDate),
                           ("report kpi by totalSpent", .reportGroupNeedsText),
                           ("report kpi by weekday", .unknownField)] {
            XCTAssertThrowsError(try request(text), text) { XCTAssertEqual(($0 as? Diagnostic)?.id, id, text) }
        }
        XCTAssertThrowsError(try request("report kpi by montth")) { XCTAssertEqual(($0 as? Diagnostic)?.suggestion, "month") }
    }
}

final class ChartTests: XCTestCase {
    func testSparklineScalesBetweenLeastAndGreatest() {
        XCTAssertEqual(Sparkline.draw([0, 7, 3.5, nil]), "▁█▅ ")
        XCTAssertEqual(Sparkline.draw([4, 4, 4]), "▄▄▄", "flat: the middle, no rise")
        XCTAssertEqual(Sparkline.draw([9]), "▄")
        XCTAssertEqual(Sparkline.draw([nil]), " ")
    }

    func testBarsScaleToTheWidthAndLabelsAlignByDisplayWidth() {
        let text = BarChart.render(labels: ["上海", "Xi'an", "a"], values: [10, 5, 0], valueTexts: ["10", "5", "0"], width: 30, colour: false)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // label 5 cells + 2 + bar + 1 + value 2 cells = 30: the bar has 20 columns.
        XCTAssertEqual(lines[0], "上海 " + "  " + String(repeating: "█", count: 20) + " 10")
        XCTAssertEqual(lines[1], "Xi'an  " + String(repeating: "█", count: 10) + String(repeating: " ", count: 11) + " 5")
        XCTAssertEqual(lines[2], "a      " + String(repeating: " ", count: 21) + " 0")
        XCTAssertEqual(lines[3], "       0" + String(repeating: " ", count: 17) + "10")
        XCTAssertTrue(lines.allSatisfy { DisplayWidth.of($0) <= 30 })
    }

    func testFractionsDrawEighthsAndNegativesDrawNothing() {
        XCTAssertEqual(BarChart.drawBar(2.5), "██▌")
        XCTAssertEqual(BarChart.drawBar(0.125), "▏")
        XCTAssertEqual(BarChart.drawBar(-3), "")
        let text = BarChart.render(labels: ["x"], values: [-4], valueTexts: ["-4"], width: 20, colour: false)
        XCTAssertFalse(text.contains("█"))
        XCTAssertTrue(text.hasPrefix("x  "))
    }

    func testChartFormatDrawsGroupedResultsAndPrintsOthersAsTables() {
        var renderer = ResultRenderer(format: .chart, timeZone: TimeZone(identifier: "UTC")!)
        renderer.width = 40
        var grouped = ResultSet(columns: ["tier", "count"], rows: [[.string("gold"), .integer(3)], [.null, .integer(1)]])
        let table = ResultRenderer(format: .table, timeZone: TimeZone(identifier: "UTC")!).render(grouped)
        XCTAssertEqual(renderer.render(grouped), table, "not marked grouped: as the table")
        grouped.isGrouped = true
        let chart = renderer.render(grouped)
        XCTAssertTrue(chart.hasPrefix("count by tier\ngold  "), chart)
        XCTAssertTrue(chart.contains("███"), chart)
        XCTAssertFalse(chart.contains("\u{1B}"), "no colour when colour is off")
        renderer.colour = true
        XCTAssertTrue(renderer.render(grouped).contains("\u{1B}["))
    }

    func testPercentColumnsPrintWithOneDecimalInTablesOnly() {
        var result = ResultSet(columns: ["churnRate"], rows: [[.number(12)], [.null]])
        result.percentColumns = [0]
        let utc = TimeZone(identifier: "UTC")!
        XCTAssertTrue(ResultRenderer(format: .table, timeZone: utc).render(result).contains("12.0%"))
        XCTAssertTrue(ResultRenderer(format: .csv, timeZone: utc).render(result).hasPrefix("churnRate\r\n12\r\n"))
    }
}
