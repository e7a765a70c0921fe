import Dispatch

/// Drops the last reference to a large value on another thread: freeing a million
/// records' arrays and strings is work nobody waits for.
enum ReleasedAside {
    /// `thenReturningMemory`: the heap's free memory is then given back to the kernel
    /// (`Allocator.returnFreeMemory`), for the last large value a command lets go.
    static func release<T>(_ value: T, thenReturningMemory: Bool = false) {
        let box = Box(value)
        BackgroundWork.async(qos: .utility) {
            box.value = nil
            if thenReturningMemory { Allocator.returnFreeMemory() }
        }
    }

    private final class Box<T>: @unchecked Sendable {
        var value: T?
        init(_ value: T) { self.value = value }
    }
}

/// Work started on another core that nobody waits for at once (frees, a file's hash, the
/// column image's checks ahead of a commit, a background snapshot).
///
/// A process may exit while it runs: nothing it does must last (what must is waited for
/// by its owner: `Database.close` waits for a background snapshot), and nothing at exit
/// tears down what it uses. `rapport` ends with `_exit` (no teardown at all); libcrypto,
/// used by the file hash, is initialised without its exit-time cleanup (`CryptoLibrary`),
/// which crashed test processes whose import had passed while the hash still ran.
enum BackgroundWork {
    static func async(qos: DispatchQoS.QoSClass = .default, _ body: @escaping @Sendable () -> Void) {
        DispatchQueue.global(qos: qos).async(execute: body)
    }

    /// Work of `group`, the caller's own, which waits for it when it needs its result.
    static func async(group own: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        DispatchQueue.global().async(group: own, execute: body)
    }
}
