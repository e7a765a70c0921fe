import Foundation
import RapportCore

/// The commands typed in the interactive shell, kept in a file across sessions.
///
/// One command per line of plain UTF-8 text (a command typed on several lines is kept
/// on one). A line typed with a leading space is not kept, a command equal to the one
/// before it is kept once, and the file keeps the latest `capacity` commands. The file
/// is private to its owner: commands hold customers' names and phone numbers.
struct ShellHistory {
    static let defaultCapacity = 1000

    let path: String?
    let capacity: Int
    private(set) var entries: [String] = []
    private var linesInFile = 0

    /// Loads the history at `path`; nil keeps it in memory only.
    init(path: String?, capacity: Int = ShellHistory.defaultCapacity) {
        self.path = path
        self.capacity = max(1, capacity)
        guard let path, let data = FileManager.default.contents(atPath: path) else { return }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        linesInFile = lines.count
        for line in lines where line != entries.last { entries.append(line) }
        if entries.count > self.capacity { entries.removeFirst(entries.count - self.capacity) }
    }

    /// Where the history lives: `$XDG_STATE_HOME/rapport/history`, else
    /// `~/.local/state/rapport/history`.
    static func defaultPath(_ environment: [String: String]) -> String {
        XDGDirectories(environment).state + "/rapport/history"
    }

    /// Adds `command` unless it is not to be kept; returns the entry as stored.
    @discardableResult
    mutating func record(_ command: String) -> String? {
        guard let first = command.first, first != " ", first != "\t" else { return nil }
        let entry = command.split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: " ")
        guard !entry.isEmpty, entry != entries.last else { return nil }
        entries.append(entry)
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
        save(appending: entry)
        return entry
    }

    /// Appends to the file; rewrites it whole once it holds twice the cap.
    private mutating func save(appending entry: String) {
        guard let path else { return }
        try? FileSystem.createDirectory(Path.parent(path), mode: 0o700)
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        var line = Array((entry + "\n").utf8)
        _ = line.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        linesInFile += 1
        if linesInFile > 2 * capacity {
            let text = entries.joined(separator: "\n") + "\n"
            if (try? FileSystem.writeAtomically(Array(text.utf8), to: path, mode: 0o600)) != nil {
                linesInFile = entries.count
            }
        }
    }
}

/// The XDG base directories, with the specification's defaults.
struct XDGDirectories {
    let config: String
    let state: String

    init(_ environment: [String: String]) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        func directory(_ variable: String, _ fallback: String) -> String {
            if let value = environment[variable], value.hasPrefix("/") { return value }
            return home + "/" + fallback
        }
        config = directory("XDG_CONFIG_HOME", ".config")
        state = directory("XDG_STATE_HOME", ".local/state")
    }
}
