import XCTest
@testable import RapportCore

/// `add points` and `redeem` at the edges of what a balance holds.
final class PointsCommandTests: XCTestCase {
    func testAddingPastTheLargestBalanceIsRefusedNotACrash() {
        let clock = QueryFixtures.clock
        let store = Store()
        store.customers.append(QueryFixtures.customer("C1", ["name": .string("A")]))
        let s = Session(database: .inMemory(store), settings: Settings(user: "t"), clock: clock, pinnedNow: clock.now)
        XCTAssertEqual(s.run("add points C1 100 \"welcome\"").status, .success)
        let tooMany = s.run("add points C1 \(Int64.max) \"too many\"")
        XCTAssertEqual(tooMany.diagnosticIDs, [.pointsBalanceTooLarge])
        XCTAssertTrue(tooMany.messages.contains("customer C1 has 100 points: adding \(Int64.max) would pass"), tooMany.messages)
        XCTAssertEqual(store[.points].liveCount, 1, "nothing was written")
        XCTAssertEqual(s.run("add points C1 \(Int64.max - 100) \"all that fits\"").output,
                       "added \(Int64.max - 100) points (L0000002) for customer C1: balance \(Int64.max)\n")
        XCTAssertEqual(s.run("add points C1 1 \"one more\"").diagnosticIDs, [.pointsBalanceTooLarge])
        XCTAssertEqual(s.run("show customer C1").status, .success)
    }
}
