import Foundation

/// The values of one column (or one array of a dictionary) as a value: either an array
/// of its own, or a read-only view of a mapped column image (Persistence/ColumnImage.swift),
/// so that an opening from the image copies nothing and a question touches only the pages
/// of the columns it reads. The first change copies a view into an array of its own; the
/// image is mapped read-only, so nothing is ever written through the map. A copy of the
/// storage is cheap and independent, as an array's is.
public struct ColumnStorage<Element>: RandomAccessCollection, ExpressibleByArrayLiteral {
    private var owned: [Element]
    private var view: UnsafeBufferPointer<Element>?
    /// Keeps the mapping alive while a view points into it.
    private var mapping: AnyObject?

    public init() { owned = [] }
    public init(_ values: [Element]) { owned = values }
    public init(arrayLiteral elements: Element...) { owned = elements }
    public init(repeating value: Element, count: Int) { owned = [Element](repeating: value, count: count) }
    init(view: UnsafeBufferPointer<Element>, in mapping: AnyObject) {
        owned = []
        self.view = view
        self.mapping = mapping
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { view?.count ?? owned.count }
    /// Whether the values are still the mapped image's (nothing changed them).
    var isMapped: Bool { view != nil }

    public subscript(i: Int) -> Element {
        @inline(__always) get {
            if let view {
                // An unsafe buffer does not check its bounds in a release build; an array does.
                precondition(UInt(bitPattern: i) < UInt(view.count), "Index out of range")
                return view[i]
            }
            return owned[i]
        }
        set {
            makeOwned()
            owned[i] = newValue
        }
    }

    /// The values as an array (a copy when they are a view).
    public var array: [Element] { view.map { Array($0) } ?? owned }

    private mutating func makeOwned() {
        guard let view else { return }
        owned = Array(view)
        self.view = nil
        mapping = nil
    }

    public mutating func append(_ value: Element) { makeOwned(); owned.append(value) }
    public mutating func append<S: Sequence>(contentsOf values: S) where S.Element == Element {
        makeOwned()
        owned.append(contentsOf: values)
    }
    public mutating func reserveCapacity(_ n: Int) { makeOwned(); owned.reserveCapacity(n) }
    /// Appends `count` values written in place by `fill` (the new tail, `initial` until written).
    mutating func append(count: Int, initial: Element, _ fill: (UnsafeMutableBufferPointer<Element>) -> Void) {
        makeOwned()
        owned.appendFilled(count: count, initial: initial, fill)
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        if let view { return try body(view) }
        return try owned.withUnsafeBufferPointer(body)
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let view { return try body(UnsafeRawBufferPointer(view)) }
        return try owned.withUnsafeBytes(body)
    }

    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R? {
        try withUnsafeBufferPointer(body)
    }
}

extension ColumnStorage: @unchecked Sendable where Element: Sendable {}

extension Array {
    /// Appends `count` values written in place by `fill` (the new tail, `initial` until
    /// written): no array of them made first and freed after.
    mutating func appendFilled(count: Int, initial: Element, _ fill: (UnsafeMutableBufferPointer<Element>) -> Void) {
        let start = self.count
        append(contentsOf: repeatElement(initial, count: count))
        withUnsafeMutableBufferPointer { fill(UnsafeMutableBufferPointer(rebasing: $0[start...])) }
    }
}

/// Interned strings: each distinct string gets a code, 1 and up; 0 stands for null.
/// The strings live end to end in one byte arena (`bytes`, with each string's end in
/// `ends`), so a million distinct emails cost their bytes plus a few words each instead
/// of a heap object each; a `String` is made only when a caller asks for one.
/// An open-addressing table over the UTF-8 bytes finds a string's code without
/// building a `String`, so a loader can intern straight from file bytes. Also answers
/// case-insensitive lookups and code-point ranks for ordering.
public final class StringDictionary {
    /// The UTF-8 bytes of every string, code after code.
    private var bytes: ColumnStorage<UInt8> = []
    /// Where each code's bytes end in `bytes` (code 0, the null, is empty); a code's
    /// bytes start where the previous code's end.
    private var ends: ColumnStorage<UInt32> = [0]
    /// Open addressing over the strings' hashes; each slot holds a code, 0 for empty.
    /// A probe compares the length first, then the bytes: 4 bytes a slot rather than 8
    /// with a stored hash, a fifth of the memory of a million distinct emails.
    private var slots = ColumnStorage<UInt32>(repeating: 0, count: 16)
    /// The same for the strings' case-folded forms, built on the first case-insensitive
    /// lookup and extended through `foldedThrough` afterwards; one slot per code, so
    /// every code whose folded form matches is found by probing on to an empty slot.
    private var foldedSlots: ColumnStorage<UInt64> = []
    private var foldedThrough = 1
    private var cachedRanks: [UInt32]?
    /// For a dictionary viewing a column image: its region's hash, checked before the
    /// first read of its strings (see `ImageRegionCheck`).
    private var imageCheck: ImageRegionCheck?

    public init() {}

    public var count: Int { ends.count - 1 }

    /// The arena, ends, slot table and case-folded slot table (empty when never built)
    /// as they are, for the column image (Persistence/ColumnImage.swift), which writes
    /// them raw and views them in place.
    var imageParts: (bytes: ColumnStorage<UInt8>, ends: ColumnStorage<UInt32>, slots: ColumnStorage<UInt32>, folded: ColumnStorage<UInt64>) {
        imageCheck?.ensure()
        return (bytes, ends, slots, folded: foldedThrough == ends.count ? foldedSlots : [])
    }

    /// Builds the case-folded slot table over every string now, so that a column image
    /// holds it and a lookup by id in a later process does not build it.
    func buildFoldedSlots() { _ = codes(ignoringCase: "") }

    /// A dictionary from a column image's parts; nil when their sizes do not fit together.
    /// Their contents are checked by `holdsTogether` with the region's hash: by `check`
    /// before the first read when given (a view of the image), else here.
    init?(imageBytes: ColumnStorage<UInt8>, ends: ColumnStorage<UInt32>, slots: ColumnStorage<UInt32>,
          folded: ColumnStorage<UInt64>, checkedLater: Bool) {
        guard !ends.isEmpty, slots.count >= 16, slots.count & (slots.count - 1) == 0, slots.count >= ends.count,
              folded.isEmpty || (folded.count & (folded.count - 1) == 0 && folded.count >= ends.count * 2) else { return nil }
        self.bytes = imageBytes
        self.ends = ends
        self.slots = slots
        self.foldedSlots = folded
        foldedThrough = folded.isEmpty ? 1 : ends.count
        guard checkedLater || holdsTogether else { return nil }
    }

    /// Every later read first passes `check` (the hash of the image region this views).
    func checked(by check: ImageRegionCheck) { imageCheck = check }

    /// The shapes a lookup relies on: ends ascending from 0 to the arena's length, every
    /// slot a code or empty. Read without the image check: it is part of it.
    var holdsTogether: Bool {
        let bytes = self.bytes, slots = self.slots, folded = self.foldedSlots
        return ends.withUnsafeBufferPointer { ends in
            guard ends.first == 0, Int(ends.last ?? 1) == bytes.count else { return false }
            for i in 1..<ends.count where ends[i - 1] > ends[i] { return false }
            let limit = UInt32(ends.count)
            return slots.withUnsafeBufferPointer { $0.allSatisfy { $0 < limit } }
                && folded.withUnsafeBufferPointer { $0.allSatisfy { UInt32(truncatingIfNeeded: $0) < limit } }
        }
    }

    /// Every string by code (code 0 is ""), as a value: later interning does not change it.
    public var strings: InternedStrings {
        imageCheck?.ensure()
        return InternedStrings(bytes: bytes, ends: ends)
    }

    /// The string of `code` (0 gives "").
    public func string(_ code: UInt32) -> String {
        withUTF8(code) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the UTF-8 bytes of `code`'s string, valid only during the call.
    @inline(__always)
    public func withUTF8<R>(_ code: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        imageCheck?.ensure()
        let c = Int(code)
        let start = c == 0 ? 0 : Int(ends[c - 1]), end = Int(ends[c])
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<end])) }
    }

    /// Whether `a`'s string comes before `b`'s in code-point (UTF-8 byte) order.
    public func precedes(_ a: UInt32, _ b: UInt32) -> Bool {
        withUTF8(a) { x in
            withUTF8(b) { y in
                let n = min(x.count, y.count)
                let d = n == 0 ? 0 : memcmp(x.baseAddress!, y.baseAddress!, n)
                return d != 0 ? d < 0 : x.count < y.count
            }
        }
    }

    /// Whether each code's string comes before the next one's (`precedes` for every
    /// neighbouring pair). One pass over the arena: the image's reading of a million ids
    /// spent 40 ms in `precedes`'s two closures and checks per pair. The first 8 bytes are
    /// compared as a big-endian word (byte order) before `memcmp`.
    func ascending(_ codes: UnsafeBufferPointer<UInt32>) -> Bool {
        imageCheck?.ensure()
        guard codes.count > 1 else { return true }
        return ends.withUnsafeBufferPointer { ends in
            bytes.withUnsafeBufferPointer { arena in
                let base = arena.baseAddress ?? UnsafePointer(bitPattern: 1)!
                @inline(__always) func span(_ code: UInt32) -> (UnsafePointer<UInt8>, Int) {
                    let c = Int(code), start = c == 0 ? 0 : Int(ends[c - 1])
                    return (base + start, Int(ends[c]) - start)
                }
                var (x, xn) = span(codes[0])
                for i in 1..<codes.count {
                    let (y, yn) = span(codes[i])
                    let n = min(xn, yn)
                    var order: Int32 = 0
                    if n >= 8 {
                        let a = UInt64(bigEndian: UnsafeRawPointer(x).loadUnaligned(as: UInt64.self))
                        let b = UInt64(bigEndian: UnsafeRawPointer(y).loadUnaligned(as: UInt64.self))
                        order = a == b ? memcmp(x + 8, y + 8, n - 8) : (a < b ? -1 : 1)
                    } else if n > 0 {
                        order = memcmp(x, y, n)
                    }
                    // x precedes y: smaller at the first difference, or a proper prefix.
                    guard order < 0 || (order == 0 && xn < yn) else { return false }
                    (x, xn) = (y, yn)
                }
                return true
            }
        }
    }

    /// The largest of `body`'s answers for the UTF-8 bytes of each of `codes` (0 when
    /// none), the arena and ends read through one buffer each for the whole walk.
    func largestAnswer(amongCodes codes: UnsafeBufferPointer<UInt32>, _ body: (UnsafeBufferPointer<UInt8>) -> Int) -> Int {
        imageCheck?.ensure()
        return ends.withUnsafeBufferPointer { ends in
            bytes.withUnsafeBufferPointer { arena in
                var highest = 0
                for code in codes {
                    let c = Int(code), start = c == 0 ? 0 : Int(ends[c - 1])
                    let n = body(UnsafeBufferPointer(rebasing: arena[start..<Int(ends[c])]))
                    if n > highest { highest = n }
                }
                return highest
            }
        }
    }

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// The code of the string with these UTF-8 bytes, if interned.
    public func code(utf8 query: UnsafeRawBufferPointer) -> UInt32? {
        imageCheck?.ensure()
        return find(query, hash: StringDictionary.hash(query))
    }

    private func find(_ query: UnsafeRawBufferPointer, hash h: UInt64) -> UInt32? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        return slots.withUnsafeBufferPointer { slots in
            ends.withUnsafeBufferPointer { ends in
                bytes.withUnsafeBufferPointer { arena in
                    while true {
                        let c = Int(slots[i])
                        if c == 0 { return nil }
                        let start = Int(ends[c - 1]), length = Int(ends[c]) - start
                        if length == query.count && StringDictionary.equal(arena.baseAddress! + start, query.baseAddress, length) {
                            return UInt32(c)
                        }
                        i = (i + 1) & mask
                    }
                }
            }
        }
    }

    /// Whether `length` bytes at `a` and `b` are the same. Their first 8 bytes are compared
    /// here: a probe passing a slot of another string of the same length (emails, phones)
    /// nearly always differs there, and `memcmp`'s call cost more than the compare.
    @inline(__always)
    private static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafeRawPointer?, _ length: Int) -> Bool {
        guard length > 0, let b else { return true }
        if length >= 8, UnsafeRawPointer(a).loadUnaligned(as: UInt64.self) != b.loadUnaligned(as: UInt64.self) { return false }
        return memcmp(a, b, length) == 0
    }

    /// The code of the string with these UTF-8 bytes (valid UTF-8), adding it when new.
    public func intern(utf8 query: UnsafeRawBufferPointer) -> UInt32 {
        imageCheck?.ensure()
        let h = StringDictionary.hash(query)
        if let c = find(query, hash: h) { return c }
        return add(query, hash: h)
    }

    /// The codes of a block of strings (nil: null, code 0), each as `intern` one after
    /// another would give it. What the probes will read is read first, a pass per kind of
    /// read over the whole block: the strings' bytes (their cells, and their storage when
    /// not inline), then the slots their hashes land on, then the codes found there, their
    /// ends and first bytes. A pass's loads do not depend on one another and its loop does
    /// little else, so many of its cache misses are in flight at once; the probes then find
    /// those lines in cache. One by one, each probe of a large table waited for its slot's
    /// miss, then its code's end's, in turn (a million distinct ids, emails and phones:
    /// 70% of `find`'s time on the slot's load, 22% on the end's).
    func intern<Block: StringBlock>(block strings: Block) -> [UInt32] {
        var scratch = InternScratch()
        var codes = [UInt32](repeating: 0, count: strings.count)
        codes.withUnsafeMutableBufferPointer { intern(block: strings, into: $0, scratch: &scratch) }
        return codes
    }

    /// `intern(block:)` writing the codes into `codes` (one per string), its working arrays
    /// in `scratch`, reused from block to block.
    func intern<Block: StringBlock>(block strings: Block, into codes: UnsafeMutableBufferPointer<UInt32>, scratch: inout InternScratch) {
        imageCheck?.ensure()
        let n = strings.count
        precondition(codes.count == n, "one code per string")
        var touched: UInt32 = 0
        for i in 0..<n { touched &+= strings.withString(at: i, StringDictionary.firstByte(of:)) ?? 0 }
        // A null keeps 0: its slot is read for nothing, and it is skipped below.
        scratch.hashes.removeAll(keepingCapacity: true)
        scratch.found.removeAll(keepingCapacity: true)
        for i in 0..<n { scratch.hashes.append(strings.withString(at: i, StringDictionary.hash(of:)) ?? 0) }
        scratch.hashes.withUnsafeBufferPointer { hashes in
            slots.withUnsafeBufferPointer { slots in
                let mask = slots.count - 1
                for i in 0..<n { scratch.found.append(slots[Int(truncatingIfNeeded: hashes[i]) & mask]) }
            }
        }
        scratch.found.withUnsafeBufferPointer { found in
            ends.withUnsafeBufferPointer { ends in
                bytes.withUnsafeBufferPointer { arena in
                    for i in 0..<n where found[i] != 0 {
                        let start = Int(ends[Int(found[i]) - 1])
                        if start < arena.count { touched &+= UInt32(arena[start]) }
                    }
                }
            }
        }
        // Stored so that the reads above are not optimised away. Only read, to have the
        // lines in cache: the table changes as the block's new strings are added.
        touchedSink = touched
        scratch.hashes.withUnsafeBufferPointer { hashes in
            for i in 0..<n { codes[i] = strings.withString(at: i) { intern($0, hash: hashes[i]) } ?? 0 }
        }
    }

    /// A string's first UTF-8 byte (0 when empty), read only to have its bytes in cache.
    static func firstByte(of s: String) -> UInt32 {
        UInt32(s.utf8.withContiguousStorageIfAvailable { $0.first ?? 0 } ?? 0)
    }

    /// What `intern(block:)`'s first pass read, kept only so that its reads are made.
    private var touchedSink: UInt32 = 0

    /// `hash` of a string's UTF-8 bytes.
    static func hash(of s: String) -> UInt64 {
        if let h = s.utf8.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) { return h }
        var s = s
        return s.withUTF8 { hash(UnsafeRawBufferPointer($0)) }
    }

    /// `intern(_:)` with the string's hash already worked out.
    private func intern(_ s: String, hash h: UInt64) -> UInt32 {
        func intern(_ query: UnsafeRawBufferPointer) -> UInt32 {
            if let c = find(query, hash: h) { return c }
            return add(query, hash: h)
        }
        if let code = s.utf8.withContiguousStorageIfAvailable({ intern(UnsafeRawBufferPointer($0)) }) { return code }
        var s = s
        return s.withUTF8 { intern(UnsafeRawBufferPointer($0)) }
    }

    /// The code of `s`, adding it when new.
    public func intern(_ s: String) -> UInt32 {
        // A native string's bytes in place; a copy made contiguous only for a bridged one.
        if let code = s.utf8.withContiguousStorageIfAvailable({ intern(utf8: UnsafeRawBufferPointer($0)) }) { return code }
        var s = s
        return s.withUTF8 { intern(utf8: UnsafeRawBufferPointer($0)) }
    }

    private func add(_ utf8: UnsafeRawBufferPointer, hash h: UInt64) -> UInt32 {
        let c = UInt32(ends.count)
        bytes.append(contentsOf: utf8)
        // One column's distinct strings past 4 GB would not fit in memory beside the rest anyway.
        precondition(bytes.count <= Int(UInt32.max), "a column's distinct strings exceed 4 GB")
        ends.append(UInt32(bytes.count))
        if ends.count * 2 > slots.count { grow() } else { place(c, h) }
        cachedRanks = nil
        return c
    }

    private func place(_ c: UInt32, _ h: UInt64) {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = c
    }

    private func place(_ c: UInt32, _ h: UInt64, in table: inout ColumnStorage<UInt64>) {
        let mask = table.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        while table[i] != 0 { i = (i + 1) & mask }
        table[i] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(c)
    }

    /// Doubles the slot table; hashes are computed again from the arena rather than kept
    /// (8 bytes a string saved for a pass over the bytes at each doubling).
    /// Codes are placed in their order, as before: the same table as adding them one by one.
    /// A block of codes at a time, hashed and their slots read first, so that the slots'
    /// cache misses overlap (placing a million codes one by one waited for each in turn).
    private func grow() { rebuildSlots(count: slots.count * 2) }

    /// Sizes the slot table at once for `n` more strings, as large as adding them one by
    /// one would make it (the same table then: codes are placed in order either way), so
    /// that a batch of new strings (a million emails) is not re-placed at every doubling.
    ///
    /// The arena and the ends are sized for them too (the arena from the bytes a string
    /// holds so far, an eighth more): grown by doubling, a million emails' arena was copied
    /// into fresh memory at each step, about twice its size faulted in (docs/performance.md,
    /// branch pmem). A guess short of the batch costs one doubling more; pages reserved and
    /// never written are never faulted in.
    func reserve(adding n: Int) {
        guard n > 0 else { return }
        imageCheck?.ensure()
        let strings = ends.count - 1
        if strings > 0 {
            let expectedBytes = bytes.count + (bytes.count / strings + 1) * n * 9 / 8
            if expectedBytes <= Int(UInt32.max) { bytes.reserveCapacity(expectedBytes) }
        }
        ends.reserveCapacity(ends.count + n)
        var size = slots.count
        while (ends.count + n) * 2 > size { size *= 2 }
        guard size > slots.count else { return }
        rebuildSlots(count: size)
    }

    /// The slot table made anew with `count` slots, every code placed in order.
    private func rebuildSlots(count: Int) {
        slots = ColumnStorage(repeating: 0, count: count)
        let mask = slots.count - 1, blockSize = 512
        var hashes = [UInt64](repeating: 0, count: blockSize)
        var touched: UInt32 = 0
        for block in stride(from: 1, to: ends.count, by: blockSize) {
            let codes = block..<min(block + blockSize, ends.count)
            for c in codes { hashes[c - block] = withUTF8(UInt32(c)) { StringDictionary.hash(UnsafeRawBufferPointer($0)) } }
            slots.withUnsafeBufferPointer { slots in
                for c in codes { touched &+= slots[Int(truncatingIfNeeded: hashes[c - block]) & mask] }
            }
            for c in codes { place(UInt32(c), hashes[c - block]) }
        }
        touchedSink = touched
    }

    public func code(of s: String) -> UInt32? {
        var s = s
        return s.withUTF8 { code(utf8: UnsafeRawBufferPointer($0)) }
    }

    /// The case-folded UTF-8 of a string: ASCII lower-cased byte by byte, anything else
    /// through `lowercased()`.
    private static func folded(_ utf8: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        if utf8.allSatisfy({ $0 < 0x80 }) { return utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 } }
        return Array(String(decoding: utf8, as: UTF8.self).lowercased().utf8)
    }

    /// The hash of `folded(utf8)`, without building it for ASCII.
    private static func foldedHash(_ utf8: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in utf8 {
            if b >= 0x80 { return folded(utf8).withUnsafeBytes { hash($0) } }
            h = (h ^ UInt64(b >= 65 && b <= 90 ? b | 0x20 : b)) &* 0x100_0000_01b3
        }
        return h
    }

    /// The codes of every string equal to `s` when case is ignored.
    public func codes(ignoringCase s: String) -> [UInt32] {
        imageCheck?.ensure()
        if foldedSlots.isEmpty || ends.count * 2 > foldedSlots.count {
            var size = 16
            while size < ends.count * 4 { size *= 2 }
            foldedSlots = ColumnStorage(repeating: 0, count: size)
            foldedThrough = 1
        }
        placeFoldedThroughEnd()
        var text = s
        return text.withUTF8 { utf8 -> [UInt32] in
            // An ASCII word (an id, a tier) is folded as it is compared: a lookup by id
            // asks this two or three times, and building the folded copies cost more
            // than the probe.
            if utf8.allSatisfy({ $0 < 0x80 }) {
                return codes(foldedHash: StringDictionary.foldedHash(utf8)) { StringDictionary.foldsEqual($0, toASCII: utf8) }
            }
            let query = StringDictionary.folded(utf8)
            return codes(foldedHash: query.withUnsafeBytes { StringDictionary.hash($0) }) { StringDictionary.folded($0) == query }
        }
    }

    /// Places every code from `foldedThrough` on in the folded table, in code order (the
    /// same table as one by one). A block of codes at a time, hashed and their slots read
    /// first, as `rebuildSlots` does: a million ids' slots in a 32 MB table each missed
    /// the cache, and one by one each waited for its miss (the column image's writer
    /// builds this for the id column at every import's commit).
    private func placeFoldedThroughEnd() {
        // Nearly always nothing to place (a lookup by id asks at every command): no block
        // of hashes is made then (it cost a lookup a microsecond, a sixth of its time).
        guard foldedThrough < ends.count else { return }
        let mask = foldedSlots.count - 1, blockSize = 512
        var hashes = [UInt64](repeating: 0, count: blockSize)
        var touched: UInt64 = 0
        while foldedThrough < ends.count {
            let codes = foldedThrough..<min(foldedThrough + blockSize, ends.count)
            for c in codes { hashes[c - codes.lowerBound] = withUTF8(UInt32(c)) { StringDictionary.foldedHash($0) } }
            foldedSlots.withUnsafeBufferPointer { slots in
                for c in codes { touched &+= slots[Int(truncatingIfNeeded: hashes[c - codes.lowerBound]) & mask] }
            }
            for c in codes { place(UInt32(c), hashes[c - codes.lowerBound], in: &foldedSlots) }
            foldedThrough = codes.upperBound
        }
        touchedSink = UInt32(truncatingIfNeeded: touched)
    }

    /// The codes in the folded table under `h` whose strings `matches` accepts, in order.
    private func codes(foldedHash h: UInt64, _ matches: (UnsafeBufferPointer<UInt8>) -> Bool) -> [UInt32] {
        let tag = h & 0xFFFF_FFFF_0000_0000
        let mask = foldedSlots.count - 1
        var i = Int(truncatingIfNeeded: h) & mask
        var found: [UInt32] = []
        while foldedSlots[i] != 0 {
            let slot = foldedSlots[i]
            let c = UInt32(truncatingIfNeeded: slot)
            if slot & 0xFFFF_FFFF_0000_0000 == tag, withUTF8(c, matches) { found.append(c) }
            i = (i + 1) & mask
        }
        if found.count > 1 { found.sort() }
        return found
    }

    /// Whether `utf8` folds to what the ASCII `query` folds to.
    static func foldsEqual(_ utf8: UnsafeBufferPointer<UInt8>, toASCII query: UnsafeBufferPointer<UInt8>) -> Bool {
        func lower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }
        // Anything not ASCII goes through `lowercased()`, which may fold it to ASCII (the
        // Kelvin sign K is k).
        if utf8.contains(where: { $0 >= 0x80 }) { return folded(utf8).elementsEqual(query.lazy.map(lower)) }
        guard utf8.count == query.count else { return false }
        for k in 0..<utf8.count where lower(utf8[k]) != lower(query[k]) { return false }
        return true
    }

    /// Each code's position in code-point order of the strings (rank 0 for null).
    public var ranks: [UInt32] {
        if let r = cachedRanks { return r }
        imageCheck?.ensure()
        let order = bytes.withUnsafeBufferPointer { arena in
            ends.withUnsafeBufferPointer { ends in
                (1..<max(ends.count, 1)).sorted { a, b in
                    let sa = Int(ends[a - 1]), la = Int(ends[a]) - sa
                    let sb = Int(ends[b - 1]), lb = Int(ends[b]) - sb
                    let n = min(la, lb)
                    let d = n == 0 ? 0 : memcmp(arena.baseAddress! + sa, arena.baseAddress! + sb, n)
                    return d != 0 ? d < 0 : la < lb
                }
            }
        }
        var r = [UInt32](repeating: 0, count: ends.count)
        for (i, code) in order.enumerated() { r[code] = UInt32(i + 1) }
        cachedRanks = r
        return r
    }

    /// A table over all codes of whether the string passes `test` (false for null).
    public func mask(_ test: (String) -> Bool) -> [Bool] {
        var m = [Bool](repeating: false, count: ends.count)
        for c in 1..<max(ends.count, 1) where test(string(UInt32(c))) { m[c] = true }
        return m
    }

    /// The same over each string's UTF-8 bytes, read in place (valid only during the call).
    public func mask(utf8 test: (UnsafeBufferPointer<UInt8>) -> Bool) -> [Bool] {
        imageCheck?.ensure()
        var m = [Bool](repeating: false, count: ends.count)
        bytes.withUnsafeBufferPointer { arena in
            ends.withUnsafeBufferPointer { ends in
                for c in 1..<max(ends.count, 1) where test(UnsafeBufferPointer(rebasing: arena[Int(ends[c - 1])..<Int(ends[c])])) { m[c] = true }
            }
        }
        return m
    }

    /// The same with the codes split between two threads when there are enough of them
    /// to pay for it (a million distinct names); `test` must only read its argument.
    public func mask(utf8InParallel test: @escaping @Sendable (UnsafeBufferPointer<UInt8>) -> Bool) -> [Bool] {
        let n = ends.count
        guard n > 65_536 else { return mask(utf8: test) }
        imageCheck?.ensure()
        var m = [Bool](repeating: false, count: n)
        bytes.withUnsafeBufferPointer { arena in
            ends.withUnsafeBufferPointer { ends in
                m.withUnsafeMutableBufferPointer { out in
                    // Each half reads the arena and writes only its own codes' slots.
                    nonisolated(unsafe) let arena = arena, ends = ends, out = out
                    DispatchQueue.concurrentPerform(iterations: 2) { half in
                        let codes = half == 0 ? 1..<(n / 2) : (n / 2)..<n
                        for c in codes where test(UnsafeBufferPointer(rebasing: arena[Int(ends[c - 1])..<Int(ends[c])])) { out[c] = true }
                    }
                }
            }
        }
        return m
    }
}

/// Strings `StringDictionary.intern(block:)` interns, read where they are (nil: null).
protocol StringBlock {
    var count: Int { get }
    /// `body` of the string at `i`, nil (and `body` not called) for a null.
    func withString<R>(at i: Int, _ body: (String) -> R) -> R?
}

extension Array: StringBlock where Element == String? {
    func withString<R>(at i: Int, _ body: (String) -> R) -> R? {
        guard let s = self[i] else { return nil }
        return body(s)
    }
}

/// The working arrays of `StringDictionary.intern(block:into:scratch:)`, and the cells of
/// a batch's block, kept from block to block by the thread filling a group of columns.
/// Made anew for each block and column (a few arrays of 2 to 4 KB), each such request (1 KB
/// or more) first had glibc consolidate the freed small chunks (`malloc_consolidate`):
/// about 0.3 s of one core in the apply of a million customers (perf).
struct InternScratch {
    var hashes: [UInt64] = []
    var found: [UInt32] = []
    var cells: [UnsafePointer<Value>?] = []
}

/// The ids of a block of a batch's rows (each change's id), read in place.
struct BatchIDs: StringBlock {
    let batch: InsertBatch
    let rows: Range<Int>
    var count: Int { rows.count }
    func withString<R>(at i: Int, _ body: (String) -> R) -> R? { batch.withID(row: rows.lowerBound + i, body) }
}

/// A block of cells of a batch's records (nil: no such field), anything but a string
/// read as null. Each string is read in place, not copied out of its `Value` (which
/// retained it, and released it after, once per cell).
struct ValueCells: StringBlock {
    let cells: [UnsafePointer<Value>?]
    var count: Int { cells.count }
    func withString<R>(at i: Int, _ body: (String) -> R) -> R? {
        guard let cell = cells[i], case .string(let s) = cell.pointee else { return nil }
        return body(s)
    }
}

/// A dictionary's strings by code, read from a copy of its arena (copy-on-write, so
/// taking one costs nothing until the dictionary grows while it is held).
public struct InternedStrings: RandomAccessCollection {
    let bytes: ColumnStorage<UInt8>
    let ends: ColumnStorage<UInt32>

    public var startIndex: Int { 0 }
    public var endIndex: Int { ends.count }

    public subscript(code: Int) -> String {
        let start = code == 0 ? 0 : Int(ends[code - 1]), end = Int(ends[code])
        return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
    }
}

public enum NullSentinel {
    public static let integer = Int64.min
    public static let date = Int32.min
    public static let instant = Int64.min
    public static let boolean: Int8 = -1
    /// Numbers use NaN for null; no real value is NaN.
    public static func isNull(_ d: Double) -> Bool { d.isNaN }
}

/// Interned lists: code 0 is the empty list. Items are interned in a `StringDictionary`.
public final class ListDictionary {
    public private(set) var lists: [[UInt32]] = [[]]
    private var codes: [[UInt32]: UInt32] = [[]: 0]
    public let items: StringDictionary

    public init() { items = StringDictionary() }

    public func intern(_ list: [String]) -> UInt32 {
        intern(codes: list.map { items.intern($0) })
    }

    /// The code of a list given by its items' codes in `items`.
    public func intern(codes itemCodes: [UInt32]) -> UInt32 {
        if itemCodes.isEmpty { return 0 }
        if let c = codes[itemCodes] { return c }
        let c = UInt32(lists.count)
        lists.append(itemCodes)
        codes[itemCodes] = c
        return c
    }

    public func strings(_ code: UInt32) -> [String] { lists[Int(code)].map { items.string($0) } }

    /// A list dictionary from a column image: its lists (the empty one first) and items.
    init?(imageLists: [[UInt32]], items: StringDictionary) {
        guard imageLists.first?.isEmpty == true else { return nil }
        self.items = items
        lists = imageLists
        codes = [:]
        codes.reserveCapacity(imageLists.count)
        for (c, list) in imageLists.enumerated() { codes[list] = UInt32(c) }
    }
}

/// The values of one field for every row, in a typed array. Nulls are sentinels
/// (see `NullSentinel`), so a column is one flat array the evaluator can scan.
/// Viewing a column image, the column's region of it is checked against its hash before
/// the first read of its values (`imageCheck`).
public final class TypedColumn<Element> {
    private var storage: ColumnStorage<Element>
    let imageCheck: ImageRegionCheck?
    public var values: ColumnStorage<Element> {
        _read { imageCheck?.ensure(); yield storage }
        _modify { imageCheck?.ensure(); yield &storage }
    }
    init(_ values: [Element]) { storage = ColumnStorage(values); imageCheck = nil }
    init(_ values: ColumnStorage<Element>, check: ImageRegionCheck?) { storage = values; imageCheck = check }
    /// The number of rows, known without reading (or checking) the values.
    var count: Int { storage.count }
}

/// A string column: codes into a dictionary, 0 for null. Viewing a column image, its
/// codes and dictionary are one region, checked before the first read of either.
public final class StringColumn {
    private var storage: ColumnStorage<UInt32>
    let imageCheck: ImageRegionCheck?
    public var codes: ColumnStorage<UInt32> {
        _read { imageCheck?.ensure(); yield storage }
        _modify { imageCheck?.ensure(); yield &storage }
    }
    public let dictionary: StringDictionary
    init(count: Int) { storage = ColumnStorage(repeating: 0, count: count); dictionary = StringDictionary(); imageCheck = nil }
    init(codes: ColumnStorage<UInt32>, dictionary: StringDictionary, check: ImageRegionCheck? = nil) {
        storage = codes
        self.dictionary = dictionary
        imageCheck = check
    }
    /// The number of rows, known without reading (or checking) the codes.
    var count: Int { storage.count }
}

/// A list column: codes into interned lists, 0 for the empty list (null).
public final class ListColumn {
    public var codes: [UInt32]
    public let lists: ListDictionary
    init(count: Int) { codes = [UInt32](repeating: 0, count: count); lists = ListDictionary() }
    init(codes: [UInt32], lists: ListDictionary) { self.codes = codes; self.lists = lists }
}

/// The values of one field for every row, stored by type.
public enum Column {
    case string(StringColumn)
    case list(ListColumn)
    case integer(TypedColumn<Int64>)
    case number(TypedColumn<Double>)
    case date(TypedColumn<Int32>)
    case instant(TypedColumn<Int64>)
    case boolean(TypedColumn<Int8>)

    static func empty(_ type: FieldType, count: Int = 0) -> Column {
        switch type {
        case .string: return .string(StringColumn(count: count))
        case .list: return .list(ListColumn(count: count))
        case .integer: return .integer(TypedColumn([Int64](repeating: NullSentinel.integer, count: count)))
        case .number: return .number(TypedColumn([Double](repeating: .nan, count: count)))
        case .date: return .date(TypedColumn([Int32](repeating: NullSentinel.date, count: count)))
        case .instant: return .instant(TypedColumn([Int64](repeating: NullSentinel.instant, count: count)))
        case .boolean: return .boolean(TypedColumn([Int8](repeating: NullSentinel.boolean, count: count)))
        }
    }

    public var type: FieldType {
        switch self {
        case .string: return .string
        case .list: return .list
        case .integer: return .integer
        case .number: return .number
        case .date: return .date
        case .instant: return .instant
        case .boolean: return .boolean
        }
    }

    public func value(at row: Int) -> Value {
        switch self {
        case .string(let c):
            let code = c.codes[row]
            return code == 0 ? .null : .string(c.dictionary.string(code))
        case .list(let c):
            let code = c.codes[row]
            return code == 0 ? .null : .list(c.lists.strings(code))
        case .integer(let c): let v = c.values[row]; return v == NullSentinel.integer ? .null : .integer(v)
        case .number(let c): let v = c.values[row]; return v.isNaN ? .null : .number(v)
        case .date(let c): let v = c.values[row]; return v == NullSentinel.date ? .null : .date(Day(daysSinceEpoch: v))
        case .instant(let c): let v = c.values[row]; return v == NullSentinel.instant ? .null : .instant(v)
        case .boolean(let c): let v = c.values[row]; return v < 0 ? .null : .boolean(v != 0)
        }
    }

    public func isNull(at row: Int) -> Bool {
        switch self {
        case .string(let c): return c.codes[row] == 0
        case .list(let c): return c.codes[row] == 0
        case .integer(let c): return c.values[row] == NullSentinel.integer
        case .number(let c): return c.values[row].isNaN
        case .date(let c): return c.values[row] == NullSentinel.date
        case .instant(let c): return c.values[row] == NullSentinel.instant
        case .boolean(let c): return c.values[row] < 0
        }
    }

    /// Appends a value already converted to the column's type; anything else is null.
    func append(_ value: Value) {
        switch self {
        case .string(let c): c.codes.append(Column.stringCode(value, c.dictionary))
        case .list(let c): c.codes.append(Column.listCode(value, c.lists))
        case .integer(let c): c.values.append(Column.integer(value))
        case .number(let c): c.values.append(value.doubleValue ?? .nan)
        case .date(let c): c.values.append(Column.date(value))
        case .instant(let c): c.values.append(Column.instant(value))
        case .boolean(let c): c.values.append(Column.boolean(value))
        }
    }

    /// Appends the values of the field at `position` of the batch's `rows`, each as `append`
    /// would (`Table.appendInserts`).
    func append(_ batch: InsertBatch, position: Int, rows: Range<Int>, scratch: inout InternScratch) {
        // Each block's values written straight into the column's new tail: an array per
        // block and column, made and freed, cost more than the copy (see `InternScratch`).
        if position == Table.idPosition {
            guard case .string(let c) = self else { preconditionFailure("id is a string column") }
            c.codes.append(count: rows.count, initial: 0) { c.dictionary.intern(block: BatchIDs(batch: batch, rows: rows), into: $0, scratch: &scratch) }
            return
        }
        switch self {
        case .string(let c):
            // The block's strings interned together: their cache misses overlap (`intern(block:)`).
            batch.cells(at: position, rows: rows, into: &scratch.cells)
            let cells = ValueCells(cells: scratch.cells)
            c.codes.append(count: rows.count, initial: 0) { c.dictionary.intern(block: cells, into: $0, scratch: &scratch) }
        case .list(let c):
            let l = c.lists
            c.codes.appendFilled(count: rows.count, initial: 0) { batch.fill($0, at: position, rows: rows) { Column.listCode($0, l) } }
        case .integer(let c): c.values.append(count: rows.count, initial: NullSentinel.integer) { batch.fill($0, at: position, rows: rows, Column.integer) }
        case .number(let c): c.values.append(count: rows.count, initial: Double.nan) { batch.fill($0, at: position, rows: rows) { $0.doubleValue ?? .nan } }
        case .date(let c): c.values.append(count: rows.count, initial: NullSentinel.date) { batch.fill($0, at: position, rows: rows, Column.date) }
        case .instant(let c): c.values.append(count: rows.count, initial: NullSentinel.instant) { batch.fill($0, at: position, rows: rows, Column.instant) }
        case .boolean(let c): c.values.append(count: rows.count, initial: NullSentinel.boolean) { batch.fill($0, at: position, rows: rows, Column.boolean) }
        }
    }

    /// How much a batch's append of this column costs, roughly: strings and lists are
    /// interned (hashed and probed), the rest copied.
    var appendCost: Int {
        switch self {
        case .string, .list: return 3
        default: return 1
        }
    }

    func set(_ value: Value, at row: Int) {
        switch self {
        case .string(let c): c.codes[row] = Column.stringCode(value, c.dictionary)
        case .list(let c): c.codes[row] = Column.listCode(value, c.lists)
        case .integer(let c): c.values[row] = Column.integer(value)
        case .number(let c): c.values[row] = value.doubleValue ?? .nan
        case .date(let c): c.values[row] = Column.date(value)
        case .instant(let c): c.values[row] = Column.instant(value)
        case .boolean(let c): c.values[row] = Column.boolean(value)
        }
    }

    /// The number of rows the column holds.
    var count: Int {
        switch self {
        case .string(let c): return c.count
        case .list(let c): return c.codes.count
        case .integer(let c): return c.count
        case .number(let c): return c.count
        case .date(let c): return c.count
        case .instant(let c): return c.count
        case .boolean(let c): return c.count
        }
    }

    func reserve(_ n: Int) {
        switch self {
        case .string(let c): c.codes.reserveCapacity(n)
        case .list(let c): c.codes.reserveCapacity(n)
        case .integer(let c): c.values.reserveCapacity(n)
        case .number(let c): c.values.reserveCapacity(n)
        case .date(let c): c.values.reserveCapacity(n)
        case .instant(let c): c.values.reserveCapacity(n)
        case .boolean(let c): c.values.reserveCapacity(n)
        }
    }

    private static func stringCode(_ v: Value, _ d: StringDictionary) -> UInt32 {
        if case .string(let s) = v { return d.intern(s) }
        return 0
    }
    private static func listCode(_ v: Value, _ l: ListDictionary) -> UInt32 {
        if case .list(let items) = v { return l.intern(items) }
        return 0
    }
    private static func integer(_ v: Value) -> Int64 {
        if case .integer(let i) = v { return i }
        return NullSentinel.integer
    }
    private static func date(_ v: Value) -> Int32 {
        if case .date(let d) = v { return d.daysSinceEpoch }
        return NullSentinel.date
    }
    private static func instant(_ v: Value) -> Int64 {
        if case .instant(let t) = v { return t }
        return NullSentinel.instant
    }
    private static func boolean(_ v: Value) -> Int8 {
        if case .boolean(let b) = v { return b ? 1 : 0 }
        return NullSentinel.boolean
    }
}
