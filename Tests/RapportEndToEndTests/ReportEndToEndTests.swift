import Foundation
import XCTest
import RapportTestSupport

/// `report kpi` and `--format chart` through the real binary, checked against `count` queries.
final class ReportEndToEndTests: XCTestCase {
    /// On a 2,000-customer demo store saved once and opened read-only (SharedDemoStore): reports only read.
    func rapport(_ args: [String], environment: [String: String] = [:]) -> (status: Int32, stdout: String, stderr: String) {
        let r = RapportRunner.run(SharedDemoStore.arguments(size: 2000, now: "2026-11-24") + args, environment: environment)
        return (r.status, r.stdout, r.stderr)
    }

    func count(_ query: String) -> String {
        rapport(["--format", "csv", "-c", query]).stdout.components(separatedBy: .newlines).filter { !$0.isEmpty }.last ?? ""
    }

    func testNewCustomersAndTicketsAgreeWithCountQueries() {
        let r = rapport(["--format", "csv", "-c", "report kpi from 2026-01-01 to 2026-06-30"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.components(separatedBy: .newlines).filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 2, r.stdout)
        guard lines.count == 2 else { return }
        let cells = lines[1].components(separatedBy: ",")
        XCTAssertEqual(cells.count, 9)
        guard cells.count == 9 else { return }
        XCTAssertEqual(cells[0], "2026-01-01")
        XCTAssertEqual(cells[2], count("count customers where createdAt between 2026-01-01 and 2026-06-30"))
        XCTAssertEqual(cells[7], count("count tickets where openedAt >= 2026-01-01 and openedAt < 2026-07-01"))
        // targetsMet: the tickets opened in the period whose sla is met, among met and breached.
        let opened = "openedAt >= 2026-01-01 and openedAt < 2026-07-01"
        let met = Double(count("count tickets where \(opened) and sla = met")) ?? -1
        let breached = Double(count("count tickets where \(opened) and sla = breached")) ?? -1
        XCTAssertGreaterThan(met + breached, 0, "the demo's tickets have resolution targets")
        XCTAssertEqual(cells[8], String((met * 1000 / (met + breached)).rounded() / 10))
    }

    func testByMonthAddsSparklinesAndByTierOneRowPerTier() {
        let months = rapport(["-c", "report kpi from 2026-01-01 to 2026-06-30 by month"])
        XCTAssertEqual(months.status, 0, months.stderr)
        XCTAssertTrue(months.stdout.contains("(6 rows)"), months.stdout)
        XCTAssertTrue(months.stdout.contains("trend newCustomers"), months.stdout)
        XCTAssertTrue(months.stdout.contains("%"), months.stdout)
        let tiers = rapport(["--format", "json", "-c", "report kpi by tier"])
        XCTAssertEqual(tiers.status, 0, tiers.stderr)
        XCTAssertTrue(tiers.stdout.contains("\"tier\":\"gold\""), tiers.stdout)
        XCTAssertFalse(tiers.stdout.contains("%"))
        XCTAssertFalse(tiers.stdout.contains("trend"))
    }

    func testErrorsPointAtTheirWords() {
        let reversed = rapport(["-c", "report kpi from 2026-05-01 to 2026-01-01"])
        XCTAssertEqual(reversed.status, 2)
        XCTAssertTrue(reversed.stderr.contains("the period starts after it ends"), reversed.stderr)
        XCTAssertTrue(reversed.stderr.contains("                  ^^^^^^^^^^"), reversed.stderr)
        let unknown = rapport(["-c", "report kpi by tierr"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("did you mean 'tier'?"), unknown.stderr)
        let badDate = rapport(["-c", "report kpi from 2026-02-30 to 2026-03-01"])
        XCTAssertEqual(badDate.status, 2, badDate.stderr)
    }

    func testChartFormatDrawsGroupsAndLeavesOtherResultsAsTables() {
        let chart = rapport(["--format", "chart", "-c", "count purchases by month(date)"], environment: ["COLUMNS": "50"])
        XCTAssertEqual(chart.status, 0, chart.stderr)
        XCTAssertTrue(chart.stdout.hasPrefix("count by month(date)\n"), chart.stdout)
        XCTAssertTrue(chart.stdout.contains("█"))
        XCTAssertTrue(chart.stdout.split(separator: "\n").allSatisfy { $0.count <= 50 }, chart.stdout)
        let find = rapport(["--format", "chart", "-c", "find customers limit 2"])
        XCTAssertEqual(find.stdout, rapport(["-c", "find customers limit 2"]).stdout)
        let set = rapport(["-c", "set format chart", "-c", "count customers by tier"])
        XCTAssertTrue(set.stdout.contains("count by tier"), set.stdout + set.stderr)
    }
}
