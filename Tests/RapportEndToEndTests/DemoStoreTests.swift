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

    /// The number each `count` among `commands` prints, in order, from one process: a demo
    /// store is generated once for all of them (each process generates its own).
    func counts(_ arguments: [String], _ commands: [String]) -> [Int] {
        let rows = csv(arguments, commands)
        let numbers = rows.indices.dropLast().filter { rows[$0] == ["count"] }.map { Int(rows[$0 + 1].first ?? "") ?? -1 }
        XCTAssertEqual(numbers.count, commands.filter { $0.hasPrefix("count ") }.count, "one number per count")
        return numbers
    }

    func testAFreshDemoStoreHasNothingToRecompute() {
        for now in ["2026-11-24", "2025-03-01"] {
            let r = RapportRunner.run(["--demo-size", "3000", "--now", now, "--timezone", "UTC",
                                       "-c", "recompute tiers --dry-run", "-c", "recompute grades --dry-run", "-c", "recompute stages --dry-run",
                                       "-c", "set format csv", "-c", "count customers by tier", "-c", "count customers by stage"])
            XCTAssertEqual(r.status, 0, r.stderr)
            for field in ["tier", "grade", "stage"] {
                XCTAssertTrue(r.stdout.contains("nobody moved: every customer's \(field) is up to date (dry run)"), "\(now): \(r.stdout)")
            }
            // The segments are not all alike: every tier, grade and stage occurs.
            let labels = Set(r.stdout.split(separator: "\n").compactMap { $0.split(separator: ",").first.map(String.init) })
            XCTAssertTrue(labels.isSuperset(of: ["bronze", "silver", "gold", "platinum"]), "\(now): \(labels)")
            XCTAssertTrue(labels.isSuperset(of: ["prospect", "active", "at-risk", "lost"]), "\(now): \(labels)")
        }
    }

    func testPointsBalancesNeverGoBelowZeroAndSomePointsAreRedeemed() {
        let demo = SharedDemoStore.arguments(size: 3000, now: "2026-11-24")
        // A redemption larger than the balance would leave a debt from its day on.
        let days = ["2022-06-30", "2025-01-01", "2026-05-24", "2026-11-24"]
        let n = counts(demo, ["count points where change < 0", "count customers where points > 0"]
                            + days.flatMap { ["set now \($0)", "count customers where points < 0"] })
        guard n.count == 2 + days.count else { return }
        XCTAssertGreaterThan(n[0], 50, "the demo redeems points")
        XCTAssertGreaterThan(n[1], 1000)
        for (day, debtors) in zip(days, n[2...]) { XCTAssertEqual(debtors, 0, day) }
    }

    func testCustomerKindsComeInTheirIntendedShares() {
        let demo = ["--demo-size", "5000", "--now", "2026-11-24"]
        // A seasonal customer buys only in January (from the 5th) and early November.
        let seasons = (2020...2026).map { "date >= \($0)-01-05 and date <= \($0)-01-31 or date >= \($0)-11-01 and date <= \($0)-11-15" }
        let seasonal = "purchaseCount >= 2 and no purchase(not (\(seasons.joined(separator: " or "))))"
        let lapsing = "purchaseCount >= 2 and daysSincePurchase > 150 and not (\(seasonal))"
        let regular = "purchaseCount >= 2 and daysSincePurchase <= 150 and not (\(seasonal))"
        let kinds = [("prospect", "stage = prospect", 0.08...0.13), ("one-time", "purchaseCount = 1", 0.18...0.24),
                     ("seasonal", seasonal, 0.09...0.13),
                     // A regular's gaps stay under 150 days; a lapsing customer stopped 2 to 24 months ago.
                     ("regular", regular, 0.37...0.46), ("lapsing", lapsing, 0.13...0.19)]
        let n = counts(demo, kinds.map { "count customers where \($0.1)" }
                       + ["count purchases", "count purchases where date > 2026-11-24",
                          "count customers where \(lapsing) and any ticket(kind = complaint)",
                          "count customers where \(regular) and any ticket(kind = complaint)"])
        guard n.count == kinds.count + 4 else { return }
        for ((kind, _, range), number) in zip(kinds, n) {
            let value = Double(number) / 5000
            XCTAssertTrue(range.contains(value), "\(kind): \(value) not in \(range)")
        }
        let purchases = Double(n[5]) / 5000
        XCTAssertTrue((4.5...5.5).contains(purchases), "about five purchases per customer, not \(purchases)")
        XCTAssertEqual(n[6], 0, "nothing after today")
        // Lapsing customers complain more and are less satisfied, so the churn signals find them.
        XCTAssertGreaterThan(Double(n[7]) / Double(n[4]), 2 * Double(n[8]) / Double(n[3]))
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

    // MARK: The service side (issue 12)

    /// Generated once per run and opened read-only (SharedDemoStore): these tests only read it.
    let service = SharedDemoStore.arguments(size: 3000, now: "2026-11-24")

    /// Every status occurs, the times a status implies are there and no others, and the
    /// targets give met, breached (some answered late) and due, with a few overdue lately.
    func testTicketsComeInEveryStatusWithTheTimesItImplies() {
        let rows = csv(service, ["count tickets by status", "count tickets by sla"])
        XCTAssertEqual(Set(rows.filter { $0.count == 2 }.map { $0[0] }),
                       ["status", "open", "responded", "pending", "resolved", "closed", "sla", "met", "breached", "due"])
        let never = [
            ("channel is null", "every demo ticket came in by a channel"),
            ("status != open and respondedAt is null", "past open means answered"),
            ("(status = resolved or status = closed) and resolvedAt is null", "resolved or closed means a resolution time"),
            ("status = closed and closedAt is null", "closed means a closing time"),
            ("status != closed and closedAt is not null", "only closed tickets have a closing time"),
            ("status in (open, responded, pending) and resolvedAt is not null", "a ticket being worked on has no resolution"),
            ("openedAt > 2026-11-24 or respondedAt > 2026-11-24 or resolvedAt > 2026-11-24 or closedAt > 2026-11-24", "nothing after now"),
            ("(status = resolved or status = closed) and overdue", "done tickets are never overdue"),
        ]
        let n = counts(service, ["count tickets", "count tickets where sla = met", "count tickets where sla = breached",
                                 "count tickets where sla = breached and status = closed",
                                 "count tickets where overdue and openedAt >= 2026-11-20"]
                                + never.map { "count tickets where \($0.0)" })
        guard n.count == 5 + never.count else { return }
        let all = n[0], met = n[1], breached = n[2]
        XCTAssertGreaterThan(Double(met) / Double(all), 0.6, "most tickets met their targets")
        XCTAssertTrue((0.05...0.3).contains(Double(breached) / Double(all)), "a realistic share breached: \(breached) of \(all)")
        XCTAssertGreaterThan(n[3], 0, "breached, then answered and closed")
        XCTAssertGreaterThan(n[4], 0, "overdue lately")
        for ((_, what), number) in zip(never, n[5...]) { XCTAssertEqual(number, 0, what) }
    }

    /// Each ticket's timeline is what the commands would have written: it starts with
    /// `opened` at openedAt, its last entry carries the ticket's status, and the times on
    /// the ticket are those of the steps that set them (docs/service.md's table).
    func testEveryTicketsTimelineAgreesWithItsStatusAndTimes() {
        let rows = csv(service, ["find tickets show id, status, openedAt, respondedAt, resolvedAt, closedAt, channel",
                                 "find events show id, ticket, kind, status, at, channel"])
        let split = rows.firstIndex { $0.first == "id" && $0.count == 6 }!
        let tickets = rows[1..<split], events = rows[(split + 1)...]
        var timeline: [String: [[String]]] = [:]
        for e in events.sorted(by: { $0[0] < $1[0] }) { timeline[e[1], default: []].append(e) }
        XCTAssertGreaterThan(tickets.count, 300)
        for t in tickets {
            let id = t[0], steps = timeline[id] ?? []
            guard let first = steps.first, let last = steps.last else { XCTFail("\(id) has no timeline"); continue }
            XCTAssertEqual([first[2], first[3], first[4], first[5]], ["opened", "open", t[2], t[6]], id)
            XCTAssertEqual(last[3], t[1], "\(id): the last step's status is the ticket's")
            let answered = steps.first { ["replied", "waiting", "resolved", "closed"].contains($0[2]) }?[4] ?? ""
            XCTAssertEqual(answered, t[3], "\(id): respondedAt is the first answer")
            let reopened = steps.lastIndex { $0[2] == "reopened" } ?? 0
            let resolved = steps[reopened...].first { $0[2] == "resolved" || $0[2] == "closed" }?[4] ?? ""
            XCTAssertEqual(resolved, t[4], "\(id): resolvedAt is the resolution since the last reopen")
            XCTAssertEqual(steps[reopened...].first { $0[2] == "closed" }?[4] ?? "", t[5], "\(id): closedAt")
            XCTAssertEqual(steps.map { $0[4] }, steps.map { $0[4] }.sorted(), "\(id): steps in the order they were taken")
        }
    }

    /// A closed complaint carries a score (as `close` demands): its closing step says so,
    /// and the same score is a survey dated that day, channel the ticket's.
    func testEveryClosedComplaintHasAScoreAndASurvey() {
        let rows = csv(service, ["find tickets where kind = complaint and status = closed show id, channel, closedAt",
                                 "find events where kind = closed show ticket, text, at",
                                 "find surveys where comment starts with 'ticket ' show comment, score, date, channel"])
        let headers = rows.indices.filter { ["id", "ticket", "comment"].contains(rows[$0][0]) }
        XCTAssertEqual(headers.count, 3, "\(rows.prefix(3))")
        let complaints = rows[(headers[0] + 1)..<headers[1]], closings = rows[(headers[1] + 1)..<headers[2]], surveys = rows[(headers[2] + 1)...]
        XCTAssertGreaterThan(complaints.count, 100)
        var closingText: [String: String] = [:]
        for c in closings { closingText[c[0]] = c[1] }
        var surveyOf: [String: [String]] = [:]
        for s in surveys { surveyOf[String(s[0].dropFirst("ticket ".count).prefix(7))] = s }
        for c in complaints {
            guard let survey = surveyOf[c[0]] else { XCTFail("\(c[0]) has no survey"); continue }
            XCTAssertEqual(closingText[c[0]]?.hasPrefix("satisfaction \(survey[1])"), true, "\(c[0]): \(closingText[c[0]] ?? "no closing step")")
            XCTAssertEqual(survey[2], String(c[2].prefix(10)), "\(c[0]): the survey is dated the closing day")
            XCTAssertEqual(survey[3], c[1], "\(c[0]): the survey's channel is the ticket's")
        }
    }

    /// Surveys, tasks and the derived fields of tickets: there to find, in range, readable.
    func testSurveysAndTasksAreThereAndEveryTicketFieldReads() {
        let n = counts(service, ["count surveys where comment not starts with 'ticket '",
                                 "count surveys where score < 1 or score > 5 or nps < 0 or nps > 10 or date > today",
                                 "count tasks where due <= today and status = open", "count tasks where due > today and status = open",
                                 "count tasks where status = done",
                                 "count tasks where status = done and (doneAt is null or doneAt > 2026-11-24) or status = open and doneAt is not null",
                                 "count tickets"])
        guard n.count == 7 else { return }
        XCTAssertGreaterThan(n[0], 300, "yearly surveys")
        XCTAssertEqual(n[1], 0)
        XCTAssertGreaterThan(n[2], 0)
        XCTAssertGreaterThan(n[3], 0)
        XCTAssertGreaterThan(n[4], 0)
        XCTAssertEqual(n[5], 0)
        let fields = csv(service, ["find tickets show id, respondBy, resolveBy, overdue, sla"])
        XCTAssertEqual(fields.count - 1, n[6], "every ticket's derived fields read")
        XCTAssertEqual(fields.dropFirst().filter { $0[4].isEmpty }.count, 0, "every demo ticket has an sla")
        let card = RapportRunner.run(service + ["--timezone", "UTC", "-c", "show ticket T000001"])
        XCTAssertEqual(card.status, 0, card.stderr)
        XCTAssertTrue(card.stdout.contains("timeline:") && card.stdout.contains("opened"), card.stdout)
    }
}
