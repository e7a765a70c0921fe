import Foundation
import Synchronization

/// How far a snapshot's writing has got, and whether to go on: `report` gets (rows
/// written, rows in all), (0, n) first and (n, n) last, like an import's progress;
/// `isCancelled` is asked between pieces on the thread that writes.
struct SnapshotProgress {
    var report: (@Sendable (Int, Int) -> Void)?
    var isCancelled: () -> Bool = { false }
}

/// A snapshot's writing was abandoned (`SnapshotProgress.isCancelled`): its temporary
/// file is gone and the store's files are as they were.
struct SnapshotCancelled: Error {}

/// Everything a snapshot holds, taken from a store in a moment: the head's bytes and each
/// table's liveness and columns as arrays, which are values (copy-on-write), so the store
/// may change afterwards, even while another thread encodes the view, without the view
/// changing. Taking one copies nothing but a few hundred array references.
struct SnapshotView: @unchecked Sendable {
    /// Every member is an immutable value; the arrays' storage is shared read-only.
    let head: [UInt8]
    /// The head as the column image holds it (without the counts).
    let imageHead: [UInt8]
    let sequence: Int64
    let tables: [TableView]
    let rowsPerPiece: Int

    struct TableView {
        /// `"name":` of each stored field, in schema order.
        let memberNames: [[UInt8]]
        let isLive: [Bool]
        let columns: [ColumnView]
        let firstLive: Int?
        /// `"entity":[\n` before the rows, `\n],\n` (or the like) after.
        let opening: [UInt8]
        let closing: [UInt8]
    }

    enum ColumnView {
        // Column storage, not arrays: a column may be a view of the mapped column image
        // (`ColumnStorage`), which is a value all the same. A string column's slot tables
        // come along for the column image (Persistence/SnapshotImage.swift): the folded
        // one (empty unless complete) spares building the id column's again.
        case string(codes: ColumnStorage<UInt32>, strings: InternedStrings, slots: ColumnStorage<UInt32>, folded: ColumnStorage<UInt64>)
        case list(codes: [UInt32], lists: [[UInt32]], items: InternedStrings)
        case integer(ColumnStorage<Int64>)
        case number(ColumnStorage<Double>)
        case date(ColumnStorage<Int32>)
        case instant(ColumnStorage<Int64>)
        case boolean(ColumnStorage<Int8>)

        init(_ column: Column) {
            switch column {
            case .string(let c):
                let parts = c.dictionary.imageParts
                self = .string(codes: c.codes, strings: c.dictionary.strings, slots: parts.slots, folded: parts.folded)
            case .list(let c): self = .list(codes: c.codes, lists: c.lists.lists, items: c.lists.items.strings)
            case .integer(let c): self = .integer(c.values)
            case .number(let c): self = .number(c.values)
            case .date(let c): self = .date(c.values)
            case .instant(let c): self = .instant(c.values)
            case .boolean(let c): self = .boolean(c.values)
            }
        }
    }

    /// The records of every table, then the bin: `"customers":[\n{...},\n...\n],\n` per
    /// table (live rows in schema order, nulls left out), then `"bin":{\n...},\n` holding
    /// the deleted records the same way.
    init(_ store: Store, rowsPerPiece: Int = SnapshotCodec.rowsPerPiece) {
        self.rowsPerPiece = rowsPerPiece
        head = SnapshotCodec.head(store)
        imageHead = SnapshotCodec.head(store, counts: false)
        sequence = store.sequence
        func view(_ table: Table, last: Bool) -> TableView {
            var opening = ByteWriter()
            opening.string(table.entity.rawValue)
            opening.ascii(":[\n")
            let firstLive = table.isLive.firstIndex(of: true)
            let names = table.schema.fields.map { f -> [UInt8] in
                var w = ByteWriter()
                w.string(f.name)
                w.byte(58)
                return w.bytes
            }
            // An object's last member has no comma after it.
            let closing = Array(((firstLive == nil ? "]" : "\n]") + (last ? "" : ",\n")).utf8)
            return TableView(memberNames: names, isLive: table.isLive, columns: table.columns.map(ColumnView.init),
                             firstLive: firstLive, opening: opening.bytes, closing: closing)
        }
        let stored = Entity.stored
        tables = stored.map { view(store[$0], last: false) }
            + stored.enumerated().map { i, e in view(store.bin[e], last: i == stored.count - 1) }
    }

    /// One piece of the text: fixed bytes, or the records of some rows of a table.
    private enum Part {
        case text([UInt8])
        case rows(table: Int, Range<Int>)
    }

    private var parts: [Part] {
        var parts: [Part] = []
        for (t, table) in tables.enumerated() {
            if t == tables.count / 2 { parts.append(.text(Array("\"bin\":{\n".utf8))) }
            parts.append(.text(table.opening))
            if let firstLive = table.firstLive {
                for start in stride(from: firstLive, to: table.isLive.count, by: rowsPerPiece) {
                    parts.append(.rows(table: t, start..<min(start + rowsPerPiece, table.isLive.count)))
                }
            }
            parts.append(.text(table.closing))
        }
        parts.append(.text(Array("},\n".utf8)))
        return parts
    }

    /// Hands the snapshot's bytes to `emit` in order and returns their count. Every core
    /// encodes pieces, taken in order, each into a buffer of its own with its own CRC-32,
    /// and emits its piece itself as soon as the piece before it has been emitted (the
    /// checksums joined by `CRC32.combine` under the same turn). So a piece's bytes are
    /// copied into the file while they are still in the encoding core's cache, and only
    /// one piece per core is ever in memory. `emit`, `progress.report` and
    /// `progress.isCancelled` are called from those threads, one call at a time and in
    /// order (each turn begins after the previous one ended). Throws `SnapshotCancelled`
    /// when `progress.isCancelled()` says so, or what `emit` throws, after every encoder
    /// has stopped.
    func encode(progress: SnapshotProgress = SnapshotProgress(),
                emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let parts = self.parts
        let totalRows = parts.reduce(0) { if case .rows(_, let r) = $1 { return $0 + r.count }; return $0 }
        progress.report?(0, totalRows)
        defer { progress.report?(totalRows, totalRows) }
        try head.withUnsafeBytes { try emit($0) }
        return try withoutActuallyEscaping(emit) { emit in
            /// What the encoders share. `next` hands out the parts in order; `turns[i]` is
            /// signalled once part i - 1 is emitted (or skipped after a failure). The rest
            /// is touched only by the thread holding the turn.
            final class Writing: @unchecked Sendable {
                let view: SnapshotView
                let parts: [Part]
                let emit: (UnsafeRawBufferPointer) throws -> Void
                let progress: SnapshotProgress
                let totalRows: Int
                let next = Atomic<Int>(0)
                let stopped = Atomic<Bool>(false)
                let turns: [DispatchSemaphore]
                var crc: UInt32
                var size: Int
                var rowsDone = 0
                var failure: Error?
                init(_ view: SnapshotView, _ parts: [Part], _ emit: @escaping (UnsafeRawBufferPointer) throws -> Void,
                     _ progress: SnapshotProgress, totalRows: Int) {
                    self.view = view
                    self.parts = parts
                    self.emit = emit
                    self.progress = progress
                    self.totalRows = totalRows
                    // All at 0, the first signalled once: each ends at the value it was made
                    // with, as libdispatch requires of a semaphore it disposes of.
                    turns = parts.indices.map { _ in DispatchSemaphore(value: 0) }
                    turns.first?.signal()
                    crc = CRC32.checksum(view.head)
                    size = view.head.count
                }

                /// One encoder: takes the next part, encodes it, waits for its turn, emits it.
                func run() {
                    let buffer = PieceBuffer(capacity: view.rowsPerPiece * 512)
                    while true {
                        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard i < parts.count else { return }
                        var crcOfPart: UInt32 = 0
                        if !stopped.load(ordering: .relaxed) {
                            switch parts[i] {
                            case .text(let t): crcOfPart = CRC32.checksum(t)
                            case .rows(let t, let rows):
                                buffer.count = 0
                                crcOfPart = SnapshotView.writeRows(view.tables[t], rows, buffer)
                            }
                        }
                        turns[i].wait()
                        defer { if i + 1 < parts.count { turns[i + 1].signal() } }
                        guard !stopped.load(ordering: .relaxed) else { continue }
                        do {
                            let length: Int
                            switch parts[i] {
                            case .text(let t):
                                try t.withUnsafeBytes { try emit($0) }
                                length = t.count
                            case .rows(_, let rows):
                                try emit(buffer.bytes)
                                length = buffer.count
                                rowsDone += rows.count
                                progress.report?(rowsDone, totalRows)
                                if progress.isCancelled() { throw SnapshotCancelled() }
                            }
                            crc = CRC32.combine(crc, crcOfPart, secondLength: length)
                            size += length
                        } catch {
                            failure = error
                            stopped.store(true, ordering: .relaxed)
                        }
                    }
                }
            }
            let writing = Writing(self, parts, emit, progress, totalRows: totalRows)
            let encoders = max(1, min(ProcessInfo.processInfo.activeProcessorCount, parts.count))
            DispatchQueue.concurrentPerform(iterations: encoders) { _ in writing.run() }
            if let failure = writing.failure { throw failure }
            let trailer = Array("\"checksum\":\"\(JournalCodec.hex(writing.crc))\"}\n".utf8)
            try trailer.withUnsafeBytes { try emit($0) }
            return writing.size + trailer.count
        }
    }

    /// A column's arrays and member name as bare pointers, taken once per piece, so that
    /// reading a cell retains nothing (binding enum payloads that hold arrays retained
    /// every array once a cell). Valid while the view lives: it holds the arrays and never
    /// changes them. A list column's arrays of arrays stay in `ListCells`, by index.
    private struct Cells {
        enum Values {
            case string(codes: UnsafePointer<UInt32>, arena: UnsafePointer<UInt8>, ends: UnsafePointer<UInt32>)
            case list(codes: UnsafePointer<UInt32>, index: Int)
            case integer(UnsafePointer<Int64>)
            case number(UnsafePointer<Double>)
            case date(UnsafePointer<Int32>)
            case instant(UnsafePointer<Int64>)
            case boolean(UnsafePointer<Int8>)
        }
        let values: Values
        /// `"name":`
        let name: UnsafePointer<UInt8>
        let nameCount: Int

        init(_ column: ColumnView, name: [UInt8], lists: inout [ListCells]) {
            switch column {
            case .string(let codes, let strings, _, _):
                values = .string(codes: Cells.base(codes), arena: Cells.base(strings.bytes), ends: Cells.base(strings.ends))
            case .list(let codes, let l, let items):
                values = .list(codes: Cells.base(ColumnStorage(codes)), index: lists.count)
                lists.append(ListCells(lists: l, items: items))
            case .integer(let v): values = .integer(Cells.base(v))
            case .number(let v): values = .number(Cells.base(v))
            case .date(let v): values = .date(Cells.base(v))
            case .instant(let v): values = .instant(Cells.base(v))
            case .boolean(let v): values = .boolean(Cells.base(v))
            }
            self.name = Cells.base(ColumnStorage(name))
            nameCount = name.count
        }

        /// Where the values start (a pointer to one dummy value for none: nothing reads it).
        static func base<T>(_ values: ColumnStorage<T>) -> UnsafePointer<T> {
            values.withUnsafeBufferPointer { $0.baseAddress } ?? UnsafeRawPointer(Cells.nothing).assumingMemoryBound(to: T.self)
        }
        nonisolated(unsafe) private static let nothing = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
    }

    private struct ListCells {
        let lists: [[UInt32]]
        let items: InternedStrings
    }

    /// Writes the live rows in `rows` into `buffer`, each but the table's first after ",\n":
    /// the members in schema order, nulls left out. Returns their CRC-32, computed a chunk
    /// at a time while the bytes just written are still in the cache, rather than in a pass after.
    private static func writeRows(_ table: TableView, _ rows: Range<Int>, _ buffer: PieceBuffer) -> UInt32 {
        var lists: [ListCells] = []
        let columns = table.columns.indices.map { Cells(table.columns[$0], name: table.memberNames[$0], lists: &lists) }
        let isLive = Cells.base(ColumnStorage(table.isLive))
        let firstLive = table.firstLive
        var out = PieceWriter(buffer)
        var crc: UInt32 = 0, checked = 0
        func checksum() {
            crc = CRC32.checksum(UnsafeRawBufferPointer(start: out.base + checked, count: out.count - checked), seed: crc)
            checked = out.count
        }
        columns.withUnsafeBufferPointer { columns in
            for row in rows where isLive[row] {
                // The fixed bytes of a row: ",\n{" and "}" and the members' names and commas.
                out.room(8)
                if row != firstLive { out.byte(44); out.byte(10) }
                out.byte(123)
                var firstField = true
                for cell in columns {
                    switch cell.values {
                    case .string(let codes, let arena, let ends):
                        let code = Int(codes[row])
                        if code == 0 { continue }
                        out.member(cell.name, cell.nameCount, first: firstField)
                        let from = code == 1 ? 0 : Int(ends[code - 1])
                        out.string(arena + from, count: Int(ends[code]) - from)
                    case .list(let codes, let index):
                        let code = codes[row]
                        if code == 0 { continue }
                        out.member(cell.name, cell.nameCount, first: firstField)
                        let list = lists[index]
                        out.room(2)
                        out.byte(91)
                        for (i, item) in list.lists[Int(code)].enumerated() {
                            if i > 0 { out.room(1); out.byte(44) }
                            list.items.withUTF8(item) { out.string($0.baseAddress ?? arenaNothing, count: $0.count) }
                        }
                        out.room(1)
                        out.byte(93)
                    case .integer(let values):
                        let v = values[row]
                        if v == NullSentinel.integer { continue }
                        out.member(cell.name, cell.nameCount, first: firstField)
                        out.integer(v)
                    case .number(let values):
                        let v = values[row]
                        if v.isNaN { continue }
                        out.member(cell.name, cell.nameCount, first: firstField)
                        out.number(v)
                    case .date(let values):
                        let v = values[row]
                        if v == NullSentinel.date { continue }
                        out.member(cell.name, cell.nameCount, first: firstField)
                        out.date(v)
                    case .instant(let values):
                        let v = values[row]
                        if v == NullSentinel.instant { continue }
                        out.member(cell.name, cell.nameCount, first: firstField)
                        out.instant(v)
                    case .boolean(let values):
                        let v = values[row]
                        if v < 0 { continue }
                        out.member(cell.name, cell.nameCount, first: firstField)
                        out.room(5)
                        if v != 0 { out.copy(trueText, 4) } else { out.copy(falseText, 5) }
                    }
                    firstField = false
                }
                out.room(1)
                out.byte(125)
                if out.count - checked >= 1 << 14 { checksum() }
            }
        }
        checksum()
        out.finish()
        return crc
    }
}

nonisolated(unsafe) private let arenaNothing = UnsafePointer<UInt8>(bitPattern: 1)!
nonisolated(unsafe) private let trueText: UnsafePointer<UInt8> = Array("true".utf8).withUnsafeBufferPointer {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 4); p.initialize(from: $0.baseAddress!, count: 4); return UnsafePointer(p)
}
nonisolated(unsafe) private let falseText: UnsafePointer<UInt8> = Array("false".utf8).withUnsafeBufferPointer {
    let p = UnsafeMutablePointer<UInt8>.allocate(capacity: 5); p.initialize(from: $0.baseAddress!, count: 5); return UnsafePointer(p)
}

/// The bytes of one piece of a snapshot: raw memory of its own, grown by doubling, kept
/// across pieces (the encoder takes one from the pool and gives it back once emitted).
final class PieceBuffer: @unchecked Sendable {
    fileprivate(set) var base: UnsafeMutablePointer<UInt8>
    fileprivate(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        let bytes = max(capacity, 64)
        self.capacity = bytes
        base = malloc(bytes)!.assumingMemoryBound(to: UInt8.self)
    }
    deinit { free(base) }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    fileprivate func grow(toAtLeast needed: Int) {
        capacity = max(capacity * 2, needed)
        base = realloc(base, capacity)!.assumingMemoryBound(to: UInt8.self)
    }
}

/// Writes snapshot text into a `PieceBuffer` through a pointer held in a local value (so
/// the hot loop keeps it in registers): `room(n)` first, then up to n bytes unchecked.
/// The same bytes as `ByteWriter` writes for the same values.
private struct PieceWriter {
    let buffer: PieceBuffer
    var base: UnsafeMutablePointer<UInt8>
    var count: Int
    var capacity: Int

    init(_ buffer: PieceBuffer) {
        self.buffer = buffer
        base = buffer.base
        count = buffer.count
        capacity = buffer.capacity
    }

    /// Hands the count back to the buffer.
    func finish() { buffer.count = count }

    @inline(__always) mutating func room(_ n: Int) {
        if count + n > capacity { grow(n) }
    }

    @inline(never) private mutating func grow(_ n: Int) {
        buffer.count = count
        buffer.grow(toAtLeast: count + n)
        base = buffer.base
        capacity = buffer.capacity
    }

    @inline(__always) mutating func byte(_ b: UInt8) {
        base[count] = b
        count += 1
    }

    @inline(__always) mutating func copy(_ from: UnsafePointer<UInt8>, _ n: Int) {
        (base + count).update(from: from, count: n)
        count += n
    }

    /// `,` unless first, then `"name":`.
    @inline(__always) mutating func member(_ name: UnsafePointer<UInt8>, _ n: Int, first: Bool) {
        room(n + 1)
        if !first { byte(44) }
        copy(name, n)
    }

    /// A string given by its UTF-8 bytes, quoted and escaped like `ByteWriter.string(_:)`:
    /// copied whole when no byte needs an escape (found eight bytes at a time).
    mutating func string(_ utf8: UnsafePointer<UInt8>, count n: Int) {
        if PieceWriter.needsEscape(utf8, n) {
            var w = ByteWriter()
            w.string(utf8: UnsafeBufferPointer(start: utf8, count: n))
            room(w.bytes.count)
            w.bytes.withUnsafeBufferPointer { copy($0.baseAddress!, $0.count) }
            return
        }
        room(n + 2)
        byte(34)
        copy(utf8, n)
        byte(34)
    }

    /// Whether any byte is below 32, `"` or `\`.
    @inline(__always) static func needsEscape(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let quote = w ^ (ones &* 34), backslash = w ^ (ones &* 92)
            // Any byte below 32, or any zero byte in `quote` or `backslash` (exact tests).
            let found = ((w &- ones &* 32) & ~w) | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
            if found & highs != 0 { return true }
            i += 8
        }
        while i < n {
            let b = p[i]
            if b < 32 || b == 34 || b == 92 { return true }
            i += 1
        }
        return false
    }

    mutating func integer(_ v: Int64) {
        room(20)
        if v == 0 { byte(48); return }
        if v < 0 { byte(45) }
        var n = v.magnitude
        var digits = 1, limit: UInt64 = 10
        while digits < 19, n >= limit { digits += 1; limit &*= 10 }
        var at = count + digits - 1
        while n > 0 {
            base[at] = UInt8(truncatingIfNeeded: 48 + n % 10)
            n /= 10
            at -= 1
        }
        count += digits
    }

    /// Like `ByteWriter.number`: integral values without ".0"; a value with at most two
    /// decimals (money) written from its hundredths; the rest by `description`.
    mutating func number(_ d: Double) {
        if d == d.rounded(), abs(d) < 1e15 { integer(Int64(d)); return }
        if let cents = PieceWriter.hundredths(d) {
            room(24)
            if cents < 0 { byte(45) }
            let m = cents.magnitude
            integer(Int64(m / 100))
            let fraction = Int(m % 100)
            byte(46)
            byte(UInt8(48 + fraction / 10))
            if fraction % 10 != 0 { byte(UInt8(48 + fraction % 10)) }
            return
        }
        let text = d.description
        room(text.utf8.count)
        for b in text.utf8 { byte(b) }
    }

    /// `d` as a whole number of hundredths when its shortest round-tripping text has at
    /// most two decimals and no exponent (`description` writes 0.01 to below 2^53 plainly;
    /// the bound here is far inside both): the hundredths divided by 100 give back `d`
    /// exactly, and doubles this small are closer together than 0.005, so no shorter text
    /// reads back as `d` either.
    @inline(__always) static func hundredths(_ d: Double) -> Int64? {
        guard abs(d) >= 0.01, abs(d) < 1e12 else { return nil }
        let scaled = (d * 100).rounded()
        guard scaled / 100 == d else { return nil }
        return Int64(scaled)
    }

    mutating func date(_ days: Int32) {
        room(12)
        byte(34)
        let index = Int(days) - DayTexts.first
        if index >= 0, index < DayTexts.count {
            copy(DayTexts.bytes + index * 10, 10)
        } else {
            var w = ByteWriter()
            w.day(Day(daysSinceEpoch: days))
            w.bytes.withUnsafeBufferPointer { copy($0.baseAddress!, $0.count) }
        }
        byte(34)
    }

    /// `"YYYY-MM-DDTHH:MM:SSZ"`, the bytes `RecordCodec.isoUTC` makes.
    mutating func instant(_ t: Int64) {
        let days = Int32(clamping: (t - (t < 0 ? 86399 : 0)) / 86400)
        let index = Int(days) - DayTexts.first
        guard index >= 0, index < DayTexts.count else {
            var w = ByteWriter()
            w.string(RecordCodec.isoUTC(t))
            room(w.bytes.count)
            w.bytes.withUnsafeBufferPointer { copy($0.baseAddress!, $0.count) }
            return
        }
        let secs = Int(t - Int64(days) * 86400)
        room(22)
        byte(34)
        copy(DayTexts.bytes + index * 10, 10)
        byte(84)
        two(secs / 3600); byte(58); two(secs / 60 % 60); byte(58); two(secs % 60)
        byte(90)
        byte(34)
    }

    @inline(__always) private mutating func two(_ n: Int) {
        byte(UInt8(48 + n / 10))
        byte(UInt8(48 + n % 10))
    }
}

/// `YYYY-MM-DD` of every day from 1900 to 2099, ten bytes each (730 KB), made once per
/// process (a few ms): a date cell becomes one copy instead of a calendar computation.
/// Days outside are computed.
private enum DayTexts {
    static let first = Int(Day(year: 1900, month: 1, day: 1)!.daysSinceEpoch)
    static let count = Int(Day(year: 2100, month: 1, day: 1)!.daysSinceEpoch) - first
    nonisolated(unsafe) static let bytes: UnsafePointer<UInt8> = {
        let p = UnsafeMutablePointer<UInt8>.allocate(capacity: count * 10)
        for i in 0..<count {
            let (y, m, d) = Day(daysSinceEpoch: Int32(first + i)).parts
            let text = p + i * 10
            for (k, digit) in [y / 1000 % 10, y / 100 % 10, y / 10 % 10, y % 10].enumerated() { text[k] = UInt8(48 + digit) }
            text[4] = 45
            text[5] = UInt8(48 + m / 10); text[6] = UInt8(48 + m % 10)
            text[7] = 45
            text[8] = UInt8(48 + d / 10); text[9] = UInt8(48 + d % 10)
        }
        return UnsafePointer(p)
    }()
}

extension InternedStrings {
    /// Calls `body` with the UTF-8 bytes of `code`'s string, valid only during the call.
    @inline(__always)
    func withUTF8<R>(_ code: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let c = Int(code)
        let start = c == 0 ? 0 : Int(ends[c - 1]), end = Int(ends[c])
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }
}
