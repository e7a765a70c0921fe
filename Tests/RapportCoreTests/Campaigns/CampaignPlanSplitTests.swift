import XCTest
@testable import RapportCore

/// A large run's records are built by halves of its customers on two threads: the run must
/// be the one a single thread builds, change for change, with the same ids in the same order.
final class CampaignPlanSplitTests: XCTestCase {
    let clock = Clock(now: Int64(Day(year: 2026, month: 11, day: 24)!.daysSinceEpoch) * 86_400 + 10 * 3_600,
                      timeZone: TimeZone(identifier: "UTC")!)

    func demoBackend() -> InMemoryBackend {
        let store = Store()
        DemoGenerator(size: 700, today: clock.today).generate { entity, record in _ = store[entity].append(record) }
        return InMemoryBackend(store: store)
    }

    func plan(_ text: String, splitFrom customers: Int, on backend: InMemoryBackend) throws -> CampaignRunner.Run {
        guard case .campaign(let block) = try Parser.parse(text) else {
            XCTFail("not a campaign: \(text)")
            throw CancellationError()
        }
        var runner = CampaignRunner(backend: backend, clock: clock, user: "tester", command: text)
        runner.customersWorthSplitting = customers
        return try runner.plan(block)
    }

    /// The numbers of `entity`'s new ids in the run, in change order.
    func numbers(_ run: CampaignRunner.Run, _ entity: Entity) -> [Int] {
        run.changes.changes.filter { $0.kind == .insert && $0.entity == entity }.map { Int($0.id.dropFirst(entity.idPrefix.count))! }
    }

    func testTwoThreadsBuildTheRunOneThreadBuilds() throws {
        let backend = demoBackend()
        let blocks = [
            // The bench's run: an sms from a template and the contact logged.
            "campaign \"member day\"\n  target customers where id <= C000600\n  send sms \"{name}您好，{city}门店会员日，{tier}会员双倍积分。\"\n  log contact via sms \"member day\"\nend",
            // Two sends and a `set`: two messages a customer, some skipped for either channel.
            "campaign \"two channels\"\n  target customers where stage != lost\n  send preferred \"Hi {name|first}, {points|number} points\"\n  send email \"{name}: {lastPurchase|date}\"\n  log contact via email \"two channels\"\n  set stage = active\nend",
            // No send: a touchpoint per customer.
            "campaign \"quiet log\"\n  target customers where id <= C000500\n  log contact via phone \"checked\"\nend",
            // An action that needs the builder: built on one thread either way.
            "campaign \"calls\"\n  target customers where id <= C000300\n  assign to owner \"call back\" due 3d\nend",
        ]
        for text in blocks {
            let one = try plan(text, splitFrom: .max, on: backend)
            let two = try plan(text, splitFrom: 2, on: backend)
            XCTAssertGreaterThan(one.applied, 100, text)
            XCTAssertEqual(one.changes.changes.count, two.changes.changes.count, text)
            for (a, b) in zip(one.changes.changes, two.changes.changes) where a != b {
                return XCTFail("\(text)\nfirst difference: \(a) vs \(b)")
            }
            XCTAssertEqual(one.messages.map(\.id), two.messages.map(\.id), text)
            XCTAssertEqual(one.messages.map(\.record), two.messages.map(\.record), text)
            XCTAssertEqual(one.summary(dryRun: false), two.summary(dryRun: false), text)
            // The second half's ids follow the first half's: no gap, no repeat.
            for entity in [Entity.messages, .contacts, .touchpoints] {
                let made = numbers(two, entity)
                if let first = made.first { XCTAssertEqual(made, Array(first..<(first + made.count)), "\(text): \(entity)") }
            }
        }
        let memberDay = try plan(blocks[0], splitFrom: 2, on: backend)
        XCTAssertEqual(memberDay.messages.count, memberDay.applied)
        XCTAssertEqual(numbers(memberDay, .contacts).count, memberDay.applied)
        let quiet = try plan(blocks[2], splitFrom: 2, on: backend)
        XCTAssertEqual(numbers(quiet, .touchpoints).count, quiet.applied)
    }
}
