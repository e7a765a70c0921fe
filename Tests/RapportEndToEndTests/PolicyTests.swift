import Foundation
import RapportCore
import XCTest
import RapportTestSupport

/// `show policy` and `set policy` through the real binary: the key and value checked, the
/// role and read-only refusals, dry run, and the change surviving a new process (journal
/// replay) and a snapshot.
final class PolicyTests: XCTestCase {
    var store: TemporaryStore!

    override func setUp() { store = TemporaryStore("policy") }
    override func tearDown() { store = nil }

    @discardableResult
    func rapport(_ args: [String]) -> RapportRunner.Result { store.run(args) }

    /// The value column of one key, as a fresh process reads it.
    func shown(_ key: String) -> String {
        let r = rapport(["--format", "csv", "-c", "show policy \(key)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = r.stdout.split(separator: "\n")
        XCTAssertEqual(rows.first, "key,value,default,meaning")
        return rows.dropFirst().first.map { String($0.split(separator: ",")[1]) } ?? ""
    }

    func testShowPolicyListsEveryKeyInCatalogueOrderInEveryFormat() throws {
        let csv = rapport(["--format", "csv", "-c", "show policy"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let rows = csv.stdout.split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.map { String($0.split(separator: ",")[0]) }, PolicyCatalogue.all.map(\.name))
        XCTAssertTrue(csv.stdout.contains("response.phone,3min,3min,first response to a phone ticket\n"), csv.stdout)
        let json = rapport(["--format", "json", "-c", "show policy ltv"])
        let objects = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        XCTAssertEqual(objects?.map { $0["key"] as? String }, ["ltv.margin", "ltv.discountRate", "ltv.horizon"])
        XCTAssertEqual(objects?.first?["default"] as? String, "1")
        let table = rapport(["-c", "show policy Tier.Gold"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("tier.gold.spend") && table.stdout.contains("(2 rows)"), table.stdout)
        XCTAssertFalse(table.stdout.contains("tier.silver"), table.stdout)
    }

    func testSetPolicySurvivesANewProcessAndASnapshot() throws {
        var r = rapport(["-c", "set policy resolution.urgent = 12h"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "policy resolution.urgent: 24h → 12h\n")
        XCTAssertEqual(shown("resolution.urgent"), "12h", "journal replay")
        // Every form a value may take, quoted too: minutes, seconds, words, fractions.
        for (command, expected) in [("set policy response.phone = 5min", "5min"),
                                    (#"set policy response.phone = "90 s""#, "90s"),
                                    ("set policy response.phone = 2 minutes", "2min"),
                                    ("set policy response.phone = 1.5h", "90min")] {
            r = rapport(["-c", command])
            XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)")
            XCTAssertEqual(shown("response.phone"), expected, command)
        }
        r = rapport(["-c", "SET POLICY LTV.DiscountRate = 0.08", "-c", "set policy grade.A = 25"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let journal = try String(contentsOfFile: store.path + "/journal.jsonl", encoding: .utf8)
        XCTAssertTrue(journal.contains(#""policy":[{"key":"ltv.discountRate","before":0.1,"after":0.08}]"#), journal)
        XCTAssertTrue(journal.contains(#""role":"admin","command":"SET POLICY LTV.DiscountRate = 0.08""#), journal)

        r = rapport(["-c", "save"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try String(contentsOfFile: store.path + "/journal.jsonl", encoding: .utf8), "")
        XCTAssertEqual(shown("resolution.urgent"), "12h", "from the snapshot")
        XCTAssertEqual(shown("ltv.discountRate"), "0.08")
        XCTAssertEqual(shown("grade.A"), "25")
        XCTAssertEqual(shown("response.phone"), "90min")
        r = rapport(["--check"])
        XCTAssertEqual(r.status, 0, r.stdout)
        // Back to the default: the override goes, and the next snapshot does not hold it.
        r = rapport(["-c", "set policy resolution.urgent = 24h", "-c", "save"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(shown("resolution.urgent"), "24h")
        let snapshot = try String(contentsOfFile: store.path + "/snapshot.json", encoding: .utf8)
        XCTAssertFalse(snapshot.contains("resolution.urgent"), snapshot)
    }

    func testNoChangeAndDryRunWriteNothing() throws {
        var r = rapport(["-c", "set policy resolution.urgent = 24h"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "no change: policy resolution.urgent is 24h already\n")
        r = rapport(["--dry-run", "-c", "set policy resolution.urgent = 12h"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "dry run: would set policy resolution.urgent: 24h → 12h; nothing changed\n")
        r = rapport(["-c", "set dry-run on", "-c", "set policy resolution.urgent = 12h"])
        XCTAssertTrue(r.stdout.contains("nothing changed"), r.stdout)
        XCTAssertEqual(shown("resolution.urgent"), "24h")
        let journal = (try? String(contentsOfFile: store.path + "/journal.jsonl", encoding: .utf8)) ?? ""
        XCTAssertFalse(journal.contains("policy"), journal)
    }

    func testUnknownKeyBadValueAndOutOfRangeAreUsageErrorsWithCarets() {
        var r = rapport(["-c", "set policy resolution.urgnet = 12h"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, """
            error: unknown policy key 'resolution.urgnet' at 1:12
              set policy resolution.urgnet = 12h
                         ^^^^^^^^^^^^^^^^^
              did you mean 'resolution.urgent'?
              show policy lists every key

            """)
        r = rapport(["-c", "set policy ltv.margin = 2"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.hasPrefix("error: ltv.margin takes a number from 0 to 1; '2' is not one at 1:25\n"), r.stderr)
        XCTAssertTrue(r.stderr.contains("\n  set policy ltv.margin = 2\n" + String(repeating: " ", count: 26) + "^\n"), r.stderr)
        r = rapport(["-c", "set policy resolution.urgent = soon please"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("resolution.urgent takes a duration of 0d or more"), r.stderr)
        XCTAssertTrue(r.stderr.contains("^^^^^^^^^^^"), "the caret spans the whole value: \(r.stderr)")
        r = rapport(["-c", "set policy ltv.horizon = 2.5"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("ltv.horizon takes a whole number from 0 to 100"), r.stderr)
        r = rapport(["-c", "set policy churn.lowSatisfaction = 9"])
        XCTAssertTrue(r.stderr.contains("churn.lowSatisfaction takes a whole number from 1 to 5; '9' is not one"), r.stderr)
        r = rapport(["-c", "set policy grade.A = -5"])
        XCTAssertTrue(r.stderr.contains("grade.A takes a percentage from 0 to 100"), r.stderr)
        r = rapport(["-c", "set policy resolution.urgent 12h"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("expected '='"), r.stderr)
        r = rapport(["-c", "set policy resolution.urgent ="])
        XCTAssertEqual(r.status, 2)
        r = rapport(["-c", "show policy nosuch"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("no policy key starts with 'nosuch'"), r.stderr)
        XCTAssertEqual(shown("ltv.margin"), "1", "nothing was changed")
    }

    func testOnlyAnAdminSetsThePolicyAndEveryRoleReadsIt() {
        for role in ["trainee", "agent", "manager"] {
            let r = rapport(["--role", role, "-c", "set policy resolution.urgent = 12h"])
            XCTAssertEqual(r.status, 1, role)
            XCTAssertEqual(r.stderr, "error: 'set policy' needs the admin role; this session is \(role)\n")
            let show = rapport(["--role", role, "-c", "show policy"])
            XCTAssertEqual(show.status, 0, show.stderr)
        }
        XCTAssertEqual(shown("resolution.urgent"), "24h")
    }

    func testAReadOnlyStoreRefusesAChange() {
        XCTAssertEqual(rapport(["-c", "save"]).status, 0)
        let r = rapport(["--read-only", "-c", "set policy resolution.urgent = 12h"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("read-only"), r.stderr)
        XCTAssertEqual(shown("resolution.urgent"), "24h")
    }

    func testAStoreWrittenBeforeThePolicyOpensWithTheDefaultsAndTakesAChange() throws {
        try FileManager.default.createDirectory(atPath: (store.path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: FormatVersionTests.versionOneStore, toPath: store.path)
        let r = rapport(["--format", "csv", "-c", "show policy"])
        XCTAssertEqual(r.status, 0, r.stderr)
        for key in PolicyCatalogue.all {
            XCTAssertTrue(r.stdout.contains("\n\(key.name),\(key.format(key.defaultValue)),\(key.format(key.defaultValue)),"), key.name)
        }
        XCTAssertEqual(rapport(["-c", "set policy revisit.A = 2w", "-c", "save"]).status, 0)
        XCTAssertEqual(shown("revisit.A"), "14d")
        XCTAssertEqual(rapport(["--check"]).status, 0)
    }

    func testAnUnknownKeyOrABadValueInAFileIsReportedNotGuessedAt() throws {
        XCTAssertEqual(rapport(["-c", "set policy ltv.margin = 0.5"]).status, 0)
        let path = store.path + "/journal.jsonl"
        let good = try String(contentsOfFile: path, encoding: .utf8)
        for (from, to, reason) in [(#""key":"ltv.margin""#, #""key":"ltv.marjin""#, "unknown policy key 'ltv.marjin'"),
                                   (#""after":0.5"#, #""after":7.5"#, "policy ltv.margin cannot be 7.5")] {
            // A line rewritten with a valid checksum: written so, not damaged on the way.
            let body = String(good.split(separator: "\t")[0]).replacingOccurrences(of: from, with: to)
            try (body + "\t" + FormatVersionTests.hex(CRC32.checksum(Array(body.utf8))) + "\n")
                .write(toFile: path, atomically: true, encoding: .utf8)
            let r = rapport(["-c", "show policy"])
            XCTAssertEqual(r.status, 1)
            XCTAssertTrue(r.stderr.contains(reason), r.stderr)
            let check = rapport(["--check"])
            XCTAssertEqual(check.status, 1)
            XCTAssertTrue(check.stdout.contains(reason), check.stdout)
        }
    }
}
