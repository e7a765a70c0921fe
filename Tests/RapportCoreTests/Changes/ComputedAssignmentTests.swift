import XCTest
@testable import RapportCore

/// `update ... set FIELD = EXPRESSION`: a computed value obeys the same rules as a written one.
final class ComputedAssignmentTests: XCTestCase {
    let clock = QueryFixtures.clock

    func session() -> Session {
        let store = Store()
        store.customers.append(QueryFixtures.customer("C1", ["name": .string("A"), "city": .string("gold"),
                                                             "satisfaction": .integer(3), "stage": .string("prospect")]))
        let s = Session(database: .inMemory(store), settings: Settings(user: "t"), clock: clock, pinnedNow: clock.now)
        XCTAssertEqual(s.run("add purchase id: P1, customer: \"C1\", date: 2026-03-01, amount: 20").status, .success)
        XCTAssertEqual(s.run("log contact C1 via phone").status, .success)
        return s
    }

    func value(_ s: Session, _ entity: Entity, _ id: String, _ name: String) -> Value {
        let t = s.store[entity]
        return t.value(row: t.row(ofID: id)!, field: t.schema.position(of: name)!)
    }

    func testAComputedValueOutsideAFieldsRulesIsRefusedAndNothingChanges() {
        let s = session()
        var r = s.run("update all customers set satisfaction = satisfaction + 10")
        XCTAssertEqual(r.diagnosticIDs, [.satisfactionOutOfRange])
        XCTAssertEqual(value(s, .customers, "C1", "satisfaction"), .integer(3))

        r = s.run("update all customers set stage = city")
        XCTAssertEqual(r.diagnosticIDs, [.notInVocabulary])
        XCTAssertEqual(value(s, .customers, "C1", "stage"), .string("prospect"))

        r = s.run("update all purchases set amount = amount * -1")
        XCTAssertEqual(r.diagnosticIDs, [.amountOutOfRange])
        XCTAssertEqual(value(s, .purchases, "P1", "amount"), .number(20))
        XCTAssertEqual(value(s, .customers, "C1", "totalSpent"), .number(20))
    }

    func testAComputedValueTakesTheFieldsStoredForm() {
        let s = session()
        XCTAssertEqual(s.run("update all purchases set amount = amount / 3").status, .success)
        XCTAssertEqual(value(s, .purchases, "P1", "amount"), .number(6.67))
    }

    func testADerivedFieldCanBeCopiedOrComputedFrom() {
        let s = session()
        // satisfaction: points is itself derived from the ledger now.
        XCTAssertEqual(s.run("update all customers set satisfaction = contactCount").status, .success)
        XCTAssertEqual(value(s, .customers, "C1", "satisfaction"), .integer(1))
        XCTAssertEqual(s.run("update all customers set satisfaction = contactCount + 1").status, .success)
        XCTAssertEqual(value(s, .customers, "C1", "satisfaction"), .integer(2))
    }
}
