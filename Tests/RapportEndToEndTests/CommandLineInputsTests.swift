import Foundation
import XCTest
import RapportTestSupport

/// The command line through the real binary: inputs in the order typed, `--bail` across
/// them, options anywhere, `--param` and `$NAME`, `#` comments, the hint for a command
/// typed without `-c`, and store paths that once crashed the program.
final class CommandLineInputsTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "rapport-inputs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs rapport in the test's directory, so that relative paths land there.
    func rapport(_ args: [String], stdin: String? = nil) -> RapportRunner.Result {
        RapportRunner.run(["--now", "2026-11-24", "--timezone", "UTC"] + args, stdin: stdin, directory: directory)
    }

    func script(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        return name
    }

    func storeExists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: directory + "/" + name) }

    // MARK: Order

    func testCommandsAndScriptsRunInTheOrderTyped() throws {
        let add = try script("add.rapport", "add customer id: \"C1\", name: \"A\"\ncount customers\n")
        let r = rapport(["--data", "store", "--format", "csv", "-c", "count customers", add, "-c", "count contacts"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "count\n0\ncount\n1\ncount\n0\n")
    }

    func testOptionsAfterTheScriptApplyToTheWholeRun() throws {
        let count = try script("count.rapport", "count customers\n")
        let r = rapport(["--data", "store", count, "--format", "csv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "count\n0\n")
    }

    func testEveryScriptNamedRunsInOrder() throws {
        let a = try script("a.rapport", "add customer id: \"C1\", name: \"A\"\n")
        let b = try script("b.rapport", "count customers\n")
        let r = rapport(["--data", "store", "--format", "csv", a, b, a, b])
        XCTAssertEqual(r.status, 1, "adding C1 twice fails the second time")
        XCTAssertEqual(r.stdout, "count\n1\ncount\n1\n")
        XCTAssertTrue(r.stderr.contains("C1"), r.stderr)
    }

    func testStandardInputTakesItsPlaceInTheOrder() throws {
        let r = rapport(["--demo-size", "3", "--format", "csv", "-c", "count contacts where id = none", "-", "-c", "count tickets where id = none"],
                        stdin: "count customers\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "count\n0\ncount\n3\ncount\n0\n")
    }

    // MARK: --bail

    func testBailStopsAtAFailingCommandBeforeTheScript() throws {
        let add = try script("add.rapport", "add customer id: \"C1\", name: \"A\"\n")
        let r = rapport(["--data", "store", "--bail", "-c", "find customers where nmae = x", add])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("unknown field 'nmae'"), r.stderr)
        let count = rapport(["--data", "store", "--format", "csv", "-c", "count customers"])
        XCTAssertEqual(count.stdout, "count\n0\n", "the script after the failing command must not run")
    }

    func testBailInAScriptStopsTheCommandsAfterIt() throws {
        let bad = try script("bad.rapport", "count customers\nlog contact C404 via phone \"hi\"\ncount tickets\n")
        let r = rapport(["--data", "store", "--format", "csv", bad, "--bail", "-c", "add customer id: \"C1\", name: \"A\""])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "count\n0\n", "neither the rest of the script nor the -c after it runs")
        XCTAssertEqual(rapport(["--data", "store", "--format", "csv", "-c", "count customers"]).stdout, "count\n0\n")
    }

    func testWithoutBailEverythingRunsAndTheWorstStatusWins() throws {
        let bad = try script("bad.rapport", "find customers where nmae = x\n")
        let r = rapport(["--data", "store", "--format", "csv", "-c", "log contact C404 via phone \"hi\"", bad, "-c", "count customers"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "count\n0\n")
    }

    // MARK: Parameters

    func testParametersReachScriptsCommandsAndStandardInput() throws {
        let s = try script("tier.rapport", """
        add customer id: $ID, name: $NAME, tier: $TIER
        find customers where tier = $TIER and name = $NAME show id, name, tier # "$TIER" stays text in quotes
        find customers where name = "$NAME" show id
        """)
        let r = rapport(["--data", "store", "--format", "csv", s, "--param", "TIER=gold", "--param", "NAME=Anna Lee",
                         "--param=ID=C7", "-c", "count customers where tier = $TIER", "-"],
                        stdin: "count customers where id = $ID\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "id,name,tier\nC7,Anna Lee,gold\nid\ncount\n1\ncount\n1\n")
    }

    func testUndefinedParameterIsAParseErrorWithItsPlace() throws {
        let s = try script("p.rapport", "count customers\nfind customers where tier = $TEIR\n")
        let r = rapport(["--data", "store", s, "--param", "TIER=gold", "--param", "CITY=x"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, """
        error: unknown parameter '$TEIR' at p.rapport:2:29
          find customers where tier = $TEIR
                                      ^^^^^
          did you mean '$TIER'?
          the parameters are: $CITY, $TIER

        """)
    }

    func testBadParameterFormIsAUsageError() {
        let r = rapport(["--data", "store", "--param", "tier", "-c", "count customers"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("error: --param takes NAME=VALUE"), r.stderr)
        XCTAssertFalse(storeExists("store"), "a usage error opens no store")
    }

    // MARK: Comments

    func testTrailingCommentInACommandAndInAScript() throws {
        let s = try script("c.rapport", """
        count customers # how many (all of them
        find customers where name = "#1" show id # the quoted # is text
        """)
        let r = rapport(["--data", "store", "--format", "csv", "-c", "count customers # how many", s])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "count\n0\ncount\n0\nid\n")
    }

    // MARK: Mistakes

    func testACommandTypedWithoutDashCGetsAHint() {
        let r = rapport(["--data", "store", "count", "customers"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "error: 'count' is not a script file; to run a command, use: rapport -c 'count customers'\n")
        XCTAssertEqual(r.stdout, "")
        XCTAssertFalse(storeExists("store"), "nothing is opened or created before the inputs are known to exist")
    }

    func testAMissingScriptStopsTheRunBeforeAnythingRuns() {
        let r = rapport(["--data", "store", "-c", "add customer id: \"C1\", name: \"A\"", "missing.rapport"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "error: cannot read the script 'missing.rapport': No such file or directory\n")
        XCTAssertFalse(storeExists("store"))
        let dir = rapport(["--data", "store", "."])
        XCTAssertEqual(dir.status, 2)
        XCTAssertEqual(dir.stderr, "error: cannot read the script '.': Is a directory\n")
    }

    func testAScriptThatIsNotUTF8IsRefused() throws {
        try Data([0x63, 0xFF, 0x0A]).write(to: URL(fileURLWithPath: directory + "/bin.rapport"))
        let r = rapport(["--demo-size", "1", "bin.rapport"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "error: the script 'bin.rapport' is not UTF-8 text\n")
    }

    func testUnknownOptionAfterTheScriptSuggestsTheNearest() throws {
        let s = try script("s.rapport", "count customers\n")
        let r = rapport(["--data", "store", s, "--bial"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("error: unknown option '--bial'; did you mean '--bail'?"), r.stderr)
    }

    // MARK: Paths that crashed (SIGILL in Foundation's path helpers)

    func testOneCharacterAndCJKStoreNamesOpen() {
        for name in ["d", "中", "f/g", "上海/客户", "x/"] {
            let r = rapport(["--data", name, "--format", "csv", "-c", "count customers"])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertEqual(r.stdout, "count\n0\n", name)
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory + "/" + name + "/lock"), name)
        }
    }

    func testBackupToAOneCharacterName() {
        XCTAssertEqual(rapport(["--data", "s", "-c", "add customer id: \"C1\", name: \"A\""]).status, 0)
        let r = rapport(["--data", "s", "-c", "backup to \"j\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("to j"), r.stdout)
        let copy = rapport(["--data", "j", "--format", "csv", "-c", "count customers"])
        XCTAssertEqual(copy.stdout, "count\n1\n", copy.stderr)
        let again = rapport(["--data", "s", "-c", "backup to \"j\""])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("j is not empty"), again.stderr)
        let itself = rapport(["--data", "s", "-c", "backup to \"./s/\""])
        XCTAssertEqual(itself.status, 1)
        XCTAssertEqual(itself.stderr, "error: cannot back up a store into itself\n")
    }

    func testAStorePathThroughAFileIsAClearError() throws {
        try "x".write(toFile: directory + "/f", atomically: true, encoding: .utf8)
        let inside = rapport(["--data", "f/g", "-c", "count customers"])
        XCTAssertEqual(inside.status, 1)
        XCTAssertEqual(inside.stderr, "error: cannot create the store directory f/g: cannot create a directory under f: Not a directory\n")
        let file = rapport(["--data", "f", "-c", "count customers"])
        XCTAssertEqual(file.status, 1)
        XCTAssertEqual(file.stderr, "error: f is a file, not a store directory\n")
        let empty = rapport(["--data", "", "-c", "count customers"])
        XCTAssertEqual(empty.status, 1, empty.stderr)
        XCTAssertTrue(empty.stderr.hasPrefix("error: cannot create the store directory"), empty.stderr)
    }
}
