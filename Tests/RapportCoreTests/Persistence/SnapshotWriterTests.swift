import Foundation
import XCTest
@testable import RapportCore

/// The snapshot writer (`SnapshotView`): a view that later changes to the store do not
/// reach, pieces streamed to the file in order, progress, and a cancellation that leaves
/// the old file and no temporary one.
final class SnapshotWriterTests: XCTestCase {
    /// Rows per piece in these tests: many pieces from few rows, quick in a debug build.
    let piece = 64

    /// More rows than a few pieces, every kind of column, deleted rows and the bin.
    func bigStore() -> Store {
        let store = QueryFixtures.store()
        for i in 0..<(piece * 5 + 5) {
            store.customers.append(QueryFixtures.customer(String(format: "N%07d", i), [
                "name": .string(i % 2 == 0 ? "客户 \(i)" : "Name \"\(i)\""), "tier": .string(["gold", "silver"][i % 2]),
                "lastContact": .date(Day(daysSinceEpoch: Int32(20_000 + i % 400))), "totalSpent": .number(Double(i) / 4),
                "tags": i % 3 == 0 ? .list(["vip", "t\(i % 7)"]) : .null]))
        }
        store.customers.delete(row: 7)
        return store
    }

    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "rapport-snapwriter-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testAViewKeepsTheStoreAsItWasWhenTaken() throws {
        let store = bigStore()
        let before = SnapshotCodec.encode(store)
        let view = SnapshotView(store, rowsPerPiece: piece)
        // Every kind of change after the view: new strings, new rows, deletions, a custom field.
        store.customers.set(row: 3, field: store.customers.schema.position(of: "name")!, to: .string("changed after the view"))
        _ = store.customers.append(QueryFixtures.customer("LATE1", ["name": .string("late")]))
        store.customers.delete(row: 10)
        store.sequence += 1
        var streamed: [UInt8] = []
        let size = try view.encode { streamed.append(contentsOf: $0) }
        XCTAssertEqual(streamed, before, "the view encodes the store as it was")
        XCTAssertEqual(size, before.count)
        XCTAssertNotEqual(SnapshotCodec.encode(store), before, "the store itself did change")
    }

    /// The encoders emit their own pieces in turn: for any number of rows per piece the
    /// bytes are those of one piece, each emitted once and in order; an `emit` that fails
    /// stops every encoder (no call after it) and its error is the one thrown.
    func testPiecesEmittedInTurnFromEveryEncoderAndAFailedEmitStopsThemAll() throws {
        let store = bigStore()
        let whole = try SnapshotView(store, rowsPerPiece: 1 << 20).encode { _ in }
        let reference = SnapshotCodec.encode(store)
        XCTAssertEqual(whole, reference.count)
        for rows in [1, 3, piece, 1000] {
            var streamed: [UInt8] = []
            var calls = 0
            let size = try SnapshotView(store, rowsPerPiece: rows).encode { streamed.append(contentsOf: $0); calls += 1 }
            XCTAssertEqual(streamed, reference, "\(rows) rows a piece")
            XCTAssertEqual(size, reference.count)
            if rows == 1 { XCTAssertGreaterThan(calls, store.customers.rowCount, "a call per piece") }
        }
        struct DiskFull: Error {}
        for failing in [1, 2, 7, 40] {
            var calls = 0
            XCTAssertThrowsError(try SnapshotView(store, rowsPerPiece: 3).encode { _ in
                calls += 1
                if calls == failing { throw DiskFull() }
            }) { error in XCTAssertTrue(error is DiskFull, "\(error)") }
            XCTAssertEqual(calls, failing, "nothing emitted after the failure")
        }
    }

    /// A file written past the page cache (`DirectWrites`: aligned blocks by `O_DIRECT`,
    /// the last partial block through the page cache) holds exactly the bytes appended, in
    /// appends of every size across its buffers' edges, on a file system that takes
    /// `O_DIRECT` and on one that refuses it (tmpfs), and an empty file stays empty.
    func testFileWrittenPastThePageCacheHoldsEveryByteAppended() throws {
        var generator = SystemRandomNumberGenerator()
        let total = DirectWrites.capacity * 2 + DirectWrites.alignment * 3 + 123
        let bytes = (0..<total).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var places = [try directory()]
        if FileManager.default.isWritableFile(atPath: "/dev/shm") {
            let shm = "/dev/shm/rapport-direct-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: shm, withIntermediateDirectories: true)
            addTeardownBlock { try? FileManager.default.removeItem(atPath: shm) }
            places.append(shm)
        }
        for dir in places {
            let path = dir + "/snapshot.json"
            try FileSystem.writeAtomically(to: path, bypassingCache: true) { write in
                var at = 0
                for size in [1, 4095, 4096, 4097, 17, DirectWrites.capacity - 3, 5, DirectWrites.capacity + 9] where at < total {
                    let n = min(size, total - at)
                    try bytes[at..<(at + n)].withUnsafeBytes { try write($0) }
                    at += n
                }
                try bytes[at...].withUnsafeBytes { try write($0) }
            }
            XCTAssertEqual(try FileSystem.readFile(path), bytes, dir)
            try FileSystem.writeAtomically(to: path, bypassingCache: true) { _ in }
            XCTAssertEqual(try FileSystem.readFile(path), [], dir)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["snapshot.json"])
        }
    }

    func testWrittenFileIsTheEncodedBytesAndReportsEveryRow() throws {
        let dir = try directory()
        let store = bigStore()
        let path = dir + "/snapshot.json"
        let reports = Reports()
        let size = try SnapshotCodec.write(SnapshotView(store, rowsPerPiece: piece), to: path, progress: SnapshotProgress(report: { reports.add($0, $1) }))
        let written = try FileSystem.readFile(path)
        XCTAssertEqual(written, SnapshotCodec.encode(store))
        XCTAssertEqual(size, written.count)
        let seen = reports.all
        // Rows from each table's first live one on, the bin's too.
        let rows = (Entity.stored.map { store[$0] } + Entity.stored.map { store.bin[$0] })
            .reduce(0) { $0 + $1.rowCount - ($1.isLive.firstIndex(of: true) ?? $1.rowCount) }
        XCTAssertEqual(seen.first?.0, 0, "starts at 0")
        XCTAssertEqual(seen.last?.0, seen.last?.1, "ends at the whole")
        XCTAssertEqual(seen.last?.1, rows)
        XCTAssertGreaterThan(seen.count, 6, "reports between pieces")
        XCTAssertEqual(seen.map(\.0), seen.map(\.0).sorted(), "never goes back")
        XCTAssertEqual(try SnapshotCodec.read(written).customers.liveCount, store.customers.liveCount)
    }

    func testCancelledWriteLeavesTheOldFileAndNoTemporaryOne() throws {
        let dir = try directory()
        let path = dir + "/snapshot.json"
        let old = Array("the old snapshot".utf8)
        try FileSystem.writeAtomically(old, to: path)
        var asked = 0
        XCTAssertThrowsError(try SnapshotCodec.write(SnapshotView(bigStore(), rowsPerPiece: piece), to: path, progress: SnapshotProgress(isCancelled: { asked += 1; return asked >= 2 }))) { error in
            XCTAssertTrue(error is SnapshotCancelled, "\(error)")
        }
        XCTAssertEqual(try FileSystem.readFile(path), old)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["snapshot.json"])
    }

    /// Every kind of cell is written as the reference writers write it (`ByteWriter` for
    /// strings, numbers, integers and days, `RecordCodec.isoUTC` for instants), at the edges
    /// of the snapshot writer's fast paths: escapes on either side of its eight-byte scan,
    /// two-decimal numbers against `description`, days outside its table, the widest
    /// integers, instants outside four-digit years; and all of it reads back the same.
    func testEveryCellIsWrittenAsTheReferenceWritersWriteIt() throws {
        let store = Store()
        var names: [String] = []
        for special in ["\"", "\\", "\u{1}", "\t", "\n", "\u{1f}"] {
            for at in 0..<18 { names.append(String(repeating: "a", count: at) + special + String(repeating: "é", count: at % 3)) }
        }
        names += ["", "plain", "\u{7f} and ~ stay", "王芳 \"引号\"", String(repeating: "长", count: 40), "ends with \\"]
        let numbers: [Double] = [0.01, -0.01, 0.05, -0.05, 0.1, 0.3, 0.1 + 0.2, 451.78, -451.78, 451.8, 1.005, 2.675,
                                 0.015, 99_999.99, 123_456_789_012.34, 999_999_999_999.99, 1e12 + 0.5, 1e15 + 0.5,
                                 1e-7, 0.009, 12.345, 1.0 / 3, 5e-324, 1.7976931348623157e308, 4_503_599_627_370_495.5,
                                 -1e20, 7.5, 1e14 + 0.25]
        let integers: [Int64] = [0, 9, 10, 99, 100, -1, -10, 1_000_000_007, .max, .min + 1, -9_999_999_999_999_999]
        let days = [(1, 1, 1), (1899, 12, 31), (1900, 1, 1), (1970, 1, 1), (2024, 2, 29), (2099, 12, 31), (2100, 1, 1), (9999, 12, 31)]
            .map { Day(year: $0.0, month: $0.1, day: $0.2)! }
        let rows = max(names.count, numbers.count)
        for i in 0..<rows {
            store.customers.append(QueryFixtures.customer("T\(i)", [
                "name": .string(names[i % names.count]), "totalSpent": .number(numbers[i % numbers.count]),
                "purchaseCount": .integer(integers[i % integers.count]), "birthday": .date(days[i % days.count]),
                "tags": i % 4 == 0 ? .list([names[i % names.count], "vip"]) : .null]))
        }
        let instants: [Int64] = [0, -1, 1, 86_399, 86_400, -86_400, -86_401, 1_800_000_000, 253_402_300_799,
                                 253_402_300_800, -62_167_219_200, -62_167_219_201, -2_208_988_801, 4_102_444_800]
        let events = store[.events]
        let at = events.schema.position(of: "at")!
        for (i, t) in instants.enumerated() {
            var record = [Value](repeating: .null, count: events.schema.fields.count)
            record[0] = .string("E\(i)")
            record[at] = .instant(t)
            events.append(record)
        }

        let bytes = SnapshotCodec.encode(store)
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        func line(_ id: String) -> String? { lines.first { $0.hasPrefix("{\"id\":\"\(id)\",") } }
        func member(_ name: String, _ write: (inout ByteWriter) -> Void) -> String {
            var w = ByteWriter()
            w.string(name)
            w.byte(58)
            write(&w)
            return String(decoding: w.bytes, as: UTF8.self)
        }
        func assertHolds(_ line: String?, _ member: String, _ what: String) {
            guard let line else { return XCTFail("no line for \(what)") }
            XCTAssertTrue(line.contains(member + ",") || line.hasSuffix(member + "}") || line.hasSuffix(member + "},"),
                          "\(what): \(member) not in \(line)")
        }
        for i in 0..<rows {
            let row = line("T\(i)")
            assertHolds(row, member("name") { $0.string(names[i % names.count]) }, "name \(i)")
            assertHolds(row, member("totalSpent") { $0.number(numbers[i % numbers.count]) }, "number \(numbers[i % numbers.count])")
            assertHolds(row, member("purchaseCount") { $0.integer(integers[i % integers.count]) }, "integer \(i)")
            assertHolds(row, member("birthday") { $0.byte(34); $0.day(days[i % days.count]); $0.byte(34) }, "day \(days[i % days.count])")
        }
        for (i, t) in instants.enumerated() {
            assertHolds(line("E\(i)"), member("at") { $0.string(RecordCodec.isoUTC(t)) }, "instant \(t)")
        }

        // Years outside 1 to 9999 are written as `isoUTC` writes them, but the reader takes
        // four-digit years only: those rows are left out of the reading back.
        let readable: ClosedRange<Int64> = -62_135_596_800...253_402_300_799
        for (row, t) in instants.enumerated() where !readable.contains(t) { events.delete(row: row) }
        let read = try SnapshotCodec.read(SnapshotCodec.encode(store))
        XCTAssertEqual(read.customers.rowCount, rows)
        for row in 0..<rows {
            XCTAssertEqual(read.customers.record(row: row), store.customers.record(row: row), "row \(row)")
        }
        let kept = instants.filter { readable.contains($0) }
        XCTAssertEqual(read[.events].rowCount, kept.count)
        for (row, t) in kept.enumerated() {
            XCTAssertEqual(read[.events].value(row: row, field: at), .instant(t))
        }
    }

    func testCancelledSaveKeepsTheSnapshotAndTheJournal() throws {
        let dir = try directory()
        let database = try Database.open(directory: dir)
        let session = Session(database: database, settings: Settings(user: "test"), clock: QueryFixtures.clock, pinnedNow: QueryFixtures.clock.now)
        XCTAssertEqual(session.run("add customer name = \"王芳\"").status, .success)
        XCTAssertEqual(session.run("save").status, .success)
        XCTAssertEqual(session.run("add customer name = \"Anna\"").status, .success)
        let snapshot = try FileSystem.readFile(dir + "/" + Database.snapshotFile)
        let journal = try FileSystem.readFile(dir + "/" + Database.journalFile)
        XCTAssertFalse(journal.isEmpty)
        session.isCancelled = { true }
        let outcome = session.run("save")
        XCTAssertEqual(outcome.status, .runtimeError)
        XCTAssertTrue(outcome.messages.contains("save cancelled; the previous snapshot and the journal are as they were"), outcome.messages)
        XCTAssertEqual(try FileSystem.readFile(dir + "/" + Database.snapshotFile), snapshot)
        XCTAssertEqual(try FileSystem.readFile(dir + "/" + Database.journalFile), journal)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: dir).contains { $0.contains(".tmp-") })
        database.close()
        XCTAssertEqual(try Database.open(directory: dir).store.customers.liveCount, 2, "nothing was lost")
    }

    func testCancelledExportWritesNoFileAndAReportedOneDoes() throws {
        let dir = try directory()
        let store = QueryFixtures.store()
        for i in 6...3000 { store.customers.append(QueryFixtures.customer("C\(i)", ["name": .string("客户\(i)")])) }
        let session = Session(database: Database.inMemory(store), settings: Settings(user: "test"),
                              clock: QueryFixtures.clock, pinnedNow: QueryFixtures.clock.now)
        let file = dir + "/out.csv"
        session.isCancelled = { true }
        let outcome = session.run("export customers to \"\(file)\"")
        XCTAssertEqual(outcome.status, .runtimeError)
        XCTAssertTrue(outcome.messages.contains("export cancelled; '\(file)' was not written"), outcome.messages)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])

        session.isCancelled = { false }
        let reports = Reports()
        session.exportProgress = { reports.add($0, $1) }
        XCTAssertEqual(session.run("export customers to \"\(file)\"").status, .success)
        XCTAssertEqual(reports.all.first?.0, 0)
        XCTAssertEqual(reports.all.last?.0, store.customers.liveCount)
        XCTAssertTrue(reports.all.contains { $0.0 == 1024 && $0.1 == store.customers.liveCount }, "\(reports.all.prefix(4))")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.csv"])
    }

    // MARK: In the background

    func session(_ database: Database) -> Session {
        Session(database: database, settings: Settings(user: "test"), clock: QueryFixtures.clock, pinnedNow: QueryFixtures.clock.now)
    }

    func files(_ dir: String) throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: dir).sorted() }

    func testBackgroundSnapshotTakesItsPlaceOnlyOnceWrittenAndLosesNothing() throws {
        let dir = try directory()
        let database = try Database.open(directory: dir)
        let s = session(database)
        s.savesInBackground = true
        XCTAssertEqual(s.run("add customer name = \"王芳\"").status, .success)
        let outcome = s.run("save")
        XCTAssertEqual(outcome.status, .success)
        XCTAssertTrue(outcome.output.contains("writing a snapshot of 1 customers in the background"), outcome.output)
        XCTAssertEqual(s.run("add customer name = \"Anna\"").status, .success, "the session goes on")
        // Until it is put in place, the files are the old ones: another opening sees everything.
        XCTAssertEqual(try Database.open(directory: dir, readOnly: true).store.customers.liveCount, 2)
        try database.finishBackgroundSnapshot(waiting: true)
        XCTAssertEqual(SnapshotCodec.sequence(inFileAt: dir + "/" + Database.snapshotFile), 1, "the view's sequence")
        XCTAssertFalse(try FileSystem.readFile(dir + "/" + Database.journalFile).isEmpty, "the later entry stays in the journal")
        XCTAssertFalse(try files(dir).contains { $0.contains(".tmp-") })
        XCTAssertEqual(try Database.open(directory: dir, readOnly: true).store.customers.liveCount, 2)

        // Nothing committed after the view: the journal moves to the audit log.
        XCTAssertEqual(s.run("save").status, .success)
        _ = try database.catchUp()
        database.close()
        XCTAssertEqual(SnapshotCodec.sequence(inFileAt: dir + "/" + Database.snapshotFile), 2, "closing put it in place")
        XCTAssertEqual(try FileSystem.readFile(dir + "/" + Database.journalFile), [])
        XCTAssertTrue(try files(dir).contains(Database.previousSnapshotFile))
        XCTAssertEqual(String(decoding: try FileSystem.readFile(dir + "/" + Database.auditFile), as: UTF8.self).split(separator: "\n").count, 2,
                       "both entries reached the audit log")
        XCTAssertEqual(try Database.open(directory: dir).store.customers.liveCount, 2)
    }

    func testBackgroundSnapshotOlderThanAnotherProcesssIsDropped() throws {
        let dir = try directory()
        let first = try Database.open(directory: dir)
        let s = session(first)
        XCTAssertEqual(s.run("add customer name = \"王芳\"").status, .success)
        XCTAssertTrue(try first.checkpointInBackground())
        // Another writer commits and snapshots meanwhile (its own lock, its own files view).
        let other = try Database.open(directory: dir)
        XCTAssertEqual(session(other).run("add customer name = \"Anna\"").status, .success)
        try other.checkpoint()
        other.close()
        try first.finishBackgroundSnapshot(waiting: true)
        XCTAssertEqual(SnapshotCodec.sequence(inFileAt: dir + "/" + Database.snapshotFile), 2, "the newer snapshot stays")
        XCTAssertFalse(try files(dir).contains { $0.contains(".tmp-") })
        first.close()
        XCTAssertEqual(try Database.open(directory: dir).store.customers.liveCount, 2)
    }
}

/// Progress reports gathered from any thread.
private final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [(Int, Int)] = []
    func add(_ done: Int, _ total: Int) { lock.lock(); seen.append((done, total)); lock.unlock() }
    var all: [(Int, Int)] { lock.lock(); defer { lock.unlock() }; return seen }
}
