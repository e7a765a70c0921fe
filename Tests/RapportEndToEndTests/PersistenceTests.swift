import Foundation
import XCTest
import RapportTestSupport

/// The store directory under damage: a torn journal tail, a corrupt snapshot, a
/// damaged journal entry, read-only opening.
final class PersistenceTests: XCTestCase {
    var store: TemporaryStore!
    var data: String { store.path }

    override func setUp() {
        store = TemporaryStore("persist")
    }

    override func tearDown() {
        store = nil
    }

    @discardableResult
    func rapport(_ args: [String]) -> RapportRunner.Result {
        store.run(args)
    }

    func count() -> String {
        rapport(["--format", "csv", "-c", "count customers"]).stdout
    }

    func testTornLastEntryIsDroppedWithAWarning() throws {
        rapport(["-c", #"add customer id: "C1", name: "A""#, "-c", "save", "-c", #"add customer id: "C2", name: "B""#])
        let journal = data + "/journal.jsonl"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: journal))
        XCTAssertFalse(bytes.isEmpty, "the second add stays in the journal")
        // A crash mid-write: half of a further entry, no newline.
        bytes.append(Data(#"{"seq":3,"at":"2026-11-24T00:00:00Z","user":"x","comm"#.utf8))
        try bytes.write(to: URL(fileURLWithPath: journal))
        let r = rapport(["--format", "csv", "-c", "find customers show id"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "id\nC1\nC2\n")
        XCTAssertTrue(r.stderr.contains("warning: dropped the last journal entry"), r.stderr)
        XCTAssertEqual(rapport(["-c", "count customers"]).stderr, "", "the torn tail was cut off once")
    }

    func testCorruptSnapshotIsRefusedAndKept() throws {
        rapport(["-c", #"add customer id: "C1", name: "A""#, "-c", "save"])
        let snapshot = data + "/snapshot.json"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: snapshot))
        let r = rapport(["-c", "count customers"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("snapshot.json is damaged"), r.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: snapshot)), bytes, "a damaged snapshot is never overwritten")
    }

    func testDamagedEntryBeforeTheEndStopsOpening() throws {
        rapport(["-c", #"add customer id: "C1", name: "A""#, "-c", "save"])
        rapport(["-c", #"add customer id: "C2", name: "B""#, "-c", #"add customer id: "C3", name: "C""#])
        let journal = data + "/journal.jsonl"
        var text = try String(contentsOfFile: journal, encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").count, 2)
        text = text.replacingOccurrences(of: #""name":"B""#, with: #""name":"X""#)
        try text.write(toFile: journal, atomically: true, encoding: .utf8)
        let r = rapport(["-c", "count customers"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("journal"), r.stderr)
        XCTAssertTrue(r.stderr.contains("entry 1"), r.stderr)
    }

    func testReadOnlyOpensWhileAWriterHoldsTheLock() throws {
        rapport(["-c", #"add customer id: "C1", name: "A""#])
        let lock = open(data + "/lock", O_RDWR)
        defer { close(lock) }
        XCTAssertEqual(flock(lock, LOCK_EX | LOCK_NB), 0)
        let r = rapport(["--read-only", "--format", "csv", "-c", "count customers"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "count\n1\n")
        let w = rapport(["--read-only", "-c", #"add customer id: "C2""#])
        XCTAssertEqual(w.status, 1)
    }

    func testStoreFilesArePrivate() throws {
        rapport(["-c", #"add customer id: "C1", name: "A""#, "-c", "save"])
        let dirMode = try FileManager.default.attributesOfItem(atPath: data)[.posixPermissions] as! Int
        XCTAssertEqual(dirMode & 0o077, 0)
        for f in ["snapshot.json", "journal.jsonl", "audit.jsonl"] {
            let mode = try FileManager.default.attributesOfItem(atPath: data + "/" + f)[.posixPermissions] as! Int
            XCTAssertEqual(mode & 0o077, 0, f)
        }
    }

    func testCustomFieldsFromImportSurviveRestart() throws {
        let file = data + "-in.csv"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "id,name,vipLevel,joined,score\nC1,王芳,3,2020-02-29,4.5\nC2,Bob,,2021-01-01,2\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(rapport(["-c", "import customers from \"\(file)\""]).status, 0)
        let r = rapport(["--format", "csv", "-c", "find customers where viplevel >= 3 and joined < 2021-01-01 show id, vipLevel, score"])
        XCTAssertEqual(r.stdout, "id,vipLevel,score\nC1,3,4.5\n", r.stderr)
        XCTAssertTrue(rapport(["-c", "show fields customers"]).stdout.contains("vipLevel"))
    }
}
