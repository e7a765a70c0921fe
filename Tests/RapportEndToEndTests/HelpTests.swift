import Foundation
import RapportCore
import XCTest
import RapportTestSupport

/// Drives the real `rapport` binary through `help`: every example on every page runs on the
/// demo store, queries among them find something, the overview fits a screen, and unknown
/// topics and commands get the nearest one.
///
/// In help, a line indented by exactly two spaces is an example command (see `Help`).
final class HelpTests: XCTestCase {
    static let demo = ["--demo", "--now", "2026-11-01"]
    /// For reading help alone: its text does not depend on the store's rows (the examples
    /// test checks that every page reads the same on the full demo store), and generating the
    /// 5,000 customers costs seconds of a debug build per process.
    static let emptyDemo = ["--demo", "--demo-size", "0", "--now", "2026-11-01"]
    var work: URL!

    override func setUpWithError() throws {
        work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("rapport-help-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: work)
    }

    // MARK: Running

    typealias Run = RapportRunner.Result

    /// Runs rapport in `directory` (files written by examples land there), feeding `stdin`.
    func rapport(_ arguments: [String], stdin: String = "", in directory: URL? = nil) throws -> Run {
        RapportRunner.run(arguments, stdin: stdin, directory: (directory ?? work!).path)
    }

    /// Runs commands from standard input with --echo and splits standard output into each
    /// command's part.
    func echoed(_ commands: [String], options: [String] = [], store: [String] = HelpTests.emptyDemo,
                in directory: URL? = nil) throws -> (run: Run, parts: [String]) {
        let run = try rapport(store + options + ["--echo", "-"], stdin: commands.joined(separator: "\n") + "\n", in: directory)
        var parts: [String] = []
        var index = -1
        var lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for line in lines {
            if index + 1 < commands.count, line == "> " + commands[index + 1] {
                index += 1
                parts.append("")
            } else if index >= 0 {
                parts[index] += line + "\n"
            }
        }
        XCTAssertEqual(parts.count, commands.count, "every command should be echoed:\n\(run.stdout)")
        return (run, parts)
    }

    /// The topic words listed at the end of `help`, group labels (commands, operators, more) included.
    func listedTopics(store: [String] = HelpTests.emptyDemo) throws -> [String] {
        let overview = try rapport(store + ["-c", "help"]).stdout
        guard let start = overview.range(of: "Topics:") else {
            XCTFail("help should end with the topics:\n\(overview)")
            return []
        }
        return overview[start.upperBound...].split(separator: "\n").dropFirst()
            .flatMap { $0.split(separator: " ").map(String.init) }
    }

    /// Every page `help` reaches from its topic list and from the command words, once each,
    /// with the words that reach it.
    func pages(store: [String] = HelpTests.emptyDemo) throws -> [(words: [String], text: String)] {
        var words = try listedTopics(store: store)
        for w in Parser.commandWords + ["edit", "history"] where !words.contains(w) { words.append(w) }
        let (run, parts) = try echoed(words.map { "help " + $0 }, store: store)
        XCTAssertEqual(run.status, 0, run.stderr)
        var pages: [(words: [String], text: String)] = []
        for (word, text) in zip(words, parts) {
            if let i = pages.firstIndex(where: { $0.text == text }) { pages[i].words.append(word) } else { pages.append(([word], text)) }
        }
        return pages
    }

    static func displayWidth(_ line: Substring) -> Int {
        line.unicodeScalars.reduce(0) { width, s in
            let v = s.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || v >= 0x20000
            return width + (wide ? 2 : 1)
        }
    }

    // MARK: Examples

    /// Every example of every page runs on a fresh demo store, in the page's order: exit 0,
    /// no error; queries return rows, changes change something. The demo is generated and
    /// opened once for the whole run (SharedDemoStore; the first opening of a copy parses its
    /// snapshot, seconds in a debug build); pages that only read run on that store itself,
    /// read-only, each page that may change something on a copy of its own. The pages that change are split over two tests so
    /// the parallel runner runs them side by side.
    func testEveryExampleRunsOnTheDemoStore() throws {
        try runExamples(ofChangingPages: { $0 % 2 == 0 }, readingPagesToo: true)
    }

    func testEveryExampleThatChangesTheStoreRunsOnACopyOfTheDemoStore() throws {
        try runExamples(ofChangingPages: { $0 % 2 == 1 }, readingPagesToo: false)
    }

    /// First words of the examples that leave the store as it was (`set policy` aside).
    static let readingWords: Set<String> = ["find", "list", "count", "sum", "avg", "min", "max", "show", "why",
                                            "report", "audit", "help", "export", "let", "set"]

    /// Runs the examples of the reading pages (when `readingPagesToo`) and of the changing
    /// pages whose index among the changing ones `takes`; the counts are over every page.
    func runExamples(ofChangingPages takes: (Int) -> Bool, readingPagesToo: Bool) throws {
        // The demo store saved once per run and opened read-only (SharedDemoStore), in this
        // process's zone as `--demo` alone would be: a reading page that tried to change it fails.
        let zone = TimeZone.current.identifier
        let demoStore = URL(fileURLWithPath: SharedDemoStore.path(now: "2026-11-01", timezone: zone))
        let demoData = ["--data", demoStore.path, "--read-only", "--now", "2026-11-01", "--timezone", zone]
        let before = try FileManager.default.contentsOfDirectory(atPath: demoStore.path).sorted()
        let snapshotDate = try FileManager.default.attributesOfItem(atPath: demoStore.appendingPathComponent("snapshot.json").path)[.modificationDate] as? Date
        let pages = try pages(store: demoData)
        XCTAssertEqual(pages.map(\.text), try self.pages().map(\.text),
                       "help should read the same on the demo store as on an empty one (the other help tests read that)")
        XCTAssertGreaterThan(pages.count, 30, "one page per command, operator family and subject")
        let queryWords: Set<String> = ["find", "list", "count", "sum", "avg", "min", "max"]
        var total = 0, queries = 0, changingIndex = -1
        for page in pages {
            let examples = Help.examples(in: page.text)
            guard !examples.isEmpty else { continue }
            total += examples.count
            // Queries print as CSV, whatever an earlier example set, so their rows can be counted.
            var script: [String] = []
            var queryAt: [Int: String] = [:]
            var reads = true
            for example in examples {
                let words = example.split(separator: " ").map { $0.lowercased() }
                let first = words.first ?? ""
                if queryWords.contains(first) {
                    script.append("set format csv")
                    queryAt[script.count] = example
                }
                if !HelpTests.readingWords.contains(first) || (first == "set" && words.dropFirst().first == "policy") { reads = false }
                script.append(example)
            }
            queries += queryAt.count
            if !reads { changingIndex += 1 }
            guard reads ? readingPagesToo : takes(changingIndex) else { continue }
            let dir = work.appendingPathComponent("page-\(page.words[0].unicodeScalars.map { String($0.value) }.joined())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            var store = demoData
            if !reads {
                let copy = dir.appendingPathComponent("store")
                try FileManager.default.copyItem(at: demoStore, to: copy)
                store = ["--data", copy.path, "--now", "2026-11-01", "--timezone", zone]
            }
            let (run, parts) = try echoed(script, store: store, in: dir)
            let context = "help \(page.words[0]):\n\(examples.joined(separator: "\n"))\nstderr:\n\(run.stderr)"
            XCTAssertEqual(run.status, 0, context)
            XCTAssertFalse(run.stderr.lowercased().contains("error"), context)
            for bad in ["nothing to change", "no change", "updated 0 ", "deleted 0 "] {
                XCTAssertFalse((run.stdout + run.stderr).contains(bad), "an example changes nothing: \(context)")
            }
            guard parts.count == script.count else { continue }
            for (index, example) in queryAt {
                let rows = parts[index].split(separator: "\n", omittingEmptySubsequences: false).dropLast()
                XCTAssertGreaterThan(rows.count, 1, "no rows from the demo store: \(example)")
                if !example.contains(" by "), rows.count == 2 {
                    // One aggregate row: a count of 0 or a null sum says the example misses the data.
                    XCTAssertNotEqual(rows.last, "0", "counts nothing on the demo store: \(example)")
                    XCTAssertNotEqual(rows.last, "", "aggregates nothing on the demo store: \(example)")
                }
            }
        }
        // The reading pages ran on the shared store: none of them may have changed it (no
        // journal, the same snapshot), or a later page would have seen its change.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: demoStore.path).sorted(), before)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: demoStore.appendingPathComponent("snapshot.json").path)[.modificationDate] as? Date,
                       snapshotDate)
        XCTAssertGreaterThan(changingIndex, 10, "most command pages change the store")
        XCTAssertGreaterThan(total, 80, "help should teach by example")
        XCTAssertGreaterThan(queries, 50)
    }

    /// The overview's examples run too (pages() covers the topic pages only).
    func testOverviewExamplesRun() throws {
        let overview = try rapport(HelpTests.emptyDemo + ["-c", "help"]).stdout
        let examples = Help.examples(in: overview)
        XCTAssertGreaterThanOrEqual(examples.count, 4)
        let r = try rapport(HelpTests.demo + examples.flatMap { ["-c", $0] })
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        XCTAssertFalse(r.stdout.contains("(0 rows)"), r.stdout)
    }

    // MARK: Shape

    func testOverviewFitsOneScreenAndListsCommandsByTask() throws {
        let r = try rapport(HelpTests.emptyDemo + ["-c", "help"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        // 41: merge (issue 14) wrapped the topic list's commands onto a fourth line; 42:
        // export store and import store (issue 17) gave the Files task a second line.
        XCTAssertLessThanOrEqual(lines.count, 42, r.stdout)
        for line in lines { XCTAssertLessThanOrEqual(HelpTests.displayWidth(line), 100, String(line)) }
        for heading in ["Finding customers", "Looking at one customer", "Changing data", "Files", "The store",
                        "Settings", "The shell", "campaign", "tutorial", "Topics:"] {
            XCTAssertTrue(r.stdout.contains(heading), heading)
        }
        for word in Parser.commandWords where !["list"].contains(word) {
            XCTAssertTrue(r.stdout.contains(word), "the overview should mention \(word)")
        }
        let topics = try listedTopics()
        for t in ["find", "count", "=", "in", "between", "contains", "starts", "has", "null", "within", "and", "or",
                  "not", "dates", "fields", "formats", "settings", "shell", "errors", "exit", "campaign", "tutorial",
                  "edit", "history"] {
            XCTAssertTrue(topics.contains(t), "topic list lacks \(t)")
        }
    }

    /// Every word the topic list shows, group labels included, answers with a page of its own
    /// kind: never "no help", and a group label lists the words of its group.
    func testEveryListedTopicHasAPage() throws {
        let words = try listedTopics()
        for label in ["commands", "operators", "more"] { XCTAssertTrue(words.contains(label), label) }
        XCTAssertGreaterThan(words.count, 40, words.joined(separator: " "))
        let (run, parts) = try echoed(words.map { "help " + $0 })
        XCTAssertEqual(run.status, 0, run.stderr)
        for (word, text) in zip(words, parts) {
            XCTAssertFalse(text.hasPrefix("no help"), "help \(word) is listed but has no page:\n\(text)")
            XCTAssertFalse(text.contains("Topics: help TOPIC"), "help \(word) should be a page, not the topic list")
            XCTAssertGreaterThan(text.split(separator: "\n").count, 1, "help \(word): \(text)")
        }
        // A group's page names every word listed in that group.
        let commands = parts[words.firstIndex(of: "commands")!], more = parts[words.firstIndex(of: "more")!]
        for word in ["find", "count", "sum", "show", "import", "backup", "check", "save", "set", "edit", "history"] {
            XCTAssertTrue(commands.contains(" " + word), "help commands should list \(word):\n\(commands)")
        }
        for word in ["dates", "fields", "formats", "settings", "shell", "errors", "exit", "campaign", "tutorial"] {
            XCTAssertTrue(more.contains(" " + word), "help more should list \(word):\n\(more)")
        }
        // The same from the core's table, for pages the list might gain later.
        for group in Help.Group.allCases {
            XCTAssertNotNil(Help.topic(named: group.rawValue), group.rawValue)
            for word in Help.listedWords(in: group) { XCTAssertNotNil(Help.topic(named: word), word) }
        }
    }

    func testEveryPageFitsOneHundredColumns() throws {
        for page in try pages() {
            for line in page.text.split(separator: "\n") {
                XCTAssertLessThanOrEqual(HelpTests.displayWidth(line), 100, "help \(page.words[0]): \(line)")
            }
            XCTAssertFalse(page.text.hasPrefix("no help"), "help \(page.words[0]) should have a page")
        }
    }

    /// Each campaign clause has its page, and the page's worked block runs on the demo store
    /// as the page says (`rapport --demo --now ... --dry-run FILE`) and sends something.
    func testEveryCampaignClausePageHasAWorkedBlockThatSends() throws {
        for clause in ["target", "every", "when", "send"] {
            let page = try rapport(HelpTests.emptyDemo + ["-c", "help \(clause)"]).stdout
            XCTAssertTrue(page.hasPrefix(clause), "help \(clause) should be the clause's page:\n\(page)")
            let lines = page.split(separator: "\n").map(String.init)
            let start = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("    campaign \"") }, page)
            let end = try XCTUnwrap(lines[start...].firstIndex { $0 == "    end" }, page)
            let block = lines[start...end].map { String($0.dropFirst(4)) }.joined(separator: "\n") + "\n"
            let now = try XCTUnwrap(page.range(of: #"--now \S+"#, options: .regularExpression).map { page[$0].dropFirst(6) }, page)
            let file = work.appendingPathComponent("\(clause).rapport")
            try block.write(to: file, atomically: true, encoding: .utf8)
            let run = try rapport(["--demo", "--now", String(now), "--dry-run", file.path])
            XCTAssertEqual(run.status, 0, "help \(clause):\n\(run.stderr)")
            let said = run.stdout + run.stderr
            XCTAssertTrue(said.contains(", would send "), "help \(clause):\n\(said)")
            XCTAssertFalse(said.contains("would send 0;"), "help \(clause) sends nothing on the demo store:\n\(said)")
        }
    }

    // MARK: Topics

    func testTopicsLeadToTheirPages() throws {
        let expectations: [(String, String)] = [
            ("help contains", "FIELD contains V"), ("help starts with", "FIELD starts with V"), ("help ends", "FIELD ends with V"),
            ("help in", "FIELD in (V, ...)"), ("help not in", "FIELD not in"), ("help between", "FIELD between A and B"),
            ("help within", "FIELD within D"), ("help null", "FIELD is null"), ("help is not null", "FIELD is not null"),
            ("help =", "FIELD = VALUE"), ("help >=", "FIELD >= VALUE"), ("help has", "FIELD has any"),
            ("help and", "COND and COND"), ("help or", "COND or COND"), ("help not", "not COND"),
            ("help operators", "Conditions follow where"), ("help where", "Conditions follow where"),
            ("help find", "find ENTITY [where COND]"), ("help sum", "sum|avg|min|max FIELD of ENTITY"),
            ("help MAX", "sum|avg|min|max FIELD of ENTITY"), ("help show", "show customer ID"),
            ("help log", "log purchase ID amount"), ("help open", "open ticket ID KIND [via CHANNEL]"), ("help backup", "backup to \"DIR\""),
            ("help dates", "Durations: 90d"), ("help durations", "Durations: 90d"),
            ("help fields", "show fields ENTITY"), ("help tickets", "reply TICKET [via CHANNEL]"), ("help events", "openedAt instant"), ("help formats", "jsonl"),
            ("help set", "set NAME VALUE"), ("help settings", "dry-run"), ("help pager", "pager"),
            ("help shell", "$XDG_STATE_HOME/rapport/history"), ("help shell", "$XDG_CONFIG_HOME/rapport/rc"),
            ("help shell", "--no-rc"), ("help shell", "less -RFX"), ("help shell", "NO_COLOR"), ("help shell", "Tab"),
            ("help edit", "$EDITOR"), ("help history", "Ctrl-R"),
            ("help errors", "2   a usage or parse error"), ("help exit", "1   a command failed at run time"),
            ("help campaign", "every D"), ("help tutorial", "tutorial report"), ("help lessons", "sandbox"),
        ]
        let (run, parts) = try echoed(expectations.map(\.0))
        XCTAssertEqual(run.status, 0, run.stderr)
        for ((command, expected), text) in zip(expectations, parts) {
            XCTAssertTrue(text.contains(expected), "\(command) should say \(expected):\n\(text)")
            XCTAssertFalse(text.hasPrefix("no help"), command)
        }
        // The fields page lists every built-in field with its type.
        let fields = parts[expectations.firstIndex { $0.0 == "help fields" }!]
        for e in Entity.allCases {
            for f in e.builtinFields { XCTAssertTrue(fields.contains("\(f.name) \(f.type.rawValue)"), "\(e) \(f.name)") }
        }
    }

    func testUnknownTopicSuggestsAndListsTopics() throws {
        let (run, parts) = try echoed(["help nonsense", "help contians", "help fnd", "help dtaes"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(parts[0].hasPrefix("no help on 'nonsense'"), parts[0])
        XCTAssertTrue(parts[0].contains("Type help for the commands by task"), parts[0])
        XCTAssertTrue(parts[1].hasPrefix("no help on 'contians'; did you mean 'contains'?"), parts[1])
        XCTAssertTrue(parts[2].contains("did you mean 'find'?"), parts[2])
        XCTAssertTrue(parts[3].contains("did you mean 'dates'?"), parts[3])
        for part in parts {
            XCTAssertTrue(part.contains("Topics: help TOPIC"), part)
            XCTAssertTrue(part.contains("within"), part)
            XCTAssertFalse(part.contains("Finding customers"), "the topic list, not the whole overview:\n\(part)")
        }
    }

    func testUnknownCommandSuggestsTheNearest() throws {
        let r = try rapport(HelpTests.emptyDemo + ["-c", "fnd customers"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("unknown command 'fnd'"), r.stderr)
        XCTAssertTrue(r.stderr.contains("did you mean 'find'?"), r.stderr)
    }
}
