import Foundation
import XCTest
import RapportTestSupport

/// The demo store through the real binary: its segments are what `recompute` computes,
/// its points never go below zero, its customer kinds come in the intended shares, and
/// the same size, day and seed give the same data.
final class DemoStoreTests: XCTestCase {
    func csv(_ arguments: [String], _ commands: [String]) -> [[String]] {
        let r = RapportRunner.run(arguments + ["--timezone", "UTC", "--format", "csv"] + commands.flatMap { ["-c", $0] })
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    /// The single number a `count` prints.
    func count(_ arguments: [String], _ commands: String...) -> Int {
        let rows = csv(arguments, commands)
        return Int(rows.last?.first ?? "") ?? -1
    }

    func testAFreshDemoStoreHasNothingToRecompute() {
        for now in ["2026-11-24", "2025-03-01"] {
            let r = RapportRunner.run(["--demo-size", "3000", "--now", now, "--timezone", "UTC",
                                       "-c", "recompute tiers --dry-run", "-c", "recompute grades --dry-run", "-c", "recompute stages --dry-run"])
            XCTAssertEqual(r.status, 0, r.stderr)
            for field in ["tier", "grade", "stage"] {
                XCTAssertTrue(r.stdout.contains("nobody moved: every customer's \(field) is up to date (dry run)"), "\(now): \(r.stdout)")
            }
            // The segments are not all alike: every tier, grade and stage occurs.
            let tiers = Set(csv(["--demo-size", "3000", "--now", now], ["count customers by tier"]).dropFirst().map { $0[0] })
            XCTAssertEqual(tiers, ["bronze", "silver", "gold", "platinum"], now)
            let stages = Set(csv(["--demo-size", "3000", "--now", now], ["count customers by stage"]).dropFirst().map { $0[0] })
            XCTAssertEqual(stages, ["prospect", "active", "at-risk", "lost"], now)
        }
    }

    func testPointsBalancesNeverGoBelowZeroAndSomePointsAreRedeemed() {
        let demo = ["--demo-size", "3000", "--now", "2026-11-24"]
        XCTAssertGreaterThan(count(demo, "count points where change < 0"), 50, "the demo redeems points")
        XCTAssertGreaterThan(count(demo, "count customers where points > 0"), 1000)
        // A redemption larger than the balance would leave a debt from its day on.
        for day in ["2022-06-30", "2025-01-01", "2026-05-24", "2026-11-24"] {
            XCTAssertEqual(count(demo, "set now \(day)", "count customers where points < 0"), 0, day)
        }
    }

    func testCustomerKindsComeInTheirIntendedShares() {
        let demo = ["--demo-size", "5000", "--now", "2026-11-24"]
        // A seasonal customer buys only in January (from the 5th) and early November.
        let seasons = (2020...2026).map { "date >= \($0)-01-05 and date <= \($0)-01-31 or date >= \($0)-11-01 and date <= \($0)-11-15" }
        let seasonal = "purchaseCount >= 2 and no purchase(not (\(seasons.joined(separator: " or "))))"
        func share(_ condition: String) -> Double { Double(count(demo, "count customers where \(condition)")) / 5000 }
        let shares = [
            ("prospect", share("stage = prospect"), 0.08...0.13),
            ("one-time", share("purchaseCount = 1"), 0.18...0.24),
            ("seasonal", share(seasonal), 0.09...0.13),
            // A regular's gaps stay under 150 days; a lapsing customer stopped 2 to 24 months ago.
            ("regular", share("purchaseCount >= 2 and daysSincePurchase <= 150 and not (\(seasonal))"), 0.37...0.46),
            ("lapsing", share("purchaseCount >= 2 and daysSincePurchase > 150 and not (\(seasonal))"), 0.13...0.19),
        ]
        for (kind, value, range) in shares { XCTAssertTrue(range.contains(value), "\(kind): \(value) not in \(range)") }
        let purchases = Double(count(demo, "count purchases")) / 5000
        XCTAssertTrue((4.5...5.5).contains(purchases), "about five purchases per customer, not \(purchases)")
        XCTAssertEqual(count(demo, "count purchases where date > 2026-11-24"), 0, "nothing after today")
        // Lapsing customers complain more and are less satisfied, so the churn signals find them.
        let lapsing = "purchaseCount >= 2 and daysSincePurchase > 150 and not (\(seasonal))"
        let regular = "purchaseCount >= 2 and daysSincePurchase <= 150 and not (\(seasonal))"
        func complaintShare(_ who: String) -> Double {
            Double(count(demo, "count customers where \(who) and any ticket(kind = complaint)")) / Double(count(demo, "count customers where \(who)"))
        }
        XCTAssertGreaterThan(complaintShare(lapsing), 2 * complaintShare(regular))
    }

    func testTheSameSizeDayAndSeedGiveTheSameDataAndALargerStoreKeepsTheFirstCustomers() {
        let show = ["find customers where id <= C000300 show id, name, city, tier, stage, totalSpent, purchaseCount, lastContact, points",
                    "find purchases where customer <= C000300 show *", "find tickets where customer <= C000300 show *"]
        let first = csv(["--demo-size", "300", "--now", "2026-11-24"], show)
        XCTAssertEqual(first, csv(["--demo-size", "300", "--now", "2026-11-24"], show))
        XCTAssertEqual(first, csv(["--demo-size", "900", "--now", "2026-11-24"], show), "customer n does not depend on the size")
        XCTAssertNotEqual(first, csv(["--demo-size", "300", "--now", "2026-11-23"], show), "another day, another store")
    }

    func testHandPickedRowsTheExamplesRelyOn() {
        let demo = ["--demo-size", "300", "--now", "2026-11-01"]
        XCTAssertEqual(csv(demo, ["find customers where id = C000001 show tier, city"]).last, ["platinum", "上海"])
        XCTAssertEqual(count(demo, "count customers where id = C000007 and city is null"), 1)
        XCTAssertEqual(count(demo, "count customers where id = C000011 and tags is null"), 1)
        XCTAssertGreaterThan(count(demo, "count customers where birthday within 7d"), 0)
        XCTAssertGreaterThan(count(["--demo-size", "300"], "count customers where birthday = 1984-02-29 or birthday = 1996-02-29 or birthday = 1972-02-29"), 0)
    }
}
