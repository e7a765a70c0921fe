import Dispatch
import Glibc
import Synchronization

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

/// Drops the last reference to a large value on another thread: freeing a million
/// records' arrays and strings is work nobody waits for.
enum ReleasedAside {
    static func release<T>(_ value: T) {
        let box = Box(value)
        BackgroundWork.async(qos: .utility) { box.value = nil }
    }

    private final class Box<T>: @unchecked Sendable {
        var value: T?
        init(_ value: T) { self.value = value }
    }
}

/// Work started on another core that nobody waits for at once (frees, a file's hash, the
/// column image's checks ahead of a commit, a background snapshot).
///
/// A process must not tear down while it runs: `exit` destroys the C library's and the
/// Swift runtime's state under it, and a thread still freeing or hashing then crashes (a
/// SIGSEGV in `pthread_rwlock_*`, seen twice in test processes whose import had passed).
/// So the first work registers an `atexit` handler that stops what can stop (`isExiting`)
/// and waits for the rest: registered after the libraries' own teardown, it runs before
/// it. `rapport` itself ends with `_exit` (no teardown at all, so nothing to wait for).
public enum BackgroundWork {
    private static let group = DispatchGroup()
    private static let exiting = Atomic<Bool>(false)
    private static let waitsAtExit: Void = {
        atexit {
            BackgroundWork.exiting.store(true, ordering: .relaxed)
            BackgroundWork.group.wait()
        }
    }()

    /// True once the process exits: long work stops at its next step.
    static var isExiting: Bool { exiting.load(ordering: .relaxed) }

    static func async(qos: DispatchQoS.QoSClass = .default, _ body: @escaping @Sendable () -> Void) {
        _ = waitsAtExit
        DispatchQueue.global(qos: qos).async(group: group, execute: body)
    }

    /// Work of `group` (a caller's own group) that is also background work.
    static func async(group own: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        _ = waitsAtExit
        group.enter()
        DispatchQueue.global().async(group: own) {
            body()
            group.leave()
        }
    }

    /// Waits for every background work started so far.
    public static func waitForAll() { group.wait() }
}
