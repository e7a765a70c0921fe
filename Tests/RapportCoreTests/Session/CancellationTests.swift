import Foundation
import XCTest
@testable import RapportCore

/// Ctrl-C in the shell raises `Session.isCancelled`: a long result or import stops, and
/// nothing is half-done.
final class CancellationTests: XCTestCase {
    func session(cancelled: @escaping () -> Bool) -> Session {
        let s = Session(database: Database.inMemory(QueryFixtures.store()), settings: Settings(user: "test"),
                        clock: QueryFixtures.clock, pinnedNow: QueryFixtures.clock.now)
        s.isCancelled = cancelled
        return s
    }

    func testCancelledImportChangesNothing() throws {
        let file = NSTemporaryDirectory() + "rapport-cancel-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let lines = (1...5000).map { #"{"id": "N\#($0)", "name": "新客户\#($0)", "tier": "gold"}"# }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let s = session(cancelled: { true })
        let outcome = s.run("import customers from \"\(file)\"")
        XCTAssertEqual(outcome.status, .runtimeError)
        XCTAssertTrue(outcome.messages.contains("import cancelled; nothing was imported"), outcome.messages)
        XCTAssertEqual(s.store.customers.liveCount, 5)
        XCTAssertEqual(s.store.sequence, 0, "no change set was committed")

        let calm = session(cancelled: { false })
        XCTAssertEqual(calm.run("import customers from \"\(file)\"").status, .success)
        XCTAssertEqual(calm.store.customers.liveCount, 5005)
    }

    func testCancelledResultPrintsNothing() {
        var asked = 0
        let store = QueryFixtures.store()
        for i in 6...3000 { store.customers.append(QueryFixtures.customer("C\(i)", ["name": .string("客户\(i)")])) }
        let s = Session(database: Database.inMemory(store), settings: Settings(user: "test"),
                        clock: QueryFixtures.clock, pinnedNow: QueryFixtures.clock.now)
        s.isCancelled = { asked += 1; return asked > 1 }
        let outcome = s.run("find customers show id, name")
        XCTAssertEqual(outcome.output, "")
        XCTAssertEqual(outcome.messages, "cancelled\n")
        s.isCancelled = { false }
        XCTAssertTrue(s.run("find customers show id").output.hasSuffix("(3000 rows)\n"))
    }
}
