import Foundation
import RapportCore

/// The command line, as the contract fixes it:
/// `rapport [OPTIONS] [SCRIPT [ARG...]]`.
public struct Options {
    public var dataDirectory: String?
    public var demo = false
    public var demoSize = 5000
    public var now: String?
    public var timeZone: String?
    public var format: OutputFormat = .table
    public var role: Role = .admin
    public var user: String?
    public var commands: [String] = []
    public var scriptFile: String?
    public var scriptArguments: [String] = []
    public var bail = false
    public var dryRun = false
    public var timer = false
    public var readOnly = false
    public var echo = false
    public var noRC = false
    public var check = false
    public var recover = false
    public var showHelp = false
    public var showVersion = false

    public static let usage = """
    usage: rapport [OPTIONS] [SCRIPT [ARG...]]
      --data DIR          store directory (default: $RAPPORT_DATA, else the XDG data dir)
      --demo              a throwaway store seeded with deterministic demo data
      --demo-size N       customers in the demo store (default 5000)
      --now WHEN          pin the clock: 2026-11-01 or 2026-11-01T09:30:00+08:00
      --timezone TZ       IANA zone for "today" and date maths (default: the system's)
      --format F          table | csv | json | jsonl   (default: table)
      --role R            trainee | agent | manager | admin (default: admin)
      --user NAME         who changes are recorded as (default: the OS user)
      -c COMMAND          run one command; may repeat; then exit
      -f FILE / SCRIPT    run a script file; "-" reads commands from standard input
      --bail              stop a script at the first error
      --dry-run           report what changing commands would do; change nothing
      --read-only         open the store without taking the writer's lock
      --timer             print how long each command took (on standard error)
      --echo              print each script command before its output
      --check             verify the store's files (checksums, order of changes) and exit
      --recover           rebuild a damaged store from its intact parts and exit
      --no-rc             skip the start-up file
      -h, --help          this text
      --version           the version
    """

    public struct UsageError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ arguments: [String]) throws -> Options {
        var o = Options()
        var i = 0
        func value(_ name: String) throws -> String {
            i += 1
            guard i < arguments.count else { throw UsageError(description: "option \(name) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            var arg = arguments[i]
            var inlineValue: String?
            if arg.hasPrefix("--"), let eq = arg.firstIndex(of: "=") {
                inlineValue = String(arg[arg.index(after: eq)...])
                arg = String(arg[..<eq])
            }
            func v(_ name: String) throws -> String {
                if let inlineValue { return inlineValue }
                return try value(name)
            }
            switch arg {
            case "--data": o.dataDirectory = try v(arg)
            case "--demo": o.demo = true
            case "--demo-size":
                let text = try v(arg)
                guard let n = Int(text), n >= 0, n <= 50_000_000 else { throw UsageError(description: "--demo-size takes a number of customers (0 to 50000000), not '\(text)'") }
                o.demoSize = n
                o.demo = true
            case "--now": o.now = try v(arg)
            case "--timezone", "--tz": o.timeZone = try v(arg)
            case "--format":
                let text = try v(arg)
                guard let f = OutputFormat(rawValue: text.lowercased()) else {
                    throw UsageError(description: "--format is one of table, csv, json, jsonl, not '\(text)'")
                }
                o.format = f
            case "--role":
                let text = try v(arg)
                guard let r = Role(rawValue: text.lowercased()) else {
                    throw UsageError(description: "--role is one of trainee, agent, manager, admin, not '\(text)'")
                }
                o.role = r
            case "--user": o.user = try v(arg)
            case "-c", "--command": o.commands.append(try v(arg))
            case "-f", "--file":
                guard o.scriptFile == nil else { throw UsageError(description: "only one script file can run") }
                o.scriptFile = try v(arg)
            case "--bail": o.bail = true
            case "--dry-run": o.dryRun = true
            case "--read-only": o.readOnly = true
            case "--timer": o.timer = true
            case "--echo": o.echo = true
            case "--no-rc": o.noRC = true
            case "--check": o.check = true
            case "--recover": o.recover = true
            case "-h", "--help": o.showHelp = true
            case "--version": o.showVersion = true
            case "-":
                guard o.scriptFile == nil else { throw UsageError(description: "only one script file can run") }
                o.scriptFile = "-"
            default:
                if arg.hasPrefix("-") {
                    let known = ["--data", "--demo", "--demo-size", "--now", "--timezone", "--format", "--role", "--user",
                                 "--bail", "--dry-run", "--read-only", "--timer", "--echo", "--no-rc", "--check", "--recover",
                                 "--help", "--version"]
                    let hint = nearestName(to: arg, among: known).map { "; did you mean '\($0)'?" } ?? ""
                    throw UsageError(description: "unknown option '\(arg)'\(hint)")
                }
                if o.scriptFile == nil {
                    o.scriptFile = arg
                    o.scriptArguments = Array(arguments[(i + 1)...])
                    i = arguments.count
                    continue
                }
                o.scriptArguments.append(arg)
            }
            i += 1
        }
        if o.demo && o.dataDirectory != nil {
            throw UsageError(description: "--demo and --data cannot be used together: the demo store is throwaway")
        }
        return o
    }
}
