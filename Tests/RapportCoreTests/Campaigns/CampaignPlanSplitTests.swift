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

    /// A run committed to a store with a journal has its messages and contacts written as
    /// journal text on another core while the rollup runs (`JournalPrefix`): the line in the
    /// journal is byte for byte the one written from the whole set, and reads back to the
    /// run's changes. A preview (no `encodesJournalAhead`) starts nothing.
    func testTheJournalTextWrittenAheadIsTheLineWrittenWhole() throws {
        let dir = NSTemporaryDirectory() + "rapport-prefix-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let database = try Database.open(directory: dir)
        DemoGenerator(size: 700, today: clock.today).generate { entity, record in _ = database.store[entity].append(record) }
        let backend = InMemoryBackend(database: database)
        let text = "campaign \"member day\"\n  target customers where id <= C000600\n  send sms \"{name}您好，{city}门店会员日。\"\n  log contact via sms \"member day\"\nend"
        guard case .campaign(let block) = try Parser.parse(text) else { return XCTFail("not a campaign") }
        var runner = CampaignRunner(backend: backend, clock: clock, user: "tester", command: text)
        runner.customersWorthSplitting = 2
        XCTAssertNil(try runner.plan(block).changes.journalPrefix, "a preview writes no journal text")
        runner.encodesJournalAhead = true
        // The journal is open under the write lock, as for a session's run.
        var run = try backend.withWriteLock {
            var run = try runner.plan(block)
            let prefix = try XCTUnwrap(run.changes.journalPrefix)
            XCTAssertEqual(prefix.count, 2 * run.applied, "a message and a contact per customer")
            XCTAssertTrue(run.changes.changes.count > prefix.count, "the rollup's updates follow")
            XCTAssertEqual(JournalCodec.encodeParts(run.changes) { database.store[$0].schema }.count, 3, "the text written ahead is used")
            try backend.commit(&run.changes, by: ChangeAuthor(user: "tester", role: .admin, pinnedNow: nil))
            return run
        }
        XCTAssertGreaterThan(run.applied, 500)
        var whole = run.changes
        whole.journalPrefix = nil
        let expected = JournalCodec.encode(whole) { database.store[$0].schema }
        let journal = try FileSystem.readFile(dir + "/" + Database.journalFile)
        let line = Array(journal.split(separator: 10, omittingEmptySubsequences: true).last ?? []) + [10]
        XCTAssertEqual(line.count, expected.count)
        XCTAssertEqual(String(decoding: line, as: UTF8.self), String(decoding: expected, as: UTF8.self))
        let read = try JournalCodec.decode(line.dropLast(), store: Store())
        XCTAssertEqual(read.changes.map(\.id), run.changes.changes.map(\.id))
    }
}
