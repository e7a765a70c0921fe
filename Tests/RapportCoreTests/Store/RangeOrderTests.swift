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

    func testRowOrderOfAnIndexRange() {
        let rows: [Int32] = (0..<10_000).map { Int32(($0 * 7919) % 10_000) }
        XCTAssertEqual(QueryExecutor.inRowOrder(rows[...], rowCount: 10_000, nil), rows.sorted(), "dense, no test")
        XCTAssertEqual(QueryExecutor.inRowOrder(rows[...], rowCount: 10_000, { $0 % 3 == 0 }), rows.sorted().filter { $0 % 3 == 0 })
        let few = rows[..<100]
        XCTAssertEqual(QueryExecutor.inRowOrder(few, rowCount: 10_000, { $0 % 2 == 0 }), few.sorted().filter { $0 % 2 == 0 }, "sparse")
    }
}
