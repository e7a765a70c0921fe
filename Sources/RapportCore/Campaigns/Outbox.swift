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

    /// From how many messages a run's lines are made on another thread during its commit.
    static let linesWorthAThread = 1_000

    func file(of day: Day) -> String { directory + "/" + day.description + ".jsonl" }

    /// The highest generated number among the messages' ids (`M000123` → 123), 0 when none:
    /// what the store's highest becomes once a run's messages, numbered after it, are in.
    static func highestNumber<Record>(of messages: [(id: String, record: Record)]) -> Int {
        let prefix = Entity.messages.idPrefix
        var highest = 0
        for m in messages where m.id.hasPrefix(prefix) {
            let digits = m.id.utf8.dropFirst(prefix.utf8.count)
            guard !digits.isEmpty, digits.count < 18, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { continue }
            highest = max(highest, digits.reduce(0) { $0 * 10 + Int($1 - 48) })
        }
        return highest
    }

    /// The mark of what the outbox holds (see `Mark`); not a day file, so readers of
    /// `*.jsonl` never see it.
    var markFile: String { directory + "/written.mark" }

    /// The outbox is complete through message number `through`: every message committed
    /// with a number up to it has its line. `files` are the day files the last write
    /// touched, with their lengths then; one of another length (a torn or edited file)
    /// voids the mark. A missing or unreadable mark means "nothing known".
    struct Mark {
        var through: Int
        var files: [(name: String, length: Int)]

        var text: String { "\(through)\n" + files.map { "\($0.length) \($0.name)\n" }.joined() }

        init(through: Int, files: [(name: String, length: Int)]) {
            self.through = through
            self.files = files
        }

        init?(_ text: String) {
            guard text.hasSuffix("\n") else { return nil }
            let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
            guard let first = lines.first, let n = Int(first), n >= 0 else { return nil }
            var files: [(name: String, length: Int)] = []
            for line in lines.dropFirst() {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2, let length = Int(parts[0]), length >= 0, !parts[1].contains("/") else { return nil }
                files.append((String(parts[1]), length))
            }
            through = n
            self.files = files
        }
    }

    func readMark() -> Mark? {
        guard let bytes = try? FileSystem.readFile(markFile) else { return nil }
        return Mark(String(decoding: bytes, as: UTF8.self))
    }

    /// Records the mark. Best effort: a mark that is missing or behind only makes the next
    /// run reconcile more, so a failure here is no failure of the run.
    func writeMark(_ mark: Mark) {
        try? FileSystem.writeAtomically(Array(mark.text.utf8), to: markFile)
    }

    /// Before a run: writes the committed messages missing from the outbox. Proportional to
    /// what is new: when the mark holds and its files are as it left them, only the
    /// messages numbered after it are read (none after a run that ended normally); without
    /// a valid mark, every message is checked against its day's file. Returns the mark
    /// now true, through `highest`, the store's highest message number.
    func reconcile(highest: Int, newMessages: (ClosedRange<Int>) -> [(id: String, record: [String: Value])],
                   allMessages: () -> [(id: String, record: [String: Value])]) throws -> Mark {
        if let mark = readMark(), mark.through <= highest,
           mark.files.allSatisfy({ FileSystem.fileLength(directory + "/" + $0.name) == $0.length }) {
            guard mark.through < highest else { return mark }
            let files = try write(newMessages(mark.through + 1...highest))
            let updated = Mark(through: highest, files: files.isEmpty ? mark.files : files)
            writeMark(updated)
            return updated
        }
        let files = try write(allMessages())
        let updated = Mark(through: highest, files: files)
        writeMark(updated)
        return updated
    }

    /// Writes every message missing from its day's file; returns the files written, with
    /// their lengths after. `fresh`: none of these messages can be in a file yet (they were
    /// committed after the outbox was known complete), so a file is not read for their
    /// ids, only its last byte looked at for a torn line.
    /// `prepared`: the fresh messages' lines by day (`lines(of:)`), made ahead of the
    /// write; used where a file ends with a whole line, as then exactly they are appended.
    @discardableResult
    func write<Record: NamedValues>(_ messages: [(id: String, record: Record)], fresh: Bool = false,
                                    prepared: [Day: [UInt8]]? = nil) throws -> [(name: String, length: Int)] {
        guard !messages.isEmpty else { return [] }
        let byDay = byDay(messages)
        try FileSystem.createDirectory(directory)
        var files: [(name: String, length: Int)] = []
        for (day, dayMessages) in byDay.sorted(by: { $0.key < $1.key }) {
            let length = try write(dayMessages, to: file(of: day), fresh: fresh, prepared: prepared?[day])
            files.append((day.description + ".jsonl", length))
        }
        return files
    }

    private func byDay<Record: NamedValues>(_ messages: [(id: String, record: Record)]) -> [Day: [(id: String, record: Record)]] {
        var byDay: [Day: [(id: String, record: Record)]] = [:]
        for m in messages {
            guard case .instant(let at)? = m.record["at"] else { continue }
            byDay[clock.day(of: at), default: []].append(m)
        }
        return byDay
    }

    /// Every message's line (with its newline), by day: what `write(_:fresh:)` appends to a
    /// day file that ends with a whole line. A campaign makes them on another thread while
    /// its run is committed; nothing here reads or writes a file.
    func lines<Record: NamedValues>(of messages: [(id: String, record: Record)]) -> [Day: [UInt8]] {
        byDay(messages).mapValues { Self.lines(of: $0[...], clock: clock) }
    }

    /// The lines of `messages` (each with its newline), all written.
    private static func lines<Record: NamedValues>(of messages: ArraySlice<(id: String, record: Record)>, clock: Clock,
                                                   skipping written: Set<String> = []) -> [UInt8] {
        var writer = ByteWriter()
        let formatter = ValueFormatter(timeZone: clock.timeZone)
        // A run stamps all its messages with one instant: its text is made once.
        var instants: (Int64, String)?
        var sized = false
        // A run's messages share one field list: each line field's position in it is found once.
        var positions: (list: FieldList, of: [Int?])?
        for m in messages where written.isEmpty || !written.contains(m.id) {
            if let record = m.record as? PositionalRecord {
                if positions?.list !== record.fields { positions = (record.fields, fields.map { record.fields.names.firstIndex(of: $0) }) }
                Self.writeLine(of: LineFields(record: record, positions: positions!.of), clock: clock, formatter, &writer, instants: &instants)
            } else {
                Self.writeLine(of: m.record, clock: clock, formatter, &writer, instants: &instants)
            }
            writer.byte(10)
            // The first line's length sizes the rest: one allocation, not doublings that copy them.
            if !sized {
                sized = true
                writer.reserve(writer.bytes.count * messages.count * 9 / 8 + 4096)
            }
        }
        return writer.bytes
    }

    /// Returns the file's length after the write.
    private func write<Record: NamedValues>(_ messages: [(id: String, record: Record)], to path: String, fresh: Bool,
                                            prepared: [UInt8]?) throws -> Int {
        let existed = FileSystem.fileExists(path)
        let fd = FileSystem.openCreating(path, flags: O_RDWR, mode: 0o600)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
        defer { close(fd) }
        let end = Int(lseek(fd, 0, SEEK_END))
        var lastByte: UInt8 = 10
        if fresh, end > 0 { guard pread(fd, &lastByte, 1, off_t(end - 1)) == 1 else { throw FileSystemError(path: path, operation: "read") } }
        // Appending fresh messages to a file that ends with a whole line needs nothing of it.
        let appendOnly = fresh && lastByte == 10
        let bytes = existed && !appendOnly ? try FileSystem.readFile(path) : []
        // A line without its newline is a write a crash cut short: it goes, and its
        // message is written again below.
        let complete = appendOnly ? end : bytes.lastIndex(of: 10).map { $0 + 1 } ?? 0
        if !appendOnly, complete < bytes.count {
            guard ftruncate(fd, off_t(complete)) == 0 else { throw FileSystemError(path: path, operation: "truncate the torn last line of") }
        }
        let out: [UInt8]
        if appendOnly, let prepared { out = prepared } else {
            out = Self.lines(of: messages[...], clock: clock, skipping: appendOnly ? [] : Self.ids(in: bytes[..<complete]))
        }
        guard !out.isEmpty || complete < bytes.count else { return complete }
        guard lseek(fd, off_t(complete), SEEK_SET) >= 0 else { throw FileSystemError(path: path, operation: "seek in") }
        try out.withUnsafeBytes { try FileSystem.writeAll(fd, $0, path: path) }
        try FileSystem.sync(fd, path: path)
        if !existed { try FileSystem.fsyncDirectory(directory) }
        return complete + out.count
    }

    /// One message's JSON object, without the newline: its outbox line, and what
    /// `deliver` hands over. A batch passes one formatter for all its lines.
    static func line(of record: [String: Value], clock: Clock, _ formatter: ValueFormatter? = nil) -> [UInt8] {
        var out = ByteWriter()
        var instants: (Int64, String)?
        writeLine(of: record, clock: clock, formatter ?? ValueFormatter(timeZone: clock.timeZone), &out, instants: &instants)
        return out.bytes
    }

    /// A positional message read by the line's field positions (`fields`), found once per
    /// list: the values `PositionalRecord`'s search by name gives.
    private struct LineFields {
        let record: PositionalRecord
        let positions: [Int?]
        func value(_ i: Int) -> Value { positions[i].map { record.values[$0] } ?? .null }
    }

    /// Each line field's key as written: `{"id":`, then `,"campaign":` and so on.
    private static let keys: [[UInt8]] = fields.indices.map { i in
        var key = ByteWriter()
        key.byte(i == 0 ? 123 : 44)
        key.string(fields[i])
        key.byte(58)
        return key.bytes
    }

    private static func writeLine(of record: LineFields, clock: Clock, _ formatter: ValueFormatter, _ out: inout ByteWriter,
                                  instants: inout (Int64, String)?) {
        for i in fields.indices {
            out.append(keys[i])
            writeValue(record.value(i), clock: clock, formatter, &out, instants: &instants)
        }
        out.byte(125)
    }

    /// The line as `JSONWriter` writes an object of the fields' texts (null for a missing
    /// value); `instants` keeps the last instant's text.
    private static func writeLine<Record: NamedValues>(of record: Record, clock: Clock, _ formatter: ValueFormatter, _ out: inout ByteWriter,
                                  instants: inout (Int64, String)?) {
        for (i, name) in fields.enumerated() {
            out.append(keys[i])
            writeValue(record[name] ?? .null, clock: clock, formatter, &out, instants: &instants)
        }
        out.byte(125)
    }

    private static func writeValue(_ value: Value, clock: Clock, _ formatter: ValueFormatter, _ out: inout ByteWriter,
                                   instants: inout (Int64, String)?) {
        switch value {
        case .null: out.ascii("null")
        // `formatter.text` of a string is the string.
        case .string(let s): out.string(s)
        case .instant(let t):
            if let (known, text) = instants, known == t { out.string(text); return }
            let text = clock.isoString(t)
            instants = (t, text)
            out.string(text)
        case let value: out.string(formatter.text(value))
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

/// The outbox lines a campaign makes on another thread while its run is committed (read
/// only after waiting for that thread).
/// A run's outbox write, handed to the commit to run once the journal is durable (on the
/// journal's thread); the session reads `failure` after the commit has returned.
final class OutboxWrite: @unchecked Sendable {
    var job: (() throws -> Void)?
    private(set) var failure: Error?

    func run() {
        do { try job?() } catch { failure = error }
        job = nil
    }
}

final class PreparedLines: @unchecked Sendable {
    var byDay: [Day: [UInt8]]?
}
