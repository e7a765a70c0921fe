import Foundation

/// A snapshot that cannot be read: wrong format, damaged bytes, bad checksum.
public struct SnapshotError: Error, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public var description: String { "\(message) (at byte \(offset))" }
}

/// Reads and writes `snapshot.json` (format version 1, see docs/storage.md) straight
/// between bytes and columns: no intermediate objects, so a million customers load in
/// about a second.
enum SnapshotCodec {
    static let formatName = "rapport-snapshot"
    static var version: Int64 { FormatMigrations.snapshotVersion }

    /// The `sequence` in the header of the snapshot file at `path`, read from its first
    /// bytes only; nil when the file does not start like a snapshot. Lets a process that
    /// shares the store see how far another's snapshot reaches without reading it.
    static func sequence(inFileAt path: String) -> Int64? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 256)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
        guard n > 0 else { return nil }
        let text = String(decoding: head[0..<n], as: UTF8.self)
        guard text.hasPrefix("{\"format\":\"rapport-snapshot\""), let key = text.range(of: "\"sequence\":") else { return nil }
        return Int64(String(text[key.upperBound...].prefix { $0.isASCII && $0.isNumber }))
    }

    // MARK: Writing

    /// Writes the store atomically to `path`; returns the snapshot's size in bytes.
    static func write(_ store: Store, to path: String, progress: SnapshotProgress = SnapshotProgress()) throws -> Int {
        try write(SnapshotView(store), to: path, progress: progress)
    }

    /// Writes a view taken earlier (possibly on another thread while the store lives on):
    /// the pieces are encoded on every core and written in order as they come, each
    /// dropped once written, so no joined copy of the whole text is ever made.
    static func write(_ view: SnapshotView, to path: String, progress: SnapshotProgress = SnapshotProgress()) throws -> Int {
        var size = 0
        // Written once, read back seldom (an opening reads the column image): past the page cache.
        try FileSystem.writeAtomically(to: path, mode: 0o600, bypassingCache: true) { write in
            size = try view.encode(progress: progress) { try write($0) }
        }
        return size
    }

    /// Rows per piece: small enough that a piece (about 1 MB of realistic customers) is
    /// still in the encoding core's cache when it is copied into the file, large enough
    /// that a piece's own setup, turn and checksum join cost nothing beside its rows.
    static let rowsPerPiece = 2_048

    static func encode(_ store: Store) -> [UInt8] {
        // Never cancelled, and appending throws nothing.
        (try? encode(store, progress: SnapshotProgress())) ?? []
    }

    static func encode(_ store: Store, progress: SnapshotProgress) throws -> [UInt8] {
        var out: [UInt8] = []
        _ = try SnapshotView(store).encode(progress: progress) { out.append(contentsOf: $0) }
        return out
    }

    /// The snapshot's members before the records: format, version, sequence, counts (when
    /// `counts`), custom fields, policy, segments and grants, each followed by ",\n".
    static func head(_ store: Store, counts: Bool = true) -> [UInt8] {
        var out = ByteWriter()
        out.ascii("{\"format\":\"\(formatName)\",\"version\":\(version),\"sequence\":\(store.sequence),\n")
        if counts {
            out.ascii("\"counts\":{")
            out.ascii(Entity.stored.map { "\"\($0.rawValue)\":\(store[$0].liveCount)" }.joined(separator: ","))
            out.ascii("},\n")
        }
        out.ascii("\"fields\":{")
        for (i, e) in Entity.stored.enumerated() {
            if i > 0 { out.byte(44) }
            out.string(e.rawValue)
            out.ascii(":[")
            for (j, f) in store[e].schema.customFields.enumerated() {
                if j > 0 { out.byte(44) }
                out.ascii("{\"name\":")
                out.string(f.name)
                out.ascii(",\"type\":\"\(f.type.rawValue)\"}")
            }
            out.byte(93)
        }
        out.ascii("},\n\"policy\":{")
        var firstKey = true
        for key in PolicyCatalogue.all where store.policy.overrides[key.name] != nil {
            if !firstKey { out.byte(44) }
            firstKey = false
            out.string(key.name)
            out.byte(58)
            out.number(store.policy.value(key))
        }
        out.ascii("},\n\"segments\":[")
        for (i, s) in store.segments.values.sorted(by: { $0.name < $1.name }).enumerated() {
            if i > 0 { out.byte(44) }
            out.ascii("{\"name\":"); out.string(s.name)
            out.ascii(",\"entity\":"); out.string(s.entity.rawValue)
            out.ascii(",\"condition\":"); out.string(s.condition)
            out.ascii(",\"savedBy\":"); out.string(s.savedBy)
            out.ascii(",\"savedAt\":"); out.integer(s.savedAt)
            out.byte(125)
        }
        out.ascii("],\n\"grants\":{")
        for (i, (user, role)) in store.grants.sorted(by: { $0.key < $1.key }).enumerated() {
            if i > 0 { out.byte(44) }
            out.string(user); out.byte(58); out.string(role.rawValue)
        }
        out.ascii("},\n")
        return out.bytes
    }

    /// A store with no records from a `head` (the column image keeps its small parts so):
    /// the sequence, custom fields, policy, segments and grants, read as a snapshot's are.
    static func readHead(_ head: [UInt8]) throws -> Store {
        try (head + Array("\"checksum\":\"\"}".utf8)).withUnsafeBufferPointer { try parse($0) }
    }

    /// The checksum in the trailer of the snapshot file at `path`, read from its last
    /// bytes only; nil when it has none there.
    static func storedChecksum(inFileAt path: String) -> UInt32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var tail = [UInt8](repeating: 0, count: min(64, Int(st.st_size)))
        let n = tail.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(Int(st.st_size) - $0.count)) }
        guard n == tail.count else { return nil }
        let text = String(decoding: tail, as: UTF8.self)
        guard let key = text.range(of: "\"checksum\":\"", options: .backwards) else { return nil }
        let hex = text[key.upperBound...].prefix(8)
        return hex.count == 8 ? UInt32(hex, radix: 16) : nil
    }

    /// Reads the bin's object (see `SnapshotView`) into the store's bin.
    private static func readBin(_ r: inout ByteReader, _ store: Store) throws {
        try r.expect(123)
        if try r.consume(125) { return }
        var ignored: [Int: Int64] = [:]
        repeat {
            let name = try r.string()
            guard let entity = Entity(rawValue: name) else { throw r.error("unknown entity '\(name)' in the bin") }
            try r.expect(58)
            try readRecords(&r, store.bin[entity], collectLegacyPoints: false, into: &ignored)
        } while try r.consume(44)
        try r.expect(125)
    }

    // MARK: Reading

    static func read(_ bytes: [UInt8]) throws -> Store {
        try bytes.withUnsafeBufferPointer { try read($0) }
    }

    /// Reads a snapshot from memory (a mapped file). The checksum is verified on a
    /// second thread while the first one parses.
    static func read(_ buffer: UnsafeBufferPointer<UInt8>) throws -> Store {
        /// The bytes outlive the check: `read` waits for it before returning.
        final class Check: @unchecked Sendable {
            let buffer: UnsafeBufferPointer<UInt8>
            var error: Error?
            init(_ buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }
        }
        let check = Check(buffer)
        let verified = DispatchGroup()
        DispatchQueue.global().async(group: verified) {
            do { try verifyChecksum(check.buffer) } catch { check.error = error }
        }
        let parsed = Result { try parse(buffer) }
        verified.wait()
        releaseFreedHeap()
        if let error = check.error { throw error }
        return try parsed.get()
    }

    /// The columns and dictionaries grew by doubling while they were read; the freed
    /// smaller buffers stay resident in the heap's middle (tens of MB at a million
    /// customers) unless handed back: glibc's `malloc_trim`, looked up because Swift's
    /// Glibc module does not declare it.
    private static func releaseFreedHeap() {
        #if os(Linux)
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        typealias Trim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: Trim.self)(0)
        #endif
    }

    private static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws -> Store {
        do {
            var r = ByteReader(buffer)
            let store = Store()
            var legacy = FormatMigrations.LegacySnapshotValues()
            try r.expect(123)
            var sawFormat = false
            var fileVersion: Int64 = 0
            repeat {
                let key = try r.string()
                try r.expect(58)
                switch key {
                case "format":
                    guard try r.string() == formatName else { throw r.error("not a Rapport snapshot") }
                    sawFormat = true
                case "version":
                    let v = try r.integer()
                    if v > version { throw NewerFormatError(what: "snapshot", version: v, known: version) }
                    guard v >= 1 else { throw r.error("bad snapshot version \(v)") }
                    fileVersion = v
                case "sequence": store.sequence = try r.integer()
                case "counts":
                    try r.expect(123)
                    repeat {
                        let name = try r.string()
                        try r.expect(58)
                        let n = try r.integer()
                        // A record takes at least 10 bytes: a damaged count must not reserve more.
                        if let e = Entity(rawValue: name), n > 0, n < 1 << 31, n <= r.buffer.count / 10 { store[e].reserveCapacity(Int(n)) }
                    } while try r.consume(44)
                    try r.expect(125)
                case "fields": try readFields(&r, store)
                case "policy": try readPolicy(&r, store)
                case "segments": try readSegments(&r, store)
                case "grants": try readGrants(&r, store)
                case "bin": try readBin(&r, store)
                case "checksum": _ = try r.string()
                default:
                    guard let entity = Entity(rawValue: key), entity.isStored else { throw r.error("unexpected key '\(key)'") }
                    // Version 1 stored the customers' points, now the ledger's (read aside for the migration).
                    let collectPoints = entity == .customers && fileVersion < 2
                    try readRecords(&r, store[entity], collectLegacyPoints: collectPoints, into: &legacy.customerPoints)
                }
            } while try r.consume(44)
            try r.expect(125)
            guard sawFormat else { throw SnapshotError(offset: 0, message: "not a Rapport snapshot") }
            guard fileVersion > 0 else { throw SnapshotError(offset: 0, message: "the snapshot has no version") }
            FormatMigrations.migrateSnapshot(store, from: fileVersion, legacy: legacy)
            return store
        }
    }

    private static func verifyChecksum(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        let marker = Array("\"checksum\":\"".utf8)
        var end = bytes.count
        while end > 0, bytes[end - 1] == 10 || bytes[end - 1] == 32 { end -= 1 }
        let start = end - (marker.count + 8 + 2)
        guard start >= 0, Array(bytes[start..<start + marker.count]) == marker,
              let stored = UInt32(String(decoding: bytes[(start + marker.count)..<(start + marker.count + 8)], as: UTF8.self), radix: 16)
        else {
            throw SnapshotError(offset: max(bytes.count - 1, 0), message: "the checksum trailer is missing: the file is truncated or not a snapshot")
        }
        guard CRC32.checksum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[0..<start])) == stored else {
            throw SnapshotError(offset: start, message: "the checksum does not match: the file is damaged")
        }
    }

    /// Refuses a key this Rapport does not know and a value `set policy` would refuse, as
    /// it refuses other data it cannot trust: the store is not opened on a guess.
    private static func readPolicy(_ r: inout ByteReader, _ store: Store) throws {
        try r.expect(123)
        if try r.consume(125) { return }
        repeat {
            let name = try r.string()
            try r.expect(58)
            let value = try r.number()
            guard let key = PolicyCatalogue.key(named: name) else { throw r.error("unknown policy key '\(name)'") }
            guard key.accepts(value) else { throw r.error("policy \(key.name) cannot be \(value)") }
            store.policy.set(key.name, to: value)
        } while try r.consume(44)
        try r.expect(125)
    }

    /// `[{"name":..,"entity":..,"condition":..,"savedBy":..,"savedAt":SECONDS}, ...]`, keys in any order.
    private static func readSegments(_ r: inout ByteReader, _ store: Store) throws {
        try r.expect(91)
        if try r.consume(93) { return }
        repeat {
            try r.expect(123)
            var name: String?, entity: Entity?, condition: String?, savedBy: String?, savedAt: Int64?
            repeat {
                let key = try r.string()
                try r.expect(58)
                switch key {
                case "name": name = try r.string()
                case "entity": entity = Entity(rawValue: try r.string())
                case "condition": condition = try r.string()
                case "savedBy": savedBy = try r.string()
                case "savedAt": savedAt = try r.integer()
                default: throw r.error("unexpected key '\(key)' in a segment")
                }
            } while try r.consume(44)
            try r.expect(125)
            guard let name, let entity, let condition, let savedBy, let savedAt else { throw r.error("incomplete segment") }
            store.segments[SavedSegment.key(name)] = SavedSegment(name: name, entity: entity, condition: condition, savedBy: savedBy, savedAt: savedAt)
        } while try r.consume(44)
        try r.expect(93)
    }

    /// `{"USER":"ROLE", ...}`; a role this Rapport does not know is refused.
    private static func readGrants(_ r: inout ByteReader, _ store: Store) throws {
        try r.expect(123)
        if try r.consume(125) { return }
        repeat {
            let user = try r.string()
            try r.expect(58)
            let name = try r.string()
            guard let role = Role(rawValue: name) else { throw r.error("unknown role '\(name)' granted to '\(user)'") }
            store.grants[user] = role
        } while try r.consume(44)
        try r.expect(125)
    }

    private static func readFields(_ r: inout ByteReader, _ store: Store) throws {
        try r.expect(123)
        if try r.consume(125) { return }
        repeat {
            let name = try r.string()
            guard let entity = Entity(rawValue: name), entity.isStored else { throw r.error("unknown entity '\(name)'") }
            try r.expect(58)
            try r.expect(91)
            if try !r.consume(93) {
                repeat {
                    try r.expect(123)
                    var fieldName = "", typeName = ""
                    repeat {
                        let k = try r.string()
                        try r.expect(58)
                        let v = try r.string()
                        if k == "name" { fieldName = v } else if k == "type" { typeName = v }
                    } while try r.consume(44)
                    try r.expect(125)
                    guard let type = FieldType(rawValue: typeName), !fieldName.isEmpty else { throw r.error("bad custom field") }
                    store[entity].addField(Field(fieldName, type, isCustom: true))
                } while try r.consume(44)
                try r.expect(93)
            }
        } while try r.consume(44)
        try r.expect(125)
    }

    private static let legacyPointsKey = Array(CustomerField.points.utf8)

    /// `collectLegacyPoints`: put a `points` member of each record in `legacyPoints`, by
    /// row, instead of refusing it (a version 1 snapshot's customers).
    private static func readRecords(_ r: inout ByteReader, _ table: Table, collectLegacyPoints: Bool,
                                    into legacyPoints: inout [Int: Int64]) throws {
        try r.expect(91)
        if try r.consume(93) { return }
        let names = table.schema.fields.map { Array($0.name.utf8) }
        let fieldCount = names.count
        var present = [Bool](repeating: false, count: fieldCount)
        var row = 0
        repeat {
            try r.expect(123)
            for i in 0..<fieldCount { present[i] = false }
            var expected = 0
            if try !r.consume(125) {
                repeat {
                    var isLegacyPoints = false
                    let p = try r.withStringBytes { key -> Int in
                        // Keys come in schema order, so the next expected field usually matches.
                        if expected < fieldCount, ByteReader.equal(key, names[expected]) { return expected }
                        for i in 0..<fieldCount where ByteReader.equal(key, names[i]) { return i }
                        isLegacyPoints = ByteReader.equal(key, legacyPointsKey)
                        return -1
                    }
                    if p < 0, collectLegacyPoints, isLegacyPoints {
                        try r.expect(58)
                        if try !r.literal("null") { legacyPoints[row] = try r.integer() }
                        continue
                    }
                    guard p >= 0, !present[p] else { throw r.error("unexpected or repeated field in a record") }
                    try r.expect(58)
                    try readValue(&r, table.columns[p])
                    present[p] = true
                    expected = p + 1
                } while try r.consume(44)
                try r.expect(125)
            }
            guard present[Table.idPosition] else { throw r.error("a record has no id") }
            for i in 0..<fieldCount where !present[i] { table.columns[i].append(.null) }
            try table.adoptAppendedRow(row)
            row += 1
        } while try r.consume(44)
        try r.expect(93)
    }

    private static func readValue(_ r: inout ByteReader, _ column: Column) throws {
        switch column {
        case .string(let c): c.codes.append(try r.internString(c.dictionary))
        case .list(let c):
            try r.expect(91)
            var items: [UInt32] = []
            if try !r.consume(93) {
                repeat { items.append(try r.internString(c.lists.items)) } while try r.consume(44)
                try r.expect(93)
            }
            c.codes.append(c.lists.intern(codes: items))
        case .integer(let c): c.values.append(try r.integer())
        case .number(let c): c.values.append(try r.number())
        case .date(let c):
            let b = try r.stringBytes()
            guard let d = ByteReader.day(b) else { throw r.error("bad date") }
            c.values.append(d.daysSinceEpoch)
        case .instant(let c):
            let s = try r.string()
            guard let t = Clock.parseISO8601(s, defaultZone: .gmt) else { throw r.error("bad time '\(s)'") }
            c.values.append(t)
        case .boolean(let c):
            if try r.literal("true") { c.values.append(1) } else if try r.literal("false") { c.values.append(0) } else { throw r.error("expected true or false") }
        }
    }
}

/// Appends JSON text to a byte buffer.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func reserve(_ n: Int) { bytes.reserveCapacity(n) }
    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    mutating func ascii(_ s: String) { bytes.append(contentsOf: s.utf8) }

    /// A string given by its UTF-8 bytes, escaped like `string(_:)`.
    mutating func string(utf8: UnsafeBufferPointer<UInt8>) {
        if !utf8.contains(where: { $0 < 32 || $0 == 34 || $0 == 92 }) {
            bytes.append(34)
            bytes.append(contentsOf: utf8)
            bytes.append(34)
        } else {
            string(String(decoding: utf8, as: UTF8.self))
        }
    }

    mutating func string(_ s: String) {
        bytes.append(34)
        // Most strings need no escape: copied whole instead of byte by byte.
        let copied = s.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 32 || $0 == 34 || $0 == 92 }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        } ?? false
        if copied { bytes.append(34); return }
        for b in s.utf8 {
            switch b {
            case 34: bytes.append(92); bytes.append(34)
            case 92: bytes.append(92); bytes.append(92)
            case 10: bytes.append(92); bytes.append(110)
            case 13: bytes.append(92); bytes.append(114)
            case 9: bytes.append(92); bytes.append(116)
            case 0..<32:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: bytes.append(b)
            }
        }
        bytes.append(34)
    }

    mutating func integer(_ v: Int64) {
        if v == 0 { bytes.append(48); return }
        var n = v.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while n > 0 { d[count] = UInt8(48 + n % 10); n /= 10; count += 1 }
        }
        if v < 0 { bytes.append(45) }
        withUnsafeBytes(of: &digits) { d in
            for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(d[i]) }
        }
    }

    /// Shortest text that reads back as the same Double; integral values without ".0".
    mutating func number(_ d: Double) {
        if d == d.rounded(), abs(d) < 1e15 { integer(Int64(d)); return }
        ascii(d.description)
    }

    mutating func day(_ d: Day) {
        let (y, m, dd) = d.parts
        bytes.append(UInt8(48 + y / 1000 % 10)); bytes.append(UInt8(48 + y / 100 % 10))
        bytes.append(UInt8(48 + y / 10 % 10)); bytes.append(UInt8(48 + y % 10))
        bytes.append(45)
        bytes.append(UInt8(48 + m / 10)); bytes.append(UInt8(48 + m % 10))
        bytes.append(45)
        bytes.append(UInt8(48 + dd / 10)); bytes.append(UInt8(48 + dd % 10))
    }
}

/// A cursor over snapshot bytes that reads exactly the JSON the snapshot writer makes.
struct ByteReader {
    let buffer: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

    func error(_ message: String) -> SnapshotError { SnapshotError(offset: position, message: message) }

    private mutating func skipSpace() {
        while position < buffer.count {
            let b = buffer[position]
            guard b == 32 || b == 10 || b == 13 || b == 9 else { return }
            position += 1
        }
    }

    mutating func expect(_ b: UInt8) throws {
        skipSpace()
        guard position < buffer.count, buffer[position] == b else {
            throw error("expected '\(Character(Unicode.Scalar(b)))'")
        }
        position += 1
    }

    mutating func consume(_ b: UInt8) throws -> Bool {
        skipSpace()
        if position < buffer.count, buffer[position] == b { position += 1; return true }
        return false
    }

    mutating func literal(_ word: String) throws -> Bool {
        skipSpace()
        let w = Array(word.utf8)
        guard position + w.count <= buffer.count else { return false }
        for i in 0..<w.count where buffer[position + i] != w[i] { return false }
        position += w.count
        return true
    }

    /// A string's UTF-8 bytes handed to `body`: straight from the buffer, or decoded when
    /// the string has escapes (a custom field may be named `say "hi"`: its key is escaped).
    /// One pass: the bytes are not copied unless an escape needs decoding.
    mutating func withStringBytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) throws -> T {
        let (start, plain) = try plainStringBytes()
        if let plain { return try body(plain) }
        let decoded = Array(try escapedString(from: start).utf8)
        return try decoded.withUnsafeBufferPointer(body)
    }

    /// The raw bytes of a string with no escapes (dates; keys go through `withStringBytes`).
    mutating func stringBytes() throws -> UnsafeBufferPointer<UInt8> {
        guard let plain = try plainStringBytes().bytes else { throw error("unexpected escape or end in a key or date") }
        return plain
    }

    /// The bytes of the string at the reader (`start`: its first byte's position), the
    /// reader then past its closing quote; nil, the reader on the first backslash, when
    /// the string has an escape.
    private mutating func plainStringBytes() throws -> (start: Int, bytes: UnsafeBufferPointer<UInt8>?) {
        try expect(34)
        let start = position
        while position < buffer.count {
            let b = buffer[position]
            if b == 34 {
                let slice = UnsafeBufferPointer(rebasing: buffer[start..<position])
                position += 1
                return (start, slice)
            }
            if b == 92 { return (start, nil) }
            position += 1
        }
        throw error("unterminated string")
    }

    /// Reads a string into a dictionary, without building a `String` when it is known.
    mutating func internString(_ dictionary: StringDictionary) throws -> UInt32 {
        try expect(34)
        let start = position
        while position < buffer.count {
            let b = buffer[position]
            if b == 34 {
                let raw = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[start..<position])
                position += 1
                if let code = dictionary.code(utf8: raw) { return code }
                // ASCII is valid UTF-8; anything else is checked before it joins the dictionary.
                guard raw.allSatisfy({ $0 < 0x80 }) || String(validating: UnsafeBufferPointer(rebasing: buffer[start..<(position - 1)]), as: UTF8.self) != nil else {
                    throw error("invalid UTF-8 in a string")
                }
                return dictionary.intern(utf8: raw)
            }
            if b == 92 { return dictionary.intern(try escapedString(from: start)) }
            position += 1
        }
        throw error("unterminated string")
    }

    mutating func string() throws -> String {
        try expect(34)
        let start = position
        while position < buffer.count {
            let b = buffer[position]
            if b == 34 {
                let s = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<position]), as: UTF8.self)
                position += 1
                return s
            }
            if b == 92 { return try escapedString(from: start) }
            position += 1
        }
        throw error("unterminated string")
    }

    private mutating func escapedString(from start: Int) throws -> String {
        var out = Array(UnsafeBufferPointer(rebasing: buffer[start..<position]))
        while position < buffer.count {
            let b = buffer[position]
            position += 1
            if b == 34 { return String(decoding: out, as: UTF8.self) }
            guard b == 92 else { out.append(b); continue }
            guard position < buffer.count else { break }
            let e = buffer[position]
            position += 1
            switch e {
            case 110: out.append(10)
            case 114: out.append(13)
            case 116: out.append(9)
            case 98: out.append(8)
            case 102: out.append(12)
            case 117:
                guard position + 4 <= buffer.count, let v = UInt32(String(decoding: UnsafeBufferPointer(rebasing: buffer[position..<position + 4]), as: UTF8.self), radix: 16),
                      let scalar = Unicode.Scalar(v) else { throw error("bad \\u escape") }
                position += 4
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: out.append(e)
            }
        }
        throw error("unterminated string")
    }

    mutating func integer() throws -> Int64 {
        skipSpace()
        var negative = false
        if position < buffer.count, buffer[position] == 45 { negative = true; position += 1 }
        let start = position
        var v: Int64 = 0
        while position < buffer.count, buffer[position] >= 48, buffer[position] <= 57 {
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(buffer[position] - 48))
            guard !o1, !o2 else { throw error("integer out of range") }
            v = a
            position += 1
        }
        guard position > start else { throw error("expected a number") }
        return negative ? -v : v
    }

    mutating func number() throws -> Double {
        skipSpace()
        let start = position
        var mantissa: Int64 = 0
        var digits = 0
        var negative = false
        var simple = true
        var fractionDigits = 0
        if position < buffer.count, buffer[position] == 45 { negative = true; position += 1 }
        while position < buffer.count, buffer[position] >= 48, buffer[position] <= 57 {
            mantissa = mantissa &* 10 &+ Int64(buffer[position] - 48); digits += 1; position += 1
        }
        if position < buffer.count, buffer[position] == 46 {
            position += 1
            while position < buffer.count, buffer[position] >= 48, buffer[position] <= 57 {
                mantissa = mantissa &* 10 &+ Int64(buffer[position] - 48); digits += 1; fractionDigits += 1; position += 1
            }
        }
        if position < buffer.count, buffer[position] == 101 || buffer[position] == 69 {
            simple = false
            position += 1
            while position < buffer.count, buffer[position] == 43 || buffer[position] == 45 || (buffer[position] >= 48 && buffer[position] <= 57) { position += 1 }
        }
        guard position > start else { throw error("expected a number") }
        // Exact when the digits fit in 2^53 and the divisor is an exact power of ten.
        if simple, digits <= 15, fractionDigits <= 22 {
            let v = Double(mantissa) / ByteReader.powersOfTen[fractionDigits]
            return negative ? -v : v
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<position]), as: UTF8.self)
        guard let d = Double(text) else { throw error("bad number") }
        return d
    }

    static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }

    static func day(_ b: UnsafeBufferPointer<UInt8>) -> Day? {
        guard b.count == 10, b[4] == 45, b[7] == 45 else { return nil }
        func n(_ i: Int) -> Int? { let c = b[i]; return c >= 48 && c <= 57 ? Int(c - 48) : nil }
        guard let y0 = n(0), let y1 = n(1), let y2 = n(2), let y3 = n(3), let m0 = n(5), let m1 = n(6), let d0 = n(8), let d1 = n(9) else { return nil }
        return Day(year: y0 * 1000 + y1 * 100 + y2 * 10 + y3, month: m0 * 10 + m1, day: d0 * 10 + d1)
    }
}
