import Foundation
import XCTest
@testable import RapportCore

/// The inputs that the fuzz target (Fuzz/FuzzTarget.swift, run by scripts/fuzz) or the
/// hostile-input checks found to crash Rapport or to break its store, and the nastiest
/// inputs of the seed corpus. Each goes through the same code path as in the fuzzer and
/// must get a clear error (or a result), never a trap, and never a store that does not
/// read back.
final class FuzzRegressionTests: XCTestCase {
    /// 2026-11-01T00:00:00Z, as in the fuzz target.
    let clock = Clock(now: 1_793_491_200, timeZone: TimeZone(identifier: "UTC")!)

    func demoStore() -> Store {
        let store = Store()
        DemoGenerator(size: 8, today: clock.today).generate { entity, record in _ = store[entity].append(record) }
        return store
    }

    func session(_ store: Store? = nil) -> Session {
        Session(database: .inMemory(store ?? demoStore()), settings: Settings(user: "fuzz"), clock: clock, pinnedNow: clock.now)
    }

    /// Runs each line as the fuzz target does; returns the outcomes.
    @discardableResult
    func run(_ session: Session, _ lines: String) -> [CommandOutcome] {
        lines.split(separator: "\n").map { session.run(String($0)) }
    }

    /// What the fuzz target checks after commands that changed the store: its snapshot
    /// reads back as the same store.
    func assertSnapshotReadsBack(_ store: Store, file: StaticString = #filePath, line: UInt = #line) {
        let bytes = SnapshotCodec.encode(store)
        XCTAssertNoThrow(try SnapshotCodec.read(bytes), file: file, line: line)
        if let again = try? SnapshotCodec.read(bytes) {
            XCTAssertEqual(SnapshotCodec.encode(again), bytes, "reads back as the same store", file: file, line: line)
        }
    }

    func customer(_ store: Store, _ id: String, _ field: String) -> Value {
        let t = store.customers
        return t.value(row: t.row(ofID: id)!, field: t.schema.position(of: field)!)
    }

    // MARK: Found by the fuzzer

    /// Fuzz input `q`: a purchase took totalSpent to infinity, which the snapshot wrote as
    /// `inf`: the next `save` left a store that no longer opened.
    func testPurchaseThatWouldMakeTotalSpentInfiniteIsRefused() {
        let s = session()
        // totalSpent is kept from the purchases: an opening balance comes with the customer.
        let out = run(s, "add customer id: X1, name: \"Rich\", totalSpent: 1e308\nlog purchase X1 amount 99999999999")
        XCTAssertEqual(out[0].status, .success, out[0].messages)
        XCTAssertEqual(out[1].status, .usageError)
        XCTAssertTrue(out[1].messages.contains("takes totalSpent out of range"), out[1].messages)
        XCTAssertEqual(customer(s.store, "X1", "totalSpent"), .number(1e308), "nothing changed")
        assertSnapshotReadsBack(s.store)
    }

    /// Fuzz input `q`: `n + 1` on a purchaseCount of Int64.max trapped (overflow).
    func testPurchaseThatWouldOverflowTheCountOrThePointsIsRefused() {
        let s = session()
        var out = run(s, "add customer id: X5, name: \"Busy\", purchaseCount: 9223372036854775807\nlog purchase X5 amount 1")
        XCTAssertEqual(out[1].status, .usageError)
        XCTAssertTrue(out[1].messages.contains("takes purchaseCount out of range"), out[1].messages)
        // Points are the ledger's balance: they cannot be set near the limit at all.
        out = run(s, "update customers where id = C000001 set points = 9223372036854775807")
        XCTAssertEqual(out[0].diagnosticIDs, [.derivedFieldCannotBeSet])
        assertSnapshotReadsBack(s.store)
    }

    /// Fuzz input `it`: a ticket imported with `openedAt` 9223372036854775807 (seconds)
    /// trapped converting it to a date (Int32) when the journal entry was written.
    func testImportedTimeOutOfRangeIsRefused() throws {
        let dir = NSTemporaryDirectory() + "rapport-fuzz-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/tickets.jsonl"
        try Data(#"{"customer":"C000001","kind":"inquiry","openedAt":9223372036854775807}"#.utf8).write(to: URL(fileURLWithPath: file))
        let s = session()
        let before = s.store[.tickets].liveCount
        let out = s.run("import tickets from \"\(file)\"")
        XCTAssertEqual(out.status, .runtimeError)
        XCTAssertTrue(out.messages.contains("line 1: 'openedAt': expected a time"), out.messages)
        XCTAssertEqual(s.store[.tickets].liveCount, before)

        // The same as text, in CSV, and times whose UTC date falls outside years 1 to 9999.
        for (name, text) in [("t.csv", "customer,openedAt\nC000001,-9223372036854775808\n"),
                             ("u.jsonl", #"{"customer":"C000001","openedAt":"0001-01-01T00:00:00+01:00"}"#),
                             ("v.jsonl", #"{"customer":"C000001","closedAt":"9999-12-31T23:30:00-01:00"}"#)] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/" + name))
            let r = s.run("import tickets from \"\(dir)/\(name)\"")
            XCTAssertEqual(r.status, .runtimeError, name)
            XCTAssertTrue(r.messages.contains("expected a time"), "\(name): \(r.messages)")
        }
        XCTAssertNil(Clock.parseISO8601("0001-01-01T00:00:00+00:01", defaultZone: clock.timeZone))
        XCTAssertNotNil(Clock.parseISO8601("0001-01-01T00:00:00Z", defaultZone: clock.timeZone))
        XCTAssertNotNil(Clock.parseISO8601("9999-12-31T23:59:59Z", defaultZone: clock.timeZone))
        assertSnapshotReadsBack(s.store)
    }

    /// A journal entry (checksum right) holding such a time is refused as damaged,
    /// instead of trapping when the store is next written.
    func testJournalEntryWithTimeOutOfRangeIsDamagedNotACrash() {
        let body = Array(#"{"seq":1,"at":"2026-11-01T00:00:00Z","user":"x","command":"c","fields":[],"changes":[{"op":"insert","entity":"tickets","id":"T9","after":{"id":"T9","openedAt":9223372036854775807}}]}"#.utf8)
        let line = body + [9] + Array(JournalCodec.hex(CRC32.checksum(body)).utf8) + [10]
        let store = Store()
        let replay = JournalReplay.run(line, into: store)
        XCTAssertEqual(replay.applied, 0)
        XCTAssertEqual(replay.problem?.isTornTail, false)
        XCTAssertTrue(replay.problem?.reason.contains("bad value for openedAt") == true, "\(String(describing: replay.problem))")
    }

    /// Journal lines with their checksums, as the fuzz target seals them.
    func sealed(_ lines: [String]) -> [UInt8] {
        lines.flatMap { line -> [UInt8] in
            let body = Array(line.utf8)
            return body + [9] + Array(JournalCodec.hex(CRC32.checksum(body)).utf8) + [10]
        }
    }

    /// Fuzz input `l` (journal lines, checksums right), minimised: two entries that each
    /// add customer C9. Replay applied both, leaving two records with one id, and the
    /// store's next snapshot did not read back ("id C9 appears twice").
    func testJournalEntryAddingAnIDTheStoreHoldsIsDamage() {
        let found = sealed([#"{"seq":1,"at":"2026-11-01T00:00","user":"f","command":"","fies":[{"aype":"r"}],"changes":[{"op":"insert","entity":"customers","id":"C9"}]}"#,
                            #"{"seq":2,"at":"2026-11-01T00:00Z","user":"fz","command":"upa","fifages":[{}],"changes":[{"op":"insert","entity":"customers","id":"C9","":{"":"C9","birl":1}}]}"#])
        let store = Store()
        let replay = JournalReplay.run(found, into: store)
        XCTAssertEqual(replay.applied, 1)
        XCTAssertEqual(replay.problem?.entry, 2)
        XCTAssertEqual(replay.problem?.isTornTail, false)
        XCTAssertEqual(replay.problem?.reason, "it adds customer C9, which the store already holds")
        XCTAssertEqual(store.customers.liveCount, 1)
        assertSnapshotReadsBack(store)

        // An id the snapshot holds; and within one entry, a delete then an insert of the
        // same id is fine while two inserts are not.
        func entry(_ changes: String) -> [UInt8] {
            sealed([#"{"seq":1,"at":"2026-11-01T00:00:00Z","user":"x","command":"c","fields":[],"changes":["# + changes + "]}"])
        }
        let insert = #"{"op":"insert","entity":"customers","id":"C000001","after":{"id":"C000001"}}"#
        let delete = #"{"op":"delete","entity":"customers","id":"C000001"}"#
        XCTAssertEqual(JournalReplay.run(entry(insert), into: demoStore()).problem?.reason,
                       "it adds customer C000001, which the store already holds")
        let demo = demoStore()
        let ok = JournalReplay.run(entry(delete + "," + insert), into: demo)
        XCTAssertNil(ok.problem)
        XCTAssertEqual(ok.applied, 1)
        assertSnapshotReadsBack(demo)
        XCTAssertNotNil(JournalReplay.run(entry(delete + "," + insert + "," + insert), into: demoStore()).problem)
    }

    /// Found by reading the code: a snapshot whose `counts` said two billion customers
    /// reserved room for them before anything else was checked (while the checksum was
    /// still being verified), some 8 GB per column: with less memory to hand (`ulimit -v
    /// 8000000`) `rapport` died with "failed to allocate" instead of reporting damage.
    func testSnapshotCountsDoNotReserveMoreThanTheFileCanHold() throws {
        var body = Array("{\"format\":\"rapport-snapshot\",\"version\":1,\"sequence\":0,\n\"counts\":{\"customers\":2000000000,\"contacts\":0,\"purchases\":0,\"tickets\":0},\n\"customers\":[\n{\"id\":\"C1\"}\n],\n".utf8)
        body += Array("\"checksum\":\"\(JournalCodec.hex(CRC32.checksum(body)))\"}\n".utf8)
        let store = try SnapshotCodec.read(body)
        XCTAssertEqual(store.customers.liveCount, 1)
        XCTAssertLessThan(store.customers.isLive.capacity, 1000)
        // With the checksum wrong (a damaged count), the same: an error, no reservation.
        var damaged = body
        damaged[damaged.count - 4] ^= 1
        XCTAssertThrowsError(try SnapshotCodec.read(damaged)) { XCTAssertTrue("\($0)".contains("checksum"), "\($0)") }
    }

    /// A 3 MB `or` chain of 200,000 terms overflowed the stack (the checker recursed once
    /// per term); such a condition is now refused while parsing.
    func testLongConditionChainIsRefusedInsteadOfOverflowingTheStack() {
        for joiner in [" or ", " and "] {
            let long = "find customers where " + Array(repeating: "tier = gold", count: 200_000).joined(separator: joiner)
            XCTAssertThrowsError(try Parser.parse(long)) { error in
                XCTAssertTrue("\(error)".contains("condition is too long"), "\(error)")
            }
            let out = session().run(long)
            XCTAssertEqual(out.status, .usageError)
            XCTAssertLessThan(out.messages.utf8.count, 2000, "the error shows a window of the line")
        }
        // The limit itself runs.
        let limit = "count customers where " + Array(repeating: "tier = gold", count: Parser.maximumConditionDepth).joined(separator: " or ")
        let out = session().run(limit)
        XCTAssertEqual(out.status, .success, out.messages)
        let nested = "count customers where " + String(repeating: "(", count: 150) +
            Array(repeating: "tier = gold", count: 900).joined(separator: " or ") + String(repeating: ")", count: 150) +
            " and " + Array(repeating: "not points > 5", count: 200).joined(separator: " and ")
        XCTAssertThrowsError(try Parser.parse(nested), "depth counts across parentheses and 'not'")
    }

    // MARK: The nastiest inputs of the corpus

    func testDeepNestingGetsAClearError() {
        XCTAssertThrowsError(try Parser.parse("find customers where " + String(repeating: "(", count: 100_000) + "tier = gold" + String(repeating: ")", count: 100_000))) {
            XCTAssertTrue("\($0)".contains("nested too deeply"), "\($0)")
        }
        XCTAssertThrowsError(try Parser.parse("find customers where " + String(repeating: "not ", count: 50_000) + "tier = gold")) {
            XCTAssertTrue("\($0)".contains("nested too deeply"), "\($0)")
        }
        for deep in [String(repeating: "[", count: 100_000), String(repeating: "{\"a\":", count: 100_000)] {
            XCTAssertThrowsError(try JSONScanner.withScanner(Array(deep.utf8)) { try $0.readValue() }) {
                XCTAssertTrue("\($0)".contains("nested too deeply"), "\($0)")
            }
        }
        let line = Array(("{\"seq\":1,\"at\":" + String(repeating: "[", count: 600)).utf8)
        let sealed = line + [9] + Array(JournalCodec.hex(CRC32.checksum(line)).utf8) + [10]
        XCTAssertTrue(JournalReplay.run(sealed, into: Store()).problem?.reason.contains("nested too deeply") == true)
    }

    func testInvalidUTF8GetsAClearError() throws {
        // In a JSON string (journal entries, JSON imports).
        XCTAssertThrowsError(try JSONScanner.withScanner([34, 0xFF, 0xFE, 34]) { try $0.readValue() }) {
            XCTAssertTrue("\($0)".contains("invalid UTF-8"), "\($0)")
        }
        // In a CSV import: refused whole, with the line.
        let importer = Importer(store: demoStore(), clock: clock)
        XCTAssertThrowsError(try importer.read(bytes: Array("id,name\nN1,".utf8) + [0xFF, 0xFE, 10], format: .csv, into: .customers)) { error in
            let failure = error as? Importer.ImportFailure
            XCTAssertEqual(failure?.line, 2)
            XCTAssertEqual(failure?.message, "the file is not valid UTF-8")
        }
        // In a command: as the interactive shell and `-c` take it, repaired to U+FFFD,
        // which is no word character: an error at that column.
        let text = String(decoding: Array("find customers where city = ".utf8) + [0xFF], as: UTF8.self)
        let out = session().run(text)
        XCTAssertEqual(out.status, .usageError)
        XCTAssertTrue(out.messages.contains("unexpected character '\u{FFFD}' at 1:29"), out.messages)
        // In a snapshot's string (checksum right): damaged, not a crash.
        var snapshot = Array(#"{"format":"rapport-snapshot","version":1,"sequence":0,"customers":[{"id":"C"#.utf8) + [0xC3, 0x28]
        snapshot += Array(#""}],"#.utf8)
        snapshot += Array("\"checksum\":\"\(JournalCodec.hex(CRC32.checksum(snapshot)))\"}\n".utf8)
        XCTAssertThrowsError(try SnapshotCodec.read(snapshot)) { XCTAssertTrue("\($0)".contains("invalid UTF-8"), "\($0)") }
    }

    func testHugeNumbersGetAClearError() {
        for text in ["find customers where totalSpent > 1e999", "find customers where points < -1e400"] {
            XCTAssertThrowsError(try Parser.parse(text)) { XCTAssertTrue("\($0)".contains("out of range"), "\($0)") }
        }
        XCTAssertThrowsError(try Parser.parse("find customers limit 99999999999999999999")) {
            XCTAssertTrue("\($0)".contains("whole number"), "\($0)")
        }
        XCTAssertThrowsError(try JSONScanner.withScanner(Array("1e999".utf8)) { try $0.readValue() }) {
            XCTAssertTrue("\($0)".contains("number out of range"), "\($0)")
        }
        // An integer too large for 64 bits reads as a (finite) double; as an integer field
        // it is refused with the row's line.
        XCTAssertEqual(try JSONScanner.withScanner(Array("99999999999999999999".utf8)) { try $0.readValue() }, .double(1e20))
        let importer = Importer(store: demoStore(), clock: clock)
        XCTAssertThrowsError(try importer.read(bytes: Array(#"{"id":"N1","points":99999999999999999999}"#.utf8), format: .jsonl, into: .customers)) {
            XCTAssertEqual(($0 as? Importer.ImportFailure)?.message, "'points': expected a whole number, found 1e+20")
        }
        XCTAssertThrowsError(try importer.read(bytes: Array("id,totalSpent\nN1,1e400\n".utf8), format: .csv, into: .customers)) {
            XCTAssertEqual(($0 as? Importer.ImportFailure)?.message, "'totalSpent': expected a number, found 1e400")
        }
    }

    func testLoneQuotesGetAClearError() {
        XCTAssertThrowsError(try Parser.parse("find customers where name = \"")) { XCTAssertTrue("\($0)".contains("unterminated string"), "\($0)") }
        XCTAssertThrowsError(try Parser.parse("find customers where name = '")) { XCTAssertTrue("\($0)".contains("unterminated string"), "\($0)") }
        XCTAssertThrowsError(try Parser.parse("find customers where name = “王芳")) { XCTAssertTrue("\($0)".contains("unterminated string"), "\($0)") }
        XCTAssertThrowsError(try CSVReader.parse("id,name\nN1,\"open")) { XCTAssertEqual($0 as? CSVError, CSVError(line: 2, column: 4, message: "unterminated quoted field")) }
        // A quote inside an unquoted field is a character, as Python's csv module reads it.
        XCTAssertEqual(try CSVReader.parse("id,name\nN1,a\"b").map(\.fields), [["id", "name"], ["N1", "a\"b"]])
        XCTAssertThrowsError(try JSONScanner.withScanner([34]) { try $0.readValue() }) { XCTAssertTrue("\($0)".contains("unterminated string"), "\($0)") }
        XCTAssertThrowsError(try JSONScanner.withScanner(Array("\"\\".utf8)) { try $0.readValue() }) { XCTAssertTrue("\($0)".contains("unterminated string"), "\($0)") }
    }

    func testByteOrderMarkAndNULBytes() throws {
        // A BOM before a CSV header, a JSON Lines file or a JSON array is skipped; one
        // further in is an error.
        XCTAssertEqual(try CSVReader.parse("\u{FEFF}id,name\nN1,x\n").map(\.fields), [["id", "name"], ["N1", "x"]])
        let importer = Importer(store: demoStore(), clock: clock)
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        XCTAssertEqual(try importer.read(bytes: bom + Array(#"{"id":"N1"}"#.utf8), format: .jsonl, into: .customers).changes.count, 1)
        XCTAssertEqual(try importer.read(bytes: bom + Array(#"[{"id":"N1"}]"#.utf8), format: .json, into: .customers).changes.count, 1)
        XCTAssertEqual(try importer.read(bytes: bom + Array("id,name\nN1,x\n".utf8), format: .csv, into: .customers).changes.count, 1)
        XCTAssertThrowsError(try importer.read(bytes: Array("{\"id\":\"N0\"}\n".utf8) + bom + Array(#"{"id":"N1"}"#.utf8), format: .jsonl, into: .customers)) {
            XCTAssertEqual(($0 as? Importer.ImportFailure)?.line, 2)
        }
        // NUL: data inside a quoted string; outside one, an unexpected character.
        let s = session()
        XCTAssertEqual(s.run("find customers where name = \"a\u{0}b\"").status, .success)
        let out = s.run("find customers\u{0}")
        XCTAssertEqual(out.status, .usageError)
        XCTAssertTrue(out.messages.contains("unexpected character"), out.messages)
        XCTAssertThrowsError(try JSONScanner.withScanner([34, 0, 34]) { try $0.readValue() }) {
            XCTAssertTrue("\($0)".contains("control character in a string"), "\($0)")
        }
        XCTAssertEqual(try JSONScanner.withScanner(Array(#""a\u0000b""#.utf8)) { try $0.readValue() }, .string("a\u{0}b"))
        // A NUL stored in a value is written and read back.
        XCTAssertEqual(s.run("add customer id: \"N0\", name: \"x\u{0}y\"").status, .success)
        assertSnapshotReadsBack(s.store)
    }

    // MARK: The trust commands' seeds

    /// Runs a committed seed (Fuzz/corpus) as the fuzz target runs a `q` input: line by line,
    /// imports and backups parsed but not run. Every refusal is a diagnostic.
    func runSeed(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Session {
        let corpus = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")
        let bytes = try Data(contentsOf: corpus.appendingPathComponent(name))
        XCTAssertEqual(bytes.first, UInt8(ascii: "q"), "a query-surface seed", file: file, line: line)
        let s = session()
        for command in String(decoding: bytes.dropFirst(), as: UTF8.self).split(separator: "\n").map(String.init) {
            switch try? Parser.parse(command) {
            case .importData?, .backup?: continue
            default: break
            }
            let out = s.run(command)
            if out.status != .success {
                XCTAssertFalse(out.diagnosticIDs.isEmpty, "\(name): \(command): \(out.messages)", file: file, line: line)
            }
        }
        assertSnapshotReadsBack(s.store, file: file, line: line)
        return s
    }

    /// grant, revoke and show grants, with refusals among them: the grants the seed leaves
    /// are in the store and read back from its snapshot.
    func testGrantSeedLeavesItsGrantsInTheSnapshot() throws {
        let store = try runSeed("query-trust-grants").store
        XCTAssertEqual(store.grants["王 五"], .trainee)
        XCTAssertNil(store.grants["li"], "revoked")
        XCTAssertNil(store.grants["nobody"])
        XCTAssertEqual(store.grants[Settings.osUser], .admin, "the first grant made the granting OS user admin")
        XCTAssertEqual(try SnapshotCodec.read(SnapshotCodec.encode(store)).grants, store.grants)
    }

    /// delete to the bin, find and count deleted, restore (twice), purge: the seed ends with
    /// the customer back, the bin empty, and a snapshot that reads back so.
    func testBinSeedRestoresAndPurges() throws {
        let store = try runSeed("query-trust-bin").store
        XCTAssertNotNil(store.customers.row(ofID: "C000001"), "restored")
        XCTAssertEqual(Entity.allCases.map { store.bin[$0].liveCount }.reduce(0, +), 0, "purged")
        let again = try SnapshotCodec.read(SnapshotCodec.encode(store))
        XCTAssertEqual(again.customers.liveCount, store.customers.liveCount)
        XCTAssertEqual(store[.contacts].liveCount, again[.contacts].liveCount)
    }

    /// audit reads the trail of the seed's own update; changing the trail is refused.
    func testAuditSeedReadsTheTrailAndCannotChangeIt() throws {
        let s = try runSeed("query-trust-audit")
        let out = s.run("audit C000003")
        XCTAssertEqual(out.status, .success, out.messages)
        XCTAssertTrue(out.output.contains("gold"), out.output)
        XCTAssertNotEqual(s.run("delete audit where seq = 1").status, .success)
    }

    /// The import and backup clauses the fuzz target only parses: the full form reads as
    /// written, and each malformed one is a usage error with a position.
    func testImportAndBackupSeedsParse() throws {
        let s = try runSeed("query-trust-import")
        guard case .importData(let entity, _, let options) = try Parser.parse(
            #"import customers from "a.csv" update by email map "手机" to phone, "城市" to city using "m.json" --dry-run"#) else {
            return XCTFail("not an import")
        }
        XCTAssertEqual(entity.entity, .customers)
        XCTAssertEqual(options.updateBy, .email)
        XCTAssertEqual(options.columnMap.map(\.column.kind), [.string("手机", quoted: true), .string("城市", quoted: true)])
        XCTAssertEqual(options.mapFile?.kind, .string("m.json", quoted: true))
        XCTAssertTrue(options.dryRun)
        guard case .backup(_, let encrypted) = try Parser.parse(#"backup to "dir" encrypted"#) else { return XCTFail("not a backup") }
        XCTAssertTrue(encrypted)
        for bad in [#"import customers from "a.csv" update by nickname"#, #"import customers from "a.csv" --dry-run --dry-run"#,
                    #"import customers from "a.csv" map "x" to"#, #"import customers from "a.csv" using"#,
                    #"backup to "dir" encrypted twice"#, #"backup to "dir" encrypt"#] {
            let out = s.run(bad)
            XCTAssertEqual(out.status, .usageError, bad)
            XCTAssertTrue(out.messages.contains("^"), "a caret under the fault: \(out.messages)")
        }
    }

    func testImpossibleDatesGetAClearError() {
        for text in ["find customers where birthday = 2026-02-30", "add customer id: \"Z\", birthday: 2025-02-29",
                     "find customers where createdAt > 0000-01-01", "find customers where birthday < 2026-13-01"] {
            let out = session().run(text)
            XCTAssertEqual(out.status, .usageError, text)
            XCTAssertTrue(out.messages.contains("is not a date"), "\(text): \(out.messages)")
        }
        let importer = Importer(store: demoStore(), clock: clock)
        XCTAssertThrowsError(try importer.read(bytes: Array("id,birthday\nN1,2023-02-29\n".utf8), format: .csv, into: .customers)) {
            XCTAssertEqual(($0 as? Importer.ImportFailure)?.message, "'birthday': expected a date (YYYY-MM-DD), found 2023-02-29")
        }
    }
}
