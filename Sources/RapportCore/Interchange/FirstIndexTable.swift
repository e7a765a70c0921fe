/// The first index that held each key, as indices are walked in order: open addressing on
/// hashes the caller worked out beforehand (`String.hashValue`, seeded per process), the
/// keys themselves left where they are and compared through `isSameKey` only when two
/// hashes are equal. What the importer's single-threaded resolve pass keeps for a file's
/// ids, emails and phones: a `[String: Int]` of a million keys hashed each key again there,
/// and retained it.
struct FirstIndexTable {
    /// Per slot, in one word (8 bytes: a million keys take 16 MB of slots): the
    /// low 32 bits of the mixed hash, which pick the slot, then the index that holds the
    /// key plus one (0: an empty slot).
    private var slots: [UInt64]
    private var mask: Int
    private(set) var count = 0

    /// Room for `capacity` keys without growing (at most half the slots in use).
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// The earlier index whose key is this one (same `hash` and `isSameKey(earlier)`), or
    /// nil, and then `index` holds the key from now on.
    mutating func first(hash: Int, index: Int, isSameKey: (Int) -> Bool) -> Int? {
        let tag = Self.tag(hash)
        var slot = Int(tag) & mask
        while true {
            let held = slots[slot]
            if held == 0 { break }
            if held >> 32 == tag, isSameKey(Int(held & 0xFFFF_FFFF) - 1) { return Int(held & 0xFFFF_FFFF) - 1 }
            slot = (slot + 1) & mask
        }
        slots[slot] = tag << 32 | UInt64(index + 1)
        count += 1
        if count * 2 > slots.count { grow() }
        return nil
    }

    /// The slot `hash` is first looked for in, read ahead of `first(hash:)`: for a million
    /// keys the slots are 16 MB and each probe a cache miss; read for a block of keys in a
    /// loop that does nothing else, the misses overlap (`Importer.readAhead`).
    func firstSlot(hash: Int) -> UInt64 { slots[Int(Self.tag(hash)) & mask] }

    /// Twice the slots, each held key moved to the slot its tag picks now.
    private mutating func grow() {
        let old = slots
        slots = Array(repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        for held in old where held != 0 {
            var slot = Int(held >> 32) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = held
        }
    }

    /// The hash folded into 32 bits (its high half into its low).
    private static func tag(_ hash: Int) -> UInt64 {
        let bits = UInt64(UInt(bitPattern: hash))
        return (bits ^ (bits >> 32)) & 0xFFFF_FFFF
    }
}
