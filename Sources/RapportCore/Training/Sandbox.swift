import Foundation

/// A lesson's world: a fresh in-memory demo store of the lesson's size on its pinned
/// clock, the setup commands applied, then the commands the trainee has had accepted.
/// Deterministic (the demo generator is seeded, the clock pinned), so replaying the same
/// commands gives the same store: that is how a wrong change is put back and how the
/// expected state of a change step is found, without copying a store.
struct Sandbox {
    let session: Session

    /// Commands that reach files or programs outside the sandbox: refused inside a lesson,
    /// so a lesson never touches the disk and replays the same way every time.
    static let refusedWords: Set<String> = ["import", "export", "backup", "deliver", "include", "save", "tutorial"]

    /// Builds the sandbox and runs `commands` on it in order; the first that fails stops
    /// the build and is returned with its outcome.
    static func build(_ lesson: Lesson, timeZone: TimeZone, user: String, replaying commands: [Lesson.LessonCommand])
        -> (sandbox: Sandbox, failure: (command: Lesson.LessonCommand, outcome: CommandOutcome)?) {
        let clock = Clock(now: lesson.now, timeZone: timeZone)
        let store = Store()
        DemoLoader.load(into: store, size: lesson.demoSize, today: clock.today)
        var settings = Settings(user: user)
        // Nothing here reaches a real store, so every command is open to practise;
        // contacts are the generator's inventions and need no masking.
        settings.role = .admin
        let session = Session(backend: InMemoryBackend(database: .inMemory(store)), settings: settings, clock: clock, pinnedNow: lesson.now)
        let sandbox = Sandbox(session: session)
        for command in commands {
            let outcome = sandbox.run(command.text, line: command.line, lesson: lesson)
            if outcome.status != .success { return (sandbox, (command, outcome)) }
        }
        return (sandbox, nil)
    }

    /// Runs one command on the sandbox; `line` places it in the lesson file for diagnostics
    /// (nil: the trainee typed it).
    func run(_ text: String, line: Int? = nil, lesson: Lesson? = nil) -> CommandOutcome {
        let word = text.trimmingCharacters(in: .whitespacesAndNewlines).split(whereSeparator: { $0 == " " || $0 == "\n" }).first.map { $0.lowercased() } ?? ""
        if Self.refusedWords.contains(word) {
            var outcome = CommandOutcome()
            outcome.status = .usageError
            let d = Diagnostic.usage(.lessonCommandRefused, word,
                                     at: SourceSpan(start: SourceLocation(line: line ?? 1, column: 1), length: word.count))
            outcome.report(d, source: line == nil ? text : lesson?.source, colour: session.settings.colour)
            return outcome
        }
        if let line, line > 0, let lesson {
            return session.run(text, firstLine: line, source: lesson.source, sourceName: lesson.sourceName)
        }
        return session.run(text)
    }

    /// The sequence of the last change: a command changed the sandbox when it moved.
    var sequence: Int64 { session.backend.sequence }

    // MARK: State

    /// Every stored record of every entity but the audit trail, by entity and id.
    func state() -> [Entity: [String: [String: Value]]] {
        var result: [Entity: [String: [String: Value]]] = [:]
        for entity in Entity.allCases where entity != .audit {
            guard session.backend.count(entity) > 0 else { continue }
            let checker = Checker(schema: session.backend.schema(of: entity), clock: session.clock, schemas: session.backend.schema(of:))
            guard let all = try? checker.check(FindQuery(entity: EntityName(entity: entity, span: SourceSpan(start: SourceLocation(line: 1, column: 1), length: 1)))) else { continue }
            var records: [String: [String: Value]] = [:]
            for (id, record) in session.backend.records(matching: all, fields: nil, clock: session.clock) { records[id] = record }
            result[entity] = records
        }
        return result
    }
}

/// Where two sandboxes differ: the first record and field, for a verdict line.
struct StateDifference {
    enum Kind { case missing, unexpected, field(String, expected: Value, found: Value) }
    var entity: Entity
    var id: String
    var kind: Kind

    /// The first difference between the trainee's state and the expected one, nil when
    /// they agree. Records the store numbered itself are matched by content when their
    /// ids differ, and instants compare by day (the time of day is not the lesson's point).
    static func first(trainee: [Entity: [String: [String: Value]]], expected: [Entity: [String: [String: Value]]],
                      timeZone: TimeZone) -> StateDifference? {
        let clock = Clock(now: 0, timeZone: timeZone)
        func normalised(_ value: Value) -> Value {
            if case .instant(let t) = value { return .date(clock.day(of: t)) }
            return value
        }
        func same(_ a: [String: Value], _ b: [String: Value], ignoring: Set<String>) -> Bool {
            let keys = Set(a.keys).union(b.keys).subtracting(ignoring)
            return keys.allSatisfy { normalised(a[$0] ?? .null) == normalised(b[$0] ?? .null) }
        }
        for entity in Entity.allCases {
            let mine = trainee[entity] ?? [:]
            let theirs = expected[entity] ?? [:]
            var onlyMine = mine.keys.filter { theirs[$0] == nil }.sorted()
            var onlyTheirs = theirs.keys.filter { mine[$0] == nil }.sorted()
            // Pair records that differ only by a generated id.
            for id in onlyTheirs {
                if let match = onlyMine.first(where: { same(mine[$0]!, theirs[id]!, ignoring: ["id"]) }) {
                    onlyMine.removeAll { $0 == match }
                    onlyTheirs.removeAll { $0 == id }
                }
            }
            for id in theirs.keys.sorted() where mine[id] != nil {
                let a = mine[id]!, b = theirs[id]!
                for field in Set(a.keys).union(b.keys).sorted() where normalised(a[field] ?? .null) != normalised(b[field] ?? .null) {
                    return StateDifference(entity: entity, id: id, kind: .field(field, expected: b[field] ?? .null, found: a[field] ?? .null))
                }
            }
            if let id = onlyTheirs.first { return StateDifference(entity: entity, id: id, kind: .missing) }
            if let id = onlyMine.first { return StateDifference(entity: entity, id: id, kind: .unexpected) }
        }
        return nil
    }
}
