import Foundation

/// Makes chosen file operations fail, as SQLite's test file system does, so tests can
/// prove that a failed write, fsync or rename leaves the store as it was.
///
/// Inert unless `RAPPORT_TEST_FAULTS` is set, to rules `OPERATION:FILE:N[:ERROR]`
/// separated by commas: the Nth `OPERATION` (open, write, fsync, rename) on a file
/// named `FILE` fails with `ERROR` (EIO, ENOSPC, EFBIG, EROFS; EIO when left out).
/// `write:journal.jsonl:2:ENOSPC` makes the second write to the journal find the disk full.
/// `KILL` as the error kills the process there with SIGKILL instead, as a crash would.
enum FaultInjection {
    private struct Rule {
        var operation: String
        var file: String
        var occurrence: Int
        var code: Int32
        var seen = 0
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var rules: [Rule] = parse(ProcessInfo.processInfo.environment["RAPPORT_TEST_FAULTS"] ?? "")

    private static func parse(_ text: String) -> [Rule] {
        let codes: [String: Int32] = ["EIO": EIO, "ENOSPC": ENOSPC, "EFBIG": EFBIG, "EROFS": EROFS, "KILL": killCode]
        return text.split(separator: ",").compactMap { item in
            let parts = item.split(separator: ":").map(String.init)
            guard parts.count >= 3, let n = Int(parts[2]) else { return nil }
            return Rule(operation: parts[0], file: parts[1], occurrence: n,
                        code: parts.count > 3 ? codes[parts[3]] ?? EIO : EIO)
        }
    }

    private static let killCode: Int32 = -9

    /// The error code `operation` on `path` must fail with now, or nil to go ahead.
    /// A temporary file (`snapshot.json.tmp-123`) counts as the file it will replace.
    static func failure(_ operation: String, _ path: String) -> Int32? {
        if rules.isEmpty { return nil }
        var name = Path.lastComponent(path)
        if let r = name.range(of: ".tmp-") { name = String(name[..<r.lowerBound]) }
        lock.lock()
        defer { lock.unlock() }
        for i in rules.indices where rules[i].operation == operation && rules[i].file == name {
            rules[i].seen += 1
            if rules[i].seen == rules[i].occurrence {
                if rules[i].code == killCode { kill(getpid(), SIGKILL) }
                return rules[i].code
            }
        }
        return nil
    }
}
