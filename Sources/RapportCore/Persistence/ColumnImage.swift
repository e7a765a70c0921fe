import Foundation
import Synchronization

/// `snapshot.columns`: the store's columns as raw arrays beside `snapshot.json`, so that a
/// one-shot process views them in place (mapped read-only) instead of parsing the JSON
/// (docs/storage.md, "The column image"). A cache and never the only copy: it names the
/// snapshot it was made from (size, sequence, stored checksum, inode, change time) and
/// anything wrong with it found at opening (missing, stale, truncated, another version,
/// a damaged head or table) sends the opening back to the JSON, after which it is
/// written again. A damaged column is found when it is first read (`ImageRegionCheck`).
///
/// Layout: a 96-byte header (magic, version, a byte-order mark, the snapshot's size,
/// sequence and checksum, the payload's length, the snapshot's inode, change time and
/// device), then the payload. Every array is its element count and its bytes, padded to
/// 8. The payload is regions, each followed by its own hash: the snapshot's head as JSON
/// (sequence, custom fields, policy, segments, grants); then for every stored table and
/// every table of the bin its name, a region of its rows (id order, the highest generated
/// id number, liveness, id map), its
/// column count, and a region per column after its type word (string: codes, the
/// dictionary's arena, ends, slot table and case-folded slot table; list: codes, lengths,
/// items, item dictionary; others: the values).
enum ColumnImage {
    static let fileName = "snapshot.columns"
    static let magic: UInt64 = 0x5347_4D49_4C4F_4352 // "RCOLIMGS" little-endian
    /// 3: the regions' hash in four lanes (`RegionHasher`); an image of version 2 is not
    /// read (its hashes are of the one-lane hash) and is written again.
    /// 4: each table's rows region holds its highest generated id number, which a table
    /// taken from a version-3 image found by a scan of every id on its first insert (the
    /// contacts' 3.3 million at a million customers, on a campaign's critical path).
    static let version: UInt32 = 4
    static let byteOrderMark: UInt32 = 0x0102_0304
    static let headerSize = 96

    /// What the snapshot file says about itself, cheaply: an image made from another
    /// snapshot differs in at least one of these. The inode and change time also tell a
    /// snapshot written over in place (damage, an edit) from the one the image was made
    /// of, so that the JSON is parsed, and its damage found, as without an image.
    struct SnapshotIdentity: Equatable {
        var file: FileIdentity
        var sequence: Int64
        var checksum: UInt32

        init?(snapshotAt path: String) {
            guard let file = FileSystem.identity(path), let sequence = SnapshotCodec.sequence(inFileAt: path),
                  let checksum = SnapshotCodec.storedChecksum(inFileAt: path) else { return nil }
            self.file = file
            self.sequence = sequence
            self.checksum = checksum
        }

        /// The header's words 2 to 4 and 7 to 10 (see `write`).
        var headerWords: [(index: Int, value: UInt64)] {
            [(2, UInt64(file.size)), (3, UInt64(bitPattern: sequence)), (4, UInt64(checksum)), (7, file.inode),
             (8, UInt64(bitPattern: file.changed)), (9, UInt64(file.changedNanoseconds)), (10, file.device)]
        }
    }

    /// Why an image was not used (said with `--timer`).
    struct Unusable: Error { var reason: String }

    // MARK: Hash

    /// The 64-bit hash of a region: its 8-byte words dealt to four lanes in turn (word i to
    /// lane i mod 4; a tail under 8 bytes is not hashed: regions are whole words). Each step
    /// of a lane is a bijection of it (xor the word, multiply by an odd constant, xor-shift),
    /// and so is each step folding the lanes together at the end, so a change in any one
    /// word always changes the hash. The lanes do not wait for one another, so the processor
    /// runs four steps at once: a change at a million customers checks the hundreds of MB of
    /// the columns it writes first, and one chain of steps (version 2) was the longest part
    /// of a campaign's commit. Fed in pieces (the writer) or at once (the checks), the same.
    struct RegionHasher {
        private var a: UInt64 = 0x9E37_79B9_7F4A_7C15
        private var b: UInt64 = 0xC2B2_AE3D_27D4_EB4F
        private var c: UInt64 = 0x1656_67B1_9E37_79F9
        private var d: UInt64 = 0x85EB_CA77_C2B2_AE63
        /// The words hashed so far: the next one goes to lane `words % 4`.
        private var words = 0

        private static let multiplier: UInt64 = 0x100_0000_01b3

        @inline(__always) private static func step(_ lane: inout UInt64, _ word: UInt64) {
            lane = (lane ^ word) &* multiplier
            lane ^= lane >> 31
        }

        @inline(__always) private mutating func stepLane(_ lane: Int, _ word: UInt64) {
            switch lane {
            case 0: Self.step(&a, word)
            case 1: Self.step(&b, word)
            case 2: Self.step(&c, word)
            default: Self.step(&d, word)
            }
        }

        mutating func add(_ bytes: UnsafeRawBufferPointer) {
            let n = bytes.count / 8
            guard n > 0, let base = bytes.baseAddress else { return }
            @inline(__always) func word(_ i: Int) -> UInt64 { base.loadUnaligned(fromByteOffset: i &* 8, as: UInt64.self) }
            var i = 0
            // Single words until it is lane 0's turn, then four at a time, then the rest.
            while i < n, (words &+ i) & 3 != 0 { stepLane((words &+ i) & 3, word(i)); i += 1 }
            var a = self.a, b = self.b, c = self.c, d = self.d
            while i &+ 4 <= n {
                Self.step(&a, word(i))
                Self.step(&b, word(i &+ 1))
                Self.step(&c, word(i &+ 2))
                Self.step(&d, word(i &+ 3))
                i &+= 4
            }
            self.a = a; self.b = b; self.c = c; self.d = d
            while i < n { stepLane((words &+ i) & 3, word(i)); i += 1 }
            words &+= n
        }

        /// The hash of everything added: the word count, then each lane, folded in turn.
        func finish() -> UInt64 {
            var h = UInt64(truncatingIfNeeded: words) &* 0xFF51_AFD7_ED55_8CCD
            for lane in [a, b, c, d] {
                h = (h ^ lane) &* 0xC4CE_B9FE_1A85_EC53
                h ^= h >> 29
            }
            return h
        }
    }

    static func hash(_ words: UnsafeRawBufferPointer) -> UInt64 {
        var hasher = RegionHasher()
        hasher.add(words)
        return hasher.finish()
    }

    // MARK: Writing

    /// Writes `store`'s image (the store exactly as read from the snapshot with `identity`)
    /// into `directory`, atomically; a failure (false) leaves no new image and is not an error: the
    /// next opening parses the JSON again. Not fsync'ed: a crash may leave a damaged
    /// image, which its hash finds.
    @discardableResult
    static func write(_ store: Store, snapshot identity: SnapshotIdentity, directory: String) -> Bool {
        prepare(store, directory: directory)?.install(snapshot: identity) ?? false
    }

    /// An image written to its temporary file but for the snapshot's identity in its
    /// header, which only the snapshot's final place gives (a rename changes its change
    /// time): `install` writes it and renames the image into place, `discard` drops it.
    struct Pending: Sendable {
        let temp: String
        let path: String
        let payloadLength: Int
        /// The sequence of the store it holds: it names no snapshot of another.
        let sequence: Int64

        /// Writes the header naming the snapshot and renames the image into place.
        func install(snapshot identity: SnapshotIdentity) -> Bool {
            guard identity.sequence == sequence, FaultInjection.failure("rename", path) == nil else { discard(); return false }
            let fd = open(temp, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { return false }
            var header = [UInt64](repeating: 0, count: headerSize / 8)
            header[0] = magic
            header[1] = UInt64(version) | UInt64(byteOrderMark) << 32
            for (i, v) in identity.headerWords { header[i] = v }
            header[5] = UInt64(payloadLength)
            let ok = header.withUnsafeBytes { raw in pwrite(fd, raw.baseAddress!, headerSize, 0) == headerSize }
            // The image replaced is let go on another thread: held open across the rename,
            // which then does not wait for its pages to be dropped (75 ms at a million).
            let replaced = open(path, O_RDONLY | O_CLOEXEC)
            defer { if replaced >= 0 { BackgroundWork.async(qos: .utility) { close(replaced) } } }
            if close(fd) != 0 || !ok || rename(temp, path) != 0 { discard(); return false }
            return true
        }

        /// Removes the temporary file (nothing when it was installed).
        func discard() { unlink(temp) }
    }

    /// Writes `store`'s payload to a temporary file in `directory` (its header zero until
    /// `install`: a file left behind by a crash names no snapshot). Nil when it cannot.
    static func prepare(_ store: Store, directory: String, tempSuffix: String = "") -> Pending? {
        let path = directory + "/" + fileName
        let temp = path + ".tmp-\(getpid())" + tempSuffix
        guard FaultInjection.failure("open", temp) == nil else { return nil }
        let mode = FileSystem.creationMode(0o600, in: directory)
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { return nil }
        _ = fchmod(fd, mode)
        var writer = Writer(fd: fd)
        writer.skipHeader()
        writer.beginRegion()
        writer.bytes(SnapshotCodec.head(store, counts: false))
        writer.endRegion()
        for e in Entity.stored { writer.table(store[e]) }
        for e in Entity.stored { writer.table(store.bin[e]) }
        writer.flush()
        if close(fd) != 0 || writer.failed { unlink(temp); return nil }
        return Pending(temp: temp, path: path, payloadLength: writer.length - headerSize, sequence: store.sequence)
    }

    /// Streams the payload to the file through a buffer, hashing each region on the way.
    private struct Writer {
        let fd: Int32
        var buffer: [UInt8] = []
        var length = 0
        var hasher = RegionHasher()
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

        /// Hashed and written a chunk at a time, so that the kernel copies each chunk into
        /// the file while hashing it has just brought it into the cache (a column hashed
        /// whole, then written whole, was read from memory twice). The hash goes word by
        /// word, so chunks of whole words give the same hash as one pass.
        private mutating func emit(_ raw: UnsafeRawBufferPointer) {
            var start = 0
            while start < raw.count, !failed {
                let chunk = UnsafeRawBufferPointer(rebasing: raw[start..<min(start + Writer.chunkSize, raw.count)])
                hasher.add(chunk)
                var done = 0
                while done < chunk.count, !failed {
                    let n = Foundation.write(fd, chunk.baseAddress! + done, chunk.count - done)
                    if n < 0 { if errno == EINTR { continue }; failed = true } else { done += n }
                }
                start += chunk.count
            }
        }

        /// A multiple of 8 (the hash's word), small enough to stay in a core's own cache.
        static let chunkSize = 256 << 10

        private mutating func emit(_ bytes: [UInt8]) { bytes.withUnsafeBytes { emit($0) } }

        /// Everything written from here to `endRegion` is hashed together, and the hash
        /// follows it. (Whatever lies between regions is checked by its shape alone.)
        mutating func beginRegion() {
            flush()
            hasher = RegionHasher()
        }

        mutating func endRegion() {
            flush()
            word(hasher.finish())
        }

        mutating func word(_ v: UInt64) {
            withUnsafeBytes(of: v) { buffer.append(contentsOf: $0) }
            length += 8
        }

        /// An array: its element count, then its bytes padded to 8.
        mutating func array<T>(_ values: [T]) { array(ColumnStorage(values)) }

        mutating func array<T>(_ values: ColumnStorage<T>) {
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
            array(parts.folded)
        }

        mutating func table(_ table: Table) {
            let parts = table.imageParts
            bytes(Array(table.entity.rawValue.utf8))
            beginRegion()
            word(parts.rowsInIDOrder ? 1 : 0)
            word(UInt64(table.highestGeneratedNumber))
            array(parts.isLive.map { UInt8($0 ? 1 : 0) })
            array(parts.rowOfIDCode)
            endRegion()
            word(UInt64(table.columns.count))
            for (position, column) in table.columns.enumerated() {
                word(ColumnImage.typeWord(column))
                beginRegion()
                switch column {
                case .string(let c):
                    // A lookup by id ignores case: its folded table comes built.
                    if position == Table.idPosition { c.dictionary.buildFoldedSlots() }
                    array(c.codes); dictionary(c.dictionary)
                case .list(let c):
                    array(c.codes)
                    array(c.lists.lists.map { UInt32($0.count) })
                    array(c.lists.lists.flatMap { $0 })
                    dictionary(c.lists.items)
                case .integer(let c): array(c.values)
                case .number(let c): array(c.values)
                case .date(let c): array(c.values)
                case .instant(let c): array(c.values)
                case .boolean(let c): array(c.values)
                }
                endRegion()
            }
        }
    }

    static func typeWord(_ column: Column) -> UInt64 {
        switch column {
        case .string: return 0
        case .list: return 1
        case .integer: return 2
        case .number: return 3
        case .date: return 4
        case .instant: return 5
        case .boolean: return 6
        }
    }

    // MARK: Reading

    /// The store in `directory`'s image when it was made from the snapshot with `identity`;
    /// otherwise why not. The head and each table's rows are checked against their hashes
    /// here; the columns are views of the mapped image, each checked when first read.
    static func read(directory: String, snapshot identity: SnapshotIdentity) -> Result<Store, Unusable> {
        let path = directory + "/" + fileName
        guard FileSystem.fileExists(path) else { return .failure(Unusable(reason: "there is none")) }
        do {
            let image = try MappedImage(path: path)
            return .success(try read(image, identity))
        } catch let e as Unusable {
            return .failure(e)
        } catch {
            return .failure(Unusable(reason: "\(error)"))
        }
    }

    private static func read(_ image: MappedImage, _ identity: SnapshotIdentity) throws -> Store {
        let file = image.bytes
        guard file.count >= headerSize else { throw Unusable(reason: "it is truncated") }
        func header(_ i: Int) -> UInt64 { file.load(fromByteOffset: i * 8, as: UInt64.self) }
        guard header(0) == magic else { throw Unusable(reason: "it is not a column image") }
        guard UInt32(truncatingIfNeeded: header(1) >> 32) == byteOrderMark else { throw Unusable(reason: "it was written on another byte order") }
        let fileVersion = UInt32(truncatingIfNeeded: header(1))
        guard fileVersion == version else { throw Unusable(reason: "it is of version \(fileVersion), this program writes \(version)") }
        guard identity.headerWords.allSatisfy({ header($0.index) == $0.value }) else { throw Unusable(reason: "it was made from another snapshot") }
        let payloadLength = Int(clamping: header(5))
        guard payloadLength == file.count - headerSize else { throw Unusable(reason: "it is truncated") }
        var reader = Reader(image: image, bytes: UnsafeRawBufferPointer(rebasing: file[headerSize...]), position: 0)
        return try reader.store()
    }

    /// Reads the payload; every count is checked against what is left, so a damaged image
    /// fails here rather than reading out of bounds (before its hash is known to be bad).
    private struct Reader {
        let image: MappedImage
        let bytes: UnsafeRawBufferPointer
        var position: Int
        var regionStart = 0

        mutating func word() throws -> UInt64 {
            guard position + 8 <= bytes.count else { throw Unusable(reason: "it is truncated") }
            defer { position += 8 }
            return bytes.load(fromByteOffset: position, as: UInt64.self)
        }

        /// An array in place, as a view of the mapped image.
        mutating func view<T>(of: T.Type) throws -> ColumnStorage<T> {
            let count = try word()
            let size = MemoryLayout<T>.stride
            guard count <= UInt64(bytes.count - position) / UInt64(size) else { throw Unusable(reason: "it is truncated") }
            let n = Int(count), length = n * size
            let start = (bytes.baseAddress! + position).assumingMemoryBound(to: T.self)
            position += (length + 7) & ~7
            guard position <= bytes.count else { throw Unusable(reason: "it is truncated") }
            return ColumnStorage(view: UnsafeBufferPointer(start: start, count: n), in: image)
        }

        /// An array copied out (the parts every question needs, checked at opening).
        mutating func array<T>(of: T.Type) throws -> [T] { try view(of: T.self).array }

        mutating func beginRegion() { regionStart = position }

        /// The region since `beginRegion` and its hash, which follows it.
        mutating func endRegion() throws -> (bytes: UnsafeRawBufferPointer, hash: UInt64) {
            let region = UnsafeRawBufferPointer(rebasing: bytes[regionStart..<position])
            return (region, try word())
        }

        /// Ends a region checked now: a mismatch makes the whole image unusable.
        mutating func endCheckedRegion() throws {
            let (region, stored) = try endRegion()
            guard ColumnImage.hash(region) == stored else { throw Unusable(reason: "its checksum does not match") }
        }

        /// `checkedLater`: its contents are checked with its region's hash on first read
        /// (`StringDictionary.checked(by:)`), else now.
        mutating func dictionary(checkedLater: Bool) throws -> StringDictionary {
            let arena = try view(of: UInt8.self), ends = try view(of: UInt32.self), slots = try view(of: UInt32.self)
            let folded = try view(of: UInt64.self)
            guard let d = StringDictionary(imageBytes: arena, ends: ends, slots: slots, folded: folded, checkedLater: checkedLater) else {
                throw Unusable(reason: "a dictionary does not hold together")
            }
            return d
        }

        mutating func store() throws -> Store {
            let store: Store
            beginRegion()
            let head = try array(of: UInt8.self)
            try endCheckedRegion()
            do { store = try SnapshotCodec.readHead(head) } catch let e as Unusable { throw e } catch {
                throw Unusable(reason: "its head does not read: \(error)")
            }
            for e in Entity.stored { try table(store[e], bin: false) }
            for e in Entity.stored { try table(store.bin[e], bin: true) }
            guard position == bytes.count else { throw Unusable(reason: "it has bytes after its last table") }
            return store
        }

        mutating func table(_ table: Table, bin: Bool) throws {
            guard try array(of: UInt8.self) == Array(table.entity.rawValue.utf8) else { throw Unusable(reason: "its tables are not in order") }
            beginRegion()
            let rowsInIDOrder = try word() == 1
            guard let highestNumber = Int(exactly: try word()) else { throw Unusable(reason: "a table's rows do not hold together") }
            let isLive = try array(of: UInt8.self).map { $0 != 0 }
            let rowOfIDCode = try array(of: Int32.self)
            try endCheckedRegion()
            let columnCount = try word()
            guard columnCount == UInt64(table.columns.count) else { throw Unusable(reason: "a table's fields differ from its schema") }
            var columns: [Column] = []
            for field in table.schema.fields {
                let type = try word()
                let name = (bin ? "deleted " : "") + table.entity.rawValue + "." + field.name
                beginRegion()
                switch type {
                case 0:
                    let codes = try view(of: UInt32.self)
                    let dictionary = try self.dictionary(checkedLater: true)
                    let (region, hash) = try endRegion()
                    let check = ImageRegionCheck(image: image, region: region, hash: hash, name: name) { [unowned dictionary] in
                        let limit = UInt32(dictionary.count)
                        return codes.withUnsafeBufferPointer { $0.allSatisfy { $0 <= limit } } && dictionary.holdsTogether
                    }
                    dictionary.checked(by: check)
                    columns.append(.string(StringColumn(codes: codes, dictionary: dictionary, check: check)))
                    continue
                case 1:
                    let codes = try array(of: UInt32.self), lengths = try array(of: UInt32.self), items = try array(of: UInt32.self)
                    let itemDictionary = try dictionary(checkedLater: false)
                    try endCheckedRegion()
                    guard lengths.reduce(0, { $0 + Int($1) }) == items.count,
                          items.allSatisfy({ Int($0) <= itemDictionary.count }) else { throw Unusable(reason: "a list column does not hold together") }
                    var lists: [[UInt32]] = []
                    lists.reserveCapacity(lengths.count)
                    var start = 0
                    for n in lengths { lists.append(Array(items[start..<start + Int(n)])); start += Int(n) }
                    guard let listDictionary = ListDictionary(imageLists: lists, items: itemDictionary),
                          codes.allSatisfy({ Int($0) < lists.count }) else { throw Unusable(reason: "a list column does not hold together") }
                    columns.append(.list(ListColumn(codes: codes, lists: listDictionary)))
                    continue
                case 2: columns.append(.integer(try typed(Int64.self, name)))
                case 3: columns.append(.number(try typed(Double.self, name)))
                case 4: columns.append(.date(try typed(Int32.self, name)))
                case 5: columns.append(.instant(try typed(Int64.self, name)))
                case 6: columns.append(.boolean(try typed(Int8.self, name)))
                default: throw Unusable(reason: "a column has an unknown type")
                }
            }
            guard table.adoptImage(columns: columns, isLive: isLive, rowOfIDCode: rowOfIDCode, rowsInIDOrder: rowsInIDOrder,
                                   highestGeneratedNumber: highestNumber) else {
                throw Unusable(reason: "a table does not fit its schema")
            }
        }

        /// A column of numbers, dates, instants or booleans: every bit pattern is a value,
        /// so its check is its hash alone.
        mutating func typed<T>(_ type: T.Type, _ name: String) throws -> TypedColumn<T> {
            let values = try view(of: T.self)
            let (region, hash) = try endRegion()
            return TypedColumn(values, check: ImageRegionCheck(image: image, region: region, hash: hash, name: name) { true })
        }
    }

    // MARK: Damage found after opening

    /// A column whose region does not match its hash, found on its first read: the answer
    /// would be wrong, so the process stops with the error (status 1), before any write
    /// (a change or a snapshot checks every column first: `checkEveryColumn`). The image
    /// is removed, so that the next opening parses the JSON and writes it again.
    static func stopOnDamage(_ check: ImageRegionCheck) -> Never {
        let diagnostic = damage(check)
        FileHandle.standardError.write(Data(DiagnosticFormatter().format(diagnostic, source: nil).utf8))
        exit(1)
    }

    /// The error for a damaged column, after removing the image when it is still the one
    /// that was read.
    static func damage(_ check: ImageRegionCheck) -> Diagnostic {
        let path = check.image.path
        var removed = false
        if let now = FileSystem.identity(path), now.isSameFile(as: check.image.identity) { removed = unlink(path) == 0 }
        let hint = removed
            ? "it is a cache of snapshot.json and was removed: run the command again (it then reads snapshot.json)"
            : "it is a cache of snapshot.json: delete it, and the next opening reads snapshot.json"
        return Diagnostic(.runtime, .columnImageDamaged, [path, check.name], notes: [hint])
    }

    /// Checks every column of `store` still viewing an image that was not read yet; a
    /// change or a snapshot does this first, so that nothing damaged is ever written.
    static func checkEveryColumn(_ store: Store) throws {
        for check in regionChecks(store) where !check.check() { throw damage(check) }
    }

    /// Checks the columns `set` writes (its tables, live and bin, still viewing an image)
    /// before it is journaled or applied: a written column leaves the image, so a damage
    /// copied into memory would never be found again. The rest are checked when first read
    /// or before a snapshot, which writes them all (`checkEveryColumn`); a campaign at a
    /// million customers hashed 2.2 GB here, its purchases and ledger included. From the
    /// last column back: the checks running ahead of a campaign (`Database.checkColumnImageAhead`)
    /// go from the first, so the two threads meet rather than wait on the same column.
    static func checkColumns(writtenBy set: ChangeSet, in store: Store) throws {
        var written = Set(set.fieldAdditions.map(\.entity))
        for change in set.binChanges { written.insert(change.entity) }
        // Most sets name one to three entities: a run of one entity is looked at once. Read
        // in place: a loop over copies of the changes retained each one's values (27 ms for
        // a campaign's 280,000 changes at a million customers, before its commit).
        // An import alternates customers and their opening balances: the entities met are
        // kept in a short list, not hashed into the set at each change of entity.
        var last: Entity?
        var met: [Entity] = []
        set.changes.withUnsafeBufferPointer { changes in
            for i in changes.indices where changes[i].entity != last {
                last = changes[i].entity
                if !met.contains(changes[i].entity) { met.append(changes[i].entity) }
            }
        }
        written.formUnion(met)
        for check in regionChecks(store, of: written).reversed() where !check.check() { throw damage(check) }
    }

    /// The checks of every column of `store` still viewing an image (of the `entities`
    /// given, if any), in the order `checkEveryColumn` makes them.
    static func regionChecks(_ store: Store, of entities: Set<Entity>? = nil) -> [ImageRegionCheck] {
        var checks: [ImageRegionCheck] = []
        for e in Entity.stored where entities?.contains(e) ?? true {
            for table in [store[e], store.bin[e]] {
                for column in table.columns {
                    if let check = column.imageCheck { checks.append(check) }
                }
            }
        }
        return checks
    }
}

extension Column {
    /// The hash check of the image region this column views, if any.
    var imageCheck: ImageRegionCheck? {
        switch self {
        case .string(let c): return c.imageCheck
        case .integer(let c): return c.imageCheck
        case .number(let c): return c.imageCheck
        case .date(let c): return c.imageCheck
        case .instant(let c): return c.imageCheck
        case .boolean(let c): return c.imageCheck
        case .list: return nil
        }
    }
}

/// A column image mapped read-only (`MAP_PRIVATE`, `PROT_READ`): nothing can write the
/// file through it. Unmapped when the last column viewing it lets go. The image is only
/// ever replaced by a rename, so the mapped file stays whole while in use.
final class MappedImage: @unchecked Sendable {
    let path: String
    let identity: FileIdentity
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ColumnImage.Unusable(reason: "it cannot be opened: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ColumnImage.Unusable(reason: "it cannot be read") }
        guard Int(st.st_size) >= ColumnImage.headerSize else { throw ColumnImage.Unusable(reason: "it is truncated") }
        guard let base = mmap(nil, Int(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw ColumnImage.Unusable(reason: "it cannot be mapped")
        }
        self.path = path
        identity = FileIdentity(st)
        bytes = UnsafeRawBufferPointer(start: base, count: Int(st.st_size))
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress!), bytes.count) }
}

/// One region of a mapped column image (a column's arrays) and its hash, checked once,
/// before the first read of the column: so an opening reads only the pages of the
/// columns a question reads, and a damaged column is never answered from. After the hash,
/// `holdsTogether` checks the shapes a lookup relies on (codes in range, ends ascending).
final class ImageRegionCheck: @unchecked Sendable {
    let image: MappedImage
    let name: String
    private let region: UnsafeRawBufferPointer
    private let hash: UInt64
    private let holdsTogether: () -> Bool
    private let passed = Atomic<Bool>(false)
    private let lock = NSLock()
    private var outcome: Bool?

    init(image: MappedImage, region: UnsafeRawBufferPointer, hash: UInt64, name: String, holdsTogether: @escaping () -> Bool) {
        self.image = image
        self.region = region
        self.hash = hash
        self.name = name
        self.holdsTogether = holdsTogether
    }

    /// Returns when the region passed; stops the process when it did not.
    @inline(__always) func ensure() {
        if !passed.load(ordering: .acquiring) { ensureSlowly() }
    }

    @inline(never) private func ensureSlowly() {
        if !check() { ColumnImage.stopOnDamage(self) }
    }

    /// Whether the region matches its hash and holds together (computed once, on any thread).
    func check() -> Bool {
        lock.withLock {
            if let outcome { return outcome }
            let ok = ColumnImage.hash(region) == hash && holdsTogether()
            outcome = ok
            if ok { passed.store(true, ordering: .releasing) }
            return ok
        }
    }
}
