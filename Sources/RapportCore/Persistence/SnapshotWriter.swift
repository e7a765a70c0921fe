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
        // (`ColumnStorage`), which is a value all the same. A string column's slot table
        // comes along for the column image (Persistence/SnapshotImage.swift).
        case string(codes: ColumnStorage<UInt32>, strings: InternedStrings, slots: ColumnStorage<UInt32>)
        case list(codes: [UInt32], lists: [[UInt32]], items: InternedStrings)
        case integer(ColumnStorage<Int64>)
        case number(ColumnStorage<Double>)
        case date(ColumnStorage<Int32>)
        case instant(ColumnStorage<Int64>)
        case boolean(ColumnStorage<Int8>)

        init(_ column: Column) {
            switch column {
            case .string(let c): self = .string(codes: c.codes, strings: c.dictionary.strings, slots: c.dictionary.imageParts.slots)
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

    /// Hands the snapshot's bytes to `emit` in order and returns their count. The pieces
    /// are encoded on every core, each with its own CRC-32, while this thread emits them
    /// as they come and joins their checksums (`CRC32.combine`); a piece is dropped once
    /// emitted. Throws `SnapshotCancelled` when `progress.isCancelled()` says so, or what
    /// `emit` throws, after the encoders have stopped.
    func encode(progress: SnapshotProgress = SnapshotProgress(),
                emit: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let parts = self.parts
        /// Each piece's slot is written by one encoder, then read by the emitting thread
        /// after the piece's semaphore: no slot is touched by two threads at once.
        final class Pieces: @unchecked Sendable {
            let view: SnapshotView
            let parts: [Part]
            let bytes: UnsafeMutablePointer<[UInt8]>
            let crcs: UnsafeMutablePointer<UInt32>
            let ready: [DispatchSemaphore]
            let stopped = Atomic<Bool>(false)
            init(_ view: SnapshotView, _ parts: [Part]) {
                self.view = view
                self.parts = parts
                bytes = .allocate(capacity: parts.count)
                bytes.initialize(repeating: [], count: parts.count)
                crcs = .allocate(capacity: parts.count)
                crcs.initialize(repeating: 0, count: parts.count)
                ready = parts.map { _ in DispatchSemaphore(value: 0) }
            }
            deinit {
                bytes.deinitialize(count: parts.count)
                bytes.deallocate()
                crcs.deallocate()
            }
            func encode(_ i: Int) {
                defer { ready[i].signal() }
                guard !stopped.load(ordering: .relaxed) else { return }
                switch parts[i] {
                case .text(let t):
                    bytes[i] = t
                    crcs[i] = CRC32.checksum(t)
                case .rows(let t, let rows):
                    var w = ByteWriter()
                    w.reserve(rows.count * 192)
                    crcs[i] = SnapshotView.writeRows(view.tables[t], rows, &w)
                    bytes[i] = w.bytes
                }
            }
        }
        let pieces = Pieces(self, parts)
        let totalRows = parts.reduce(0) { if case .rows(_, let r) = $1 { return $0 + r.count }; return $0 }
        let encoded = DispatchGroup()
        DispatchQueue.global().async(group: encoded) {
            DispatchQueue.concurrentPerform(iterations: parts.count) { pieces.encode($0) }
        }
        progress.report?(0, totalRows)
        defer {
            pieces.stopped.store(true, ordering: .relaxed)
            encoded.wait()
            progress.report?(totalRows, totalRows)
        }
        try head.withUnsafeBytes { try emit($0) }
        var crc = CRC32.checksum(head)
        var size = head.count
        var rowsDone = 0
        for i in parts.indices {
            pieces.ready[i].wait()
            let piece = pieces.bytes[i]
            pieces.bytes[i] = []
            try piece.withUnsafeBytes { try emit($0) }
            crc = CRC32.combine(crc, pieces.crcs[i], secondLength: piece.count)
            size += piece.count
            if case .rows(_, let rows) = parts[i] {
                rowsDone += rows.count
                progress.report?(rowsDone, totalRows)
                if progress.isCancelled() { throw SnapshotCancelled() }
            }
        }
        let trailer = Array("\"checksum\":\"\(JournalCodec.hex(crc))\"}\n".utf8)
        try trailer.withUnsafeBytes { try emit($0) }
        return size + trailer.count
    }

    /// A column's arrays as bare pointers, taken once per piece, so that reading a cell
    /// retains nothing (binding the view's enum payloads retained every array once a cell).
    /// Valid while the view lives: it holds the arrays and never changes them.
    private enum Cells {
        case string(codes: UnsafePointer<UInt32>, arena: UnsafePointer<UInt8>, ends: UnsafePointer<UInt32>)
        case list(codes: UnsafePointer<UInt32>, lists: [[UInt32]], items: InternedStrings)
        case integer(UnsafePointer<Int64>)
        case number(UnsafePointer<Double>)
        case date(UnsafePointer<Int32>)
        case instant(UnsafePointer<Int64>)
        case boolean(UnsafePointer<Int8>)

        init(_ column: ColumnView) {
            switch column {
            case .string(let codes, let strings, _):
                self = .string(codes: Cells.base(codes), arena: Cells.base(strings.bytes), ends: Cells.base(strings.ends))
            case .list(let codes, let lists, let items): self = .list(codes: Cells.base(ColumnStorage(codes)), lists: lists, items: items)
            case .integer(let v): self = .integer(Cells.base(v))
            case .number(let v): self = .number(Cells.base(v))
            case .date(let v): self = .date(Cells.base(v))
            case .instant(let v): self = .instant(Cells.base(v))
            case .boolean(let v): self = .boolean(Cells.base(v))
            }
        }

        /// Where the values start (a pointer to one dummy value for none: nothing reads it).
        private static func base<T>(_ values: ColumnStorage<T>) -> UnsafePointer<T> {
            values.withUnsafeBufferPointer { $0.baseAddress } ?? UnsafeRawPointer(Cells.nothing).assumingMemoryBound(to: T.self)
        }
        nonisolated(unsafe) private static let nothing = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
    }

    /// Writes the live rows in `rows`, each but the table's first after ",\n": the members
    /// in schema order, nulls left out. Returns their CRC-32, computed a chunk at a time
    /// while the bytes just written are still in the cache, rather than in a pass after.
    private static func writeRows(_ table: TableView, _ rows: Range<Int>, _ out: inout ByteWriter) -> UInt32 {
        let names = table.memberNames, isLive = table.isLive
        let columns = table.columns.map(Cells.init)
        let start = out.bytes.count
        var crc: UInt32 = 0, checked = start
        func checksum(through end: Int) {
            out.bytes.withUnsafeBytes { crc = CRC32.checksum(UnsafeRawBufferPointer(rebasing: $0[checked..<end]), seed: crc) }
            checked = end
        }
        for row in rows where isLive[row] {
            if row != table.firstLive { out.byte(44); out.byte(10) }
            out.byte(123)
            var firstField = true
            for p in columns.indices {
                switch columns[p] {
                case .string(let codes, let arena, let ends):
                    let code = Int(codes[row])
                    if code == 0 { continue }
                    if !firstField { out.byte(44) }
                    out.append(names[p])
                    let from = code == 1 ? 0 : Int(ends[code - 1])
                    out.string(utf8: UnsafeBufferPointer(start: arena + from, count: Int(ends[code]) - from))
                case .list(let codes, let lists, let items):
                    let code = codes[row]
                    if code == 0 { continue }
                    if !firstField { out.byte(44) }
                    out.append(names[p])
                    out.byte(91)
                    for (i, item) in lists[Int(code)].enumerated() {
                        if i > 0 { out.byte(44) }
                        items.withUTF8(item) { out.string(utf8: $0) }
                    }
                    out.byte(93)
                case .integer(let values):
                    let v = values[row]
                    if v == NullSentinel.integer { continue }
                    if !firstField { out.byte(44) }
                    out.append(names[p])
                    out.integer(v)
                case .number(let values):
                    let v = values[row]
                    if v.isNaN { continue }
                    if !firstField { out.byte(44) }
                    out.append(names[p])
                    out.number(v)
                case .date(let values):
                    let v = values[row]
                    if v == NullSentinel.date { continue }
                    if !firstField { out.byte(44) }
                    out.append(names[p])
                    out.byte(34)
                    out.day(Day(daysSinceEpoch: v))
                    out.byte(34)
                case .instant(let values):
                    let v = values[row]
                    if v == NullSentinel.instant { continue }
                    if !firstField { out.byte(44) }
                    out.append(names[p])
                    out.instant(v)
                case .boolean(let values):
                    let v = values[row]
                    if v < 0 { continue }
                    if !firstField { out.byte(44) }
                    out.append(names[p])
                    out.ascii(v != 0 ? "true" : "false")
                }
                firstField = false
            }
            out.byte(125)
            if out.bytes.count - checked >= 1 << 14 { checksum(through: out.bytes.count) }
        }
        checksum(through: out.bytes.count)
        return crc
    }
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

extension ByteWriter {
    /// `"YYYY-MM-DDTHH:MM:SSZ"`, the bytes `RecordCodec.isoUTC` makes, without building
    /// strings for years of four digits (the others go through it).
    mutating func instant(_ t: Int64) {
        let day = Day(daysSinceEpoch: Int32((t - (t < 0 ? 86399 : 0)) / 86400))
        let year = day.parts.year
        guard year >= 0, year <= 9999 else { string(RecordCodec.isoUTC(t)); return }
        let secs = Int(t - Int64(day.daysSinceEpoch) * 86400)
        func two(_ n: Int) { byte(UInt8(48 + n / 10)); byte(UInt8(48 + n % 10)) }
        byte(34)
        self.day(day)
        byte(84)
        two(secs / 3600); byte(58); two(secs / 60 % 60); byte(58); two(secs % 60)
        byte(90)
        byte(34)
    }
}
