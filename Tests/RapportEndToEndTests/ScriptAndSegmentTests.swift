import Foundation
import RapportTestSupport
import XCTest

/// Scripts as programs (`let`, `include`, errors that name the file, `--bail`) and saved
/// segments, through the real binary.
final class ScriptAndSegmentTests: XCTestCase {
    static let demo = ["--demo", "--now", "2026-11-01", "--timezone", "UTC", "--format", "csv"]
    /// The same demo store saved once and opened read-only (SharedDemoStore), for the tests
    /// whose scripts only read it; those that save segments or log changes take `demo`.
    static let reading = SharedDemoStore.arguments(now: "2026-11-01") + ["--format", "csv"]

    private func rapport(_ arguments: [String], stdin: String? = nil, in store: TemporaryStore) -> RapportRunner.Result {
        RapportRunner.run(arguments, stdin: stdin, directory: store.files)
    }

    /// The single number a `count` prints in CSV.
    private func count(_ run: RapportRunner.Result, file: StaticString = #filePath, line: UInt = #line) -> Int? {
        let lines = run.stdout.split(whereSeparator: \.isNewline)
        XCTAssertEqual(lines.first, "count", run.stderr, file: file, line: line)
        return lines.last.flatMap { Int($0) }
    }

    // MARK: let and --param

    func testLetIsADefaultThatParamOverrides() throws {
        let store = TemporaryStore("let")
        try store.file("care.rapport", "let window = 7d\ncount customers where lastContact > $window\n")
        let byLet = rapport(Self.reading + ["care.rapport"], in: store)
        let byParam = rapport(Self.reading + ["care.rapport", "--param", "window=300d"], in: store)
        let direct7 = rapport(Self.reading + ["-c", "count customers where lastContact > 7d"], in: store)
        let direct300 = rapport(Self.reading + ["-c", "count customers where lastContact > 300d"], in: store)
        XCTAssertEqual(byLet.status, 0, byLet.stderr)
        XCTAssertEqual(count(byLet), count(direct7))
        XCTAssertEqual(count(byParam), count(direct300))
        XCTAssertNotEqual(count(byLet), count(byParam))
    }

    func testLetTakesTextAndDoesNotLeakIntoTheNextInput() throws {
        let store = TemporaryStore("let-scope")
        try store.file("a.rapport", "let place = \"上海\"\ncount customers where city = $place\n")
        let r = rapport(Self.reading + ["a.rapport", "-c", "count customers where city = $place"], in: store)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("unknown parameter '$place' at 1:30"), r.stderr)
        let direct = rapport(Self.reading + ["-c", "count customers where city = 上海"], in: store)
        XCTAssertTrue(r.stdout.hasPrefix(direct.stdout), r.stdout)
    }

    func testLetRefusesAMissingName() throws {
        let r = RapportRunner.run(Self.reading + ["-c", "let 7 = 3"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("let needs a name"), r.stderr)
    }

    // MARK: include

    func testIncludeRunsARelativeFileWithSharedLets() throws {
        let store = TemporaryStore("include")
        try FileManager.default.createDirectory(atPath: store.files + "/lib", withIntermediateDirectories: true)
        try store.file("lib/window.rapport", "let window = 300d\n")
        try store.file("care.rapport", "include \"lib/window.rapport\"\ncount customers where lastContact > $window\n")
        // Run from another directory: the include is relative to the script, not the working directory.
        let r = RapportRunner.run(Self.reading + [store.files + "/care.rapport"], directory: NSTemporaryDirectory())
        let direct = RapportRunner.run(Self.reading + ["-c", "count customers where lastContact > 300d"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(count(r), count(direct))
    }

    func testIncludeCycleNamesTheChain() throws {
        let store = TemporaryStore("cycle")
        try store.file("a.rapport", "include \"b.rapport\"\n")
        try store.file("b.rapport", "count customers\ninclude \"a.rapport\"\n")
        let r = rapport(Self.reading + ["a.rapport"], in: store)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("the scripts include each other: a.rapport → b.rapport → a.rapport at b.rapport:2:9"), r.stderr)
        XCTAssertEqual(r.stdout.components(separatedBy: "count\n").count, 2, "b's count ran once: \(r.stdout)")
    }

    func testMissingIncludeNamesTheFile() throws {
        let store = TemporaryStore("missing")
        try store.file("a.rapport", "# care\ninclude \"nope.rapport\"\n")
        let r = rapport(Self.reading + ["a.rapport"], in: store)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("cannot include 'nope.rapport': No such file or directory at a.rapport:2:9"), r.stderr)
    }

    func testErrorInAnIncludedFileNamesThatFileLineAndCaret() throws {
        let store = TemporaryStore("included-error")
        try store.file("inner.rapport", "\n\nfind customers where lastcontct > 90d\n")
        try store.file("outer.rapport", "include \"inner.rapport\"\n")
        let r = rapport(Self.reading + ["outer.rapport"], in: store)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("""
            error: unknown field 'lastcontct' at inner.rapport:3:22
              find customers where lastcontct > 90d
                                   ^^^^^^^^^^
            """), r.stderr)
    }

    // MARK: errors name the file; --bail

    func testScriptErrorsNameTheFileAndCommandErrorsDoNot() throws {
        let store = TemporaryStore("named")
        try store.file("care.rapport", "#!/usr/bin/env rapport\ncount customers\nfind customers where lastcontct > 90d\n")
        let r = rapport(Self.reading + ["care.rapport", "-c", "find customers where lastcontct > 90d"], in: store)
        XCTAssertTrue(r.stderr.contains("error: unknown field 'lastcontct' at care.rapport:3:22\n  find customers where lastcontct > 90d\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("error: unknown field 'lastcontct' at 1:22\n"), r.stderr)
    }

    func testBailStopsInsideAnIncludedFileAndKeepsItsStatus() throws {
        let store = TemporaryStore("bail")
        try store.file("inner.rapport", "log contact NOBODY via phone \"hi\"\ncount customers\n")
        try store.file("outer.rapport", "include \"inner.rapport\"\ncount customers\n")
        let bailed = rapport(Self.demo + ["--bail", "outer.rapport", "-c", "count customers"], in: store)
        XCTAssertEqual(bailed.status, 1, bailed.stderr)
        XCTAssertEqual(bailed.stdout, "", "nothing runs after the failure")
        let full = rapport(Self.demo + ["outer.rapport", "-c", "count customers"], in: store)
        XCTAssertEqual(full.status, 1)
        XCTAssertEqual(full.stdout.components(separatedBy: "count\n").count, 4, full.stdout)
        let parse = rapport(Self.demo + ["--bail", "-", "-c", "count customers"], stdin: "let x = 1\ninclude \"outer.rapport\"\nfind customers where nope = 1\n", in: store)
        XCTAssertEqual(parse.status, 1, "the include's runtime failure stops standard input: \(parse.stderr)")
    }

    // MARK: segments

    func testSegmentSavedUsedWithAndOrListedAndDeleted() throws {
        let gold = "tier = gold and lastContact > 90d"
        let r = RapportRunner.run(Self.demo + [
            "-c", "save segment \"lapsing gold\" as customers where \(gold)",
            "-c", "count customers in segment \"Lapsing Gold\"",
            "-c", "count customers where \(gold)",
            "-c", "count customers in segment \"lapsing gold\" and city = 上海",
            "-c", "count customers where \(gold) and city = 上海",
            "-c", "count customers where not in segment \"lapsing gold\" or tier = platinum",
            "-c", "count customers where not (\(gold)) or tier = platinum",
            "-c", "show segments",
            "-c", "delete segment \"lapsing gold\"",
            "-c", "show segments",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(whereSeparator: \.isNewline).map(String.init)
        let values = lines.indices.filter { lines[$0] == "count" && $0 + 1 < lines.count }.map { lines[$0 + 1] }
        XCTAssertEqual(values.count, 6, r.stdout)
        func value(after index: Int) -> String? { index < values.count ? values[index] : nil }
        XCTAssertEqual(value(after: 0), value(after: 1))
        XCTAssertEqual(value(after: 2), value(after: 3))
        XCTAssertEqual(value(after: 4), value(after: 5))
        XCTAssertNotEqual(value(after: 0), "0")
        XCTAssertTrue(r.stdout.contains("lapsing gold,customers,\(gold),"), r.stdout)
        XCTAssertTrue(r.stderr.contains("deleted segment 'lapsing gold'"), r.stderr)
        XCTAssertEqual(lines.last, "segment,entity,condition,savedBy,savedAt", "listed no more: \(r.stdout)")
    }

    func testUnknownSegmentSuggestsTheNearestName() {
        let r = RapportRunner.run(Self.demo + ["--format", "table",
            "-c", "save segment vips as customers where tier = platinum",
            "-c", "find customers in segment vipz"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("error: unknown segment 'vipz' at 1:27\n  find customers in segment vipz\n                            ^^^^\n  did you mean 'vips'?"), r.stderr)
    }

    func testSavingTwiceIsHarmlessAndAnotherConditionNeedsReplace() {
        let r = RapportRunner.run(Self.demo + [
            "-c", "save segment vips as customers where tier = platinum",
            "-c", "save segment VIPS as customers where tier = platinum",
            "-c", "save segment vips as customers where tier = gold",
            "-c", "save segment vips replace as customers where tier = gold",
            "-c", "show segments"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("no change: segment 'VIPS' is saved already"), r.stderr)
        XCTAssertTrue(r.stderr.contains("segment 'vips' exists already, with another condition: customers where tier = platinum"), r.stderr)
        XCTAssertTrue(r.stderr.contains("replaced segment 'vips': customers where tier = gold"), r.stderr)
        XCTAssertTrue(r.stdout.contains("vips,customers,tier = gold,"), r.stdout)
    }

    func testDryRunOfSaveChangesNothing() {
        let store = TemporaryStore("segment-dry")
        let dry = store.run(["--dry-run", "-c", "save segment vips as customers where tier = platinum"])
        XCTAssertEqual(dry.status, 0, dry.stderr)
        XCTAssertTrue(dry.stdout.contains("dry run: would have saved segment 'vips'"), dry.stdout)
        let after = store.run(["-c", "find customers in segment vips"])
        XCTAssertEqual(after.status, 2)
        XCTAssertTrue(after.stderr.contains("unknown segment 'vips'"), after.stderr)
    }

    func testSegmentOfAnotherEntityIsRefused() throws {
        let store = TemporaryStore("segment-stale")
        let file = try store.file("c.jsonl", "{\"id\":\"C1\",\"name\":\"A\",\"vip\":true}\n")
        XCTAssertEqual(store.run(["-c", "import customers from \"\(file)\"", "-c", "save segment v as customers where vip"]).status, 0)
        let wrongEntity = store.run(["-c", "count contacts in segment v"])
        XCTAssertTrue(wrongEntity.stderr.contains("segment 'v' is a segment of customers, not of contacts"), wrongEntity.stderr)
    }

    func testSegmentsSurviveRestartSnapshotAndKill() throws {
        let store = TemporaryStore("segment-kept")
        XCTAssertEqual(store.run(["-c", "save segment vips as customers where tier = platinum"]).status, 0)
        XCTAssertTrue(store.run(["-c", "show segments"]).stdout.contains("vips"), "from the journal")
        XCTAssertEqual(store.run(["-c", "save"]).status, 0)
        XCTAssertTrue(store.run(["-c", "show segments"]).stdout.contains("vips"), "from the snapshot")
        XCTAssertEqual(store.run(["-c", "delete segment vips", "-c", "save"]).status, 0)
        XCTAssertFalse(store.run(["-c", "show segments"]).stdout.contains("vips"), "deleted in the snapshot too")

        // kill -9 right after the confirmation: the segment is on disk already.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-c", """
            exec 3< <(echo 'save segment "lapsing gold" as customers where lastContact > 90d'; exec sleep 30)
            feeder=$!
            "$0" --data "$1" --now 2026-11-01 --timezone UTC - <&3 > "$1.out" 2>&1 &
            pid=$!
            for i in $(seq 100); do grep -q saved "$1.out" 2>/dev/null && break; sleep 0.1; done
            kill -9 $pid
            # The sleep only kept rapport's input open; left running, it held the test's output for 30 s.
            kill $feeder
            """, RapportRunner.binary.path, store.path]
        try shell.run()
        shell.waitUntilExit()
        let shown = store.run(["-c", "show segments"])
        XCTAssertTrue(shown.stdout.contains("lapsing gold"), shown.stdout + shown.stderr)
        XCTAssertEqual(store.run(["--check"]).status, 0)
    }
}
