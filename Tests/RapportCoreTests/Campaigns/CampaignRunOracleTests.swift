import XCTest
@testable import RapportCore

/// A campaign run's fast paths (templates and consent read from columns found once, the
/// rollup's places and final facts kept without hashing every record, outbox lines and
/// journal keys from bytes made once) against the plain definitions they stand for: each
/// message's text as `Template.render` makes it of the customer's stored record, its route
/// as `Consent.decide` gives it, the outbox line as `JSONWriter` writes the message's
/// texts, the journal line as the generic writer writes it, and one `lastContact` update
/// per customer messaged.
final class CampaignRunOracleTests: XCTestCase {
    let clock = Clock(now: Int64(Day(year: 2026, month: 11, day: 24)!.daysSinceEpoch) * 86_400 + 10 * 3_600,
                      timeZone: TimeZone(identifier: "UTC")!)

    func plan(_ text: String, on backend: InMemoryBackend) throws -> (CampaignBlock, CampaignRunner.Run) {
        guard case .campaign(let block) = try Parser.parse(text) else {
            XCTFail("not a campaign: \(text)")
            throw CancellationError()
        }
        return (block, try CampaignRunner(backend: backend, clock: clock, user: "tester", command: text).plan(block))
    }

    func testARunIsWhatItsDefinitionsMake() throws {
        let store = Store()
        DemoGenerator(size: 700, today: clock.today).generate { entity, record in _ = store[entity].append(record) }
        let backend = InMemoryBackend(store: store)
        let blocks = [
            // The bench's run.
            "campaign \"member day\"\n  target customers where id <= C000600\n  send sms \"{name}您好，{city}门店会员日，{tier}会员双倍积分。\"\n  log contact via sms \"member day\"\nend",
            // Formats, a field in another case, a preferred channel, two sends.
            "campaign \"two channels\"\n  target customers where stage != lost\n  send preferred \"Hi {NAME|first}, {totalSpent|number} spent\"\n  send email \"{name}: {lastPurchase|date} {{ok}}\"\n  log contact via email \"two channels\"\nend",
        ]
        let formatter = ValueFormatter(timeZone: clock.timeZone)
        for text in blocks {
            let (block, run) = try plan(text, on: backend)
            XCTAssertGreaterThan(run.messages.count, 100, text)
            let customerIDs = Array(Set(run.messages.map { $0.record[RecordField.customer]!.stringValue! }))
            let stored = backend.records(.customers, ids: customerIDs, fields: nil)
            let schema = backend.schema(of: .customers)
            let sends = block.actions.compactMap { action -> (SendChannel, Template)? in
                if case .send(let channel, let template) = action { (channel, template) } else { nil }
            }
            // The messages come per customer, one per send, in the block's order.
            for (k, message) in run.messages.enumerated() {
                let (channel, template) = sends[k % sends.count]
                let customer = message.record[RecordField.customer]!.stringValue!
                let record = stored[customer]!
                let names = Dictionary(template.fields.map { ($0.name, schema.field(named: $0.name)!.name) }, uniquingKeysWith: { a, _ in a })
                XCTAssertEqual(message.record["text"], .string(template.render(record, names: names, formatter: formatter)), text)
                guard case .send(let c, let to) = CampaignRunner.decide(channel, record) else { return XCTFail("\(customer) was not to be sent: \(text)") }
                XCTAssertEqual(message.record["channel"], .string(c), text)
                XCTAssertEqual(message.record["to"], .string(to), text)
            }

            // Outbox lines: the texts of the line's fields as a JSON object, null when missing.
            let outbox = Outbox(storeDirectory: NSTemporaryDirectory(), clock: clock)
            var expected: [Day: [UInt8]] = [:]
            for m in run.messages {
                guard case .instant(let at)? = m.record["at"] else { continue }
                let object = JSONValue.object(Outbox.fields.map { name in
                    (name, m.record[name].map { $0.isNull ? JSONValue.null : .string(formatter.text($0)) } ?? .null)
                })
                expected[clock.day(of: at), default: []] += JSONWriter.encode(object) + [10]
            }
            XCTAssertEqual(outbox.lines(of: run.messages), expected, text)
            XCTAssertEqual(outbox.lines(of: run.messages.map { ($0.id, $0.record.dictionary) }), expected, text)

            // The journal line: the generic writer's, byte for byte.
            var set = run.changes
            set.sequence = 7
            let schemas = { (e: Entity) in backend.schema(of: e) }
            XCTAssertEqual(String(decoding: JournalCodec.encode(set, schemas: schemas), as: UTF8.self),
                           String(decoding: JournalEncodingTests.genericLine(set, schemas: schemas), as: UTF8.self), text)

            // The rollup: each customer messaged gets today as lastContact, once, with its stored value before.
            let updates = run.changes.changes.filter { $0.entity == .customers && $0.kind == .update }
            let moved = customerIDs.filter { stored[$0]![CustomerField.lastContact] != .date(clock.today) }
            XCTAssertEqual(Set(updates.map(\.id)), Set(moved), text)
            XCTAssertEqual(updates.count, moved.count, text)
            for update in updates {
                XCTAssertEqual(update.after, [CustomerField.lastContact: .date(clock.today)], text)
                XCTAssertEqual(update.before, [CustomerField.lastContact: stored[update.id]![CustomerField.lastContact] ?? .null], text)
            }
            // The updates follow the order the set first names the customers in.
            var firstNamed: [String] = []
            var seen = Set<String>()
            for change in run.changes.changes where change.entity == .contacts {
                let id = change.after(RecordField.customer)!.stringValue!
                if seen.insert(id).inserted, moved.contains(id) { firstNamed.append(id) }
            }
            XCTAssertEqual(updates.map(\.id), firstNamed, text)
        }
    }

    /// A set that inserts contacts and purchases and then updates or deletes some of them
    /// (the rollup keeps its final facts by id only then) rolls up as the same records
    /// committed one change at a time.
    func testChangesToRecordsTheSameSetInsertedRollUpAsOneByOne() throws {
        let day = { (d: Int) in Value.date(Day(year: 2026, month: 11, day: d)!) }
        func backend() -> InMemoryBackend {
            let store = Store()
            for id in ["C1", "C2"] { store.customers.append(QueryFixtures.customer(id, [CustomerField.name: .string(id)])) }
            return InMemoryBackend(store: store)
        }
        let changes = [
            RecordChange(kind: .insert, entity: .contacts, id: "K1", after: [RecordField.id: .string("K1"), RecordField.customer: .string("C1"), RecordField.date: day(10)]),
            RecordChange(kind: .insert, entity: .contacts, id: "K2", after: [RecordField.id: .string("K2"), RecordField.customer: .string("C1"), RecordField.date: day(20)]),
            RecordChange(kind: .insert, entity: .purchases, id: "P1", after: [RecordField.id: .string("P1"), RecordField.customer: .string("C2"), RecordField.date: day(5), RecordField.amount: .number(40)]),
            RecordChange(kind: .insert, entity: .purchases, id: "P2", after: [RecordField.id: .string("P2"), RecordField.customer: .string("C2"), RecordField.date: day(9), RecordField.amount: .number(60)]),
            // The latest contact moves to the other customer; the latest purchase goes.
            RecordChange(kind: .update, entity: .contacts, id: "K2", before: [RecordField.customer: .string("C1")], after: [RecordField.customer: .string("C2")]),
            RecordChange(kind: .delete, entity: .purchases, id: "P2", before: [RecordField.id: .string("P2"), RecordField.customer: .string("C2"), RecordField.date: day(9), RecordField.amount: .number(60)]),
        ]
        let author = ChangeAuthor(user: "tester", role: .admin, pinnedNow: nil)
        let together = backend()
        var set = ChangeSet(at: 0, user: "tester", command: "test")
        set.changes = changes
        try CustomerRollup(backend: together).reconcile(&set)
        try together.commit(&set, by: author)

        let oneByOne = backend()
        for change in changes {
            var single = ChangeSet(at: 0, user: "tester", command: "test")
            single.changes = [change]
            try CustomerRollup(backend: oneByOne).reconcile(&single)
            try oneByOne.commit(&single, by: author)
        }
        let fields = [CustomerField.lastContact, CustomerField.lastPurchase, CustomerField.totalSpent, CustomerField.purchaseCount]
        let a = together.records(.customers, ids: ["C1", "C2"], fields: fields)
        XCTAssertEqual(a, oneByOne.records(.customers, ids: ["C1", "C2"], fields: fields))
        XCTAssertEqual(a["C1"]?[CustomerField.lastContact], day(10))
        XCTAssertEqual(a["C2"]?[CustomerField.lastContact], day(20))
        XCTAssertEqual(a["C2"]?[CustomerField.lastPurchase], day(5))
        XCTAssertEqual(a["C2"]?[CustomerField.totalSpent], .number(40))
    }
}

private extension Value {
    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
}
