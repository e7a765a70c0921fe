import Foundation
import RapportCore
import XCTest
import RapportTestSupport

/// Stored formats evolve: a store written by an older Rapport opens and is brought
/// forward; one written by a newer Rapport is refused and left exactly as it was.
final class FormatVersionTests: XCTestCase {
    var root: String!
    var data: String { root + "/store" }

    /// Written by the Rapport before journal entries carried a version (see its README).
    static let versionOneStore = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/store-v1/store").path

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "rapport-formats-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    @discardableResult
    func rapport(_ args: [String]) -> RapportRunner.Result {
        RapportRunner.run(["--data", data, "--timezone", "UTC"] + args)
    }

    func csv(_ command: String) -> String {
        let r = rapport(["--format", "csv", "-c", command])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func file(_ name: String) -> Data { FileManager.default.contents(atPath: data + "/" + name) ?? Data() }

    func testStoreWrittenByVersionOneOpensChangesAndStaysSound() throws {
        try FileManager.default.copyItem(atPath: FormatVersionTests.versionOneStore, toPath: data)
        XCTAssertEqual(rapport(["--check"]).status, 0)
        XCTAssertEqual(csv("count customers"), "count\n3\n")
        XCTAssertEqual(csv("count contacts"), "count\n1\n")
        XCTAssertEqual(csv("count purchases"), "count\n2\n")
        XCTAssertEqual(csv("count tickets"), "count\n1\n")
        XCTAssertEqual(csv("find customers where id = C000001 show name, city, tier, birthday, tags, vipLevel, totalSpent, points, lastContact"),
                       "name,city,tier,birthday,tags,vipLevel,totalSpent,points,lastContact\n王芳,上海,gold,1990-02-14,vip;团购,钻石,88.5,88,2026-11-20\n")
        XCTAssertEqual(csv("find customers where id = C000003 show name, owner"), "name,owner\n张伟,陈静\n")
        // The stored points moved onto the ledger: every balance as it was, on any day.
        let balances = "id,points\nC000001,88\nC000002,1200\nC000003,0\n"
        XCTAssertEqual(csv("find customers show id, points"), balances)
        XCTAssertEqual(rapport(["--now", "2031-01-01", "--format", "csv", "-c", "find customers show id, points"]).stdout, balances,
                       "points from before the ledger do not expire")
        XCTAssertEqual(csv("find points show id, customer, change"), "id,customer,change\nLP0000001,C000002,1200\nLP0000002,C000001,88\n")
        XCTAssertEqual(csv("find tickets show customer, kind, priority, text"), "customer,kind,priority,text\nC000003,complaint,high,物流太慢\n")

        // A change appends a current entry after the old ones; the store reopens and stays sound.
        var r = rapport(["--role", "manager", "-c", "update customers where city = 上海 set tier = platinum"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "updated 1 customer (C000001)\n")
        let lines = String(decoding: file("journal.jsonl"), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertFalse(lines[3].contains(#""version""#), "old entries keep their bytes and checksums")
        XCTAssertTrue(lines[4].hasPrefix(#"{"seq":9,"version":5,"#), String(lines[4]))
        XCTAssertEqual(csv("find customers where tier = platinum show id"), "id\nC000001\n")
        XCTAssertEqual(rapport(["--check"]).status, 0)

        // A snapshot is written in the current format; the audit log then holds both versions.
        r = rapport(["-c", "save"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = rapport(["--check"])
        XCTAssertEqual(r.status, 0, r.stdout)
        XCTAssertTrue(r.stdout.contains("audit.jsonl: ok, 9 entries (changes 1 to 9)"), r.stdout)
        XCTAssertEqual(csv("count customers by tier"), "tier,count\nbronze,1\nplatinum,1\nsilver,1\n")
        XCTAssertTrue(String(decoding: file("snapshot.json"), as: UTF8.self).hasPrefix(#"{"format":"rapport-snapshot","version":4,"#))
        XCTAssertEqual(csv("find customers show id, points"), "id,points\nC000001,88\nC000002,1200\nC000003,0\n")
    }

    func testSnapshotOfANewerVersionIsRefusedAndLeftUntouched() throws {
        XCTAssertEqual(rapport(["-c", #"add customer id: "C1", name: "王芳""#, "-c", "save"]).status, 0)
        var text = String(decoding: file("snapshot.json"), as: UTF8.self)
        text = text.replacingOccurrences(of: #""version":4,"#, with: #""version":7,"#)
        let body = text[..<text.range(of: #""checksum":""#)!.upperBound]
        let newer = Data((body + FormatVersionTests.hex(CRC32.checksum(Array(body.dropLast(12).utf8))) + "\"}\n").utf8)
        try newer.write(to: URL(fileURLWithPath: data + "/snapshot.json"))

        var r = rapport(["-c", "count customers"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("written by a newer version of Rapport (snapshot format version 7; this Rapport reads versions 1 to 4)"), r.stderr)
        XCTAssertFalse(r.stderr.contains("damaged"), r.stderr)
        r = rapport(["--check"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("this Rapport cannot read the store"), r.stdout)
        r = rapport(["--recover"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("nothing was changed"), r.stderr)
        XCTAssertEqual(file("snapshot.json"), newer, "a newer snapshot is never overwritten")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasPrefix("damaged-") }
        XCTAssertEqual(leftovers, [])
    }

    func testJournalEntryOfANewerVersionIsRefusedNeverCutOff() throws {
        XCTAssertEqual(rapport(["-c", #"add customer id: "C1", name: "王芳""#]).status, 0)
        // As the last line, a newer entry must not be taken for a torn write and dropped.
        let entry = #"{"seq":2,"version":9,"at":"2030-01-01T00:00:00Z","user":"x","role":"admin","command":"x","fields":[],"changes":[]}"#
        var journal = file("journal.jsonl")
        journal.append(Data((entry + "\t" + FormatVersionTests.hex(CRC32.checksum(Array(entry.utf8))) + "\n").utf8))
        try journal.write(to: URL(fileURLWithPath: data + "/journal.jsonl"))

        var r = rapport(["-c", "count customers"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("entry 2 of journal.jsonl: it was written by a newer version of Rapport (journal entry format version 9; this Rapport reads versions 1 to 5)"), r.stderr)
        r = rapport(["--read-only", "-c", "count customers"])
        XCTAssertEqual(r.status, 1)
        r = rapport(["--recover"])
        XCTAssertEqual(r.status, 1, r.stdout)
        XCTAssertEqual(file("journal.jsonl"), journal, "nothing is cut from a journal a newer Rapport wrote")
    }

    static func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
