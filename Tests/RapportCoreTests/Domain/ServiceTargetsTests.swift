import XCTest
@testable import RapportCore
import RapportTestSupport

/// The service target rules at their edges: the boundary exactly at a target, the resolve
/// clock pausing while pending and after a resolution, a breach staying a breach, old
/// tickets without times, and the derived column following now within one day.
final class ServiceTargetsTests: XCTestCase {
    let hour: Int64 = 3_600

    func ticket(status: String = "open", respondedAt: Int64? = nil, doneAt: Int64? = nil, pauses: Pauses = Pauses()) -> ServiceTargets.Ticket {
        ServiceTargets.Ticket(openedAt: 0, respondedAt: respondedAt, doneAt: doneAt, status: status, responseTarget: 180,
                              resolutionTarget: 48 * hour, pausedBefore: pauses.before, pausedSince: pauses.since)
    }
    typealias Pauses = ServiceTargets.Pauses

    func testTargetsComeFromThePolicyByChannelAndPriority() {
        var policy = Policy.defaults
        XCTAssertEqual(ServiceTargets.responseTarget(channel: "phone", policy: policy), 180)
        XCTAssertEqual(ServiceTargets.responseTarget(channel: "wechat", policy: policy), 3_600)
        XCTAssertEqual(ServiceTargets.responseTarget(channel: "visit", policy: policy), 86_400)
        XCTAssertNil(ServiceTargets.responseTarget(channel: nil, policy: policy), "no channel, no response target")
        XCTAssertEqual(ServiceTargets.resolutionTarget(priority: "low", policy: policy), 7 * 86_400)
        XCTAssertEqual(ServiceTargets.resolutionTarget(priority: nil, policy: policy), 72 * hour, "missing priority is normal")
        policy.set("resolution.low", to: 86_400)
        XCTAssertEqual(ServiceTargets.resolutionTarget(priority: "low", policy: policy), 86_400)
    }

    func testExactlyAtTheTargetIsMetAndOneSecondLaterBreached() {
        XCTAssertEqual(ticket(status: "responded", respondedAt: 180).sla(now: 200), .due)
        XCTAssertEqual(ticket(status: "responded", respondedAt: 181).sla(now: 200), .breached)
        XCTAssertFalse(ticket().isOverdue(now: 180))
        XCTAssertTrue(ticket().isOverdue(now: 181))
        XCTAssertEqual(ticket().sla(now: 180), .due)
        XCTAssertEqual(ticket(status: "resolved", respondedAt: 60, doneAt: 48 * hour).sla(now: 99 * hour), .met)
        XCTAssertEqual(ticket(status: "resolved", respondedAt: 60, doneAt: 48 * hour + 1).sla(now: 99 * hour), .breached)
    }

    func testABreachStaysABreachAfterTheTicketIsAnswered() {
        let late = ticket(status: "closed", respondedAt: 240, doneAt: hour)
        XCTAssertEqual(late.sla(now: 100 * hour), .breached)
        XCTAssertFalse(late.isOverdue(now: 100 * hour), "a closed ticket is never overdue")
    }

    func testPendingPausesTheResolveClockAndResolvedStopsIt() {
        var pauses = Pauses()
        pauses.step(at: 0, status: "open")
        pauses.step(at: hour, status: "pending")
        XCTAssertEqual(pauses, Pauses(before: 0, since: hour))
        let pending = ticket(status: "pending", respondedAt: hour, pauses: pauses)
        XCTAssertEqual(pending.resolveBy(now: 10 * hour), 48 * hour + 9 * hour, "the pause so far counts")
        XCTAssertFalse(pending.isOverdue(now: 100 * hour), "pending in time: never overdue while waiting")
        pauses.step(at: 5 * hour, status: "responded")
        XCTAssertEqual(pauses, Pauses(before: 4 * hour, since: nil))
        XCTAssertEqual(ticket(status: "responded", respondedAt: hour, pauses: pauses).resolveBy(now: 100 * hour), 52 * hour)
        // Resolved while pending: the clock stopped when the pause began.
        var resolvedWhilePending = Pauses()
        resolvedWhilePending.step(at: hour, status: "pending")
        resolvedWhilePending.step(at: 60 * hour, status: "resolved")
        XCTAssertEqual(ticket(status: "resolved", respondedAt: 60, doneAt: 60 * hour, pauses: resolvedWhilePending).sla(now: 70 * hour), .met)
        // Resolved, then reopened a day later: that day does not count.
        var reopened = Pauses()
        reopened.step(at: 10 * hour, status: "resolved")
        reopened.step(at: 34 * hour, status: "open")
        XCTAssertEqual(ticket(status: "open", respondedAt: 60, pauses: reopened).resolveBy(now: 40 * hour), 72 * hour)
        // A clock set back never makes a pause negative.
        var backwards = Pauses()
        backwards.step(at: 10, status: "pending")
        backwards.step(at: 5, status: "responded")
        XCTAssertEqual(backwards.before, 0)
    }

    func testAnOldTicketClosedWithoutTimesHasNoSLA() {
        let old = ServiceTargets.Ticket(openedAt: 0, status: "closed", responseTarget: nil, resolutionTarget: 72 * hour)
        XCTAssertNil(old.sla(now: 1_000 * hour))
        XCTAssertFalse(old.isOverdue(now: 1_000 * hour))
    }

    func testTheDerivedColumnFollowsNowWithinOneDay() {
        let s = RecordBuilder().customer("C1").session(now: "2026-11-24T10:00:00Z")
        XCTAssertEqual(s.run(#"open ticket C1 inquiry via phone "x""#).status, .success)
        func overdue() -> String { s.run("count tickets where overdue").output }
        XCTAssertTrue(overdue().contains("0"), overdue())
        s.clock.now += 181
        XCTAssertTrue(overdue().contains("1"), "same day, three minutes later: \(overdue())")
    }
}
