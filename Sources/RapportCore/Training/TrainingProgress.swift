import Foundation

/// Where lessons come from and where progress goes; the shell fills it in from the
/// environment (`$RAPPORT_LESSONS`, `$XDG_STATE_HOME/rapport/training.json`).
public struct TrainingSetup: Sendable {
    /// The progress file; nil: progress is not kept (nothing written).
    public var progressPath: String?
    /// A directory of `*.lesson.md` files listed after the built-in lessons.
    public var lessonsDirectory: String?
    public init(progressPath: String? = nil, lessonsDirectory: String? = nil) {
        self.progressPath = progressPath
        self.lessonsDirectory = lessonsDirectory
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
