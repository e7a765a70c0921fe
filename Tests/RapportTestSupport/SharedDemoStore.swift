import Foundation

/// The demo store saved to disk once and opened read-only, for tests that only ask it
/// questions: generating `--demo`'s 5,000 customers costs a debug build about 4 s of CPU per
/// process, opening a saved store from its column image a tenth of a second. `--read-only`
/// makes a test that would change it fail instead of changing it for the others.
///
/// The parallel runner starts a process per test, so the store is shared through the
/// directory `$RAPPORT_TEST_SHARED` (scripts/test makes one per run and removes it): the
/// first process to need a store makes it under a `flock`, the others wait and reuse it.
/// Without that variable each test process makes its own, removed when it exits.
public enum SharedDemoStore {
    /// The arguments that open the demo store of `--demo --demo-size size --now now
    /// --timezone timezone` read-only, at that time and zone (use them instead of those).
    public static func arguments(size: Int = 5000, now: String, timezone: String = "UTC") -> [String] {
        ["--data", path(size: size, now: now, timezone: timezone), "--read-only", "--now", now, "--timezone", timezone]
    }

    /// Its directory, made the first time it is asked for.
    public static func path(size: Int = 5000, now: String, timezone: String = "UTC") -> String {
        let name = "demo-\(size)-\(now)-\(timezone.replacingOccurrences(of: "/", with: "_"))"
        made.lock.lock()
        defer { made.lock.unlock() }
        if let path = made.paths[name] { return path }
        let path = root + "/" + name
        let lockFile = open(path + ".lock", O_CREAT | O_RDWR, 0o600)
        precondition(lockFile >= 0, "cannot create \(path).lock")
        flock(lockFile, LOCK_EX)
        defer { flock(lockFile, LOCK_UN); close(lockFile) }
        if !FileManager.default.fileExists(atPath: path) {
            let building = path + ".tmp-\(getpid())"
            let saved = RapportRunner.run(["--demo", "--demo-size", String(size), "--now", now, "--timezone", timezone,
                                           "-c", "backup to \"\(building)\""])
            precondition(saved.status == 0, "cannot save the demo store: \(saved.stderr)")
            // The first opening parses the snapshot and writes the column image that every later one reads.
            let opened = RapportRunner.run(["--data", building, "--now", now, "--timezone", timezone, "-c", "count customers"])
            precondition(opened.status == 0, "cannot open the saved demo store: \(opened.stderr)")
            precondition(rename(building, path) == 0, "cannot put the demo store in place")
        }
        made.paths[name] = path
        return path
    }

    private final class Made: @unchecked Sendable {
        let lock = NSLock()
        var paths: [String: String] = [:]
    }

    private static let made = Made()

    private static let root: String = {
        if let shared = ProcessInfo.processInfo.environment["RAPPORT_TEST_SHARED"], !shared.isEmpty { return shared }
        let own = NSTemporaryDirectory() + "rapport-shared-demo-\(getpid())"
        try? FileManager.default.createDirectory(atPath: own, withIntermediateDirectories: true)
        ownRoot = own
        atexit { if let own = SharedDemoStore.ownRoot { try? FileManager.default.removeItem(atPath: own) } }
        return own
    }()

    /// The directory this process made for itself (no `$RAPPORT_TEST_SHARED`), removed at exit.
    nonisolated(unsafe) private static var ownRoot: String?
}
