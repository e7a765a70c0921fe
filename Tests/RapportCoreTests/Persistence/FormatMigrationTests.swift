import XCTest
@testable import RapportCore

/// The migration steps as pure functions, and the journal codec reading every version.
final class FormatMigrationTests: XCTestCase {
    func testEveryVersionHasItsStep() {
        XCTAssertEqual(FormatMigrations.entrySteps.count, Int(FormatMigrations.entryVersion) - 1)
        XCTAssertEqual(FormatMigrations.snapshotSteps.count, Int(FormatMigrations.snapshotVersion) - 1)
    }

    func testVersionOneEntryReadsWithAnUnknownRole() throws {
        let body = #"{"seq":1,"at":"2026-11-19T16:00:00Z","user":"fixture","command":"add customer id: \"C1\"","fields":[],"changes":[{"op":"insert","entity":"customers","id":"C1","after":{"id":"C1"}}]}"#
        let set = try JournalCodec.decode(line(body)[...], store: Store())
        XCTAssertEqual(set.sequence, 1)
        XCTAssertEqual(set.user, "fixture")
        XCTAssertNil(set.role)
        XCTAssertNil(set.pinnedNow)
        XCTAssertEqual(set.changes.count, 1)
    }

    /// Version 2 entries stored the customers' points: their moves become ledger entries
    /// (the purchase's own, and one for the rest), and the balance is what it was.
    func testVersionTwoPointsBecomeLedgerEntries() throws {
        let store = Store()
        let imported = #"{"seq":1,"version":2,"at":"2026-11-19T16:00:00Z","user":"f","role":null,"command":"import","fields":[],"changes":[{"op":"insert","entity":"customers","id":"C1","after":{"id":"C1","points":500}}]}"#
        let purchase = #"{"seq":2,"version":2,"at":"2026-11-20T16:00:00Z","user":"f","role":null,"command":"log purchase C1 amount 88.5","fields":[],"changes":[{"op":"insert","entity":"purchases","id":"P1","after":{"id":"P1","customer":"C1","date":"2026-11-20","amount":88.5}},{"op":"update","entity":"customers","id":"C1","before":{"points":500},"after":{"points":588}}]}"#
        let adjusted = #"{"seq":3,"version":2,"at":"2026-11-21T16:00:00Z","user":"f","role":null,"command":"update","fields":[],"changes":[{"op":"update","entity":"customers","id":"C1","before":{"points":588},"after":{"points":488}}]}"#
        for body in [imported, purchase, adjusted] {
            store.apply(try JournalCodec.decode(line(body)[...], store: store))
        }
        let ledger = store[.points]
        XCTAssertEqual(ledger.liveCount, 3)
        XCTAssertNotNil(ledger.row(ofID: "LP1"), "the purchase's entry, found again when the purchase changes")
        XCTAssertEqual(store.customers.derivedColumn(named: "points", today: Day(iso: "2030-01-01")!).value(at: 0), .integer(488),
                       "pre-ledger points never expire")
        let deleted = #"{"seq":4,"version":2,"at":"2026-11-22T16:00:00Z","user":"f","role":null,"command":"delete","fields":[],"changes":[{"op":"delete","entity":"purchases","id":"P1","before":{"id":"P1","customer":"C1","amount":88.5}},{"op":"delete","entity":"customers","id":"C1","before":{"id":"C1","points":400}}]}"#
        store.apply(try JournalCodec.decode(line(deleted)[...], store: store))
        XCTAssertEqual(ledger.liveCount, 0, "a deleted customer's entries go with it")
    }

    /// Before the bin (version 4 and older) a delete meant gone: an old journal replays to
    /// the same store, with nothing in the bin; a version 5 delete fills the bin.
    func testOnlyVersionFiveDeletesFillTheBin() throws {
        for (version, binned) in [(4, 0), (5, 1)] {
            let store = Store()
            let add = #"{"seq":1,"version":\#(version),"at":"2026-11-19T16:00:00Z","user":"f","role":"admin","command":"add","fields":[],"changes":[{"op":"insert","entity":"customers","id":"C1","after":{"id":"C1","name":"王芳"}}]}"#
            let delete = #"{"seq":2,"version":\#(version),"at":"2026-11-20T16:00:00Z","user":"bob","role":"admin","command":"delete","fields":[],"changes":[{"op":"delete","entity":"customers","id":"C1","before":{"id":"C1","name":"王芳"}}]}"#
            for body in [add, delete] { store.apply(try JournalCodec.decode(line(body)[...], store: store)) }
            XCTAssertEqual(store.customers.liveCount, 0)
            XCTAssertEqual(store.bin.customers.liveCount, binned, "version \(version)")
            if let row = store.bin.customers.row(ofID: "C1") {
                let schema = store.bin.customers.schema
                XCTAssertEqual(store.bin.customers.value(row: row, field: schema.position(of: "name")!), .string("王芳"))
                XCTAssertEqual(store.bin.customers.value(row: row, field: schema.position(of: BinField.deletedBy)!), .string("bob"))
                XCTAssertEqual(store.bin.customers.value(row: row, field: schema.position(of: BinField.deletedIn)!), .integer(2))
            }
        }
    }

    func testBinChangesRoundTrip() throws {
        var set = ChangeSet(at: 1_800_000_000, user: "alice", command: "restore C1")
        set.sequence = 3
        set.role = .admin
        set.binChanges = [BinChange(kind: .restore, entity: .customers, id: "C1"), BinChange(kind: .purge, entity: .contacts, id: "K1")]
        let bytes = JournalCodec.encode(set) { Store()[$0].schema }
        XCTAssertEqual(try JournalCodec.decode(bytes.dropLast(), store: Store()), set)
    }

    func testCurrentEntryRoundTripsItsMetadata() throws {
        var set = ChangeSet(at: 1_800_000_000, user: "alice", command: "x")
        set.sequence = 3
        set.pinnedNow = 1_577_836_800
        set.role = .trainee
        let bytes = JournalCodec.encode(set) { Store()[$0].schema }
        XCTAssertTrue(bytes.starts(with: Array(#"{"seq":3,"version":\#(FormatMigrations.entryVersion),"#.utf8)))
        let read = try JournalCodec.decode(bytes.dropLast(), store: Store())
        XCTAssertEqual(read, set)
    }

    func testNewerEntryIsReportedAsSuch() {
        let body = #"{"seq":1,"version":9,"at":"2026-11-19T16:00:00Z","user":"u","role":"admin","command":"x","fields":[],"changes":[]}"#
        XCTAssertThrowsError(try JournalCodec.decode(line(body)[...], store: Store())) { error in
            guard case JournalCodec.LineError.newer(let e)? = error as? JournalCodec.LineError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.version, 9)
            XCTAssertEqual(e.known, FormatMigrations.entryVersion)
        }
    }

    func testVersionTwoEntryWithoutRoleIsMalformed() {
        let body = #"{"seq":1,"version":2,"at":"2026-11-19T16:00:00Z","user":"u","command":"x","fields":[],"changes":[]}"#
        XCTAssertThrowsError(try JournalCodec.decode(line(body)[...], store: Store()))
    }

    private func line(_ body: String) -> [UInt8] {
        Array(body.utf8) + [9] + Array(JournalCodec.hex(CRC32.checksum(Array(body.utf8))).utf8)
    }
}
