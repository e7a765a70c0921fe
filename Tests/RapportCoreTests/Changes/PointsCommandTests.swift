import XCTest
@testable import RapportCore

/// `add points` and `redeem` at the edges of what an entry and a balance hold.
final class PointsCommandTests: XCTestCase {
    private func session(openingBalance: Int64?) -> (Session, Store) {
        let clock = QueryFixtures.clock
        let store = Store()
        store.customers.append(QueryFixtures.customer("C1", ["name": .string("A")]))
        // A balance carried over from before the ledger is not bounded like a new entry.
        if let openingBalance { store[.points].append(QueryFixtures.balance("C1", openingBalance)) }
        return (Session(database: .inMemory(store), settings: Settings(user: "t"), clock: clock, pinnedNow: clock.now), store)
    }

    func testAnEntryBeyondTheBoundIsRefusedWithItsCaret() {
        let (s, store) = session(openingBalance: nil)
        XCTAssertEqual(s.run("add points C1 \(Loyalty.maximumEntry) \"welcome\"").status, .success)
        for command in ["add points C1 \(Int64.max) \"too many\"", "add points C1 \(Loyalty.maximumEntry + 1) \"x\"",
                        "redeem C1 \(Int64.max) \"x\"", "add points C1 0 \"x\""] {
            let refused = s.run(command)
            XCTAssertEqual(refused.diagnosticIDs, [.pointsNotPositive], command)
            XCTAssertTrue(refused.messages.contains("from 1 to \(Loyalty.maximumEntry)"), refused.messages)
        }
        XCTAssertEqual(store[.points].liveCount, 1, "nothing more was written")
        XCTAssertEqual(s.run("find customers show points").output.contains("\(Loyalty.maximumEntry)"), true)
    }

    func testAddingPastTheLargestBalanceIsRefusedNotACrash() {
        let (s, store) = session(openingBalance: Int64.max - 100)
        XCTAssertEqual(s.run("add points C1 100 \"all that fits\"").output,
                       "added 100 points (L0000001) for customer C1: balance \(Int64.max)\n")
        let tooMany = s.run("add points C1 1 \"one more\"")
        XCTAssertEqual(tooMany.diagnosticIDs, [.pointsBalanceTooLarge])
        XCTAssertTrue(tooMany.messages.contains("customer C1 has \(Int64.max) points: adding 1 would pass"), tooMany.messages)
        XCTAssertEqual(store[.points].liveCount, 2, "nothing was written")
        XCTAssertEqual(s.run("show customer C1").status, .success)
        XCTAssertEqual(s.run("find customers show points").status, .success)
    }
}
