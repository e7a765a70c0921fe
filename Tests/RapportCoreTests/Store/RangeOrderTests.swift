import XCTest
@testable import RapportCore

/// A range answered through the ordered index comes out in row order two ways: sorted
/// when it is a small part of the table, through a mark per row when it is a large one
/// (over 4,096 rows and a sixteenth of the table). Both must give what a scan gives.
final class RangeOrderTests: XCTestCase {
    /// 20,000 customers with lastContact and totalSpent spread over ties and nulls, ids
    /// appended out of order so row order is not id order.
    private func bigStore() -> Store {
        let store = Store()
        var seed: UInt64 = 42
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        for i in 0..<20_000 {
            let n = (i * 7919) % 20_000
            let contact: Value = next(10) == 0 ? .null : QueryFixtures.day(Day(daysSinceEpoch: Int32(20_400 + next(400))).description)
            let spent: Value = next(8) == 0 ? .null : .number(Double(next(5000)))
            store.customers.append(QueryFixtures.customer("C" + String(n + 100_000), [
                "tier": .string(["gold", "silver", "bronze"][next(3)]), "lastContact": contact, "totalSpent": spent]))
        }
        return store
    }

    func testDenseAndSparseRangesAgreeWithAScan() throws {
        let store = bigStore()
        for query in [
            "find customers where lastContact <= 200d",           // half the table: marks
            "find customers where lastContact > 300d",            // a fifth, under 4,096 rows: sorted
            "find customers where totalSpent > 100",              // dense, numbers
            "find customers where totalSpent between 10 and 60",  // sparse
            "find customers where totalSpent >= 2500 and tier = gold",
            "find customers where lastContact <= 90d and tier != silver",
        ] {
            let indexed = try QueryFixtures.ids(query, store: store)
            let scanned = try QueryFixtures.ids(query, store: store, indexes: false)
            XCTAssertEqual(indexed, scanned, query)
            XCTAssertFalse(indexed.isEmpty, query)
        }
    }

    /// A range that is the whole predicate takes the index's rows untested: after values
    /// change, rows are deleted and added (the index kept up to date, not rebuilt), every
    /// comparison must still find what a scan finds, no null and no deleted row.
    func testARangeWithoutATestAgreesWithAScanAfterChanges() throws {
        let store = bigStore()
        let table = store.customers
        let queries = [
            "find customers where lastContact <= 200d", "find customers where lastContact < 200d",
            "find customers where lastContact = 150d", "find customers where lastContact >= 300d",
            "find customers where lastContact > 300d", "find customers where totalSpent between 10 and 60",
            "find customers where totalSpent > 100", "find customers where totalSpent = 2500",
        ]
        for query in queries { _ = try QueryFixtures.ids(query, store: store) }   // the indexes built
        let contact = table.schema.position(of: "lastContact")!, spent = table.schema.position(of: "totalSpent")!
        for row in stride(from: 0, to: 20_000, by: 97) {
            table.set(row: row, field: contact, to: row % 2 == 0 ? .null : QueryFixtures.day("2026-06-01"))
            table.set(row: row, field: spent, to: row % 3 == 0 ? .null : .number(2500))
        }
        for row in stride(from: 5, to: 20_000, by: 89) { table.delete(row: row) }
        for i in 0..<300 {
            _ = table.append(QueryFixtures.customer("C" + String(900_000 + i), [
                "lastContact": QueryFixtures.day("2026-06-01"), "totalSpent": .number(Double(i))]))
        }
        var untested = 0
        for query in queries {
            guard case .find(let q) = try Parser.parse(query) else { return XCTFail(query) }
            let checked = try Checker(schema: table.schema, clock: QueryFixtures.clock).check(q)
            let plan = QueryExecutor(table: table, clock: QueryFixtures.clock).plan(checked)
            if QueryExecutor.isWholePredicate(plan.access, checked.predicate) { untested += 1 }
            let indexed = try QueryFixtures.ids(query, store: store)
            XCTAssertEqual(indexed, try QueryFixtures.ids(query, store: store, indexes: false), query)
            XCTAssertFalse(indexed.isEmpty, query)
        }
        XCTAssertGreaterThanOrEqual(untested, 4, "ranges taken without a test")
    }

    func testRowOrderOfAnIndexRange() {
        let rows: [Int32] = (0..<10_000).map { Int32(($0 * 7919) % 10_000) }
        XCTAssertEqual(QueryExecutor.inRowOrder(rows[...], rowCount: 10_000, nil), rows.sorted(), "dense, no test")
        XCTAssertEqual(QueryExecutor.inRowOrder(rows[...], rowCount: 10_000, { $0 % 3 == 0 }), rows.sorted().filter { $0 % 3 == 0 })
        let few = rows[..<100]
        XCTAssertEqual(QueryExecutor.inRowOrder(few, rowCount: 10_000, { $0 % 2 == 0 }), few.sorted().filter { $0 % 2 == 0 }, "sparse")
    }
}
