import XCTest
@testable import RapportCore

/// The rule for derived customer fields, change by change.
final class CustomerRollupTests: XCTestCase {
    let clock = QueryFixtures.clock

    func session() -> Session {
        let store = Store()
        store.customers.append(QueryFixtures.customer("C1", ["name": .string("A"), "totalSpent": .number(500),
                                                             "purchaseCount": .integer(3)]))
        store[.points].append(QueryFixtures.balance("C1", 40))
        store.customers.append(QueryFixtures.customer("C2", ["name": .string("B")]))
        return Session(database: .inMemory(store), settings: Settings(user: "t"), clock: clock, pinnedNow: clock.now)
    }

    func field(_ s: Session, _ id: String, _ name: String) -> Value {
        let t = s.store.customers
        if name == CustomerField.points { return t.derivedColumn(named: name, today: clock.today).value(at: t.row(ofID: id)!) }
        return t.value(row: t.row(ofID: id)!, field: t.schema.position(of: name)!)
    }

    /// An import's opening balances name the customers the same set inserts, which the
    /// rollup takes as existing without looking them up; a customer the set inserts and
    /// deletes, or one neither stored nor inserted, is still refused, and a purchase of an
    /// inserted customer still moves its derived fields.
    func testRecordsNamingCustomersTheSetInsertsNeedNoStoredCustomer() throws {
        let store = Store()
        store.customers.append(QueryFixtures.customer("C1", [:]))
        let backend = InMemoryBackend(store: store)
        var set = ChangeSet(at: 0, user: "t", command: "import")
        set.changes = [customer("N1"), balance("L1", "N1"), balance("L2", "C1"), customer("N2"), balance("L3", "N2"),
                       RecordChange(kind: .insert, entity: .purchases, id: "P1", after: [
                           RecordField.id: .string("P1"), RecordField.customer: .string("N2"), RecordField.date: .date(clock.today),
                           RecordField.amount: .number(12.5)])]
        try CustomerRollup(backend: backend).reconcile(&set)
        let n2 = try XCTUnwrap(set.changes.first { $0.entity == .customers && $0.id == "N2" })
        XCTAssertEqual(n2.after(CustomerField.totalSpent), .number(12.5), "the purchase still moves an inserted customer's fields")

        var refused = ChangeSet(at: 0, user: "t", command: "x")
        refused.changes = [customer("N3"), RecordChange(kind: .delete, entity: .customers, id: "N3", before: [:]),
                           balance("L4", "N3"), balance("L5", "NOPE"), customer("N4"), balance("L6", "N4")]
        XCTAssertThrowsError(try CustomerRollup(backend: backend).reconcile(&refused)) { error in
            let problems = (error as? CustomerRollup.Failure)?.problems ?? []
            XCTAssertEqual(problems.map(\.changeIndex), [2, 3])
            XCTAssertEqual(problems.map(\.id), [.customerNotFound, .customerNotFound])
        }
    }

    /// A balance right after its customer's insert, in a set whose customers come in
    /// increasing id order, is taken as inserted without a map of ids; any other order or
    /// place goes through the map, with the same answers.
    func testBalancesFindTheCustomersTheSetInsertsInAnyOrder() throws {
        let backend = InMemoryBackend(store: Store())
        let accepted: [[RecordChange]] = [
            [customer("N1"), balance("L1", "N1"), customer("N2"), balance("L2", "N2")],
            [customer("N2"), balance("L1", "N2"), customer("N1"), balance("L2", "N1")],
            [customer("N1"), customer("N2"), balance("L1", "N1"), balance("L2", "N2")],
        ]
        for changes in accepted {
            var set = ChangeSet(at: 0, user: "t", command: "import")
            set.changes = changes
            XCTAssertNoThrow(try CustomerRollup(backend: backend).reconcile(&set))
            XCTAssertEqual(set.changes.count, 4, "\(changes.map(\.id))")
        }
        let refused: [[RecordChange]] = [
            [customer("N1"), balance("L1", "N1"), customer("N2"), balance("L2", "N3")],
            [customer("N2"), balance("L1", "N2"), customer("N1"), balance("L2", "N3")],
            [customer("N1"), balance("L1", "N1"), RecordChange(kind: .delete, entity: .customers, id: "N1", before: [:]), balance("L2", "N3")],
        ]
        for changes in refused {
            var set = ChangeSet(at: 0, user: "t", command: "import")
            set.changes = changes
            XCTAssertThrowsError(try CustomerRollup(backend: backend).reconcile(&set)) { error in
                let problems = (error as? CustomerRollup.Failure)?.problems ?? []
                let expected = changes[2].kind == .delete ? [1, 3] : [3]
                XCTAssertEqual(problems.map(\.changeIndex), expected, "\(changes.map(\.id))")
                XCTAssertEqual(Set(problems.map(\.id)), [.customerNotFound])
            }
        }
    }

    func testOpeningBalanceIsKeptAndDifferencesApplied() {
        let s = session()
        XCTAssertEqual(s.run("add purchase id: P1, customer: \"C1\", date: 2026-03-01, amount: 20.5").status, .success)
        XCTAssertEqual(field(s, "C1", "totalSpent"), .number(520.5))
        XCTAssertEqual(field(s, "C1", "purchaseCount"), .integer(4))
        XCTAssertEqual(field(s, "C1", "points"), .integer(60))
        XCTAssertEqual(field(s, "C1", "lastPurchase"), .date(Day(iso: "2026-03-01")!))
        XCTAssertEqual(s.run("update purchases where id = P1 set amount = 10").status, .success)
        XCTAssertEqual(field(s, "C1", "totalSpent"), .number(510))
        XCTAssertEqual(field(s, "C1", "points"), .integer(50))
        // Moved to C2: C1 loses it (and its latest date), C2 gains it.
        XCTAssertEqual(s.run("update purchases where id = P1 set customer = \"C2\"").status, .success)
        XCTAssertEqual(field(s, "C1", "totalSpent"), .number(500))
        XCTAssertEqual(field(s, "C1", "lastPurchase"), .null)
        XCTAssertEqual(field(s, "C2", "totalSpent"), .number(10))
        XCTAssertEqual(field(s, "C2", "purchaseCount"), .integer(1))
        XCTAssertEqual(field(s, "C2", "lastPurchase"), .date(Day(iso: "2026-03-01")!))
        XCTAssertEqual(field(s, "C2", "points"), .integer(10), "its ledger entry moved with it")
        XCTAssertEqual(field(s, "C1", "points"), .integer(40))
        XCTAssertEqual(s.run("delete purchases where id = P1").output, "deleted 1 purchase (P1) and 1 related record\n",
                       "the customer's update is no related record; the purchase's ledger entry is")
        XCTAssertEqual(field(s, "C2", "points"), .integer(0))
        XCTAssertNil(s.store[.points].row(ofID: "LP1"))
        XCTAssertEqual(field(s, "C2", "totalSpent"), .number(0))
        XCTAssertEqual(field(s, "C2", "purchaseCount"), .integer(0))
        XCTAssertEqual(field(s, "C2", "lastPurchase"), .null)
    }

    func testLatestContactIsRecomputedWhenItsRecordGoes() {
        let s = session()
        XCTAssertEqual(s.run("add contact id: K1, customer: \"C1\", date: 2026-01-05, channel: call").status, .success)
        XCTAssertEqual(s.run("add contact id: K2, customer: \"C1\", date: 2026-06-05, channel: email").status, .success)
        XCTAssertEqual(field(s, "C1", "lastContact"), .date(Day(iso: "2026-06-05")!))
        XCTAssertEqual(s.run("delete contacts where id = K2").status, .success)
        XCTAssertEqual(field(s, "C1", "lastContact"), .date(Day(iso: "2026-01-05")!))
        XCTAssertEqual(s.run("update contacts where id = K1 set date = 2025-12-31").status, .success)
        XCTAssertEqual(field(s, "C1", "lastContact"), .date(Day(iso: "2025-12-31")!))
        let t = s.store[.contacts]
        XCTAssertEqual(t.value(row: t.row(ofID: "K1")!, field: t.schema.position(of: "channel")!), .string("phone"), "call is stored as phone")
    }

    /// A batch of contacts (a campaign's) and a purchase for stored customers: each
    /// customer gets one positional update of the fields that move, with the stored values
    /// before, none where nothing moves; applied and journaled exactly as the same updates
    /// written as dictionaries.
    func testABatchOfContactsGivesPositionalUpdatesOfWhatMoves() throws {
        let store = Store()
        let today = clock.today
        let later = today.adding(days: 3), earlier = today.adding(days: -30)
        store.customers.append(QueryFixtures.customer("C1", [:]))
        store.customers.append(QueryFixtures.customer("C2", [CustomerField.lastContact: .date(earlier)]))
        store.customers.append(QueryFixtures.customer("C3", [CustomerField.lastContact: .date(later)]))
        store.customers.append(QueryFixtures.customer("C4", [CustomerField.totalSpent: .number(100), CustomerField.purchaseCount: .integer(2),
                                                             CustomerField.lastContact: .date(earlier)]))
        let backend = InMemoryBackend(store: store)
        var set = ChangeSet(at: 0, user: "t", command: "campaign")
        let contactFields = FieldList([RecordField.date, RecordField.customer, RecordField.id])
        for (n, customer) in ["C1", "C2", "C3", "C4", "C4"].enumerated() {
            set.changes.append(RecordChange(insert: .contacts, id: "K\(n)", record: PositionalRecord(contactFields, [
                .date(n == 4 ? earlier : today), .string(customer), .string("K\(n)"),
            ])))
        }
        set.changes.append(RecordChange(kind: .insert, entity: .purchases, id: "P1", after: [
            RecordField.id: .string("P1"), RecordField.customer: .string("C4"), RecordField.date: .date(earlier), RecordField.amount: .number(20.5),
        ]))
        try CustomerRollup(backend: backend).reconcile(&set)

        let updates = set.changes.filter { $0.kind == .update }
        XCTAssertEqual(updates.map(\.id), ["C1", "C2", "C4"], "C3's lastContact is later than the contact: no update")
        XCTAssertTrue(updates.allSatisfy { $0.positionalBefore != nil && $0.positionalAfter != nil })
        XCTAssertEqual(updates[0].before, [CustomerField.lastContact: .null])
        XCTAssertEqual(updates[0].after, [CustomerField.lastContact: .date(today)])
        XCTAssertEqual(updates[1].before, [CustomerField.lastContact: .date(earlier)])
        XCTAssertEqual(updates[1].after(CustomerField.lastContact), .date(today))
        XCTAssertEqual(updates[2].before, [CustomerField.totalSpent: .number(100), CustomerField.purchaseCount: .integer(2),
                                           CustomerField.lastPurchase: .null, CustomerField.lastContact: .date(earlier)])
        XCTAssertEqual(updates[2].after, [CustomerField.totalSpent: .number(120.5), CustomerField.purchaseCount: .integer(3),
                                          CustomerField.lastPurchase: .date(earlier), CustomerField.lastContact: .date(today)])
        XCTAssertTrue(updates[0].positionalAfter!.fields === updates[1].positionalAfter!.fields, "one field list per combination of fields")

        var named = set
        named.changes = set.changes.map { c in
            c.kind == .update ? RecordChange(kind: .update, entity: c.entity, id: c.id, before: c.before, after: c.after) : c
        }
        XCTAssertNil(named.changes.first { $0.kind == .update }!.positionalAfter)
        let schemas = { (e: Entity) in store[e].schema }
        XCTAssertEqual(String(decoding: JournalCodec.encode(set, schemas: schemas), as: UTF8.self),
                       String(decoding: JournalCodec.encode(named, schemas: schemas), as: UTF8.self))

        let namedStore = Store()
        for row in 0..<store.customers.rowCount { namedStore.customers.append(store.customers.record(row: row)) }
        store.apply(set)
        namedStore.apply(named)
        for id in ["C1", "C2", "C3", "C4"] {
            for name in CustomerRollup.movedFields {
                let p = store.customers.schema.position(of: name)!
                XCTAssertEqual(store.customers.value(row: store.customers.row(ofID: id)!, field: p),
                               namedStore.customers.value(row: namedStore.customers.row(ofID: id)!, field: p), "\(id) \(name)")
            }
        }
        XCTAssertEqual(store.customers.value(row: store.customers.row(ofID: "C3")!, field: store.customers.schema.position(of: CustomerField.lastContact)!),
                       .date(later))
        XCTAssertEqual(store.customers.value(row: store.customers.row(ofID: "C4")!, field: store.customers.schema.position(of: CustomerField.totalSpent)!),
                       .number(120.5))
    }

    func testRecordsOfUnknownCustomersAndKeptFieldsAreRefused() {
        let s = session()
        var out = s.run("add purchase customer: \"C9\", amount: 5")
        XCTAssertEqual(out.status, .runtimeError, "as for log purchase C9")
        XCTAssertTrue(out.messages.contains("at 1:24"), "points at the customer: \(out.messages)")
        XCTAssertTrue(out.messages.contains("no customer with id 'C9'"), out.messages)
        out = s.run("open ticket C9 complaint \"x\"")
        XCTAssertNotEqual(out.status, .success)
        XCTAssertEqual(s.run("add purchase id: P1, customer: \"C1\", amount: 5").status, .success)
        out = s.run("update purchases where id = P1 set customer = \"C9\"")
        XCTAssertTrue(out.messages.contains("no customer with id 'C9'"), out.messages)
        out = s.run("update customers where id = C1 set totalSpent = 1")
        XCTAssertEqual(out.status, .usageError)
        XCTAssertTrue(out.messages.contains("totalSpent is kept from the customer's purchases; change the purchases instead"), out.messages)
        XCTAssertEqual(s.run("update customers where id = C1 set points = 7").diagnosticIDs, [.derivedFieldCannotBeSet],
                       "points are the ledger's: add points and redeem change them")
        XCTAssertEqual(s.run("add points C1 7 \"goodwill\"").status, .success)
        XCTAssertEqual(s.store.sequence, 2)
    }
}

/// An import's opening balance of 10 points for `customer`, as a positional insert.
private func balance(_ id: String, _ customer: String) -> RecordChange {
    RecordChange(insert: .points, id: id, record: PositionalRecord(openingBalanceFields, [
        .string(id), .string(customer), .date(QueryFixtures.clock.today), .integer(10), .string("opening balance (import)"),
    ]))
}

private let openingBalanceFields = FieldList([RecordField.id, RecordField.customer, RecordField.date, PointsField.change, PointsField.reason])

/// The insert of a customer named after its id.
private func customer(_ id: String) -> RecordChange {
    RecordChange(kind: .insert, entity: .customers, id: id, after: [RecordField.id: .string(id), CustomerField.name: .string(id)])
}
