import Foundation

/// Where lessons come from and where progress goes; the shell fills it in from the
/// environment (`$RAPPORT_LESSONS`, `$XDG_STATE_HOME/rapport/training.json`,
/// `$RAPPORT_TRAINING_DIR`).
public struct TrainingSetup: Sendable {
    /// The progress file; nil: progress is not kept (nothing written).
    public var progressPath: String?
    /// A directory of `*.lesson.md` files listed after the built-in lessons.
    public var lessonsDirectory: String?
    /// The team's training directory (`$RAPPORT_TRAINING_DIR`): each trainee's progress is
    /// kept there too, so a trainer's `tutorial report` sees the whole team. Never the
    /// store's directory: nothing a trainee does in a lesson reaches the store.
    public var storeDirectory: String?
    /// `--read-only`: the team's copy of the progress is read, never written.
    public var storeReadOnly: Bool
    public init(progressPath: String? = nil, lessonsDirectory: String? = nil, storeDirectory: String? = nil, storeReadOnly: Bool = false) {
        self.progressPath = progressPath
        self.lessonsDirectory = lessonsDirectory
        self.storeDirectory = storeDirectory
        self.storeReadOnly = storeReadOnly
    }
}

/// One trainee's record of one lesson.
struct LessonProgress: Codable, Equatable {
    /// The step to resume at, from 0.
    var step: Int
    var steps: Int
    /// When the lesson was finished (local date and time), nil while in progress.
    var completed: String?
    var attempts: [Int]
    var hints: [Int]
    var skipped: [Int]
    /// When it was last recorded (local `yyyy-MM-dd HH:mm:ss`): of the personal and the
    /// store's copy, the later one counts. Nil in files written before it was kept.
    var updated: String?
}

/// The progress file: per trainee (the OS user), per lesson name.
struct TrainingProgress: Codable {
    var trainees: [String: [String: LessonProgress]] = [:]

    static func load(_ path: String?) -> TrainingProgress {
        guard let path, let data = FileManager.default.contents(atPath: path),
              let progress = try? JSONDecoder().decode(TrainingProgress.self, from: data) else { return TrainingProgress() }
        return progress
    }

    /// Written whole to a temporary file, then renamed over the old one: a crash leaves
    /// the old progress or the new, never half of one.
    func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            let data = try encoder.encode(self)
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw Diagnostic.runtime(.trainingProgressUnwritable, path, "\(error.localizedDescription)")
        }
    }

    /// `tutorial report`: one row per trainee and lesson.
    func report() -> ResultSet {
        var rows: [[Value]] = []
        for trainee in trainees.keys.sorted() {
            for (name, p) in trainees[trainee]!.sorted(by: { $0.key < $1.key }) {
                let status = p.completed == nil ? "step \(p.step + 1) of \(p.steps)" : "done"
                rows.append([.string(trainee), .string(name), .string(status), p.completed.map(Value.string) ?? .null,
                             .string(p.attempts.map(String.init).joined(separator: " ")),
                             .string(p.hints.map(String.init).joined(separator: " ")),
                             .integer(Int64(p.skipped.count))])
            }
        }
        return ResultSet(columns: ["trainee", "lesson", "status", "finished", "attempts per step", "hints per step", "skipped"], rows: rows)
    }
}

/// One trainee's progress in the team's training directory, `USER.json`: only progress,
/// never the sandbox's data. Each trainee writes only their own file, whole, through a
/// rename, so two trainees never write the same file and no lock is needed.
struct StoredTraineeProgress: Codable {
    var trainee: String
    var lessons: [String: LessonProgress]

    static func directory(_ team: String) -> String { team }

    /// The file's name: the OS user's name, with anything but letters, digits, `.`, `_`
    /// and `-` (and a leading dot) written as `%XX`, so no name reaches another directory.
    static func path(_ store: String, trainee: String) -> String {
        var name = ""
        for byte in trainee.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if (c.isASCII && (c.isLetter || c.isNumber)) || c == "_" || c == "-" || (c == "." && !name.isEmpty) {
                name.append(c)
            } else {
                name += String(format: "%%%02X", byte)
            }
        }
        return directory(store) + "/" + name + ".json"
    }

    static func load(_ path: String) -> StoredTraineeProgress? {
        guard let bytes = try? FileSystem.readFile(path) else { return nil }
        return try? JSONDecoder().decode(StoredTraineeProgress.self, from: Data(bytes))
    }

    /// Every trainee's file in the team's training directory; unreadable ones are left out.
    static func all(_ store: String) -> [StoredTraineeProgress] {
        let entries = (try? FileSystem.directoryEntries(directory(store))) ?? []
        return entries.filter { $0.hasSuffix(".json") }.sorted().compactMap { load(directory(store) + "/" + $0) }
    }

    /// Written atomically; the file takes the group's access when the directory is
    /// group-shared (`FileSystem.creationMode`), like a store's files.
    func save(_ store: String) throws {
        let path = Self.path(store, trainee: trainee)
        do {
            try FileSystem.createDirectory(Self.directory(store), mode: 0o700)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try FileSystem.writeAtomically(Array(try encoder.encode(self)), to: path, mode: 0o600)
        } catch {
            throw Diagnostic.runtime(.trainingProgressUnwritable, path, "\(error)")
        }
    }
}
