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

    /// What a campaign reads of its targets as columns is what `records(matching:)` gives
    /// as dictionaries, value for value: stored and derived fields, any case of a name,
    /// nulls, a name the entity lacks; the in-memory backend's own read and the protocol's
    /// default (through `records(matching:)`, here `ArrayBackend`'s) alike.
    func testColumnsMatchingAgreeWithRecordsMatching() throws {
        let inMemory = InMemoryBackend(store: QueryFixtures.store())
        let array = ArrayBackend()
        for backend in [inMemory, array] as [any Backend] {
            let s = Session(backend: backend, settings: Settings(user: "seam"), clock: clock, pinnedNow: clock.now)
            if backend is ArrayBackend {
                XCTAssertEqual(s.run("add customer name: \"Ada\", tier: gold, city: Paris").status, .success)
                XCTAssertEqual(s.run("add customer name: \"Bo\"").status, .success)
            }
            let first = backend is ArrayBackend ? "C000001" : "C1"
            XCTAssertEqual(s.run("add contact id: K1, customer: \"\(first)\", date: 2026-01-05, channel: call").status, .success)
            let span = SourceSpan(start: .init(line: 1, column: 1), length: 1)
            let checked = try Checker(schema: backend.schema(of: .customers), clock: clock).check(FindQuery(entity: EntityName(entity: .customers, span: span)))
            let fields = [CustomerField.name, "CITY", CustomerField.lastContact, CustomerField.optOut, "contactCount", "nosuchfield"]
            let keys = fields.map { backend.schema(of: .customers).field(named: $0)?.name ?? DerivedFields.named($0, of: .customers)?.name ?? $0 }
            let records = backend.records(matching: checked, fields: keys, clock: clock)
            XCTAssertGreaterThanOrEqual(records.count, 2)
            let read = backend.columns(matching: checked, fields: fields, clock: clock)
            XCTAssertEqual(read.ids, records.map(\.id))
            XCTAssertEqual(read.columns.count, fields.count)
            for (key, column) in zip(keys, read.columns) {
                XCTAssertEqual(column, records.map { $0.record[key] ?? .null }, "\(type(of: backend)): \(key)")
            }
            XCTAssertTrue(read.columns[2].contains(.null), "some customer's lastContact is null")
            XCTAssertTrue(read.columns[1].contains { !$0.isNull }, "a field named in another case is read")
        }
        let contactCount = try XCTUnwrap(DerivedFields.named("contactCount", of: .customers))
        let checked = try Checker(schema: inMemory.schema(of: .customers), clock: clock)
            .check(FindQuery(entity: EntityName(entity: .customers, span: SourceSpan(start: .init(line: 1, column: 1), length: 1))))
        let counts = inMemory.columns(matching: checked, fields: [contactCount.name], clock: clock)
        XCTAssertEqual(counts.columns[0][counts.ids.firstIndex(of: "C1")!], .integer(1), "a derived field is read from its column")
    }
}
