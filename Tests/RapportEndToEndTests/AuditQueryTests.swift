import Foundation
import XCTest
import RapportTestSupport

/// The audit trail read back (entity `audit`, `audit ID`) through the real binary: every
/// kind of change appears as rows with its before, after, user and role, from the audit
/// log and from the journal alike, for entries of every format version.
final class AuditQueryTests: XCTestCase {
    func csv(_ store: TemporaryStore, _ command: String, _ extra: [String] = []) -> String {
        let r = store.run(extra + ["--format", "csv", "-c", command])
        XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)")
        return r.stdout
    }

    func change(_ store: TemporaryStore, user: String, role: String, _ commands: [String]) {
        let r = store.run(["--user", user, "--role", role] + commands.flatMap { ["-c", $0] })
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testEveryKindOfChangeIsRowsWithItsBeforeAfterUserAndRole() throws {
        let store = TemporaryStore("audit")
        let file = try store.file("more.jsonl", """
        {"id":"C000010","name":"赵敏","city":"北京"}
        {"id":"C000011","name":"Wu Lei"}

        """)
        change(store, user: "admin1", role: "admin", [
            "add customer name: 王芳, city: 上海, tier: gold",
            #"import customers from "\#(file)""#,
            "set policy resolution.urgent = 12h",
            "save segment vips as customers where tier = platinum",
        ])
        change(store, user: "li", role: "agent", [
            "update customers where id = C000001 set tier = silver",
            #"log contact C000001 via phone "回访""#,
            #"open ticket C000001 complaint "物流太慢" priority high"#,
            "assign T000001 to 李娜",
        ])
        change(store, user: "admin1", role: "admin", ["delete customers where id = C000011"])

        XCTAssertEqual(csv(store, "find audit where field = tier show seq, user, role, entity, record, before, after"), """
        seq,user,role,entity,record,before,after
        1,admin1,admin,customers,C000001,,gold
        5,li,agent,customers,C000001,gold,silver

        """)
        // An insert: one row per stored field but the id, before empty (an import stores what the file holds).
        XCTAssertEqual(csv(store, "find audit where seq = 2 and record = C000010 show field, before, after"),
                       "field,before,after\nname,,赵敏\ncity,,北京\n")
        // A delete: one row per field, after empty.
        XCTAssertEqual(csv(store, "find audit where command starts with delete show record, field, before, after"),
                       "record,field,before,after\nC000011,name,Wu Lei,\n")
        XCTAssertEqual(csv(store, "find audit where entity in (policy, segments) show user, record, field, before, after"), """
        user,record,field,before,after
        admin1,resolution.urgent,value,86400,43200
        admin1,vips,condition,,customers where tier = platinum

        """)
        XCTAssertEqual(csv(store, "find audit where entity = tickets and field = owner show seq, user, role, before, after"),
                       "seq,user,role,before,after\n8,li,agent,,李娜\n")
        XCTAssertEqual(csv(store, "find audit where entity = contacts and field = channel show seq, record, after"),
                       "seq,record,after\n6,K0000001,phone\n")
        XCTAssertEqual(csv(store, "count audit where user = li and role = agent"), csv(store, "count audit where seq >= 5 and seq <= 8"))
        XCTAssertEqual(csv(store, "count audit by role").split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] }, ["admin", "agent"])
        XCTAssertEqual(csv(store, "count audit where at <= 1d"), csv(store, "count audit"))
        let json = store.run(["--format", "json", "-c", "find audit where seq = 3"])
        XCTAssertTrue(json.stdout.contains(#""record": "resolution.urgent""#) || json.stdout.contains(#""record":"resolution.urgent""#), json.stdout)
    }

    /// The differential idea: the rows per entity are exactly the fields the changes wrote,
    /// counted independently from the records themselves.
    func testCountByEntityAgreesWithTheChangesMade() throws {
        let store = TemporaryStore("audit-count")
        change(store, user: "a", role: "admin", [
            "add customer name: A, city: 上海", "add customer name: B", "add customer name: C, tier: gold, city: 北京",
            #"log contact C000002 via email "hello""#, "update all customers set stage = active",
        ])
        // Customers: 2 + 1 + 3 stored fields + createdAt each, lastContact of one, stage of three.
        // Contacts: customer, date, channel, note, by.
        XCTAssertEqual(csv(store, "count audit by entity"), "entity,count\ncontacts,5\ncustomers,\(3 + 2 + 4 + 1 + 3)\n")
        XCTAssertEqual(csv(store, "count audit where field = stage"), "count\n\(csv(store, "count customers where stage = active").split(separator: "\n")[1])\n")
    }

    func testAuditOfARecordAfterAnUpdateAndAfterItsDeletion() throws {
        let store = TemporaryStore("audit-id")
        change(store, user: "li", role: "admin", ["add customer name: 王芳, tier: gold", "update customers where id = C000001 set tier = silver"])
        var lines = csv(store, "audit C000001").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "at,user,role,command,entity,field,before,after")
        XCTAssertTrue(lines[1].hasSuffix(",li,admin,\"add customer name: 王芳, tier: gold\",customers,name,,王芳"), lines[1])
        XCTAssertTrue(lines.last!.hasSuffix(",li,admin,update customers where id = C000001 set tier = silver,customers,tier,gold,silver"),
                      "newest last: \(lines.last!)")
        let before = lines.count
        change(store, user: "boss", role: "admin", ["delete customers where id = C000001"])
        lines = csv(store, "audit C000001").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, before + csv(store, "count audit where seq = 3").split(separator: "\n").last.flatMap { Int($0) }!)
        XCTAssertTrue(lines.last!.contains(",boss,admin,delete customers where id = C000001,customers,"), lines.last!)
        XCTAssertTrue(lines.contains { $0.hasSuffix(",boss,admin,delete customers where id = C000001,customers,tier,silver,") }, "the deleted record's last values")

        let none = store.run(["-c", "audit C000999"])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("no change recorded for 'C000999'"), none.stderr)
        XCTAssertTrue(store.run(["-c", "audit c000001"]).status == 1, "the id as recorded")
    }

    func testEntriesOfTheAuditLogAndOfTheJournalBothRead() throws {
        let store = TemporaryStore("audit-files")
        change(store, user: "a", role: "admin", ["add customer name: A", "save"])
        change(store, user: "b", role: "admin", ["add customer name: B"])
        XCTAssertEqual(csv(store, "find audit where field = name show seq, user, after"), "seq,user,after\n1,a,A\n2,b,B\n")
        // In one session: read, then a change, then a snapshot, then more: every row once.
        let r = store.run(["--user", "c", "--format", "csv", "-c", "count audit where field = name", "-c", "add customer name: C",
                           "-c", "count audit where field = name", "-c", "save", "-c", "add customer name: D",
                           "-c", "find audit where field = name show seq, user, after"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "count\n2\ncount\n3\nseq,user,after\n1,a,A\n2,b,B\n3,c,C\n4,c,D\n", r.stdout + r.stderr)
        XCTAssertEqual(csv(store, "count audit where field = name"), "count\n4\n")
    }

    /// Rows read from the files and rows a later commit appends in the same session land
    /// in the same columns: the index `audit ID` builds and the id map must take in both.
    func testRowsAppendedAfterTheTrailIsReadAreIndexedAndNumbered() throws {
        let store = TemporaryStore("audit-append")
        change(store, user: "a", role: "admin", ["add customer name: A, tier: gold", "save", "add customer name: B"])
        let r = store.run(["--user", "b", "--format", "csv", "-c", "audit C000001", "-c", "update customers where id = C000001 set tier = silver",
                           "-c", "audit C000001", "-c", "find audit where seq >= 2 show id, seq, record, field, after"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let tables = r.stdout.components(separatedBy: "at,user,role,command,entity,field,before,after\n").dropFirst()
        XCTAssertEqual(tables.count, 2, r.stdout)
        XCTAssertEqual(tables.last!.split(separator: "\n").filter { $0.hasSuffix(",customers,tier,gold,silver") }.count, 1, r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("""
        id,seq,record,field,after
        2.1,2,C000002,name,B
        2.2,2,C000002,createdAt,\(csv(store, "find customers where id = C000002 show createdAt").split(separator: "\n")[1])
        3.1,3,C000001,tier,silver

        """), r.stdout)
    }

    /// Entries of versions 1 (the fixture) and 2, 3, 4 (appended here) all read.
    func testEntriesOfEveryFormatVersionRead() throws {
        let store = TemporaryStore("audit-versions")
        try FileManager.default.copyItem(atPath: FormatVersionTests.versionOneStore, toPath: store.path)
        let entries = [
            #"{"seq":9,"version":2,"at":"2026-11-22T10:00:00Z","user":"v2","role":"agent","command":"update customers where id = C000001 set city = 杭州","fields":[],"changes":[{"op":"update","entity":"customers","id":"C000001","before":{"city":"上海"},"after":{"city":"杭州"}}]}"#,
            #"{"seq":10,"version":3,"at":"2026-11-23T10:00:00Z","user":"v3","role":"admin","command":"set policy resolution.urgent = 12h","fields":[],"changes":[],"policy":[{"key":"resolution.urgent","before":86400,"after":43200}]}"#,
            #"{"seq":11,"version":4,"at":"2026-11-24T10:00:00Z","user":"v4","role":"admin","command":"save segment s as customers where tier = gold","fields":[],"changes":[],"segments":[{"name":"s","before":null,"after":{"name":"s","entity":"customers","condition":"tier = gold","savedBy":"v4","savedAt":"2026-11-24T10:00:00Z"}}]}"#,
        ]
        let journal = FileHandle(forWritingAtPath: store.path + "/journal.jsonl")!
        journal.seekToEndOfFile()
        for e in entries { journal.write(Data((e + "\t" + crc32Hex(Array(e.utf8)) + "\n").utf8)) }
        journal.closeFile()
        XCTAssertEqual(store.run(["--check"]).status, 0)
        // Version 1 entries from audit.jsonl and the journal: no role recorded.
        XCTAssertEqual(csv(store, "find audit where record = C000003 and field = owner show seq, user, role, before, after"),
                       "seq,user,role,before,after\n7,fixture,,,陈静\n")
        XCTAssertEqual(csv(store, "find audit where seq >= 9 show seq, user, role, entity, record, field, before, after"), """
        seq,user,role,entity,record,field,before,after
        9,v2,agent,customers,C000001,city,上海,杭州
        10,v3,admin,policy,resolution.urgent,value,86400,43200
        11,v4,admin,segments,s,condition,,customers where tier = gold

        """)
        XCTAssertEqual(csv(store, "count audit where seq <= 8 and seq >= 1 by seq").split(separator: "\n").count, 1 + 8, "every old entry has rows")
    }

    func testReadOnlyAndAManagersToRead() throws {
        let store = TemporaryStore("audit-roles")
        change(store, user: "a", role: "admin", ["add customer name: A"])
        for command in ["count audit", "find audit", "audit C000001", #"export audit to "x.csv""#] {
            let r = store.run(["--role", "agent", "-c", command])
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("needs the manager role"), r.stderr)
        }
        XCTAssertEqual(store.run(["--role", "manager", "-c", "audit C000001"]).status, 0)
        for command in ["add audit seq: 1", "update audit where seq = 1 set user = x", "delete audit where seq = 1",
                        #"import audit from "x.jsonl""#] {
            let r = store.run(["-c", command])
            XCTAssertEqual(r.status, 2, command)
            XCTAssertTrue(r.stderr.contains("the audit trail cannot be changed"), r.stderr)
        }
        XCTAssertEqual(csv(store, "count audit"), "count\n2\n")
    }

    private func crc32Hex(_ bytes: [UInt8]) -> String {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        let s = String(crc ^ 0xFFFF_FFFF, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
