import Foundation
import XCTest
import RapportTestSupport

/// Lessons through the real binary, fed on standard input as a trainee would type them
/// (contract section 8): verdicts, hints, the sandbox, progress and broken lesson files.
final class TutorialTests: XCTestCase {
    private var home = ""

    /// The tests' own lessons (the built-in ones may change): found through $RAPPORT_LESSONS.
    static let queries = """
    # Drill: queries
    name: drill-queries
    now: 2026-11-24
    demo-size: 300
    summary: Find customers by tier and city.

    ## Reading the store
    Every lesson runs on a sandbox: 300 demo customers on a pinned date. Nothing you type
    here reaches your own store. Press Enter to begin.

    ## Gold customers
    The seeds call their best customers "gold". Find every customer whose tier is gold.

    ```expect query
    find customers where tier = gold
    ```
    hint: A condition follows `where`: `find customers where FIELD = VALUE`.
    hint: The field is `tier`.

    ## Gold customers in 上海
    The Shanghai team calls its gold customers every month. Find the gold customers whose
    city is 上海.

    ```expect query
    find customers where tier = gold and city = 上海
    ```
    hint: Join two conditions with `and`.

    ## A field that does not exist
    Rapport tells you when a field name is wrong, and what you may have meant. Ask for
    customers where `tierr = gold` and read the error.

    ```expect error unknownField
    find customers where tierr = gold
    ```
    hint: Misspell a field on purpose: `find customers where tierr = gold`.
    """

    static let changes = """
    # Drill: changes
    name: drill-changes
    now: 2026-11-24
    summary: Change a customer's record and log a contact.

    ```setup
    # C000002 asked to be called rather than written to.
    update customers where id = C000002 set preferredChannel = "phone"
    ```

    ## Moving a customer up
    C000002 has spent enough to be silver now. Set their tier to silver.

    ```expect change
    update customers where id = C000002 set tier = silver
    ```
    hint: `update customers where id = ID set FIELD = VALUE`.

    ## Logging a call
    You just called C000002 by phone. Log the contact.

    ```expect change
    log contact C000002 via phone
    ```
    hint: `log contact ID via CHANNEL`.
    """

    override func setUp() {
        home = NSTemporaryDirectory() + "rapport-tutorial-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: home + "/lessons", withIntermediateDirectories: true)
        try? Self.queries.write(toFile: home + "/lessons/drill-queries.lesson.md", atomically: true, encoding: .utf8)
        try? Self.changes.write(toFile: home + "/lessons/drill-changes.lesson.md", atomically: true, encoding: .utf8)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: home) }

    /// Runs rapport on a demo store with this test's own progress file, the lines on standard input.
    private func lesson(_ lines: [String], arguments: [String] = ["--demo", "--demo-size", "20", "-"]) -> RapportRunner.Result {
        RapportRunner.run(arguments, stdin: lines.joined(separator: "\n") + "\n",
                          environment: ["HOME": home, "XDG_STATE_HOME": home + "/state", "RAPPORT_LESSONS": home + "/lessons"])
    }

    private func verdicts(_ output: String) -> [String] {
        output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("✓") || $0.hasPrefix("✗") }
    }

    func testAScriptedTraineeCompletesALessonOnStandardInput() {
        let r = lesson(["tutorial drill-queries", "",
                        "find customers where tier = gold",
                        "find customers where city = 上海 and tier = gold sort by name",
                        "find customers where tierr = gold"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Step 1 of 4: Reading the store"), r.stdout)
        XCTAssertEqual(verdicts(r.stdout), ["✓ right: 30 rows", "✓ right: 9 rows",
                                            "✓ that is the error this step is about (unknownField)"])
        XCTAssertTrue(r.stdout.hasSuffix("lesson drill-queries complete\n"), r.stdout)
        // The trainee's error was shown as the shell shows it.
        XCTAssertTrue(r.stderr.contains("unknown field 'tierr'"), r.stderr)
    }

    func testWrongQueriesGetHintsThatSayWhatDiffers() {
        let r = lesson(["tutorial drill-queries", "", "skip",
                        "find customers where city = 上海",
                        "find customers where tier = gold and city = 上海 and lastContact < 30d",
                        "hint", "hint"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = verdicts(r.stdout)
        XCTAssertEqual(lines.count, 2, r.stdout)
        // Too many: a row that should not be there, the field that makes it wrong, unconsidered.
        XCTAssertEqual(lines.first, "✗ too many rows: 70 where the answer has 9; for example C000001 should not be there: its tier is platinum; your query does not consider tier")
        // Too few: a row that is missing, and the trainee's condition that leaves it out.
        XCTAssertTrue(lines.last!.hasPrefix("✗ too few rows: "), lines.last!)
        XCTAssertTrue(lines.last!.contains("is missing: your condition on lastContact leaves it out"), lines.last!)
        XCTAssertTrue(r.stdout.contains("hint: Join two conditions with `and`."), r.stdout)
        XCTAssertTrue(r.stdout.contains("no more hints; skip moves on"), r.stdout)
        XCTAssertTrue(r.stdout.contains("lesson drill-queries 3/4") || r.stdout.contains("Step 3 of 4"), r.stdout)
    }

    func testAWrongChangeIsNamedAndUndone() {
        let r = lesson(["tutorial drill-changes",
                        "update customers where id = C000002 set tier = gold",
                        "find customers where id = C000002",
                        "update customers where id = C000002 set tier = silver",
                        "log contact C000003 via phone",
                        "log contact C000002 via email",
                        "log contact C000002 via phone"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(verdicts(r.stdout), [
            "✗ not the change this step asks for: customer C000002: its tier should be silver, and is gold; the sandbox is back as it was, try again",
            "✓ the sandbox is as the step asks",
            "✗ not the change this step asks for: contact K0001025: its customer should be C000002, and is C000003; the sandbox is back as it was, try again",
            "✗ not the change this step asks for: contact K0001025: its channel should be phone, and is email; the sandbox is back as it was, try again",
            "✓ the sandbox is as the step asks",
        ])
        // After the wrong update the customer is bronze again, as before it.
        let afterUndo = r.stdout.components(separatedBy: "✗").dropFirst().first ?? ""
        XCTAssertTrue(afterUndo.contains("C000002  张霞  bronze"), afterUndo)
        XCTAssertTrue(r.stdout.hasSuffix("lesson drill-changes complete\n"), r.stdout)
    }

    func testTheRealStoreIsNotTouchedByteForByte() throws {
        let store = TemporaryStore("tutorial")
        XCTAssertEqual(store.run(["-c", "add customer name: 王芳, tier: gold, city: 上海", "-c", "save"]).status, 0)
        func files() throws -> [String: Data] {
            var result: [String: Data] = [:]
            for name in try FileManager.default.subpathsOfDirectory(atPath: store.path) {
                var isDirectory: ObjCBool = false
                FileManager.default.fileExists(atPath: store.path + "/" + name, isDirectory: &isDirectory)
                // The lock file names the process that holds the store: every run rewrites it.
                // The column image is a cache of the snapshot that an opening may write.
                if !isDirectory.boolValue, name != "lock", name != "snapshot.columns" { result[name] = FileManager.default.contents(atPath: store.path + "/" + name) }
            }
            return result
        }
        let before = try files()
        XCTAssertFalse(before.isEmpty)
        let r = lesson(["tutorial drill-changes",
                        "update customers where id = C000001 set tier = bronze",
                        "update customers where id = C000002 set tier = silver",
                        "log contact C000002 via phone",
                        "count customers"],
                       arguments: ["--data", store.path, "--now", "2026-11-24", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("lesson drill-changes complete"), r.stdout)
        // After the lesson, commands reach the real store again: its one customer.
        XCTAssertTrue(r.stdout.hasSuffix("count\n-----\n    1\n(1 row)\n"), r.stdout)
        XCTAssertEqual(try files(), before)
    }

    func testABrokenLessonFileIsRefusedWithItsLine() throws {
        let path = home + "/broken.lesson.md"
        try """
        # Broken
        name: broken
        now: 2026-11-24

        ## One
        Find the gold customers.

        ```expect query
        find customers where tierr = gold
        ```
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let r = RapportRunner.run(["--demo", "--demo-size", "20", "-c", "tutorial \"\(path)\""], environment: ["HOME": home, "XDG_STATE_HOME": home + "/state"])
        XCTAssertEqual(r.status, 2, r.stdout)
        XCTAssertTrue(r.stderr.contains("at \(path):9:22"), r.stderr)
        XCTAssertTrue(r.stderr.contains("  find customers where tierr = gold\n                       ^^^^^"), r.stderr)

        try String(try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "expect query", with: "expect error unknownFeild"))
            .write(toFile: path, atomically: true, encoding: .utf8)
        let unknownID = RapportRunner.run(["--demo", "--demo-size", "20", "-c", "tutorial \"\(path)\""], environment: ["HOME": home])
        XCTAssertEqual(unknownID.status, 2)
        XCTAssertTrue(unknownID.stderr.contains("'unknownFeild' is no diagnostic id at \(path):8:17"), unknownID.stderr)
        XCTAssertTrue(unknownID.stderr.contains("did you mean 'unknownField'?"), unknownID.stderr)

        let missing = RapportRunner.run(["--demo", "--demo-size", "20", "-c", "tutorial drill-querie"], environment: ["HOME": home, "RAPPORT_LESSONS": home + "/lessons"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("there is no lesson called 'drill-querie'"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("did you mean 'drill-queries'?"), missing.stderr)
    }

    /// The list's columns are as wide as the longest lesson name, built-in ones included.
    private func spaced(_ text: String) -> String {
        text.replacingOccurrences(of: " {2,}", with: " ", options: .regularExpression)
    }

    func testProgressSurvivesARestartAndIsReported() {
        let first = lesson(["tutorial drill-queries", "", "hint", "find customers where tier = gold", "quit", "tutorial"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains("left lesson drill-queries at step 3 of 4; tutorial drill-queries resumes it"), first.stdout)
        XCTAssertTrue(spaced(first.stdout).contains("drill-queries in progress (step 3 of 4)"), first.stdout)
        XCTAssertTrue(spaced(first.stdout).contains("drill-changes new"), first.stdout)
        // Built-in lessons come first, then those of $RAPPORT_LESSONS.
        XCTAssertLessThan(first.stdout.range(of: "first-queries")!.lowerBound, first.stdout.range(of: "drill-changes")!.lowerBound)

        let second = lesson(["tutorial drill-queries", "find customers where tier = gold and city = 上海",
                             "find customers where tierr = gold", "tutorial", "tutorial report"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("resuming at step 3 of 4"), second.stdout)
        XCTAssertTrue(second.stdout.contains("lesson drill-queries complete"), second.stdout)
        XCTAssertTrue(spaced(second.stdout).contains("drill-queries done ("), second.stdout)
        // The report: the trainee, the lesson done, attempts and hints per step.
        let report = second.stdout.components(separatedBy: "trainee").last ?? ""
        XCTAssertTrue(report.contains("drill-queries  done"), report)
        XCTAssertTrue(report.contains("0 1 1 1"), report)
        XCTAssertTrue(report.contains("0 1 0 0"), report)
        XCTAssertTrue(FileManager.default.fileExists(atPath: home + "/state/rapport/training.json"))

        // Taking a finished lesson again starts at its first step; it stays done meanwhile.
        let again = lesson(["tutorial drill-queries", "quit", "tutorial"])
        XCTAssertFalse(again.stdout.contains("resuming"), again.stdout)
        XCTAssertTrue(again.stdout.contains("Step 1 of 4"), again.stdout)
        XCTAssertTrue(spaced(again.stdout).contains("drill-queries done ("), again.stdout)
    }

    /// With $RAPPORT_TRAINING_DIR, each trainee's progress is kept there too (USER.json,
    /// shared with the directory's group), and the trainer's report reads every trainee's there.
    func testTheTrainersReportListsEveryTraineeOfTheStore() throws {
        let store = TemporaryStore("tutorial-team")
        func run(as user: String, _ lines: [String], format: String = "table") -> RapportRunner.Result {
            // Each OS user has a home of their own: the report cannot come from one personal file.
            RapportRunner.run(["--data", store.path, "--now", "2026-11-24", "--timezone", "UTC", "--format", format, "-"],
                              stdin: lines.joined(separator: "\n") + "\n",
                              environment: ["HOME": home + "/" + user, "XDG_STATE_HOME": home + "/" + user + "/state",
                                            "RAPPORT_LESSONS": home + "/lessons", "RAPPORT_TEST_OS_USER": user,
                                            "RAPPORT_TRAINING_DIR": home + "/team"])
        }
        XCTAssertEqual(run(as: "root", ["grant bob manager", "grant alice trainee"]).status, 0)
        XCTAssertEqual(chmod(store.path, 0o2770), 0)
        try FileManager.default.createDirectory(atPath: home + "/team", withIntermediateDirectories: true)
        XCTAssertEqual(chmod(home + "/team", 0o2770), 0)

        let alice = run(as: "alice", ["tutorial drill-queries", "", "hint", "find customers where tier = gold", "quit"])
        XCTAssertEqual(alice.status, 0, alice.stderr)
        let bob = run(as: "bob", ["tutorial drill-queries", "", "find customers where tier = gold",
                                  "find customers where tier = gold and city = 上海", "find customers where tierr = gold"])
        XCTAssertTrue(bob.stdout.contains("lesson drill-queries complete"), bob.stdout)

        let header = "trainee,lesson,status,finished,attempts per step,hints per step,skipped\n"
        let aliceRow = "alice,drill-queries,step 3 of 4,,0 1 0 0,0 1 0 0,0\n"
        // The manager sees every trainee, bob done with the time he finished.
        let trainer = run(as: "bob", ["tutorial report"], format: "csv").stdout
        XCTAssertTrue(trainer.hasPrefix(header + aliceRow + "bob,drill-queries,done,2"), trainer)
        XCTAssertTrue(trainer.hasSuffix(",0 1 1 1,0 0 0 0,0\n"), trainer)
        XCTAssertEqual(run(as: "root", ["tutorial report"], format: "csv").stdout, trainer, "an admin too")
        // A trainee sees only themself.
        XCTAssertEqual(run(as: "alice", ["tutorial report"], format: "csv").stdout, header + aliceRow)

        // The team's directory keeps progress only, in files its group can read and write;
        // the store's directory gets nothing.
        XCTAssertFalse(FileManager.default.fileExists(atPath: store.path + "/training"))
        let training = home + "/team"
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: training).sorted(), ["alice.json", "bob.json"])
        var st = stat()
        XCTAssertEqual(stat(training, &st), 0)
        XCTAssertEqual(st.st_mode & 0o7777, 0o2770)
        XCTAssertEqual(stat(training + "/alice.json", &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o660)
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: training + "/alice.json"))) as? [String: Any]
        XCTAssertEqual(saved.map { Set($0.keys) }, ["trainee", "lessons"])

        // On another machine (no personal progress file) alice resumes from the team's copy.
        try FileManager.default.removeItem(atPath: home + "/alice/state")
        let resumed = run(as: "alice", ["tutorial drill-queries", "quit"])
        XCTAssertTrue(resumed.stdout.contains("resuming at step 3 of 4"), resumed.stdout)
    }

    /// An expected query that finds nothing is passed by any empty answer: loading says so,
    /// with the line in the file, and the lesson still runs.
    func testAnExpectedQueryWithNoRowsIsWarnedAbout() throws {
        let path = home + "/empty.lesson.md"
        try """
        # Empty
        name: empty
        now: 2026-11-24

        ## Nobody
        Find the customers in Atlantis.

        ```expect query
        find customers where city = Atlantis
        ```
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let r = RapportRunner.run(["--demo", "--demo-size", "20", "-c", "tutorial \"\(path)\""],
                                  environment: ["HOME": home, "XDG_STATE_HOME": home + "/state"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Step 1 of 1: Nobody"), r.stdout)
        XCTAssertTrue(r.stderr.hasPrefix("warning: this expect query finds no rows on the sandbox, so any query that finds nothing passes the step at \(path):9:1\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("  find customers where city = Atlantis\n  ^^^^"), r.stderr)
    }

    /// A command typed on a reading step runs, and the trainee is told nothing was checked
    /// (an answer typed a step early would otherwise look accepted).
    func testACommandOnAReadingStepSaysThereIsNothingToCheck() {
        let r = lesson(["tutorial drill-queries", "find customers where tier = gold", "", "quit"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("(step 1 is reading only, nothing to check: press Enter to go on)\n\nStep 2 of 4: Gold customers"), r.stdout)
        XCTAssertEqual(verdicts(r.stdout), [])
    }

    func testALessonInChinese() throws {
        let path = home + "/中文.lesson.md"
        try """
        # 第一课：查询
        name: 查询入门
        now: 2026-11-24
        demo-size: 200
        summary: 按城市查找客户。

        ## 北京的客户
        找出城市是北京的所有客户。

        ```expect query
        # 期望的答案
        find customers where city = 北京
        ```
        hint: 用 where city = 城市名。
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let r = lesson(["tutorial \"\(path)\"", "find customers where city = 上海", "hint", "find customers where city in (北京)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("lesson 查询入门: 第一课：查询"), r.stdout)
        XCTAssertTrue(r.stdout.contains("hint: 用 where city = 城市名。"), r.stdout)
        let lines = verdicts(r.stdout)
        XCTAssertEqual(lines.count, 2, r.stdout)
        XCTAssertTrue(lines[0].contains("its city is 上海"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("✓ right: "), lines[1])
        XCTAssertTrue(r.stdout.hasSuffix("lesson 查询入门 complete\n"), r.stdout)
    }
}
