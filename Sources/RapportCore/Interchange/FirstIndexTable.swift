/// The first index that held each key, as indices are walked in order: open addressing on
/// hashes the caller worked out beforehand (`String.hashValue`, seeded per process), the
/// keys themselves left where they are and compared through `isSameKey` only when two
/// hashes are equal. What the importer's single-threaded resolve pass keeps for a file's
/// ids, emails and phones: a `[String: Int]` of a million keys hashed each key again there,
/// and retained it.
struct FirstIndexTable {
    /// Per slot: the hash and the index that holds the key (-1: empty).
    private var slots: [(hash: Int, index: Int32)]
    private var mask: Int
    private(set) var count = 0

    /// Room for `capacity` keys without growing (at most half the slots in use).
    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: (0, -1), count: size)
        mask = size - 1
    }

    /// The earlier index whose key is this one (same `hash` and `isSameKey(earlier)`), or
    /// nil, and then `index` holds the key from now on.
    mutating func first(hash: Int, index: Int, isSameKey: (Int) -> Bool) -> Int? {
        var slot = Self.mixed(hash) & mask
        while true {
            let held = slots[slot]
            if held.index < 0 { break }
            if held.hash == hash, isSameKey(Int(held.index)) { return Int(held.index) }
            slot = (slot + 1) & mask
        }
        slots[slot] = (hash, Int32(index))
        count += 1
        if count * 2 > slots.count { grow() }
        return nil
    }

    private mutating func grow() {
        let old = slots
        slots = Array(repeating: (0, -1), count: old.count * 2)
        mask = slots.count - 1
        for held in old where held.index >= 0 {
            var slot = Self.mixed(held.hash) & mask
            while slots[slot].index >= 0 { slot = (slot + 1) & mask }
            slots[slot] = held
        }
    }

    /// The hash's high bits folded into the low ones that pick the slot.
    private static func mixed(_ hash: Int) -> Int { hash ^ (hash >> 29) }
}
