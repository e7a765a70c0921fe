import XCTest
@testable import RapportCore

/// The FIFO balance of a points ledger at its boundaries.
final class LoyaltyTests: XCTestCase {
    func day(_ s: String) -> Day { Day(iso: s)! }
    func earn(_ n: Int64, _ on: String, expires: String?) -> Loyalty.Entry {
        Loyalty.Entry(date: day(on), change: n, expiresAt: expires.map(day))
    }
    func spend(_ n: Int64, _ on: String) -> Loyalty.Entry { Loyalty.Entry(date: day(on), change: -n) }
    func balance(_ entries: [Loyalty.Entry], _ today: String) -> Int64 { Loyalty.balance(of: entries, today: day(today)).points }

    func testALotCountsUntilTheDayBeforeItsExpiry() {
        let ledger = [earn(100, "2026-01-10", expires: "2027-01-10")]
        XCTAssertEqual(balance(ledger, "2027-01-09"), 100)
        XCTAssertEqual(balance(ledger, "2027-01-10"), 0, "on the expiresAt day the lot has expired")
        XCTAssertEqual(Loyalty.balance(of: ledger, today: day("2026-06-01")).nextExpiry?.on, day("2027-01-10"))
    }

    func testExpiryFollowsThePolicyAcrossLeapDays() {
        let policy = Policy.defaults
        XCTAssertEqual(Loyalty.expiry(earnedOn: day("2028-02-29"), policy: policy), day("2029-02-28"), "365 days after a leap day")
        XCTAssertEqual(Loyalty.expiry(earnedOn: day("2027-03-01"), policy: policy), day("2028-02-29"), "a lot may expire on 29 February")
        let ledger = [earn(50, "2027-03-01", expires: "2028-02-29")]
        XCTAssertEqual(balance(ledger, "2028-02-28"), 50)
        XCTAssertEqual(balance(ledger, "2028-02-29"), 0)
        var short = Policy.defaults
        short.set("points.expiry", to: 30 * 86_400)
        XCTAssertEqual(Loyalty.expiry(earnedOn: day("2028-02-15"), policy: short), day("2028-03-16"))
    }

    func testARedemptionSpendsTheOldestValidLotsFirst() {
        let ledger = [earn(100, "2026-01-01", expires: "2026-12-01"), earn(100, "2026-06-01", expires: "2027-06-01"),
                      spend(150, "2026-07-01")]
        // 100 of the first lot and 50 of the second were spent; the first lot's rest is 0.
        XCTAssertEqual(balance(ledger, "2026-11-30"), 50)
        XCTAssertEqual(balance(ledger, "2026-12-01"), 50, "nothing of the expiring lot was left to lose")
        let next = Loyalty.balance(of: ledger, today: day("2026-08-01")).nextExpiry
        XCTAssertEqual(next?.points, 50)
        XCTAssertEqual(next?.on, day("2027-06-01"))
    }

    func testARedemptionAfterPartialExpiryCannotSpendExpiredPoints() {
        let ledger = [earn(100, "2025-01-01", expires: "2026-01-01"), earn(40, "2025-12-01", expires: "2026-12-01"),
                      spend(30, "2026-02-01")]
        XCTAssertEqual(balance(ledger, "2026-03-01"), 10, "the first lot expired before the redemption, so the second paid")
    }

    func testEntriesAfterTodayDoNotCountYet() {
        let ledger = [earn(100, "2026-01-01", expires: nil), earn(500, "2026-03-01", expires: nil), spend(80, "2026-04-01")]
        XCTAssertEqual(balance(ledger, "2026-02-28"), 100)
        XCTAssertEqual(balance(ledger, "2026-03-31"), 600)
        XCTAssertEqual(balance(ledger, "2026-04-01"), 520)
    }

    func testAnEarningAndARedemptionOnOneDay() {
        XCTAssertEqual(balance([spend(30, "2026-05-05"), earn(30, "2026-05-05", expires: "2027-05-05")], "2026-05-05"), 0)
    }

    func testAnOverdrawnLedgerCarriesItsDebtInsteadOfLosingIt() {
        // Only data from before the ledger can overdraw; redeem refuses it (see below).
        let ledger = [Loyalty.Entry(date: nil, change: -20), earn(50, "2026-01-01", expires: "2027-01-01")]
        XCTAssertEqual(balance(ledger, "2026-02-01"), 30)
        XCTAssertEqual(balance([spend(10, "2026-01-01")], "2026-02-01"), -10)
    }

    func testPointsOfAnAmountFollowThePolicyRate() {
        XCTAssertEqual(Loyalty.points(forAmount: 120.99, perUnit: 1), 120)
        XCTAssertEqual(Loyalty.points(forAmount: 120.99, perUnit: 2), 241)
        XCTAssertEqual(Loyalty.points(forAmount: 0.99, perUnit: 1), 0)
        XCTAssertEqual(Loyalty.points(forAmount: 100, perUnit: 0), 0)
    }

    func testRedeemIsRefusedWhenTheBalanceIsShortAndNothingChanges() {
        let clock = QueryFixtures.clock
        let store = Store()
        store.customers.append(QueryFixtures.customer("C1", ["name": .string("A")]))
        let s = Session(database: .inMemory(store), settings: Settings(user: "t"), clock: clock, pinnedNow: clock.now)
        XCTAssertEqual(s.run("add points C1 100 \"welcome\"").status, .success)
        let short = s.run("redeem C1 101 \"too much\"")
        XCTAssertEqual(short.diagnosticIDs, [.pointsBalanceShort])
        XCTAssertTrue(short.messages.contains("customer C1 has 100 points: cannot redeem 101"), short.messages)
        XCTAssertEqual(store[.points].liveCount, 1, "nothing was written")
        XCTAssertEqual(s.run("redeem C1 100 \"all of it\"").output, "redeemed 100 points (L0000002) for customer C1: balance 0\n")
        XCTAssertEqual(s.run("redeem C1 0 \"nothing\"").diagnosticIDs, [.pointsNotPositive])
        XCTAssertEqual(s.run("add points C9 5 \"x\"").diagnosticIDs, [.customerNotFound])
        XCTAssertEqual(s.run("update all points set change = 5").diagnosticIDs, [.pointsLedgerWrittenByRules])
    }
}
