import Dispatch
import Glibc
import Synchronization

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
