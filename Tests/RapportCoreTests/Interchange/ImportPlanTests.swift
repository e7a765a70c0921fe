import XCTest
@testable import RapportCore

/// What `import ... update by` puts in the change set, and the map file's syntax.
final class ImportPlanTests: XCTestCase {
    let clock = Clock(now: 1_790_000_000, timeZone: TimeZone(identifier: "UTC")!)

    func testUpdatesCarryBeforeAndAfterOfTheChangedFieldsOnly() throws {
        let backend = InMemoryBackend(store: Store())
        var seed = ChangeBuilder(backend: backend, clock: clock, user: "t", command: "add")
        seed.isCancelled = { false }
        var set = try seed.build(Parser.parse(#"add customers id = C1, name = "Wang", email = "wang@example.com", tier = silver, city = Shanghai"#))
        try backend.commit(&set, by: ChangeAuthor(user: "t", role: .admin, pinnedNow: nil))

        let file = NSTemporaryDirectory() + "plan-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "email,tier,city\nWANG@example.com,gold,Shanghai\n".write(toFile: file, atomically: true, encoding: .utf8)
        guard case .importData(let entity, let path, let options) = try Parser.parse("import customers from \"\(file)\" update by email") else {
            return XCTFail("not an import")
        }
        let plan = try ChangeBuilder(backend: backend, clock: clock, user: "t", command: "import").importPlan(entity, path: path, options: options, dryRun: false)
        let update = try XCTUnwrap(plan.set.changes.first { $0.entity == .customers && $0.kind == .update })
        XCTAssertEqual(update.id, "C1")
        XCTAssertEqual(update.before, ["tier": .string("silver")])
        XCTAssertEqual(update.after, ["tier": .string("gold")])
        XCTAssertFalse(plan.set.changes.contains { $0.kind == .insert })
    }

    func testMapFileLinesAndTheirErrors() throws {
        let map = try ImportMapFile.parse("# old CRM\n\"First Name\" to name\n\ntier \"Gold Member\" to gold\noptOut \"text\" to \"sms\"\n")
        XCTAssertEqual(map.columns.map { "\($0.column)>\($0.field)@\($0.line)" }, ["First Name>name@2"])
        XCTAssertEqual(map.aliases.map { "\($0.field):\($0.value)>\($0.word)@\($0.line)" }, ["tier:Gold Member>gold@4", "optOut:text>sms@5"])
        for (text, line) in [("\"Name to name", 1), ("# c\n\"Name\" as name", 2), ("\"Name\" to name extra", 1), ("tier Gold to gold", 1)] {
            XCTAssertThrowsError(try ImportMapFile.parse(text), text) { error in
                XCTAssertEqual((error as? ImportMapFile.SyntaxError)?.line, line, text)
            }
        }
    }
}
