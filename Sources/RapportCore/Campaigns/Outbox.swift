import Foundation

/// The store's outbox: `outbox/YYYY-MM-DD.jsonl`, one JSON object per message, the day
/// being the message's `at` in the session's time zone. The `messages` records are the
/// truth; the files are written from them after the commit and reconciled at the start
/// of every run: a torn last line is cut off, messages missing from their day's file are
/// appended, and a message already there (by id) is never written twice.
struct Outbox {
    let directory: String
    let clock: Clock

    init(storeDirectory: String, clock: Clock) {
        directory = storeDirectory + "/outbox"
        self.clock = clock
    }

    static let fields = ["id", "campaign", "customer", "channel", "to", "text", "at", "status"]

    func file(of day: Day) -> String { directory + "/" + day.description + ".jsonl" }

    /// Writes every message missing from its day's file.
    func write(_ messages: [(id: String, record: [String: Value])]) throws {
        guard !messages.isEmpty else { return }
        var byDay: [Day: [(id: String, record: [String: Value])]] = [:]
        for m in messages {
            guard case .instant(let at)? = m.record["at"] else { continue }
            byDay[clock.day(of: at), default: []].append(m)
        }
        try FileSystem.createDirectory(directory)
        for (day, dayMessages) in byDay.sorted(by: { $0.key < $1.key }) {
            try write(dayMessages, to: file(of: day))
        }
    }

    private func write(_ messages: [(id: String, record: [String: Value])], to path: String) throws {
        let existed = FileSystem.fileExists(path)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
        defer { close(fd) }
        let bytes = existed ? try FileSystem.readFile(path) : []
        // A line without its newline is a write a crash cut short: it goes, and its
        // message is written again below.
        let complete = bytes.lastIndex(of: 10).map { $0 + 1 } ?? 0
        if complete < bytes.count {
            guard ftruncate(fd, off_t(complete)) == 0 else { throw FileSystemError(path: path, operation: "truncate the torn last line of") }
        }
        let written = Self.ids(in: bytes[..<complete])
        var out: [UInt8] = []
        for m in messages where !written.contains(m.id) {
            out += line(of: m.record)
            out.append(10)
        }
        guard !out.isEmpty || complete < bytes.count else { return }
        guard lseek(fd, off_t(complete), SEEK_SET) >= 0 else { throw FileSystemError(path: path, operation: "seek in") }
        try out.withUnsafeBytes { try FileSystem.writeAll(fd, $0, path: path) }
        try FileSystem.sync(fd, path: path)
        if !existed { try FileSystem.fsyncDirectory(directory) }
    }

    /// One message's JSON object, without the newline: its outbox line, and what
    /// `deliver` hands over.
    func line(of record: [String: Value]) -> [UInt8] {
        JSONWriter.encode(.object(Self.fields.map { name in (name, json(record[name] ?? .null)) }))
    }

    private func json(_ value: Value) -> JSONValue {
        switch value {
        case .null: return .null
        case .instant(let t): return .string(clock.isoString(t))
        default: return .string(ValueFormatter(timeZone: clock.timeZone).text(value))
        }
    }

    /// The ids of the messages in complete lines; a line that does not read is skipped.
    static func ids(in bytes: ArraySlice<UInt8>) -> Set<String> {
        var ids = Set<String>()
        for line in bytes.split(separator: 10) where !line.isEmpty {
            let value = try? JSONScanner.withScanner(Array(line)) { try $0.readValue() }
            guard case .object(let members)? = value, case .string(let id)? = members.first(where: { $0.key == "id" })?.value else { continue }
            ids.insert(id)
        }
        return ids
    }
}
