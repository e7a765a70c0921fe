import Foundation
// The fuzz target (scripts/fuzz) compiles this file into one module with RapportCore.
#if canImport(RapportCore)
import RapportCore
#endif

/// The command line: `rapport [OPTIONS] [SCRIPT...]`, options anywhere (docs/command-line.md).
public struct Options {
    /// One thing to run, in the order typed: a `-c` command, or a script (`-f FILE`, a bare
    /// name, or "-" for standard input).
    public enum Input: Equatable {
        case command(String)
        case script(String)
    }

    public var dataDirectory: String?
    /// `--db URL`: a PostgreSQL database instead of a store directory (docs/postgres.md).
    public var databaseURL: String?
    public var demo = false
    public var demoSize = 5000
    public var now: String?
    public var timeZone: String?
    public var format: OutputFormat = .table
    /// `--role`; nil takes the most the OS user is granted (admin in a store without grants).
    public var role: Role?
    public var user: String?
    public var inputs: [Input] = []
    /// `--param NAME=VALUE`: what `$NAME` stands for in every command.
    public var parameters: [String: String] = [:]
    /// The first bare word on the line, when it was taken for a script: if no such file
    /// exists and it looks like a command, the error suggests `-c`.
    public var firstBareWord: Int?
    public var bail = false
    public var dryRun = false
    public var timer = false
    public var readOnly = false
    public var echo = false
    public var noRC = false
    public var check = false
    public var recover = false
    /// `--encrypt`: make `--data` (new or empty) an encrypted store and exit.
    public var encrypt = false
    /// `--restore-from BACKUP`: write the backup's store into `--data` (decrypting it) and exit.
    public var restoreFrom: String?
    public var showHelp = false
    public var showVersion = false

    public static let usage = """
    usage: rapport [OPTIONS] [SCRIPT...]
      --data DIR          store directory (default: $RAPPORT_DATA, else the XDG data dir);
                          created with its missing parents
      --db URL            a PostgreSQL database instead of a store directory (default:
                          $RAPPORT_DB when neither --data nor --demo is given);
                          rapport --db URL -c init creates its schema
      --demo              a throwaway store seeded with deterministic demo data
      --demo-size N       customers in the demo store (default 5000)
      --now WHEN          pin the clock: 2026-11-01 or 2026-11-01T09:30:00+08:00
      --timezone TZ       IANA zone for "today" and date maths (default: the system's)
      --format F          table | csv | json | jsonl   (default: table)
      --role R            trainee | agent | manager | admin, up to your grant (default: the grant's role)
      --user NAME         who changes are recorded as (default: the OS user; admins only)
      -c COMMAND          run one command; may repeat; then exit
      -f FILE / SCRIPT    run a script file; "-" reads commands from standard input
      --param NAME=VALUE  $NAME in any command stands for VALUE; may repeat
      --bail              stop at the first failing command, in any input
      --dry-run           report what changing commands would do; change nothing
      --read-only         open the store without taking the writer's lock
      --timer             print how long each command took (on standard error)
      --echo              print each script command before its output
      --check             verify the store's files (checksums, order of changes) and exit
      --recover           rebuild a damaged store from its intact parts and exit
      --encrypt           make --data, a new or empty directory, an encrypted store and
                          exit; its key comes from $RAPPORT_KEY_FILE, as at every opening
      --restore-from DIR  write the backup in DIR (encrypted or not) into --data, a new or
                          empty directory, and exit; the key comes from $RAPPORT_KEY_FILE
      --no-rc             skip the start-up file
      -h, --help          this text
      --version           the version
      --                  the words after it are script names, even if they start with -

    -c commands and scripts run in the order typed; options may come anywhere and
    apply to the whole run. '#' starts a comment. Exit status: 0 success, 1 a command
    failed at run time, 2 a usage or parse error (the worst seen).
    """

    public struct UsageError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The options that take a value, and those that do not.
    static let valueOptions = ["--data", "--db", "--demo-size", "--now", "--timezone", "--tz", "--format", "--role", "--user",
                               "-c", "--command", "-f", "--file", "--param", "--restore-from"]
    static let flagOptions = ["--demo", "--bail", "--dry-run", "--read-only", "--timer", "--echo", "--no-rc",
                              "--check", "--recover", "--encrypt", "-h", "--help", "--version"]

    public static func parse(_ arguments: [String]) throws -> Options {
        var o = Options()
        var i = 0
        var optionsEnded = false
        func addScript(_ path: String) throws {
            if path == "-", o.inputs.contains(.script("-")) {
                throw UsageError(description: "standard input ('-') can be read only once")
            }
            o.inputs.append(.script(path))
        }
        while i < arguments.count {
            let word = arguments[i]
            i += 1
            if optionsEnded || word == "-" || !word.hasPrefix("-") {
                if o.firstBareWord == nil, word != "-" { o.firstBareWord = o.inputs.count }
                try addScript(word)
                continue
            }
            if word == "--" { optionsEnded = true; continue }
            var name = word
            var inlineValue: String?
            if word.hasPrefix("--"), let eq = word.firstIndex(of: "=") {
                name = String(word[..<eq])
                inlineValue = String(word[word.index(after: eq)...])
            }
            guard valueOptions.contains(name) || flagOptions.contains(name) else {
                let hint = nearestName(to: name, among: valueOptions + flagOptions).map { "; did you mean '\($0)'?" } ?? ""
                throw UsageError(description: "unknown option '\(name)'\(hint)")
            }
            if flagOptions.contains(name), inlineValue != nil {
                throw UsageError(description: "option \(name) takes no value")
            }
            func value() throws -> String {
                if let inlineValue { return inlineValue }
                guard i < arguments.count else { throw UsageError(description: "option \(name) needs a value") }
                i += 1
                return arguments[i - 1]
            }
            switch name {
            case "--data": o.dataDirectory = try value()
            case "--db": o.databaseURL = try value()
            case "--demo": o.demo = true
            case "--demo-size":
                let text = try value()
                guard let n = Int(text), n >= 0, n <= 50_000_000 else { throw UsageError(description: "--demo-size takes a number of customers (0 to 50000000), not '\(text)'") }
                o.demoSize = n
                o.demo = true
            case "--now": o.now = try value()
            case "--timezone", "--tz": o.timeZone = try value()
            case "--format":
                let text = try value()
                guard let f = OutputFormat(rawValue: text.lowercased()) else {
                    throw UsageError(description: "--format is one of table, csv, json, jsonl, chart, not '\(text)'")
                }
                o.format = f
            case "--role":
                let text = try value()
                guard let r = Role(rawValue: text.lowercased()) else {
                    throw UsageError(description: "--role is one of trainee, agent, manager, admin, not '\(text)'")
                }
                o.role = r
            case "--user": o.user = try value()
            case "-c", "--command": o.inputs.append(.command(try value()))
            case "-f", "--file":
                let path = try value()
                guard !path.isEmpty else { throw UsageError(description: "\(name) needs a file name, not an empty word") }
                try addScript(path)
            case "--param":
                let text = try value()
                guard let eq = text.firstIndex(of: "="), Lexer.isParameterName(String(text[..<eq])) else {
                    throw UsageError(description: "--param takes NAME=VALUE, NAME a letter or _ then letters, digits or _, not '\(text)'")
                }
                o.parameters[String(text[..<eq])] = String(text[text.index(after: eq)...])
            case "--bail": o.bail = true
            case "--dry-run": o.dryRun = true
            case "--read-only": o.readOnly = true
            case "--timer": o.timer = true
            case "--echo": o.echo = true
            case "--no-rc": o.noRC = true
            case "--check": o.check = true
            case "--recover": o.recover = true
            case "--encrypt": o.encrypt = true
            case "--restore-from": o.restoreFrom = try value()
            case "-h", "--help": o.showHelp = true
            case "--version": o.showVersion = true
            default: throw UsageError(description: "unknown option '\(name)'")
            }
        }
        if o.restoreFrom != nil && (o.demo || o.dataDirectory == nil) {
            throw UsageError(description: "--restore-from needs --data NEWDIR: the new or empty directory the store is restored into")
        }
        if o.encrypt && (o.demo || o.dataDirectory == nil) {
            throw UsageError(description: "--encrypt needs --data NEWDIR: the new or empty directory made an encrypted store")
        }
        if o.databaseURL != nil && (o.demo || o.dataDirectory != nil) {
            throw UsageError(description: "--db opens a PostgreSQL database; it cannot be used with --data or --demo")
        }
        if o.databaseURL != nil && (o.check || o.recover || o.encrypt || o.restoreFrom != nil) {
            throw UsageError(description: "--check, --recover, --encrypt and --restore-from work on a store directory, not --db")
        }
        if o.demo && o.dataDirectory != nil {
            throw UsageError(description: "--demo and --data cannot be used together: the demo store is throwaway")
        }
        return o
    }
}
