import XCTest
@testable import RapportCore

/// `Store.apply` finds each named field's position once per set and entity: the values
/// of several entities sharing field names, in any case, land in their own columns.
final class StoreApplyTests: XCTestCase {
    func testValuesLandInTheirEntitysColumnsWhateverTheCase() throws {
        let store = Store()
        var set = ChangeSet(at: 0, user: "u", command: "x")
        set.sequence = 1
        set.changes = [
            RecordChange(kind: .insert, entity: .customers, id: "C1", after: [RecordField.id: .string("C1"), CustomerField.name: .string("王芳"),
                                                                             "city": .string("上海")]),
            RecordChange(kind: .insert, entity: .contacts, id: "K1", after: [RecordField.id: .string("K1"), RecordField.customer: .string("C1"),
                                                                            RecordField.date: .date(Day(iso: "2026-12-24")!), "note": .string("会员日")]),
            RecordChange(kind: .insert, entity: .customers, id: "C2", after: [RecordField.id: .string("C2"), "NAME": .string("李雷")]),
            RecordChange(kind: .update, entity: .customers, id: "C1", before: ["city": .string("上海")], after: ["City": .string("北京")]),
            RecordChange(kind: .insert, entity: .contacts, id: "K2", after: [RecordField.id: .string("K2"), "Customer": .string("C2")]),
        ]
        store.apply(set)
        func value(_ entity: Entity, _ id: String, _ field: String) throws -> Value {
            let table = store[entity]
            let row = try XCTUnwrap(table.row(ofID: id))
            return table.value(row: row, field: try XCTUnwrap(table.schema.position(of: field)))
        }
        XCTAssertEqual(try value(.customers, "C1", CustomerField.name), .string("王芳"))
        XCTAssertEqual(try value(.customers, "C1", "city"), .string("北京"))
        XCTAssertEqual(try value(.customers, "C2", CustomerField.name), .string("李雷"))
        XCTAssertEqual(try value(.contacts, "K1", "note"), .string("会员日"))
        XCTAssertEqual(try value(.contacts, "K1", RecordField.customer), .string("C1"))
        XCTAssertEqual(try value(.contacts, "K2", RecordField.customer), .string("C2"))
        XCTAssertEqual(try value(.contacts, "K2", RecordField.date), .null)
    }

    /// A campaign-sized set of inserts: every record lands, ids find their rows, the hash
    /// index of customer built before the set follows it, and a later set appends after them.
    func testABigSetAppendsEveryRecordAndTheTableGrowsOnAfterIt() throws {
        let store = Store()
        let contacts = store[.contacts]
        let customerPosition = try XCTUnwrap(contacts.schema.position(of: RecordField.customer))
        var first = ChangeSet(at: 0, user: "u", command: "x")
        first.sequence = 1
        first.changes = [RecordChange(kind: .insert, entity: .contacts, id: "K0", after: [RecordField.customer: .string("C0")])]
        store.apply(first)
        XCTAssertNotNil(contacts.hashIndex(field: customerPosition))
        let count = 2_055
        var big = ChangeSet(at: 0, user: "u", command: "x")
        big.sequence = 2
        big.changes = (1...count).map { i in
            RecordChange(kind: .insert, entity: .contacts, id: "K\(i)", after: [RecordField.customer: .string("C\(i % 10)"),
                                                                              RecordField.date: .date(Day(daysSinceEpoch: Int32(i)))])
        }
        store.apply(big)
        var last = ChangeSet(at: 0, user: "u", command: "x")
        last.sequence = 3
        last.changes = [RecordChange(kind: .insert, entity: .contacts, id: "K\(count + 1)", after: [RecordField.customer: .string("C1")])]
        store.apply(last)

        XCTAssertEqual(contacts.liveCount, count + 2)
        XCTAssertEqual(contacts.highestGeneratedNumber, count + 1)
        for i in [0, 1, 1_024, count, count + 1] {
            let row = try XCTUnwrap(contacts.row(ofID: "K\(i)"), "K\(i)")
            XCTAssertEqual(row, i)
            XCTAssertEqual(contacts.value(row: row, field: customerPosition), .string(i == count + 1 ? "C1" : "C\(i % 10)"))
        }
        guard case .string(let customers) = contacts.columns[customerPosition] else { return XCTFail("customer is a string column") }
        let index = try XCTUnwrap(contacts.hashIndex(field: customerPosition))
        // C3: every tenth of the big set's contacts (i = 3, 13, ...).
        XCTAssertEqual(index.count(code: try XCTUnwrap(customers.dictionary.code(of: "C3"))), (count + 7) / 10)
        let date = try XCTUnwrap(contacts.schema.position(of: RecordField.date))
        XCTAssertEqual(contacts.value(row: count, field: date), .date(Day(daysSinceEpoch: Int32(count))))
    }

    /// A positional insert lands as the same record as a dictionary: names in any case
    /// and order, a name outside the schema dropped, its id from the change; two lists of
    /// one entity in one set each find their own positions.
    func testPositionalInsertsLandAsTheirDictionariesDo() throws {
        let lists = [FieldList(["NOTE", RecordField.customer, "unknown", RecordField.date, RecordField.id]),
                     FieldList([RecordField.date, "channel", RecordField.customer])]
        var positional = ChangeSet(at: 0, user: "u", command: "x")
        positional.sequence = 1
        for i in 0..<300 {
            let day = Value.date(Day(daysSinceEpoch: Int32(i)))
            let record = i % 3 == 0
                ? PositionalRecord(lists[1], [day, .string("sms"), .string("C\(i % 7)")])
                : PositionalRecord(lists[0], [.string("会员日 \(i)"), .string("C\(i % 7)"), .integer(Int64(i)), day, .string("ignored")])
            positional.changes.append(RecordChange(insert: .contacts, id: "K\(i)", record: record))
        }
        var named = positional
        named.changes = positional.changes.map { RecordChange(kind: .insert, entity: .contacts, id: $0.id, after: $0.after) }
        let a = Store(), b = Store()
        a.apply(positional)
        b.apply(named)
        XCTAssertEqual(a[.contacts].liveCount, 300)
        for row in 0..<300 { XCTAssertEqual(a[.contacts].record(row: row), b[.contacts].record(row: row)) }
        let note = try XCTUnwrap(a[.contacts].schema.position(of: "note"))
        let channel = try XCTUnwrap(a[.contacts].schema.position(of: "channel"))
        XCTAssertEqual(a[.contacts].value(row: 1, field: note), .string("会员日 1"))
        XCTAssertEqual(a[.contacts].value(row: 3, field: channel), .string("sms"))
        XCTAssertEqual(a[.contacts].id(ofRow: 4), "K4", "the id is the change's, not the list's")
        XCTAssertEqual(a[.contacts].highestGeneratedNumber, 299)
    }

    /// A batch of positional inserts goes into the columns one column at a time (on two
    /// cores from `Table.insertsWorthSplitting`): every row must still hold its own values
    /// in every column, as the same changes applied one set per change leave them. Field
    /// lists in different orders and cases, a name outside the schema, missing fields and
    /// explicit nulls, empty and full lists, Chinese text, custom fields of every kind
    /// added by the same set, an update of a stored customer and of an inserted one between
    /// two runs, another table's run between them, and indexes built before the set.
    func testABatchOfInsertsEndsAsTheSameInsertsOneByOne() throws {
        let runLength = Table.insertsWorthSplitting + 904
        let lists = [
            FieldList([RecordField.id, CustomerField.name, "city", "tags", "totalSpent", "会员卡", "vip"]),
            FieldList(["CITY", CustomerField.name, "birthday", "satisfaction", "Visits", "joinedAt", "tags", "notInSchema", RecordField.id]),
            FieldList([CustomerField.name, CustomerField.email, "optOut", RecordField.id]),
        ]
        let cities = ["上海", "北京", "Shenzhen", "成都"]
        func customer(_ i: Int) -> RecordChange {
            let id = "C\(i)", n = Int64(i)
            let record: PositionalRecord
            switch i % 3 {
            case 0:
                record = PositionalRecord(lists[0], [
                    .string(id), .string("王芳 \(i)"), i % 4 == 0 ? .null : .string(cities[i % 4]),
                    i % 5 == 0 ? .list([]) : .list(["会员", "tag\(i % 7)"]), i % 6 == 0 ? .null : .number(Double(i) / 4),
                    .string("卡\(i % 11)"), i % 9 == 0 ? .null : .boolean(i % 2 == 0),
                ])
            case 1:
                record = PositionalRecord(lists[1], [
                    .string(cities[(i + 1) % 4]), .string("Li Na \(i)"), .date(Day(daysSinceEpoch: Int32(i % 20_000))),
                    i % 4 == 1 ? .null : .integer(n % 5 + 1), .integer(n * 3), .instant(1_700_000_000 + n),
                    .list(["vip"]), .string("dropped"), .string(id),
                ])
            default:
                record = PositionalRecord(lists[2], [
                    .string("赵磊"), i % 4 == 2 ? .null : .string("z\(i)@例子.com"), .list(["email", "短信"]), .string(id),
                ])
            }
            return RecordChange(insert: .customers, id: id, record: record)
        }
        var set = ChangeSet(at: 0, user: "u", command: "x")
        set.sequence = 2
        set.fieldAdditions = [FieldAddition(entity: .customers, field: Field("会员卡", .string)),
                              FieldAddition(entity: .customers, field: Field("vip", .boolean)),
                              FieldAddition(entity: .customers, field: Field("visits", .integer)),
                              FieldAddition(entity: .customers, field: Field("joinedAt", .instant))]
        for i in 1...runLength { set.changes.append(customer(i)) }
        set.changes.append(RecordChange(kind: .update, entity: .customers, id: "C0", before: ["city": .string("杭州")], after: ["city": .string("上海")]))
        set.changes.append(RecordChange(update: .customers, id: "C10", fields: FieldList(["tags", "name"]),
                                        before: [.list(["vip"]), .string("Li Na 10")], after: [.list(["改"]), .string("王芳 改")]))
        let points = FieldList([RecordField.customer, "change", RecordField.date, "reason"])
        for i in 1...runLength {
            set.changes.append(RecordChange(insert: .points, id: "P\(i)", record: PositionalRecord(points, [
                .string("C\(i)"), .integer(Int64(i % 500) - 100), .date(Day(daysSinceEpoch: 20_000)), i % 2 == 0 ? .null : .string("开户"),
            ])))
        }
        for i in runLength + 1...2 * runLength { set.changes.append(customer(i)) }
        XCTAssertNil(Store().applyPlan(of: set), "the runs are batches on one thread's walk")

        let batched = Store(), oneByOne = Store()
        for store in [batched, oneByOne] {
            var seed = ChangeSet(at: 0, user: "u", command: "seed")
            seed.sequence = 1
            seed.changes = [RecordChange(kind: .insert, entity: .customers, id: "C0",
                                         after: [CustomerField.name: .string("Stored"), "city": .string("杭州"), "totalSpent": .number(7)])]
            store.apply(seed)
            let table = store.customers
            for name in ["city", "tags"] { XCTAssertNotNil(table.hashIndex(field: try XCTUnwrap(table.schema.position(of: name)))) }
            for name in ["totalSpent", "birthday"] { XCTAssertNotNil(table.orderedIndex(field: try XCTUnwrap(table.schema.position(of: name)))) }
        }
        batched.apply(set)
        var additions = set
        additions.changes = []
        oneByOne.apply(additions)
        Self.applyOneByOne(set.changes, to: oneByOne, firstSequence: 3)

        for entity in [Entity.customers, .points] {
            let a = batched[entity], b = oneByOne[entity]
            XCTAssertEqual(a.schema.fields.map(\.name), b.schema.fields.map(\.name), "\(entity)")
            XCTAssertEqual(a.rowCount, b.rowCount, "\(entity)")
            XCTAssertEqual(a.liveCount, b.liveCount, "\(entity)")
            XCTAssertEqual(a.rowsInIDOrder, b.rowsInIDOrder, "\(entity)")
            XCTAssertEqual(a.highestGeneratedNumber, b.highestGeneratedNumber, "\(entity)")
            for row in 0..<a.rowCount {
                XCTAssertEqual(a.record(row: row), b.record(row: row), "\(entity) row \(row)")
                XCTAssertEqual(a.row(ofID: a.id(ofRow: row)), row, "\(entity) row \(row)")
            }
            // The same codes in the same order: the snapshot and the column image write them.
            for (x, y) in zip(a.columns, b.columns) {
                guard case .string(let s) = x, case .string(let t) = y else { continue }
                XCTAssertEqual(s.codes.array, t.codes.array, "\(entity)")
                XCTAssertEqual(Array(s.dictionary.strings), Array(t.dictionary.strings), "\(entity)")
            }
        }
        XCTAssertEqual(batched.customers.liveCount, 2 * runLength + 1)
        let a = batched.customers, b = oneByOne.customers
        for name in ["city", "tags"] {
            let p = try XCTUnwrap(a.schema.position(of: name))
            XCTAssertEqual(try XCTUnwrap(a.hashIndex(field: p)).postings, try XCTUnwrap(b.hashIndex(field: p)).postings, name)
        }
        for name in ["totalSpent", "birthday"] {
            let p = try XCTUnwrap(a.schema.position(of: name))
            let (x, y) = (try XCTUnwrap(a.orderedIndex(field: p)), try XCTUnwrap(b.orderedIndex(field: p)))
            XCTAssertEqual(x.keys, y.keys, name)
            XCTAssertEqual(x.rows, y.rows, name)
        }
        // Spot checks against the changes themselves, so both stores cannot be wrong alike.
        func value(_ id: String, _ field: String) throws -> Value {
            a.value(row: try XCTUnwrap(a.row(ofID: id)), field: try XCTUnwrap(a.schema.position(of: field)))
        }
        XCTAssertEqual(try value("C0", "city"), .string("上海"))
        XCTAssertEqual(try value("C10", "tags"), .list(["改"]))
        XCTAssertEqual(try value("C10", "name"), .string("王芳 改"))
        XCTAssertEqual(try value("C10", "city"), .string("成都"))
        XCTAssertEqual(try value("C12", "city"), .null)
        XCTAssertEqual(try value("C15", "tags"), .null)
        XCTAssertEqual(try value("C6", "totalSpent"), .null)
        XCTAssertEqual(try value("C9", "vip"), .null)
        XCTAssertEqual(try value("C6", "vip"), .boolean(true))
        XCTAssertEqual(try value("C3", "vip"), .boolean(false))
        XCTAssertEqual(try value("C7", "visits"), .integer(21))
        XCTAssertEqual(try value("C7", "joinedAt"), .instant(1_700_000_007))
        XCTAssertEqual(try value("C7", "satisfaction"), .integer(3))
        XCTAssertEqual(try value("C1", "satisfaction"), .null)
        XCTAssertEqual(try value("C1", "city"), .string("Shenzhen"))
        XCTAssertEqual(try value("C8", "email"), .string("z8@例子.com"))
        XCTAssertEqual(try value("C2", "email"), .null)
        XCTAssertEqual(try value("C8", "optOut"), .list(["email", "短信"]))
        let last = 2 * runLength - 1
        XCTAssertEqual(last % 3, 0)
        XCTAssertEqual(try value("C\(last)", "会员卡"), .string("卡\(last % 11)"))
        XCTAssertEqual(batched[.points].value(row: 1, field: try XCTUnwrap(batched[.points].schema.position(of: "reason"))), .null)
        XCTAssertEqual(batched[.points].value(row: 0, field: try XCTUnwrap(batched[.points].schema.position(of: "change"))), .integer(-99))
    }

    /// A set of `changesWorthSplitting` changes or more over several tables is applied two
    /// tables at a time: every table ends as the same changes applied one set per change
    /// (one thread) leave it: inserts of three entities, updates of customers inserted in
    /// the same set (a table's changes keep their order), indexes built before kept in step.
    func testALargeSetOverSeveralTablesEndsAsItsChangesOneByOne() throws {
        let messageFields = FieldList([RecordField.id, "campaign", RecordField.customer, "text"])
        let contactFields = FieldList([RecordField.customer, RecordField.date, "note"])
        let lastContact = FieldList([CustomerField.lastContact])
        var big = ChangeSet(at: 0, user: "u", command: "x")
        big.sequence = 1
        let customers = Store.changesWorthSplitting / 3
        for i in 0..<customers {
            big.changes.append(RecordChange(kind: .insert, entity: .customers, id: "C\(i)",
                                            after: [CustomerField.name: .string("客户\(i % 50)"), "city": .string(i % 2 == 0 ? "上海" : "北京")]))
        }
        for i in 0..<customers {
            big.changes.append(RecordChange(insert: .messages, id: "M\(i)", record: PositionalRecord(messageFields, [
                .string("M\(i)"), .string("member day"), .string("C\(i)"), .string("会员日 \(i)"),
            ])))
            big.changes.append(RecordChange(insert: .contacts, id: "K\(i)", record: PositionalRecord(contactFields, [
                .string("C\(i)"), .date(Day(daysSinceEpoch: 20_000)), .string("member day"),
            ])))
            big.changes.append(RecordChange(update: .customers, id: "C\(i)", fields: lastContact, before: [.null],
                                            after: [.date(Day(daysSinceEpoch: 20_000 + Int32(i % 3)))]))
        }
        let plan = try XCTUnwrap(Store().applyPlan(of: big), "the set is applied on two threads")
        // The inserted tables' columns are items of their own beside the customers' changes,
        // so that neither thread takes both tables' inserts (a campaign's apply ran on one
        // thread while the other only updated customers): shared out costliest first to the
        // less loaded of two threads, neither takes more than 60% of the work.
        XCTAssertEqual(plan.batches.map(\.entity), [.contacts, .messages])
        XCTAssertEqual(plan.items.filter { $0.item == .changes(.customers, Array(0..<customers) + (0..<customers).map { customers + 3 * $0 + 2 }) }.count, 1)
        for b in plan.batches.indices {
            let groups = plan.items.compactMap { item -> [Int]? in
                if case .columns(b, let positions) = item.item { return positions } else { return nil }
            }
            XCTAssertEqual(groups.count, 2, "\(plan.batches[b].entity)'s columns in two items")
            XCTAssertEqual(groups.flatMap { $0 }.sorted(), Array(Store()[plan.batches[b].entity].columns.indices), "every column once")
        }
        XCTAssertEqual(plan.items.map(\.cost), plan.items.map(\.cost).sorted(by: >), "costliest first")
        var load = [0, 0]
        for item in plan.items { load[load[0] <= load[1] ? 0 : 1] += item.cost }
        XCTAssertLessThanOrEqual(Double(load.max()!), 0.6 * Double(load[0] + load[1]))
        let parallel = Store(), serial = Store()
        for store in [parallel, serial] {
            let customer = try XCTUnwrap(store[.contacts].schema.position(of: RecordField.customer))
            XCTAssertNotNil(store[.contacts].hashIndex(field: customer))
        }
        parallel.apply(big)
        Self.applyOneByOne(big.changes, to: serial, firstSequence: 1)
        for entity in [Entity.customers, .messages, .contacts] {
            let a = parallel[entity], b = serial[entity]
            XCTAssertEqual(a.liveCount, b.liveCount, "\(entity)")
            XCTAssertEqual(a.rowsInIDOrder, b.rowsInIDOrder, "\(entity)")
            XCTAssertEqual(a.highestGeneratedNumber, b.highestGeneratedNumber, "\(entity)")
            for row in 0..<a.rowCount { XCTAssertEqual(a.record(row: row), b.record(row: row), "\(entity) row \(row)") }
        }
        XCTAssertEqual(parallel[.messages].liveCount, customers)
        let row = try XCTUnwrap(parallel.customers.row(ofID: "C5"))
        let position = try XCTUnwrap(parallel.customers.schema.position(of: CustomerField.lastContact))
        XCTAssertEqual(parallel.customers.value(row: row, field: position), .date(Day(daysSinceEpoch: 20_002)))
        let contacts = parallel[.contacts]
        let customer = try XCTUnwrap(contacts.schema.position(of: RecordField.customer))
        guard case .string(let column) = contacts.columns[customer] else { return XCTFail("customer is a string column") }
        XCTAssertEqual(try XCTUnwrap(contacts.hashIndex(field: customer)).count(code: try XCTUnwrap(column.dictionary.code(of: "C7"))), 1)
    }

    /// An import with opening balances interleaves its inserts: a customer, its balance on
    /// the points ledger, the next customer... Each table's inserts between two other
    /// changes must still go in as one batch (split at every change of table, a million
    /// customers went in one record at a time), in their order, and end as one by one.
    func testInterleavedInsertsIntoTwoTablesGoInAsOneBatchPerTable() throws {
        let customerFields = FieldList([RecordField.id, CustomerField.name, "city"])
        let balanceFields = FieldList([RecordField.id, RecordField.customer, RecordField.date, "change", "reason"])
        var set = ChangeSet(at: 0, user: "u", command: "import")
        set.sequence = 1
        func addCustomers(_ range: ClosedRange<Int>) {
            for i in range {
                set.changes.append(RecordChange(insert: .customers, id: "C\(i)", record: PositionalRecord(customerFields, [
                    .string("C\(i)"), .string("客户 \(i)"), i % 3 == 0 ? .null : .string(i % 2 == 0 ? "上海" : "Berlin"),
                ])))
                guard i % 4 != 1 else { continue }
                set.changes.append(RecordChange(insert: .points, id: "P\(i)", record: PositionalRecord(balanceFields, [
                    .string("P\(i)"), .string("C\(i)"), .date(Day(daysSinceEpoch: 20_000)), .integer(Int64(i)), .string("opening balance (import)"),
                ])))
            }
        }
        let run = Table.insertsWorthSplitting + 100
        addCustomers(1...run)
        let update = set.changes.count
        set.changes.append(RecordChange(kind: .update, entity: .customers, id: "C2", before: ["city": .string("上海")], after: ["city": .string("杭州")]))
        addCustomers(run + 1...run + 10)

        let steps = Store.applySteps(of: set, set.changes.indices)
        func indices(_ entity: Entity, _ range: Range<Int>) -> [Int] { range.filter { set.changes[$0].entity == entity } }
        XCTAssertEqual(steps, [
            .batch(.customers, indices(.customers, 0..<update)), .batch(.points, indices(.points, 0..<update)),
            .one(update),
            .batch(.customers, indices(.customers, update + 1..<set.changes.count)),
            .batch(.points, indices(.points, update + 1..<set.changes.count)),
        ])

        let batched = Store(), oneByOne = Store()
        batched.apply(set)
        Self.applyOneByOne(set.changes, to: oneByOne, firstSequence: 1)
        for entity in [Entity.customers, .points] {
            let a = batched[entity], b = oneByOne[entity]
            XCTAssertEqual(a.rowCount, b.rowCount, "\(entity)")
            XCTAssertEqual(a.highestGeneratedNumber, b.highestGeneratedNumber, "\(entity)")
            for row in 0..<a.rowCount {
                XCTAssertEqual(a.record(row: row), b.record(row: row), "\(entity) row \(row)")
                XCTAssertEqual(a.row(ofID: a.id(ofRow: row)), row, "\(entity) row \(row)")
            }
        }
        let customers = batched.customers, city = try XCTUnwrap(customers.schema.position(of: "city"))
        XCTAssertEqual(customers.value(row: try XCTUnwrap(customers.row(ofID: "C2")), field: city), .string("杭州"))
        XCTAssertEqual(customers.id(ofRow: run), "C\(run + 1)", "the second run follows the first in file order")
        XCTAssertEqual(batched[.points].liveCount, (1...run + 10).filter { $0 % 4 != 1 }.count)
    }

    /// The reference the batched paths are held to: each change a set of its own.
    static func applyOneByOne(_ changes: [RecordChange], to store: Store, firstSequence: Int64) {
        for (n, change) in changes.enumerated() {
            var one = ChangeSet(at: 0, user: "u", command: "x")
            one.sequence = firstSequence + Int64(n)
            one.changes = [change]
            store.apply(one)
        }
    }
}
