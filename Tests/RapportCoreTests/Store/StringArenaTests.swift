import Foundation
import XCTest
@testable import RapportCore

/// The string dictionary keeps its strings end to end in one byte arena; the snapshot is
/// encoded in pieces on every core and their checksums combined. Both are checked
/// against the plain answer: a Swift array of the strings, a checksum of the whole file,
/// a store that reads back as itself.
final class StringArenaTests: XCTestCase {
    /// Enough strings to grow the slot table several times; ASCII, CJK, accents, empty-ish.
    static let samples: [String] = (0..<5_000).map { i in
        switch i % 5 {
        case 0: return "user\(i)@example.com"
        case 1: return "王芳\(i)"
        case 2: return "ÉCOLE-\(i / 5)"
        case 3: return "école-\(i / 5)"
        default: return "x\(i)"
        }
    }

    func testEveryStringReadsBackByItsCodeAndFindsItsCode() {
        let d = StringDictionary()
        let codes = Self.samples.map { d.intern($0) }
        XCTAssertEqual(d.count, Self.samples.count)
        XCTAssertEqual(Set(codes).count, Self.samples.count, "distinct strings, distinct codes")
        for (s, c) in zip(Self.samples, codes) {
            XCTAssertEqual(d.string(c), s)
            XCTAssertEqual(d.strings[Int(c)], s)
            XCTAssertEqual(d.code(of: s), c)
            XCTAssertEqual(d.intern(s), c, "interning again gives the same code")
            var copy = s
            XCTAssertEqual(copy.withUTF8 { d.intern(utf8: UnsafeRawBufferPointer($0)) }, c)
        }
        XCTAssertNil(d.code(of: "absent"))
        XCTAssertEqual(d.string(0), "", "code 0 is the null")
    }

    /// `intern(block:)` reads a block's slots before it probes them: it must hand out the
    /// codes `intern` one by one does and leave the same arena, ends and slot table (the
    /// column image writes them raw): nulls, the empty string, repeats within a block and
    /// of earlier blocks, blocks that grow the table midway, a block larger than the table.
    func testABlockInternsAsOneByOneAndLeavesTheSameTable() {
        var strings: [String?] = []
        for (i, s) in Self.samples.enumerated() {
            strings.append(s)
            if i % 7 == 0 { strings.append(nil) }
            if i % 11 == 0 { strings.append(Self.samples[i / 2]) }
            if i % 13 == 0 { strings.append("") }
            if i % 17 == 0 { strings.append("a much longer string than fits inline \(i % 40) 地址") }
        }
        let blockwise = StringDictionary(), oneByOne = StringDictionary()
        var blockCodes: [UInt32] = []
        var start = 0
        for size in [1, 3, 40, 512, 2_000, 9_000] {
            let end = min(strings.count, start + size)
            blockCodes += blockwise.intern(block: Array(strings[start..<end]))
            start = end
        }
        XCTAssertEqual(start, strings.count, "every string in some block")
        XCTAssertEqual(blockwise.intern(block: [String?]()), [])
        let expected = strings.map { $0.map { oneByOne.intern($0) } ?? 0 }
        XCTAssertEqual(blockCodes, expected)
        XCTAssertEqual(blockCodes.filter { $0 == 0 }.count, strings.filter { $0 == nil }.count, "code 0 only for nulls")
        let a = blockwise.imageParts, b = oneByOne.imageParts
        XCTAssertEqual(a.bytes.array, b.bytes.array)
        XCTAssertEqual(a.ends.array, b.ends.array)
        XCTAssertEqual(a.slots.array, b.slots.array)
        // And the table a plain linear probe of every code in order gives, whatever the
        // growths on the way (column images written before hold such tables).
        var probed = [UInt32](repeating: 0, count: a.slots.count)
        for c in 1..<a.ends.count {
            let h = blockwise.withUTF8(UInt32(c)) { StringDictionary.hash(UnsafeRawBufferPointer($0)) }
            var i = Int(truncatingIfNeeded: h) & (probed.count - 1)
            while probed[i] != 0 { i = (i + 1) & (probed.count - 1) }
            probed[i] = UInt32(c)
        }
        XCTAssertEqual(a.slots.array, probed)
        for (s, c) in zip(strings, blockCodes) { XCTAssertEqual(blockwise.string(c), s ?? "") }
    }

    /// A slot table sized at once for the strings to come (`reserve(adding:)`, a batch's
    /// unique column) must be the table adding them one by one leaves when they are all
    /// new, and still find every string when fewer come or some repeat. Strings of the
    /// same length sharing their first 8 bytes, or differing only there or only after
    /// them, are told apart (`find` compares the first 8 bytes before `memcmp`).
    func testAReservedTableIsTheGrownOneAndSamePrefixesStayApart() {
        let unique = (0..<3_000).map { "customer\($0 % 10)@example.com-\($0)" }
            + ["12345678", "12345679", "02345678", "1234567", "", "abcdefgh-ijk", "abcdefgh-ijl", "bbcdefgh-ijk"]
        for (before, reserved) in [(0, unique.count), (100, unique.count - 100), (7, 20), (2_000, unique.count - 2_000)] {
            let grown = StringDictionary(), sized = StringDictionary()
            for s in unique[..<before] { _ = grown.intern(s); _ = sized.intern(s) }
            sized.reserve(adding: reserved)
            let rest = Array(unique[before...]).map(Optional.some)
            XCTAssertEqual(sized.intern(block: rest), grown.intern(block: rest))
            if before + reserved == unique.count {
                XCTAssertEqual(sized.imageParts.slots.array, grown.imageParts.slots.array, "all new: the same table")
            }
            XCTAssertEqual(sized.imageParts.ends.array, grown.imageParts.ends.array)
            for (i, s) in unique.enumerated() {
                XCTAssertEqual(sized.code(of: s), UInt32(i + 1), s)
                XCTAssertEqual(sized.string(UInt32(i + 1)), s)
            }
            XCTAssertNil(sized.code(of: "12345670"))
            XCTAssertNil(sized.code(of: "customer0@example.com-1"))
        }
        let small = StringDictionary()
        _ = small.intern("a")
        let slots = small.imageParts.slots.array
        small.reserve(adding: 3)
        XCTAssertEqual(small.imageParts.slots.array, slots, "room enough: unchanged")
    }

    /// `reserve(adding:)` sizes the arena and the ends for the batch too: the strings a
    /// batch adds are written where the arena already was, not copied into a new one at
    /// each doubling (a million emails' arena faulted in about twice over). A slightly
    /// longer average than the first block's still fits (an eighth more is reserved).
    func testAReservedArenaTakesTheBatchWithoutMoving() {
        func address<T>(_ storage: ColumnStorage<T>) -> Int {
            storage.withUnsafeBufferPointer { Int(bitPattern: $0.baseAddress) }
        }
        let d = StringDictionary()
        let first = (1_000..<2_000).map { Optional("customer-\($0)@example.com") }
        let rest = (2_000..<20_000).map { Optional("customer-\($0)@example.com") }
        _ = d.intern(block: first)
        d.reserve(adding: rest.count)
        let arena = address(d.imageParts.bytes), ends = address(d.imageParts.ends)
        let codes = d.intern(block: rest)
        XCTAssertEqual(address(d.imageParts.bytes), arena, "the arena was not moved")
        XCTAssertEqual(address(d.imageParts.ends), ends, "the ends were not moved")
        XCTAssertEqual(codes, (1_001...19_000).map(UInt32.init))
        XCTAssertEqual(d.string(19_000), "customer-19999@example.com")
        XCTAssertEqual(d.code(of: "customer-1000@example.com"), 1)
    }

    func testStringsTakenBeforeMoreInterningStayAsTheyWere() {
        let d = StringDictionary()
        _ = d.intern("a")
        let before = d.strings
        _ = d.intern("b")
        XCTAssertEqual(Array(before), ["", "a"])
        XCTAssertEqual(Array(d.strings), ["", "a", "b"])
    }

    func testCaseInsensitiveCodesFindEveryVariantIncludingOnesAddedLater() {
        let d = StringDictionary()
        let upper = d.intern("ÉCOLE"), lower = d.intern("école"), other = d.intern("ecole")
        XCTAssertEqual(d.codes(ignoringCase: "École"), [upper, lower].sorted())
        XCTAssertEqual(d.codes(ignoringCase: "ECOLE"), [other])
        for s in Self.samples { _ = d.intern(s) }
        let mixed = d.intern("ÉcOlE")
        XCTAssertEqual(d.codes(ignoringCase: "école"), [upper, lower, mixed].sorted())
        XCTAssertEqual(d.codes(ignoringCase: "USER10@EXAMPLE.COM"), [d.code(of: "user10@example.com")!])
        XCTAssertEqual(d.codes(ignoringCase: "王芳1"), [d.code(of: "王芳1")!])
        XCTAssertEqual(d.codes(ignoringCase: "nowhere"), [])
    }

    /// The folded table is placed a block of codes at a time: built in one go it is the
    /// table built in two steps (its second one starting inside a block), slot for slot;
    /// the column image writes it raw, so a different placement would change its bytes.
    func testFoldedTableBuiltAtOnceIsTheOneBuiltInSteps() {
        let all = Self.samples + (0..<1_000).map { "Later-\($0)@Example.COM" }
        let atOnce = StringDictionary(), inSteps = StringDictionary()
        for s in all { _ = atOnce.intern(s) }
        atOnce.buildFoldedSlots()
        for s in Self.samples { _ = inSteps.intern(s) }
        inSteps.buildFoldedSlots()
        for s in all.dropFirst(Self.samples.count) { _ = inSteps.intern(s) }
        inSteps.buildFoldedSlots()
        let a = Array(atOnce.imageParts.folded), b = Array(inSteps.imageParts.folded)
        XCTAssertEqual(a.count, 32_768, "both tables of one size, so that they can be the same")
        XCTAssertEqual(a, b)
        XCTAssertEqual(inSteps.codes(ignoringCase: "later-999@example.com"), [inSteps.code(of: "Later-999@Example.COM")!])
    }

    /// `ascending` (the image's check that rows are in id order) is `precedes` for every
    /// neighbouring pair: prefixes, equal strings, shared first 8 bytes, multi-byte text.
    func testAscendingIsPrecedesForEveryNeighbour() {
        let d = StringDictionary()
        let words = ["", "a", "ab", "abc", "abcdefgh", "abcdefgh1", "abcdefgi", "abcdefgh0zz", "b",
                     "C-0000001", "C-0000002", "C-00000010", "王芳", "王芳1", "école", "ecole", "x"]
        let codes = words.map { d.intern($0) }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let sequence = (0..<Int.random(in: 0...5, using: &generator)).map { _ in codes.randomElement(using: &generator)! }
            let expected = zip(sequence, sequence.dropFirst()).allSatisfy { d.precedes($0, $1) }
            XCTAssertEqual(sequence.withUnsafeBufferPointer { d.ascending($0) }, expected, "\(sequence.map { d.string($0) })")
        }
        let sorted = codes.sorted { d.precedes($0, $1) }
        XCTAssertTrue(sorted.withUnsafeBufferPointer { d.ascending($0) })
        XCTAssertFalse(sorted.reversed().withUnsafeBufferPointer { d.ascending($0) })
    }

    func testRanksAndOrderFollowCodePoints() {
        let d = StringDictionary()
        for s in Self.samples.shuffled() { _ = d.intern(s) }
        let sorted = Self.samples.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let ranks = d.ranks
        for (i, s) in sorted.enumerated() { XCTAssertEqual(ranks[Int(d.code(of: s)!)], UInt32(i + 1), s) }
        let a = d.code(of: "x4")!, b = d.code(of: "x49")!
        XCTAssertTrue(d.precedes(a, b))
        XCTAssertFalse(d.precedes(b, a))
        XCTAssertFalse(d.precedes(a, a))
    }

    func testCombinedChecksumsEqualTheChecksumOfTheWhole() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let whole = (0..<Int.random(in: 0..<3_000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let cut = Int.random(in: 0...whole.count, using: &generator)
            let first = Array(whole[..<cut]), second = Array(whole[cut...])
            XCTAssertEqual(CRC32.combine(CRC32.checksum(first), CRC32.checksum(second), secondLength: second.count), CRC32.checksum(whole))
        }
    }

    /// More rows than one piece holds, deleted rows at the start, at a piece's edge and at
    /// the end, a table with every row deleted, and records in the bin.
    func testSnapshotInPiecesReadsBackAsTheSameStore() throws {
        let store = Store()
        let rows = SnapshotCodec.rowsPerPiece * 2 + 17
        for i in 0..<rows {
            store.customers.append([.string(String(format: "C%07d", i)), .string(i % 3 == 0 ? "王芳 \"\(i)\"" : "Name \(i)")])
        }
        for row in [0, 1, SnapshotCodec.rowsPerPiece - 1, SnapshotCodec.rowsPerPiece, rows - 1] { store.customers.delete(row: row) }
        store.bin.customers.append([.string("C9999999"), .string("gone\nwith a newline")])
        store[.tickets].append([.string("T1")])
        store[.tickets].delete(row: 0)
        let bytes = SnapshotCodec.encode(store)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(bytes)), "the pieces join into one JSON document")
        let again = try SnapshotCodec.read(bytes)
        XCTAssertEqual(again.customers.liveCount, rows - 5)
        XCTAssertEqual(again[.tickets].liveCount, 0)
        XCTAssertEqual(again.bin.customers.liveCount, 1)
        for row in [2, SnapshotCodec.rowsPerPiece + 1, rows - 2] {
            let id = store.customers.id(ofRow: row)
            XCTAssertEqual(again.customers.record(row: again.customers.row(ofID: id)!), store.customers.record(row: row))
        }
        XCTAssertEqual(SnapshotCodec.encode(again), bytes, "writes the same bytes again")
    }
}
