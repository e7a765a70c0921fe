import Foundation

/// What `tutorial` was asked for.
public enum TutorialTarget: Sendable {
    case list
    case report
    case named(String, SourceSpan)
    case file(String, SourceSpan)
}

extension Session {
    /// The names `tutorial NAME` takes: the built-in lessons, then `$RAPPORT_LESSONS`'s (for completion).
    public var lessonNames: [String] {
        let tutorial = Tutorial(session: self)
        return tutorial.sources().compactMap { try? LessonParser.parse($0.text, sourceName: $0.name, timeZone: clock.timeZone).name }
    }
}

/// The `tutorial` command: lists lessons with the trainee's status, starts or resumes
/// one (the session then hands it every line), and reports progress.
struct Tutorial {
    let session: Session

    private var trainee: String { session.settings.osUser }
    private var timeZone: TimeZone { session.clock.timeZone }

    /// A lesson's file before it is parsed: where it came from and its text.
    struct Source { var name: String; var text: String }

    /// Built-in lessons first, then those in the lessons directory, in name order.
    func sources() -> [Source] {
        var result = BuiltInLessons.all.map { Source(name: "built-in " + $0.file, text: $0.text) }
        if let directory = session.training.lessonsDirectory,
           let files = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            for file in files.sorted() where file.hasSuffix(".lesson.md") {
                let path = (directory as NSString).appendingPathComponent(file)
                if let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) {
                    result.append(Source(name: path, text: text))
                }
            }
        }
        return result
    }

    enum Answer {
        case table(ResultSet)
        /// A lesson started: its opening, and the doubts checking it found, to be shown
        /// against the lesson file (`source`, named `sourceName`).
        case started(String, warnings: [Diagnostic], source: String, sourceName: String)
    }

    func run(_ target: TutorialTarget) throws -> Answer {
        switch target {
        case .list: return .table(list())
        case .report: return .table(report())
        case .named(let name, let span):
            for source in sources() {
                guard let lesson = try? LessonParser.parse(source.text, sourceName: source.name, timeZone: timeZone),
                      lesson.name.lowercased() == name.lowercased() else { continue }
                return try start(lesson)
            }
            let names = sources().compactMap { try? LessonParser.parse($0.text, sourceName: $0.name, timeZone: timeZone).name }
            throw Diagnostic.usage(.lessonNotFound, name, at: span, suggestion: nearestName(to: name, among: names))
        case .file(let path, let span):
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(path) } catch let e as FileSystemError {
                throw Diagnostic.usage(.lessonUnreadable, path, String(cString: strerror(e.code)), at: span)
            }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw Diagnostic.usage(.lessonUnreadable, path, "it is not UTF-8 text", at: span)
            }
            let lesson = try LessonFileError.wrap(text, name: path) { try LessonParser.parse(text, sourceName: path, timeZone: timeZone) }
            return try start(lesson)
        }
    }

    /// This trainee's lessons: the personal progress file's, and the store's copy when the
    /// session has a store; where both hold a lesson, the one recorded later.
    private func ownProgress() -> [String: LessonProgress] {
        var lessons = TrainingProgress.load(session.training.progressPath).trainees[trainee] ?? [:]
        if let store = session.training.storeDirectory,
           let stored = StoredTraineeProgress.load(StoredTraineeProgress.path(store, trainee: trainee)) {
            lessons.merge(stored.lessons) { mine, shared in (shared.updated ?? "") >= (mine.updated ?? "") ? shared : mine }
        }
        return lessons
    }

    /// With a store, every trainee whose progress it keeps, for a manager or admin; anyone
    /// else sees only themself. Without one, the personal progress file.
    private func report() -> ResultSet {
        var progress = TrainingProgress.load(session.training.progressPath)
        if let store = session.training.storeDirectory {
            for stored in StoredTraineeProgress.all(store) { progress.trainees[stored.trainee] = stored.lessons }
        }
        progress.trainees[trainee] = ownProgress()
        if session.settings.role < .manager { progress.trainees = progress.trainees.filter { $0.key == trainee } }
        progress.trainees = progress.trainees.filter { !$0.value.isEmpty }
        return progress.report()
    }

    private func list() -> ResultSet {
        let progress = ownProgress()
        var rows: [[Value]] = []
        for source in sources() {
            guard let lesson = try? LessonParser.parse(source.text, sourceName: source.name, timeZone: timeZone) else {
                rows.append([.string(source.name), .string("broken: tutorial \"\(source.name)\" says why"), .null, .null])
                continue
            }
            let status: String
            switch progress[lesson.name] {
            case nil: status = "new"
            case let p? where p.completed != nil: status = "done (\(p.completed!))"
            case let p?: status = "in progress (step \(p.step + 1) of \(p.steps))"
            }
            rows.append([.string(lesson.name), .string(status), .integer(Int64(lesson.steps.count)), .string(lesson.summary.isEmpty ? lesson.title : lesson.summary)])
        }
        return ResultSet(columns: ["lesson", "status", "steps", "about"], rows: rows)
    }

    /// Checks the lesson on a sandbox, resumes it where the trainee left it, and hands the
    /// session to it.
    private func start(_ lesson: Lesson) throws -> Answer {
        let path = session.training.progressPath
        let store = session.training.storeReadOnly ? nil : session.training.storeDirectory
        let saved = ownProgress()[lesson.name]
        // A finished lesson starts again from the beginning; a changed one (other step count) too.
        let resumeAt = saved.flatMap { $0.completed == nil && $0.steps == lesson.steps.count ? $0.step : nil } ?? 0
        let run = try LessonFileError.wrap(lesson.source, name: lesson.sourceName) {
            try LessonRun(lesson, timeZone: timeZone, user: session.settings.user, step: resumeAt)
        }
        if let saved, resumeAt > 0 {
            run.attempts = saved.attempts
            run.hintsTaken = saved.hints
            run.skipped = Set(saved.skipped)
        }
        let trainee = self.trainee
        // Taking a finished lesson again keeps it done, with the date it was last finished.
        var completed = saved?.completed
        run.record = { run in
            let formatter = DateFormatter()
            formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
            let now = formatter.string(from: Date())
            var entry = LessonProgress(step: run.stepIndex, steps: run.lesson.steps.count, completed: completed,
                                       attempts: run.attempts, hints: run.hintsTaken, skipped: run.skipped.sorted(), updated: now)
            if run.stepIndex >= run.lesson.steps.count {
                entry.step = run.lesson.steps.count - 1
                completed = String(now.prefix(16))
                entry.completed = completed
            }
            // Progress is a convenience: a full disk must not stop the lesson.
            if let path {
                var progress = TrainingProgress.load(path)
                progress.trainees[trainee, default: [:]][run.lesson.name] = entry
                try? progress.save(path)
            }
            if let store {
                var stored = StoredTraineeProgress.load(StoredTraineeProgress.path(store, trainee: trainee))
                    ?? StoredTraineeProgress(trainee: trainee, lessons: [:])
                stored.lessons[run.lesson.name] = entry
                try? stored.save(store)
            }
        }
        if saved == nil { run.record(run) }
        session.lesson = run
        return .started(run.opening(resumed: resumeAt > 0), warnings: run.warnings, source: lesson.source, sourceName: lesson.sourceName)
    }
}

/// A lesson's diagnostic shown against the lesson file's own text and name, not the
/// `tutorial` command's.
struct LessonFileError: Error {
    var diagnostic: Diagnostic
    var source: String
    var sourceName: String

    static func wrap<T>(_ source: String, name: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let d as Diagnostic {
            throw LessonFileError(diagnostic: d, source: source, sourceName: name)
        }
    }
}
