import Foundation

/// `snapshot.columns`: the store's columns as raw arrays beside `snapshot.json`, so that a
/// one-shot process reads them with one copy each instead of parsing the JSON
/// (docs/storage.md, "The column image"). A cache and never the only copy: it names the
/// snapshot it was made from (size, sequence, stored checksum) and anything wrong with it
/// (missing, stale, truncated, damaged, another version) sends the opening back to the
/// JSON, after which it is written again.
///
/// Layout: an 80-byte header (magic, version, a byte-order mark, the snapshot's size,
/// sequence and checksum, the payload's length and hash, the snapshot's inode and change
/// time), then the payload: the snapshot's
/// head as JSON (sequence, custom fields, policy, segments, grants), then every stored
/// table and every table of the bin: its rows' liveness, its id map, and each column's
/// arrays (codes, dictionary arena, ends and slot table; or the numbers). Each array is its
/// element count and its bytes, padded to 8 bytes.
enum ColumnImage {
    static let fileName = "snapshot.columns"
    static let magic: UInt64 = 0x5347_4D49_4C4F_4352 // "RCOLIMGS" little-endian
    static let version: UInt32 = 1
    static let byteOrderMark: UInt32 = 0x0102_0304
    static let headerSize = 80

    /// What the snapshot file says about itself, cheaply: an image made from another
    /// snapshot differs in at least one of these. The inode and change time also tell a
    /// snapshot written over in place (damage, an edit) from the one the image was made
    /// of, so that the JSON is parsed, and its damage found, as without an image.
    struct SnapshotIdentity: Equatable {
        var size: UInt64
        var sequence: Int64
        var checksum: UInt32
        var inode: UInt64
        var changed: Int64
        var changedNanoseconds: Int

        init?(snapshotAt path: String) {
            guard let identity = FileSystem.identity(path), let sequence = SnapshotCodec.sequence(inFileAt: path),
                  let checksum = SnapshotCodec.storedChecksum(inFileAt: path) else { return nil }
            size = UInt64(identity.size)
            inode = identity.inode
            changed = identity.changed
            changedNanoseconds = identity.changedNanoseconds
            self.sequence = sequence
            self.checksum = checksum
        }
    }

    /// Why an image was not used (said with `--timer`).
    struct Unusable: Error { var reason: String }

    // MARK: Hash

    /// A 64-bit hash of the payload's 8-byte words: each step is a bijection of the state,
    /// so a change in any one word always changes it. Runs at memory speed.
    static func hash(_ words: UnsafeRawBufferPointer, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> UInt64 {
        var h = seed
        let n = words.count / 8
        let p = words.baseAddress.map { $0.assumingMemoryBound(to: UInt64.self) }
        for i in 0..<n { h = (h ^ p![i]) &* 0x100_0000_01b3; h ^= h >> 31 }
        return h
    }

    // MARK: Writing

    /// Writes `store`'s image (the store exactly as read from the snapshot with `identity`)
    /// into `directory`, atomically; a failure (false) leaves no new image and is not an error: the
    /// next opening parses the JSON again. Not fsync'ed: a crash may leave a damaged
    /// image, which its hash finds.
    @discardableResult
    static func write(_ store: Store, snapshot identity: SnapshotIdentity, directory: String) -> Bool {
        let path = directory + "/" + fileName
        let temp = path + ".tmp-\(getpid())"
        let mode = FileSystem.creationMode(0o600, in: directory)
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return false }
        _ = fchmod(fd, mode)
        var writer = Writer(fd: fd)
        writer.skipHeader()
        writer.bytes(SnapshotCodec.head(store, counts: false))
        for e in Entity.stored { writer.table(store[e]) }
        for e in Entity.stored { writer.table(store.bin[e]) }
        writer.flush()
        var header = [UInt64](repeating: 0, count: headerSize / 8)
        header[0] = magic
        header[1] = UInt64(version) | UInt64(byteOrderMark) << 32
        header[2] = identity.size
        header[3] = UInt64(bitPattern: identity.sequence)
        header[4] = UInt64(identity.checksum)
        header[5] = UInt64(writer.length - headerSize)
        // The hash is over the payload only, and the header holds it: written last.
        header[6] = writer.hash
        header[7] = identity.inode
        header[8] = UInt64(bitPattern: identity.changed)
        header[9] = UInt64(identity.changedNanoseconds)
        let ok = writer.failed == false && header.withUnsafeBytes { raw in
            pwrite(fd, raw.baseAddress!, headerSize, 0) == headerSize
        }
        if close(fd) != 0 || !ok || rename(temp, path) != 0 { unlink(temp); return false }
        return true
    }

    /// Streams the payload to the file through a buffer, hashing it on the way.
    private struct Writer {
        let fd: Int32
        var buffer: [UInt8] = []
        var length = 0
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15
        var failed = false

        init(fd: Int32) { self.fd = fd; buffer.reserveCapacity(1 << 20) }

        /// The header is written last, when the payload's length and hash are known.
        mutating func skipHeader() {
            length = headerSize
            failed = lseek(fd, off_t(headerSize), SEEK_SET) < 0
        }

        mutating func flush() {
            guard !buffer.isEmpty else { return }
            emit(buffer)
            buffer.removeAll(keepingCapacity: true)
        }

        private mutating func emit(_ raw: UnsafeRawBufferPointer) {
            hash = ColumnImage.hash(raw, seed: hash)
            var done = 0
            while done < raw.count, !failed {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; failed = true } else { done += n }
            }
        }

        private mutating func emit(_ bytes: [UInt8]) { bytes.withUnsafeBytes { emit($0) } }

        mutating func word(_ v: UInt64) {
            withUnsafeBytes(of: v) { buffer.append(contentsOf: $0) }
            length += 8
        }

        /// An array: its element count, then its bytes padded to 8.
        mutating func array<T>(_ values: [T]) {
            word(UInt64(values.count))
            values.withUnsafeBytes { raw in
                let padded = (raw.count + 7) & ~7
                if raw.count < 1 << 16 {
                    buffer.append(contentsOf: raw)
                    buffer.append(contentsOf: repeatElement(0, count: padded - raw.count))
                } else {
                    flush()
                    let whole = raw.count & ~7
                    emit(UnsafeRawBufferPointer(rebasing: raw[0..<whole]))
                    buffer.append(contentsOf: raw[whole...])
                    buffer.append(contentsOf: repeatElement(0, count: padded - raw.count))
                }
                length += padded
            }
        }

        mutating func bytes(_ b: [UInt8]) { array(b) }

        mutating func dictionary(_ d: StringDictionary) {
            let parts = d.imageParts
            array(parts.bytes)
            array(parts.ends)
            array(parts.slots)
        }

        mutating func table(_ table: Table) {
            let parts = table.imageParts
            bytes(Array(table.entity.rawValue.utf8))
            word(parts.rowsInIDOrder ? 1 : 0)
            array(parts.isLive)
            array(parts.rowOfIDCode)
            word(UInt64(table.columns.count))
            for column in table.columns {
                switch column {
                case .string(let c):
                    word(0); array(c.codes); dictionary(c.dictionary)
                case .list(let c):
                    word(1); array(c.codes)
                    array(c.lists.lists.map { UInt32($0.count) })
                    array(c.lists.lists.flatMap { $0 })
                    dictionary(c.lists.items)
                case .integer(let c): word(2); array(c.values)
                case .number(let c): word(3); array(c.values)
                case .date(let c): word(4); array(c.values)
                case .instant(let c): word(5); array(c.values)
                case .boolean(let c): word(6); array(c.values)
                }
            }
        }
    }

    // MARK: Reading

    /// The store in `directory`'s image when it was made from the snapshot with `identity`;
    /// otherwise why not. The payload's hash is checked on a second thread while the
    /// first copies the arrays out.
    static func read(directory: String, snapshot identity: SnapshotIdentity) -> Result<Store, Unusable> {
        let path = directory + "/" + fileName
        guard FileSystem.fileExists(path) else { return .failure(Unusable(reason: "there is none")) }
        do {
            return .success(try FileSystem.withMappedFile(path) { buffer in try read(UnsafeRawBufferPointer(buffer), identity) })
        } catch let e as Unusable {
            return .failure(e)
        } catch {
            return .failure(Unusable(reason: "\(error)"))
        }
    }

    private static func read(_ file: UnsafeRawBufferPointer, _ identity: SnapshotIdentity) throws -> Store {
        guard file.count >= headerSize else { throw Unusable(reason: "it is truncated") }
        func header(_ i: Int) -> UInt64 { file.load(fromByteOffset: i * 8, as: UInt64.self) }
        guard header(0) == magic else { throw Unusable(reason: "it is not a column image") }
        guard UInt32(truncatingIfNeeded: header(1) >> 32) == byteOrderMark else { throw Unusable(reason: "it was written on another byte order") }
        let fileVersion = UInt32(truncatingIfNeeded: header(1))
        guard fileVersion == version else { throw Unusable(reason: "it is of version \(fileVersion), this program writes \(version)") }
        guard header(2) == identity.size, Int64(bitPattern: header(3)) == identity.sequence,
              header(4) == UInt64(identity.checksum), header(7) == identity.inode,
              Int64(bitPattern: header(8)) == identity.changed, header(9) == UInt64(identity.changedNanoseconds) else { throw Unusable(reason: "it was made from another snapshot") }
        let payloadLength = Int(clamping: header(5))
        guard payloadLength == file.count - headerSize else { throw Unusable(reason: "it is truncated") }
        let storedHash = header(6)
        let payload = UnsafeRawBufferPointer(rebasing: file[headerSize...])

        final class Check: @unchecked Sendable {
            let payload: UnsafeRawBufferPointer
            var hash: UInt64 = 0
            init(_ payload: UnsafeRawBufferPointer) { self.payload = payload }
        }
        let check = Check(payload)
        let hashed = DispatchGroup()
        DispatchQueue.global().async(group: hashed) { check.hash = hash(check.payload) }
        let loaded = Result { () throws -> Store in
            var reader = Reader(bytes: payload, position: 0)
            return try reader.store()
        }
        hashed.wait()
        guard check.hash == storedHash else { throw Unusable(reason: "its checksum does not match") }
        return try loaded.get()
    }

    /// Reads the payload; every count is checked against what is left, so a damaged image
    /// fails here rather than reading out of bounds (before its hash is known to be bad).
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position: Int

        mutating func word() throws -> UInt64 {
            guard position + 8 <= bytes.count else { throw Unusable(reason: "it is truncated") }
            defer { position += 8 }
            return bytes.load(fromByteOffset: position, as: UInt64.self)
        }

        mutating func array<T>(of: T.Type) throws -> [T] {
            let count = try word()
            let size = MemoryLayout<T>.stride
            guard count <= UInt64(bytes.count - position) / UInt64(size) else { throw Unusable(reason: "it is truncated") }
            let n = Int(count), length = n * size
            let values = [T](unsafeUninitializedCapacity: n) { out, initialized in
                if length > 0 { memcpy(out.baseAddress!, bytes.baseAddress! + position, length) }
                initialized = n
            }
            position += (length + 7) & ~7
            guard position <= bytes.count else { throw Unusable(reason: "it is truncated") }
            return values
        }

        mutating func dictionary() throws -> StringDictionary {
            let arena = try array(of: UInt8.self), ends = try array(of: UInt32.self), slots = try array(of: UInt32.self)
            guard let d = StringDictionary(imageBytes: arena, ends: ends, slots: slots) else { throw Unusable(reason: "a dictionary does not hold together") }
            return d
        }

        mutating func store() throws -> Store {
            let store: Store
            do { store = try SnapshotCodec.readHead(try array(of: UInt8.self)) } catch let e as Unusable { throw e } catch {
                throw Unusable(reason: "its head does not read: \(error)")
            }
            for e in Entity.stored { try table(store[e]) }
            for e in Entity.stored { try table(store.bin[e]) }
            guard position == bytes.count else { throw Unusable(reason: "it has bytes after its last table") }
            return store
        }

        mutating func table(_ table: Table) throws {
            guard try array(of: UInt8.self) == Array(table.entity.rawValue.utf8) else { throw Unusable(reason: "its tables are not in order") }
            let rowsInIDOrder = try word() == 1
            let isLive = try array(of: UInt8.self).map { $0 != 0 }
            let rowOfIDCode = try array(of: Int32.self)
            let columnCount = try word()
            guard columnCount == UInt64(table.columns.count) else { throw Unusable(reason: "a table's fields differ from its schema") }
            var columns: [Column] = []
            for _ in 0..<Int(columnCount) {
                switch try word() {
                case 0: columns.append(.string(StringColumn(codes: try array(of: UInt32.self), dictionary: try dictionary())))
                case 1:
                    let codes = try array(of: UInt32.self), lengths = try array(of: UInt32.self), items = try array(of: UInt32.self)
                    let itemDictionary = try dictionary()
                    guard lengths.reduce(0, { $0 + Int($1) }) == items.count,
                          items.allSatisfy({ Int($0) <= itemDictionary.count }) else { throw Unusable(reason: "a list column does not hold together") }
                    var lists: [[UInt32]] = []
                    lists.reserveCapacity(lengths.count)
                    var start = 0
                    for n in lengths { lists.append(Array(items[start..<start + Int(n)])); start += Int(n) }
                    guard let listDictionary = ListDictionary(imageLists: lists, items: itemDictionary),
                          codes.allSatisfy({ Int($0) < lists.count }) else { throw Unusable(reason: "a list column does not hold together") }
                    columns.append(.list(ListColumn(codes: codes, lists: listDictionary)))
                case 2: columns.append(.integer(TypedColumn(try array(of: Int64.self))))
                case 3: columns.append(.number(TypedColumn(try array(of: Double.self))))
                case 4: columns.append(.date(TypedColumn(try array(of: Int32.self))))
                case 5: columns.append(.instant(TypedColumn(try array(of: Int64.self))))
                case 6: columns.append(.boolean(TypedColumn(try array(of: Int8.self))))
                default: throw Unusable(reason: "a column has an unknown type")
                }
            }
            for case .string(let c) in columns {
                let limit = UInt32(c.dictionary.count)
                guard c.codes.allSatisfy({ $0 <= limit }) else { throw Unusable(reason: "a string column does not hold together") }
            }
            guard table.adoptImage(columns: columns, isLive: isLive, rowOfIDCode: rowOfIDCode, rowsInIDOrder: rowsInIDOrder) else {
                throw Unusable(reason: "a table does not fit its schema")
            }
        }
    }
}
