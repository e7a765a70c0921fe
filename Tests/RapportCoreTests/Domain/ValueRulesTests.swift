import XCTest
@testable import RapportCore

/// The value and churn rules at their edges: quintiles and ties, one or no purchase, the
/// 365-day window across 29 February, the ltv formula, the segment grid, the revisit date
/// and each churn signal with the policy's weights and cut-offs.
final class ValueRulesTests: XCTestCase {
    func day(_ iso: String) -> Int32 { Day(iso: iso)!.daysSinceEpoch }

    // MARK: Quintiles

    func testDistinctValuesFillEachFifth() {
        let scores = ValueRules.quintileScores((1...10).map(Double.init), included: Array(repeating: true, count: 10))
        XCTAssertEqual(scores, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5])
        let five = ValueRules.quintileScores([50, 10, 40, 20, 30], included: Array(repeating: true, count: 5))
        XCTAssertEqual(five, [5, 1, 4, 2, 3], "higher is better, in any row order")
    }

    func testTiesShareAScoreAndExcludedRowsScoreZero() {
        // 1 1 1 1 2 2 3 4 5 6: the four 1s sit at mid-rank 2 of 10 → score 1 + ⌊5·2/10⌋ = 2.
        let values: [Double] = [1, 1, 1, 1, 2, 2, 3, 4, 5, 6, 99]
        let included = Array(repeating: true, count: 10) + [false]
        let scores = ValueRules.quintileScores(values, included: included)
        XCTAssertEqual(Set(scores[0..<4]), [2], "equal values, equal scores")
        XCTAssertEqual(scores[4], scores[5])
        XCTAssertEqual(scores[10], 0, "a row outside the population has no score")
        XCTAssertEqual(scores[9], 5)
        XCTAssertEqual(ValueRules.quintileScores([7, 7, 7], included: [true, true, true]), [3, 3, 3], "all tied: the middle")
        XCTAssertEqual(ValueRules.quintileScores([42], included: [true]), [3], "a single buyer")
        XCTAssertEqual(ValueRules.quintileScores([1, 2], included: [false, false]), [0, 0])
    }

    // MARK: Purchase facts

    func testSpendWindowIsTheLast365DaysAcrossALeapDay() {
        let today = Day(iso: "2024-03-01")!
        // 2023-03-02 is 365 days before 2024-03-01 (2024 has a 29 February): outside.
        let dates = [day("2023-03-02"), day("2023-03-03"), day("2024-02-29"), day("2024-03-01"), day("2024-03-02")]
        let facts = ValueRules.purchaseFacts(owners: [0, 0, 0, 0, 0], amounts: [1, 10, 100, 1000, 10000], dates: dates,
                                             rowCount: 1, today: today)
        XCTAssertEqual(facts.recentSpend, [1110], "364 days back is in, 365 is out, tomorrow is not yet")
        XCTAssertEqual(facts.total, [1111])
        XCTAssertEqual(facts.count, [4], "a purchase after today does not count")
        XCTAssertEqual(facts.first, [day("2023-03-02")])
        XCTAssertEqual(facts.last, [day("2024-03-01")])
        XCTAssertEqual(facts.recentCount, [3], "the 12-month count has the spend's window")
        XCTAssertEqual(facts.lastAnyDay, [day("2024-03-02")], "the stage's last purchase counts one after today")
    }

    func testOneAndNoPurchase() {
        let facts = ValueRules.purchaseFacts(owners: [1, -1], amounts: [.nan, 5], dates: [day("2026-01-01"), day("2026-01-01")],
                                             rowCount: 2, today: Day(iso: "2026-11-24")!)
        XCTAssertEqual(facts.count, [0, 1], "an unknown owner is ignored")
        XCTAssertEqual(facts.total, [0, 0], "no amount adds 0")
        XCTAssertNil(facts.meanGap(0))
        XCTAssertNil(facts.meanGap(1))
        XCTAssertEqual(facts.first[0], NullSentinel.date)
        let scores = ValueRules.rfmScores(facts)
        XCTAssertEqual(scores.recency, [0, 3])
    }

    // MARK: ltv

    func testLtvFactorFollowsTheFormula() {
        XCTAssertEqual(ValueRules.ltvFactor(margin: 1, discountRate: 0.1, horizon: 0), 0)
        XCTAssertEqual(ValueRules.ltvFactor(margin: 1, discountRate: 0.1, horizon: 1), 1 / 1.1, accuracy: 1e-12)
        let five = (1...5).reduce(0.0) { $0 + 0.5 / pow(1.2, Double($1)) }
        XCTAssertEqual(ValueRules.ltvFactor(margin: 0.5, discountRate: 0.2, horizon: 5), five, accuracy: 1e-12)
        XCTAssertEqual(ValueRules.ltv(recentSpend: 1000, factor: ValueRules.ltvFactor(.defaults)), 3790.79)
        var policy = Policy.defaults
        policy.set("ltv.margin", to: 0.25)
        policy.set("ltv.horizon", to: 1)
        policy.set("ltv.discountRate", to: 0)
        XCTAssertEqual(ValueRules.ltv(recentSpend: 1000, factor: ValueRules.ltvFactor(policy)), 250, "margin and rate from the policy")
    }

    // MARK: Segments

    func testEveryRFCellHasExactlyOneOfTheEightSegments() {
        var seen = Set<String>()
        for r in UInt8(1)...5 { for f in UInt8(1)...5 {
            let s = ValueRules.rfmSegment(recency: r, frequency: f)
            XCTAssertTrue(ValueRules.segments.contains(s), s)
            seen.insert(s)
        } }
        XCTAssertEqual(seen, Set(["champions", "loyal", "potential", "new", "at risk", "can't lose", "hibernating", "lost"]))
        XCTAssertEqual(ValueRules.rfmSegment(recency: 5, frequency: 5), "champions")
        XCTAssertEqual(ValueRules.rfmSegment(recency: 1, frequency: 5), "can't lose")
        XCTAssertEqual(ValueRules.rfmSegment(recency: 1, frequency: 1), "lost")
        XCTAssertEqual(ValueRules.rfmSegment(recency: 5, frequency: 1), "new")
    }

    // MARK: nextContactDue

    func testNextContactDueIsTheEarlierOfRevisitAndAfterPurchase() {
        let n = NullSentinel.date
        XCTAssertEqual(ValueRules.nextContactDue(lastContact: 100, createdAt: 0, lastPurchase: n, revisitDays: 30, afterPurchaseDays: 7), 130)
        XCTAssertEqual(ValueRules.nextContactDue(lastContact: 100, createdAt: 0, lastPurchase: 110, revisitDays: 30, afterPurchaseDays: 7), 117)
        XCTAssertEqual(ValueRules.nextContactDue(lastContact: 100, createdAt: 0, lastPurchase: 100, revisitDays: 30, afterPurchaseDays: 7), 130,
                       "a purchase on the day of the contact is not after it")
        XCTAssertEqual(ValueRules.nextContactDue(lastContact: n, createdAt: 50, lastPurchase: n, revisitDays: 90, afterPurchaseDays: 7), 140)
        XCTAssertEqual(ValueRules.nextContactDue(lastContact: n, createdAt: n, lastPurchase: 60, revisitDays: 90, afterPurchaseDays: 7), 67)
        XCTAssertEqual(ValueRules.nextContactDue(lastContact: n, createdAt: n, lastPurchase: n, revisitDays: 90, afterPurchaseDays: 7), n)
        XCTAssertEqual(ValueRules.revisitDays(grade: "a", policy: .defaults), 30)
        XCTAssertEqual(ValueRules.revisitDays(grade: "D", policy: .defaults), 180)
        XCTAssertEqual(ValueRules.revisitDays(grade: nil, policy: .defaults), 90)
        XCTAssertEqual(ValueRules.revisitDays(grade: "Z", policy: .defaults), 90)
    }

    // MARK: Churn

    func facts(count: Int32 = 0, first: Int32 = NullSentinel.date, last: Int32 = NullSentinel.date,
               satisfaction: Int64 = NullSentinel.integer, open: Int32 = 0, complaint: Int32 = NullSentinel.date,
               due: Int32 = NullSentinel.date) -> ChurnFacts {
        ChurnFacts(purchaseCount: count, firstPurchase: first, lastPurchase: last, satisfaction: satisfaction,
                   openComplaints: open, latestComplaint: complaint, nextContactDue: due)
    }

    func kinds(_ f: ChurnFacts, policy: Policy = .defaults, today: Int32 = 1000) -> [ChurnSignal.Kind] {
        ChurnRules.assess(f, ChurnThresholds(policy), today: today).signals.map(\.kind)
    }

    func testLapseIsMoreThanGapFactorTimesTheMeanGap() {
        // 3 purchases over 100 days: mean gap 50; lapse after more than 100 silent days.
        XCTAssertEqual(kinds(facts(count: 3, first: 800, last: 900), today: 1000), [], "exactly 2 × the gap is not more")
        XCTAssertEqual(kinds(facts(count: 3, first: 800, last: 900), today: 1001), [.lapse])
        XCTAssertEqual(kinds(facts(count: 2, first: 900, last: 900), today: 1000), [],
                       "purchases on one day have no gap: judged as a one-time buyer (100 days < 180)")
    }

    func testOneTimeBuyerAfterTheFixedPeriod() {
        XCTAssertEqual(kinds(facts(count: 1, first: 820, last: 820), today: 1000), [], "180 days is not more than 180")
        XCTAssertEqual(kinds(facts(count: 1, first: 819, last: 819), today: 1000), [.oneTimeBuyer])
        XCTAssertEqual(kinds(facts()), [], "no purchase: no purchase signal")
    }

    func testSatisfactionComplaintAndRevisitSignals() {
        XCTAssertEqual(kinds(facts(satisfaction: 2)), [.lowSatisfaction])
        XCTAssertEqual(kinds(facts(satisfaction: 3)), [])
        XCTAssertEqual(kinds(facts(open: 1, complaint: 100)), [.complaint], "open, however old")
        XCTAssertEqual(kinds(facts(complaint: 910)), [.complaint], "closed, but within 90 days")
        XCTAssertEqual(kinds(facts(complaint: 909)), [])
        XCTAssertEqual(kinds(facts(due: 999)), [.overdueRevisit])
        XCTAssertEqual(kinds(facts(due: 1000)), [], "due today is not overdue")
    }

    func testFallingSatisfactionIsALowerLatestSurveyWithinTheWindow() {
        func surveys(_ latest: Int64, _ previous: Int64, on day: Int32) -> ChurnFacts {
            var f = facts()
            f.latestScore = latest
            f.previousScore = previous
            f.latestSurvey = day
            return f
        }
        XCTAssertEqual(kinds(surveys(4, 5, on: 820)), [.fallingSatisfaction], "180 days ago is within churn.fallingWithin")
        XCTAssertEqual(kinds(surveys(4, 5, on: 819)), [], "181 days ago is not")
        XCTAssertEqual(kinds(surveys(5, 5, on: 1000)), [], "the same score is not falling")
        XCTAssertEqual(kinds(surveys(5, 3, on: 1000)), [], "rising is not falling")
        XCTAssertEqual(kinds(surveys(3, NullSentinel.integer, on: 1000)), [], "one survey has no trend")
        var policy = Policy.defaults
        policy.set("churn.weight.falling", to: 0)
        XCTAssertEqual(kinds(surveys(1, 5, on: 1000), policy: policy), [])
    }

    func testWeightsAndCutOffsComeFromThePolicy() {
        let all = facts(count: 1, first: 0, last: 0, satisfaction: 1, open: 1, due: 0)
        let t = ChurnThresholds(.defaults)
        XCTAssertEqual(ChurnRules.assess(all, t, today: 1000).risk, .high)
        XCTAssertEqual(ChurnRules.assess(facts(due: 0), t, today: 1000).risk, .low, "overdue revisit alone weighs 1")
        XCTAssertEqual(ChurnRules.assess(facts(satisfaction: 1), t, today: 1000).risk, .medium)
        var policy = Policy.defaults
        policy.set("churn.weight.revisit", to: 5)
        policy.set("churn.weight.satisfaction", to: 0)
        XCTAssertEqual(ChurnRules.assess(facts(due: 0), ChurnThresholds(policy), today: 1000).risk, .high)
        XCTAssertEqual(kinds(facts(satisfaction: 1), policy: policy), [], "weight 0 turns the signal off")
        policy.set("churn.high", to: 6)
        XCTAssertEqual(ChurnRules.assess(facts(due: 0), ChurnThresholds(policy), today: 1000).risk, .medium)
    }
}
