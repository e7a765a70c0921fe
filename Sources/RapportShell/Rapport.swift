import CEditLine
import Foundation
import RapportCore
import RapportPostgres

/// The `rapport` program: reads the command line, opens the store, then runs `-c`
/// commands, a script, standard input, or the interactive shell.
public enum Rapport {
    public static let version = "0.1.0"

    /// Runs the program and returns its exit status: 0 success, 1 a command failed at
    /// run time, 2 a usage or parse error.
    public static func main(_ arguments: [String]) -> Int32 {
        CryptoLibrary.initialise()
        signal(SIGPIPE, SIG_IGN)
        // A size-limited file (ulimit -f) makes write() fail with EFBIG instead of killing us.
        signal(SIGXFSZ, SIG_IGN)
        let options: Options
        do { options = try Options.parse(arguments) } catch {
            printError("error: \(error)\nrun 'rapport --help' for usage\n")
            return 2
        }
        if options.showHelp { print(Options.usage); return 0 }
        if options.showVersion { print("rapport \(version)"); return 0 }
        // Every script is read before anything runs: a missing one stops the run whole.
        let scripts: [String: String]
        do { scripts = try readScripts(options) } catch {
            printError("error: \(error)\n")
            return 2
        }

        let environment = ProcessInfo.processInfo.environment
        var timeZone = TimeZone.current
        if let name = options.timeZone ?? environment["RAPPORT_TIMEZONE"] {
            guard let zone = TimeZone(identifier: name) else {
                printError("error: unknown time zone '\(name)' (use an IANA name such as Asia/Shanghai or UTC)\n")
                return 2
            }
            timeZone = zone
        }
        var clock = Clock.system(timeZone: timeZone)
        var pinned: Int64?
        if let now = options.now {
            guard let t = Clock.parseInstant(now, timeZone: timeZone) else {
                printError("error: --now takes a date (2026-11-01) or a time (2026-11-01T09:30:00+08:00), not '\(now)'\n")
                return 2
            }
            clock.now = t
            pinned = t
        }

        if options.check || options.recover {
            guard !options.demo else { printError("error: --check and --recover work on a store directory, not --demo\n"); return 2 }
            let directory = options.dataDirectory ?? environment["RAPPORT_DATA"] ?? defaultDataDirectory(environment)
            if options.check {
                let report = Database.check(directory: directory)
                StandardStreams.output(report.description)
                return report.isSound ? 0 : 1
            }
            do {
                let report = try Database.recover(directory: directory)
                StandardStreams.output(report.description)
                return 0
            } catch {
                printError(describe(error))
                return 1
            }
        }

        if options.encrypt, let target = options.dataDirectory {
            do {
                let key = try EncryptionKey.fromEnvironment(environment)
                try StoreCipher.create(target, key: key)
                StandardStreams.output("made \(target) an encrypted store (key id \(key.idHex)); open it with RAPPORT_KEY_FILE set to \(key.file)\n")
                return 0
            } catch {
                printError(describe(error))
                return 1
            }
        }

        if let backup = options.restoreFrom, let target = options.dataDirectory {
            do {
                StandardStreams.output(try Database.restoreBackup(from: backup, to: target) {
                    try EncryptionKey.fromEnvironment(environment)
                })
                return 0
            } catch {
                printError(describe(error))
                return 1
            }
        }

        let backend: any Backend
        let openStarted = DispatchTime.now().uptimeNanoseconds
        do {
            if let url = postgresURL(options, environment) {
                backend = try PostgresBackend(url: url)
            } else {
                backend = InMemoryBackend(database: try openDatabase(options, clock: clock, environment: environment))
            }
        } catch {
            printError(describe(error))
            return 1
        }
        let database = (backend as? InMemoryBackend)?.database
        if options.timer {
            let ms = Double(DispatchTime.now().uptimeNanoseconds - openStarted) / 1e6
            printError(String(format: "time: open %.3f ms\nmemory: %.1f MB resident\n", ms, Double(residentBytes()) / 1e6))
            if let note = database?.columnImageNote { printError(note + "\n") }
        }
        defer { database?.close() }
        if environment["RAPPORT_INDEXES"] == "off", let database {
            // For tests that compare answers with and without indexes.
            for e in Entity.allCases { database.store[e].indexesEnabled = false }
        }
        for w in database?.warnings ?? [] { printError(DiagnosticFormatter().format(w, source: nil)) }

        // Who the session is, checked once here so -c, scripts, standard input and the shell agree.
        var settings = Settings()
        do {
            if let connected = backend.connectedUser { settings.osUser = connected }
            (settings.user, settings.role) = try Grants.session(osUser: settings.osUser, grants: backend.grants,
                                                                requestedRole: options.role, requestedUser: options.user)
            try backend.enforce(settings.role)
        } catch let d as Diagnostic {
            printError(DiagnosticFormatter().format(d, source: nil))
            return 1
        } catch {
            printError(describe(error))
            return 1
        }
        settings.format = options.format
        settings.dryRun = options.dryRun
        settings.timer = options.timer
        let session = Session(backend: backend, settings: settings, clock: clock, pinnedNow: pinned)

        session.parameters = options.parameters
        session.training = TrainingSetup(progressPath: XDGDirectories(environment).state + "/rapport/training.json",
                                         lessonsDirectory: environment["RAPPORT_LESSONS"].flatMap { $0.isEmpty ? nil : $0 },
                                         storeDirectory: environment["RAPPORT_TRAINING_DIR"].flatMap { $0.isEmpty ? nil : $0 },
                                         storeReadOnly: options.readOnly)
        if isatty(STDERR_FILENO) != 0 {
            let bar = ProgressBar()
            session.campaignProgress = { bar.update($0, $1) }
            session.importProgress = { bar.update($0, $1, of: "rows") }
            session.exportProgress = { bar.update($0, $1, of: "rows") }
            database?.snapshotProgress = { bar.update($0, $1, of: "rows") }
        }
        // The crash test kills scripts whose `save`s write in the background, as the shell's do.
        if environment["RAPPORT_SAVE"] == "background" { session.savesInBackground = true }
        let runner = ScriptRunner(session: session, write: write)
        runner.bail = options.bail
        runner.echo = options.echo
        runner.echoOutput = { StandardStreams.output($0) }
        if !options.inputs.isEmpty {
            var status = ExitStatus()
            for input in options.inputs {
                // Each input starts without the lets of the one before.
                runner.beginInput()
                switch input {
                case .command(let text):
                    let outcome = session.run(text)
                    write(outcome)
                    status.record(outcome.status)
                    status.record(code: runner.status)
                case .script("-"):
                    status.record(code: runStandardInput(runner: runner))
                case .script(let path):
                    runner.runScript(scripts[path] ?? "", name: path)
                    status.record(code: runner.status)
                }
                if options.bail, status.code != 0 { break }
            }
            return status.code
        }
        if isatty(0) != 0 {
            return InteractiveShell(session: session, options: options, environment: environment).run()
        }
        runner.beginInput()
        return runStandardInput(runner: runner)
    }

    static func openDatabase(_ options: Options, clock: Clock, environment: [String: String]) throws -> Database {
        if options.demo {
            let store = Store()
            DemoLoader.load(into: store, size: options.demoSize, today: clock.today)
            return Database.inMemory(store)
        }
        let directory = options.dataDirectory ?? environment["RAPPORT_DATA"] ?? defaultDataDirectory(environment)
        return try Database.open(directory: directory, readOnly: options.readOnly)
    }

    /// The PostgreSQL database to open: `--db`, else `$RAPPORT_DB` unless `--data` or
    /// `--demo` asks for the embedded store; nil for the embedded store.
    static func postgresURL(_ options: Options, _ environment: [String: String]) -> String? {
        if let url = options.databaseURL { return url }
        guard !options.demo, options.dataDirectory == nil, let url = environment["RAPPORT_DB"], !url.isEmpty else { return nil }
        return url
    }

    static func defaultDataDirectory(_ environment: [String: String]) -> String {
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return xdg + "/rapport" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share/rapport"
    }

    /// The process's resident set size, from /proc/self/statm.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    // MARK: Scripts

    /// What the user meant by the scripts on the command line: their texts by path
    /// ("-", standard input, is read as it comes). A word that is no file but a command
    /// gets told about `-c`.
    static func readScripts(_ options: Options) throws -> [String: String] {
        var sources: [String: String] = [:]
        for (index, input) in options.inputs.enumerated() {
            guard case .script(let path) = input, path != "-", sources[path] == nil else { continue }
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(path) } catch let e as FileSystemError {
                if index == options.firstBareWord, e.code == ENOENT, Parser.commandWords.contains(path.lowercased()) {
                    let words = options.inputs[index...].compactMap { input -> String? in
                        if case .script(let word) = input, word != "-" { return word }
                        return nil
                    }
                    throw Options.UsageError(description: "'\(path)' is not a script file; to run a command, use: rapport -c "
                                             + shellQuoted(words.joined(separator: " ")))
                }
                throw Options.UsageError(description: "cannot read the script '\(path)': \(String(cString: strerror(e.code)))")
            }
            guard let source = String(validating: bytes, as: UTF8.self) else {
                throw Options.UsageError(description: "the script '\(path)' is not UTF-8 text")
            }
            sources[path] = source
        }
        return sources
    }

    /// The text in single quotes, as a POSIX shell reads it back.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Runs commands from standard input as their lines arrive, so a program feeding
    /// Rapport through a pipe sees each command's answer before it sends the next.
    static func runStandardInput(runner: ScriptRunner) -> Int32 {
        var status = ExitStatus()
        var accumulator = ScriptReader.Accumulator()
        var lineNumber = 0
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while true {
            let length = getline(&line, &capacity, rapport_stdin())
            if length < 0 { break }
            lineNumber += 1
            var bytes = UnsafeBufferPointer(start: UnsafeRawPointer(line!).assumingMemoryBound(to: UInt8.self), count: length)
            if bytes.last == 10 { bytes = UnsafeBufferPointer(rebasing: bytes.dropLast()) }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                printError("error: line \(lineNumber) of standard input is not UTF-8 text\n")
                status.record(.usageError)
                if runner.bail { break }
                continue
            }
            if runner.session.lesson != nil, accumulator.isEmpty, text.trimmingCharacters(in: .whitespaces).isEmpty {
                // An empty line is the trainee's Enter: it moves past a reading step.
                write(runner.session.run(""))
                continue
            }
            guard let command = accumulator.feed(Substring(text), lineNumber: lineNumber) else { continue }
            if !runner.run(command, source: nil, sourceName: nil) { break }
        }
        if !runner.stopped, let command = accumulator.finish() {
            runner.run(command, source: nil, sourceName: nil)
        }
        status.record(code: runner.status)
        return status.code
    }

    // MARK: Output

    static func write(_ outcome: CommandOutcome) {
        if !outcome.output.isEmpty { StandardStreams.output(outcome.output) }
        if !outcome.messages.isEmpty { StandardStreams.error(outcome.messages) }
    }

    static func printError(_ text: String) {
        StandardStreams.error(text)
    }

    static func describe(_ error: Error) -> String {
        if let d = error as? Diagnostic { return DiagnosticFormatter().format(d, source: nil) }
        return "error: \(error)\n"
    }
}

/// The exit status of several commands: 2 if any had a usage error, else 1 if any
/// failed at run time, else 0.
struct ExitStatus {
    private(set) var code: Int32 = 0

    mutating func record(_ status: CommandOutcome.Status) {
        code = max(code, status.rawValue)
    }

    /// A whole input's status (a script's), already 0, 1 or 2.
    mutating func record(code other: Int32) {
        code = max(code, other)
    }
}
