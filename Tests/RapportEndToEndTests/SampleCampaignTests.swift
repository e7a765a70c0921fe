import Foundation
import XCTest
import RapportTestSupport

/// Every sample in scripts/campaigns/ run through the real binary on a copy of the demo
/// store, with a pinned clock chosen so the routine fires: the first run acts on some
/// customers, a second run with the same clock changes nothing, a dry run changes nothing.
final class SampleCampaignTests: XCTestCase {
    /// One sample and the moment that makes it fire on the demo store (which is generated
    /// around that moment: its birthdays, purchases and points are relative to it).
    struct Sample {
        var file: String
        var now: String
        /// Customers in the demo store: the default 5000 where the routine is rare.
        var demoSize = "2000"
    }

    /// Every sample file, each with its own test below; `testEverySampleFileHasATest` fails
    /// for a file missing here.
    static let samples: [Sample] = [
        Sample(file: "birthday.rapport", now: "2026-11-24T10:00:00+08:00"),
        // Five days before 春节 2027 (6 February).
        Sample(file: "holiday-greetings.rapport", now: "2027-02-01T10:00:00+08:00"),
        Sample(file: "first-revisit.rapport", now: "2026-11-24T10:00:00+08:00"),
        Sample(file: "quarterly-revisit.rapport", now: "2026-11-24T10:00:00+08:00"),
        Sample(file: "satisfaction-survey.rapport", now: "2026-11-24T10:00:00+08:00"),
        Sample(file: "win-back.rapport", now: "2026-11-24T10:00:00+08:00"),
        // Few complaints close in any one week with a low score: 5000 customers have one.
        Sample(file: "complaint-follow-up.rapport", now: "2026-11-24T10:00:00+08:00", demoSize: "5000"),
        Sample(file: "tier-upgrade.rapport", now: "2026-11-24T10:00:00+08:00"),
        Sample(file: "points-expiry.rapport", now: "2026-11-24T10:00:00+08:00"),
    ]

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/campaigns")

    /// What a run may change: the counts compared before and after.
    static let counted = ["messages", "contacts", "tasks", "points", "tickets", "touchpoints"]

    func testEverySampleFileHasATest() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".rapport") }.sorted()
        XCTAssertEqual(files, Self.samples.map(\.file).sorted(), "every file in scripts/campaigns/ needs an entry in SampleCampaignTests.samples and a test")
        // No reflection of test methods on Linux: read this file for each sample's test.
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        for sample in Self.samples {
            XCTAssertTrue(source.contains("() throws { try check(\"\(sample.file)\") }"), "no test runs check(\"\(sample.file)\")")
        }
    }

    func testEverySampleStartsAsAProgramAndSaysWhenToScheduleIt() throws {
        for sample in Self.samples {
            let text = try String(contentsOf: Self.directory.appendingPathComponent(sample.file), encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("#!/usr/bin/env rapport\n"), sample.file)
            XCTAssertTrue(text.contains("* * rapport --data") || text.contains("* 1-5 rapport --data") || text.contains("* 1 rapport --data"),
                          "\(sample.file): a crontab line")
            XCTAssertTrue(text.contains("\nlet "), "\(sample.file): a let parameter to tune")
            XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Self.directory.appendingPathComponent(sample.file).path), sample.file)
        }
    }

    func testBirthday() throws { try check("birthday.rapport") }
    func testHolidayGreetings() throws { try check("holiday-greetings.rapport") }
    func testFirstRevisit() throws { try check("first-revisit.rapport") }
    func testQuarterlyRevisit() throws { try check("quarterly-revisit.rapport") }
    func testSatisfactionSurvey() throws { try check("satisfaction-survey.rapport") }
    func testWinBack() throws { try check("win-back.rapport") }
    func testComplaintFollowUp() throws { try check("complaint-follow-up.rapport") }
    func testTierUpgrade() throws { try check("tier-upgrade.rapport") }
    func testPointsExpiry() throws { try check("points-expiry.rapport") }

    func testParametersOverrideTheSamplesLets() throws {
        let store = try demoCopy(now: "2026-11-24T10:00:00+08:00")
        let path = Self.directory.appendingPathComponent("birthday.rapport").path
        let week = try targeted(run(store, now: "2026-11-24T10:00:00+08:00", ["--dry-run", path]))
        let month = try targeted(run(store, now: "2026-11-24T10:00:00+08:00", ["--dry-run", "--param", "window=30d", path]))
        XCTAssertGreaterThan(week, 0)
        XCTAssertGreaterThan(month, week, "--param window=30d reaches further than the file's 7d")
    }

    /// The derived fields behind the points-expiry reminder follow the FIFO ledger: the
    /// oldest lot lapses first, a redemption spends it first, an expired lot is gone.
    func testNextPointsExpiryAndPointsExpiringNextFollowTheLedger() {
        let store = TemporaryStore("samples")
        func at(_ now: String, _ commands: [String]) -> RapportRunner.Result {
            let r = store.run(["--format", "csv"] + commands.flatMap { ["-c", $0] }, now: now)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r
        }
        let fields = " show id, points, nextPointsExpiry, pointsExpiringNext"
        let show = "find customers" + fields, showC1 = "find customers where id = C1" + fields
        at("2026-01-10T10:00:00Z", [#"add customer id: C1, name: "王芳""#, #"add customer id: C2, name: "Anna""#, "log purchase C1 amount 300"])
        at("2026-03-01T10:00:00Z", ["log purchase C1 amount 200"])
        XCTAssertEqual(at("2026-11-24T10:00:00Z", [show]).stdout, "id,points,nextPointsExpiry,pointsExpiringNext\nC1,500,2027-01-10,300\nC2,0,,0\n")
        at("2026-11-24T10:00:00Z", [#"redeem C1 100 "voucher""#])
        XCTAssertEqual(at("2026-11-24T10:00:00Z", [showC1]).stdout.split(separator: "\n").last, "C1,400,2027-01-10,200")
        // After the first lot lapsed, the second is next.
        XCTAssertEqual(at("2027-01-10T10:00:00Z", [showC1]).stdout.split(separator: "\n").last, "C1,200,2027-03-01,200")
    }

    // MARK: The check every sample passes

    func check(_ file: String, line: UInt = #line) throws {
        let sample = try XCTUnwrap(Self.samples.first { $0.file == file }, line: line)
        let path = Self.directory.appendingPathComponent(file).path
        let store = try demoCopy(now: sample.now, size: sample.demoSize)
        let before = try counts(store, now: sample.now)

        let dry = run(store, now: sample.now, ["--dry-run", path])
        try skipIfTheBinaryLacksAClause(dry)
        XCTAssertEqual(dry.status, 0, "\(file) --dry-run: \(dry.stderr)", line: line)
        // In the csv format the summary goes to standard error, the listed messages to standard output.
        XCTAssertTrue(dry.stderr.contains("nothing changed"), "\(file) --dry-run: \(dry.stderr)", line: line)
        XCTAssertEqual(try counts(store, now: sample.now), before, "\(file): a dry run changed the store", line: line)

        let first = run(store, now: sample.now, [path])
        XCTAssertEqual(first.status, 0, "\(file): \(first.stderr)", line: line)
        XCTAssertGreaterThan(try targeted(first), 0, "\(file) targets nobody on the demo store at \(sample.now): \(first.stdout)", line: line)
        let afterFirst = try counts(store, now: sample.now)
        XCTAssertNotEqual(afterFirst, before, "\(file): the first run changed nothing", line: line)

        let second = run(store, now: sample.now, [path])
        XCTAssertEqual(second.status, 0, "\(file) again: \(second.stderr)", line: line)
        XCTAssertEqual(try counts(store, now: sample.now), afterFirst, "\(file): the second run with the same --now changed the store", line: line)
        for summary in (second.stdout + second.stderr).split(separator: "\n") where summary.contains(": targeted ") {
            XCTAssertTrue(summary.hasSuffix("sent 0") || summary.hasSuffix("applied to 0"), "\(file) again: \(summary)", line: line)
        }
    }

    // MARK: Helpers

    /// A store directory holding the demo data generated around `now`: a copy of the one
    /// saved for the run (SharedDemoStore, `backup to`), most samples sharing a moment and size.
    func demoCopy(now: String, size: String = "2000") throws -> TemporaryStore {
        let store = TemporaryStore("samples")
        try FileManager.default.createDirectory(atPath: store.files, withIntermediateDirectories: true)
        let saved = SharedDemoStore.path(size: try XCTUnwrap(Int(size)), now: now, timezone: "Asia/Shanghai")
        try FileManager.default.copyItem(atPath: saved, toPath: store.path)
        return store
    }

    func run(_ store: TemporaryStore, now: String, _ arguments: [String]) -> RapportRunner.Result {
        RapportRunner.run(["--data", store.path, "--now", now, "--timezone", "Asia/Shanghai", "--format", "csv"] + arguments)
    }

    /// `count ENTITY` of each entity that a run may change, and the customers' points.
    func counts(_ store: TemporaryStore, now: String) throws -> [String] {
        let r = run(store, now: now, Self.counted.flatMap { ["-c", "count \($0)"] } + ["-c", "sum points of customers"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let values = r.stdout.split(separator: "\n").filter { $0 != "count" && $0 != "sum(points)" }.map(String.init)
        XCTAssertEqual(values.count, Self.counted.count + 1, r.stdout)
        return values
    }

    /// The customers targeted, summed over the run's summary lines.
    func targeted(_ result: RapportRunner.Result) throws -> Int {
        let pattern = try NSRegularExpression(pattern: ": (?:dry run: )?targeted ([0-9]+)")
        let text = result.stdout + result.stderr
        let matches = pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        XCTAssertFalse(matches.isEmpty, "no summary line in: \(text)")
        return matches.reduce(0) { sum, match in sum + Int((text as NSString).substring(with: match.range(at: 1)))! }
    }

    /// `when holiday` and `send preferred` are being added on another branch: until it is
    /// merged, a sample using them is skipped, naming the clause, rather than failing.
    func skipIfTheBinaryLacksAClause(_ result: RapportRunner.Result) throws {
        for clause in ["unknown campaign line 'when'", "unknown channel 'preferred'"] where result.stderr.contains(clause) {
            throw XCTSkip("this binary does not know the clause yet (\(clause)); the test runs once it does")
        }
    }
}
