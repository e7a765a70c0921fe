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

    func testCurrentEntryRoundTripsItsMetadata() throws {
        var set = ChangeSet(at: 1_800_000_000, user: "alice", command: "x")
        set.sequence = 3
        set.pinnedNow = 1_577_836_800
        set.role = .trainee
        let bytes = JournalCodec.encode(set) { Store()[$0].schema }
        XCTAssertTrue(bytes.starts(with: Array(#"{"seq":3,"version":3,"#.utf8)))
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
