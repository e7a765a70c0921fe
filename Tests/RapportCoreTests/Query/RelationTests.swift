import XCTest
@testable import RapportCore
import RapportTestSupport

/// Relations (`any|no ENTITY(COND)`, `count ENTITY(COND) OP N`) on customers and
/// `customer.FIELD` on records, through the real parser, checker and executor.
final class RelationTests: XCTestCase {
    static func record(_ entity: Entity, _ id: String, _ fields: [String: Value]) -> [Value] {
        let schema = EntitySchema(entity: entity)
        var record = [Value](repeating: .null, count: schema.fields.count)
        record[0] = .string(id)
        for (k, v) in fields { record[schema.position(of: k)!] = v }
        return record
    }

    /// The fixture customers C1-C5, with purchases for C1 (3) and C2 (1), contacts for
    /// C1 (2) and C3 (1), an open ticket for C2, and records whose customer is unknown or
    /// missing. C4 and C5 have no records at all.
    static func store() -> Store {
        let store = QueryFixtures.store()
        let day = QueryFixtures.day
        let purchases = store[.purchases]
        purchases.append(record(.purchases, "P1", ["customer": .string("C1"), "date": day("2026-10-01"), "amount": .number(6000), "product": .string("丝巾")]))
        purchases.append(record(.purchases, "P2", ["customer": .string("C1"), "date": day("2024-01-01"), "amount": .number(80), "product": .string("丝巾")]))
        purchases.append(record(.purchases, "P3", ["customer": .string("C1"), "date": day("2026-11-01"), "amount": .number(20), "product": .string("tea")]))
        purchases.append(record(.purchases, "P4", ["customer": .string("C2"), "date": day("2026-11-02"), "amount": .number(7000), "product": .null]))
        purchases.append(record(.purchases, "P5", ["customer": .string("C999"), "date": day("2026-11-02"), "amount": .number(9000), "product": .string("丝巾")]))
        purchases.append(record(.purchases, "P6", ["customer": .null, "date": day("2026-11-02"), "amount": .number(1), "product": .string("丝巾")]))
        let contacts = store[.contacts]
        contacts.append(record(.contacts, "K1", ["customer": .string("C1"), "date": day("2026-11-01"), "channel": .string("phone")]))
        contacts.append(record(.contacts, "K2", ["customer": .string("C1"), "date": day("2026-10-01"), "channel": .string("wechat")]))
        contacts.append(record(.contacts, "K3", ["customer": .string("C3"), "date": day("2020-01-01"), "channel": .string("phone")]))
        let tickets = store[.tickets]
        tickets.append(record(.tickets, "T1", ["customer": .string("C2"), "kind": .string("complaint"), "status": .string("open")]))
        tickets.append(record(.tickets, "T2", ["customer": .string("C1"), "kind": .string("question"), "status": .string("closed")]))
        return store
    }

    func ids(_ query: String, store: Store = RelationTests.store(), indexes: Bool = true) throws -> [String] {
        guard case .find(let q) = try Parser.parse(query) else { fatalError("not a find: \(query)") }
        for table in store.tables.values { table.indexesEnabled = indexes }
        let table = store[q.entity.entity]
        let checked = try Checker(schema: table.schema, clock: QueryFixtures.clock).check(q)
        return QueryExecutor(table: table, clock: QueryFixtures.clock).rows(checked).map { table.id(ofRow: Int($0)) }
    }

    func both(_ query: String) throws -> [String] {
        let indexed = try ids(query), scanned = try ids(query, indexes: false)
        XCTAssertEqual(indexed, scanned, "indexes change the answer of \(query)")
        return indexed
    }

    // MARK: Parsing

    func testParseShapes() throws {
        guard case .find(let q) = try Parser.parse("find customers where any purchase(amount > 5 and date <= 1y) or not no tickets"),
              case .or(.relation(let a), .not(.relation(let b))) = q.condition else { return XCTFail() }
        guard case .any = a.quantifier, a.entity.entity == .purchases, case .and = a.condition else { return XCTFail() }
        guard case .no = b.quantifier, b.entity.entity == .tickets, b.condition == nil else { return XCTFail() }
        guard case .find(let c) = try Parser.parse("find customers where count contact(date <= 90d) >= 3"),
              case .relation(let r) = c.condition, case .count(.greaterOrEqual, let n) = r.quantifier,
              case .integer(3) = n.kind, r.keyword.start.column == 22 else { return XCTFail() }
        // `count` followed by no entity is a field named count.
        guard case .find(let f) = try Parser.parse("find customers where count > 3"), case .compare = f.condition else { return XCTFail() }
    }

    // MARK: Relations

    func testAnyNoAndCountThresholds() throws {
        XCTAssertEqual(try both("find customers where any purchase(product = 丝巾 and date <= 1y)"), ["C1"])
        XCTAssertEqual(try both("find customers where any purchases"), ["C1", "C2"])
        XCTAssertEqual(try both("find customers where no purchase"), ["C3", "C4", "C5"])
        XCTAssertEqual(try both("find customers where no ticket(status != closed)"), ["C1", "C3", "C4", "C5"])
        XCTAssertEqual(try both("find customers where count purchase >= 3"), ["C1"])
        XCTAssertEqual(try both("find customers where count purchase(amount > 50) = 1"), ["C2"])
        XCTAssertEqual(try both("find customers where count purchase(amount > 50) = 2"), ["C1"])
        XCTAssertEqual(try both("find customers where count contact(date <= 90d) >= 2"), ["C1"])
        XCTAssertEqual(try both("find customers where count contact < 1"), ["C2", "C4", "C5"])
    }

    /// A customer with no records counts 0: `count ... = 0` is `no ...`, and `not any` too.
    func testCountZeroIsNo() throws {
        for inner in ["", "(amount > 100)", "(product = 丝巾)", "(product is null)"] {
            let no = try both("find customers where no purchase\(inner)")
            XCTAssertEqual(try both("find customers where count purchase\(inner) = 0"), no, inner)
            XCTAssertEqual(try both("find customers where not any purchase\(inner)"), no, inner)
            XCTAssertTrue(no.contains("C4") && no.contains("C5"), inner)
        }
    }

    func testRelationsCombineWithOtherTests() throws {
        XCTAssertEqual(try both("find customers where tier = gold and any ticket(status = open)"), ["C2"])
        XCTAssertEqual(try both("find customers where (any contact(channel = phone) or any ticket) and not city = 北京"), ["C1", "C2"])
    }

    /// Records of an unknown or missing customer count for nobody.
    func testOrphanRecordsCountForNobody() throws {
        XCTAssertEqual(try both("find customers where count purchase(amount >= 6000) >= 1"), ["C1", "C2"])
    }

    // MARK: customer.FIELD

    func testCustomerFieldsOnRecords() throws {
        XCTAssertEqual(try both("find purchases where customer.tier = gold"), ["P1", "P2", "P3", "P4"])
        XCTAssertEqual(try both("find purchases where customer.tier = gold and amount > 5000"), ["P1", "P4"])
        XCTAssertEqual(try both("find contacts where customer.city = 北京"), ["K3"])
        XCTAssertEqual(try both("find tickets where customer.stage = lost"), ["T1"])
        XCTAssertEqual(try both("find purchases where customer.totalSpent > 5000 and customer.name starts with 王"), ["P1", "P2", "P3"])
        // A derived field of the customer.
        XCTAssertEqual(try both("find contacts where customer.contactCount >= 2"), ["K1", "K2"])
        XCTAssertEqual(try both("find purchases where customer.city = customer.city"), ["P1", "P2", "P3", "P4"])
    }

    /// A record whose customer is unknown or missing reads every customer field as missing.
    func testMissingCustomerReadsAsMissing() throws {
        XCTAssertEqual(try both("find purchases where customer.tier is null"), ["P5", "P6"])
        XCTAssertEqual(try both("find purchases where customer.tier != gold"), [])
        XCTAssertEqual(try both("find purchases where not customer.tier = gold"), ["P5", "P6"])
        XCTAssertEqual(try both("find purchases where customer.tags has vip"), ["P1", "P2", "P3", "P4"])
    }

    // MARK: Errors

    func testErrorsPointAtTheirCause() {
        let unknown = assertDiagnostic("find customers where any purchase(1️⃣amout > 5)", .unknownField)
        XCTAssertEqual(unknown?.suggestion, "amount")
        let customerTypo = assertDiagnostic("find tickets where customer.1️⃣tierr = gold", .unknownField)
        XCTAssertEqual(customerTypo?.suggestion, "tier")
        _ = assertDiagnostic("find customers where any purchase(1️⃣no ticket)", .relationNested)
        _ = assertDiagnostic("find purchases where 1️⃣any ticket(status = open)", .relationNeedsCustomers)
        _ = assertDiagnostic("find customers where any 1️⃣customers", .relationNeedsRecords)
        _ = assertDiagnostic("find customers where count contact >= 1️⃣2.5", .relationCountNeedsWholeNumber)
        _ = assertDiagnostic("find customers where 1️⃣customer.tier = gold", .customerFieldOnCustomers)
        _ = assertDiagnostic("find purchases where amount > 1️⃣customer.totalSpent + 1", .customerFieldMixed)
        _ = assertDiagnostic("find purchases where amount > 1️⃣customer.totalSpent", .customerFieldMixed)
        _ = assertDiagnostic("find customers where count contact(date <= 90d) 1️⃣", .expectedToken)
        _ = assertDiagnostic("find customers where any purchase(amount > 5 1️⃣", .unclosedParenthesis)
    }
}
