import Foundation
import XCTest
@testable import RapportCore

/// The session reaches its store only through `Backend`: with `ArrayBackend`, which has
/// no `Store` behind it, commands still run; and the in-memory backend answers the
/// batch calls the change paths rely on.
final class BackendSeamTests: XCTestCase {
    let clock = QueryFixtures.clock

    func testSessionRunsFindCountAndAddThroughTheProtocolAlone() {
        let backend = ArrayBackend()
        let s = Session(backend: backend, settings: Settings(user: "seam"), clock: clock, pinnedNow: clock.now)
        XCTAssertEqual(s.run("add customer name: \"Ada\", tier: gold, city: Paris").output, "added customer C000001\n")
        XCTAssertEqual(s.run("add customer name: \"Bo\", tier: silver").output, "added customer C000002\n")
        XCTAssertEqual(backend.count(.customers), 2)
        XCTAssertEqual(backend.sequence, 2)

        s.settings.format = .csv
        func csv(_ command: String) -> String { s.run(command).output.replacingOccurrences(of: "\r\n", with: "\n") }
        XCTAssertEqual(csv("find customers where tier = GOLD show id, name, city"), "id,name,city\nC000001,Ada,Paris\n")
        XCTAssertEqual(csv("count customers"), "count\n2\n")
        XCTAssertEqual(csv("count customers where tier = silver"), "count\n1\n")

        // A purchase goes through the rollup, which reads the customer back in one call.
        XCTAssertEqual(s.run("log purchase C000002 amount 12.5").status, .success)
        let bo = backend.records(.customers, ids: ["C000002"], fields: nil)["C000002"]
        XCTAssertEqual(bo?["totalSpent"], .number(12.5))
        XCTAssertEqual(bo?["stage"], .string("active"))
        XCTAssertEqual(backend.count(.purchases), 1)
        XCTAssertEqual(backend.calls.filter { $0 == "commit" }.count, 3)
        XCTAssertTrue(backend.calls.contains("find"))
        XCTAssertTrue(backend.calls.contains("aggregate"))
    }

    func testReadOnlyBackendRefusesChangesAndCompleterReadsItsSamples() {
        let backend = ArrayBackend()
        let s = Session(backend: backend, settings: Settings(user: "seam"), clock: clock, pinnedNow: clock.now)
        XCTAssertEqual(s.run("add customer name: \"Ada\", city: Lyon").status, .success)
        XCTAssertEqual(Completer(backend: backend, fileNames: { _ in [] }).complete("show customer c").candidates, ["C000001"])
        XCTAssertTrue(Completer(backend: backend, fileNames: { _ in [] }).complete("find customers where city = ").candidates.contains("Lyon"))
        backend.isReadOnly = true
        let refused = s.run("add customer name: \"Bo\"")
        XCTAssertEqual(refused.status, .runtimeError)
        XCTAssertEqual(backend.count(.customers), 1, "nothing was committed")
    }

    /// An import asks the backend which of its ids exist once, not once per row.
    func testImportAsksForExistingIDsInOneCall() throws {
        let backend = ArrayBackend()
        let s = Session(backend: backend, settings: Settings(user: "seam"), clock: clock, pinnedNow: clock.now)
        XCTAssertEqual(s.run("add customer id: C1, name: \"Ada\"").status, .success)
        let before = backend.calls.count
        let lines = (1...50).map { "{\"id\": \"C\($0)\", \"name\": \"N\($0)\"}" }.joined(separator: "\n")
        XCTAssertThrowsError(try Importer(backend: backend, clock: clock).read(bytes: Array(lines.utf8), format: .jsonl, into: .customers)) { error in
            XCTAssertEqual((error as? Importer.ImportFailure)?.problems, [Importer.Problem(line: 1, message: "customer C1 already exists")])
        }
        XCTAssertEqual(backend.calls[before...].filter { $0 == "records by id" }.count, 1)
    }

    func testInMemoryBatchReads() throws {
        let backend = InMemoryBackend(store: QueryFixtures.store())
        let s = Session(backend: backend, settings: Settings(user: "seam"), clock: clock, pinnedNow: clock.now)
        XCTAssertEqual(s.run("add contact id: K1, customer: \"C1\", date: 2026-01-05, channel: call").status, .success)
        XCTAssertEqual(s.run("add contact id: K2, customer: \"C2\", date: 2026-01-06, channel: call").status, .success)
        let found = backend.records(.customers, ids: ["C1", "c1", "nobody"], fields: ["name", "nosuchfield"])
        XCTAssertEqual(Array(found.keys), ["C1"], "ids match exactly; absent ids are left out")
        XCTAssertEqual(found["C1"]?.keys.sorted(), ["name"])
        let contacts = backend.records(.contacts, ofCustomers: ["C1", "c2"], fields: ["id", "customer"])
        XCTAssertEqual(contacts.map(\.id), ["K1"], "the owner must match exactly")
        XCTAssertEqual(contacts.first?.record, ["id": .string("K1"), "customer": .string("C1")])
        var q = FindQuery(entity: EntityName(entity: .contacts, span: SourceSpan(start: .init(line: 1, column: 1), length: 1)))
        q.limit = 1
        let checked = try Checker(schema: backend.schema(of: .contacts), clock: clock).check(q)
        XCTAssertEqual(backend.count(matching: checked, clock: clock), 2, "a count ignores the limit")
        XCTAssertEqual(backend.records(matching: checked, fields: [], clock: clock).map(\.id), ["K1"])
    }
}
