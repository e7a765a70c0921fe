import XCTest
@testable import RapportCore

/// The segmentation rules at their edges: thresholds exactly reached and one short, the
/// 365-day window, leap days, percentile ties.
final class SegmentationTests: XCTestCase {
    let policy = Policy.defaults
    let today = Day(year: 2026, month: 11, day: 24)!

    func day(_ y: Int, _ m: Int, _ d: Int) -> Day { Day(year: y, month: m, day: d)! }
    func daysBefore(_ n: Int32, _ from: Day) -> Day { Day(daysSinceEpoch: from.daysSinceEpoch - n) }

    // MARK: Tiers

    func testTierNeedsBothThresholds() {
        XCTAssertEqual(Segmentation.tier(spend: 2_000, purchases: 2, policy: policy), "silver", "both exactly reached")
        XCTAssertEqual(Segmentation.tier(spend: 1_999.99, purchases: 2, policy: policy), "bronze", "spend one cent short")
        XCTAssertEqual(Segmentation.tier(spend: 2_000, purchases: 1, policy: policy), "bronze", "one purchase short")
        XCTAssertEqual(Segmentation.tier(spend: 1_000_000, purchases: 7, policy: policy), "gold", "platinum spend, gold count")
        XCTAssertEqual(Segmentation.tier(spend: 30_000, purchases: 8, policy: policy), "platinum")
        XCTAssertEqual(Segmentation.tier(spend: 0, purchases: 0, policy: policy), "bronze")
        var strict = policy
        strict.set("tier.silver.spend", to: 5_000)
        XCTAssertEqual(Segmentation.tier(spend: 4_000, purchases: 3, policy: strict), "bronze", "thresholds come from the policy")
    }

    func testWindowIsThe365DaysUpToToday() {
        XCTAssertTrue(Segmentation.inWindow(today, today: today))
        XCTAssertTrue(Segmentation.inWindow(daysBefore(364, today), today: today), "364 days ago is inside")
        XCTAssertFalse(Segmentation.inWindow(daysBefore(365, today), today: today), "exactly 365 days ago is outside")
        XCTAssertFalse(Segmentation.inWindow(daysBefore(-1, today), today: today), "tomorrow is outside")
        // Across 29 February: 2024-02-29 + 365 days = 2025-02-28, so on 2025-02-27 it counts, not on 2025-02-28.
        XCTAssertTrue(Segmentation.inWindow(day(2024, 2, 29), today: day(2025, 2, 27)))
        XCTAssertFalse(Segmentation.inWindow(day(2024, 2, 29), today: day(2025, 2, 28)))
        XCTAssertTrue(Segmentation.inWindow(day(2023, 3, 1), today: day(2024, 2, 28)), "the window holds 365 days, not a calendar year")
    }

    func testRaisedTierNeverLowers() {
        XCTAssertEqual(Segmentation.raisedTier(current: "bronze", spend: 2_000, purchases: 2, policy: policy), "silver")
        XCTAssertEqual(Segmentation.raisedTier(current: "gold", spend: 2_000, purchases: 2, policy: policy), "gold")
        XCTAssertEqual(Segmentation.raisedTier(current: "gold", spend: 0, purchases: 0, policy: policy), "gold")
        XCTAssertEqual(Segmentation.raisedTier(current: nil, spend: 0, purchases: 0, policy: policy), "bronze", "no tier: bronze at least")
        XCTAssertEqual(Segmentation.raisedTier(current: "silver", spend: 10_000, purchases: 4, policy: policy), "gold")
    }

    // MARK: Grades

    func testGradesByShareWithDefaultCuts() {
        // Ten valued customers, 20/30/30/20: two A, three B, three C, two D.
        let values: [Double] = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
        XCTAssertEqual(Segmentation.grades(values: values, policy: policy), ["A", "A", "B", "B", "B", "C", "C", "C", "D", "D"])
    }

    func testTiesShareTheBestGradeOfTheirFirstPosition() {
        // The 2nd and 3rd straddle the A cut (2 of 10): both have one customer above them, so both A.
        let values: [Double] = [10, 9, 9, 7, 6, 5, 4, 3, 2, 1]
        XCTAssertEqual(Segmentation.grades(values: values, policy: policy), ["A", "A", "A", "B", "B", "C", "C", "C", "D", "D"])
    }

    func testEveryoneEqualIsOneGrade() {
        XCTAssertEqual(Segmentation.grades(values: [5, 5, 5, 5], policy: policy), ["A", "A", "A", "A"])
    }

    func testNoValueIsDAndOrderIsKept() {
        XCTAssertEqual(Segmentation.grades(values: [0, 3, -1, .nan, 1], policy: policy), ["D", "A", "D", "D", "C"],
                       "two valued customers: 0 % above the first (A), 50 % above the second (not below A + B = 50: C)")
    }

    func testGradeCutIsExactWithoutRounding() {
        // Five customers: 0, 20, 40, 60 and 80 % above them. The second sits exactly on the
        // A cut (20 %) and is B; 40 < 50 is still B; 60 < 80 C; 80 is D.
        XCTAssertEqual(Segmentation.grades(values: [5, 4, 3, 2, 1], policy: policy), ["A", "B", "B", "C", "D"])
        XCTAssertEqual(Segmentation.grades(values: [], policy: policy), [])
    }

    // MARK: Stages

    func testStageBoundaries() {
        XCTAssertEqual(Segmentation.stage(lastPurchase: nil, today: today, policy: policy), "prospect")
        XCTAssertEqual(Segmentation.stage(lastPurchase: today, today: today, policy: policy), "active")
        XCTAssertEqual(Segmentation.stage(lastPurchase: daysBefore(179, today), today: today, policy: policy), "active")
        XCTAssertEqual(Segmentation.stage(lastPurchase: daysBefore(180, today), today: today, policy: policy), "at-risk", "exactly stage.atRisk")
        XCTAssertEqual(Segmentation.stage(lastPurchase: daysBefore(364, today), today: today, policy: policy), "at-risk")
        XCTAssertEqual(Segmentation.stage(lastPurchase: daysBefore(365, today), today: today, policy: policy), "lost", "exactly stage.lost")
        XCTAssertEqual(Segmentation.stage(lastPurchase: daysBefore(-3, today), today: today, policy: policy), "active", "a purchase after today")
    }

    func testLostReason() {
        XCTAssertEqual(Segmentation.lostReason(stage: "lost", current: nil, hasComplaint: false), "natural")
        XCTAssertEqual(Segmentation.lostReason(stage: "lost", current: nil, hasComplaint: true), "fault")
        XCTAssertEqual(Segmentation.lostReason(stage: "lost", current: "competitive", hasComplaint: true), "competitive", "a reason set by hand stays")
        XCTAssertNil(Segmentation.lostReason(stage: "active", current: "fault", hasComplaint: true), "coming back clears it")
    }

    func testLostReasonIsAVocabulary() throws {
        let field = EntitySchema(entity: .customers).field(named: "lostReason")!
        XCTAssertEqual(try RecordRules.check(.string("Competitive"), for: field, in: .customers), .string("competitive"))
        XCTAssertThrowsError(try RecordRules.check(.string("bored"), for: field, in: .customers))
    }
}
