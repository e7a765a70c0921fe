import Foundation
import XCTest
import RapportTestSupport

/// `recompute` and the tier raise through the real binary: a purchase raises a tier at
/// once, only `recompute tiers` lowers it; a dry run lists and changes nothing; a real
/// run is durable; the command needs a manager.
final class RecomputeEndToEndTests: XCTestCase {
    var data: String!

    override func setUpWithError() throws {
        data = NSTemporaryDirectory() + "rapport-recompute-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    func rapport(_ args: [String], now: String = "2026-11-24", role: String = "admin", stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let r = RapportRunner.run(["--data", data, "--now", now, "--timezone", "UTC", "--format", "csv", "--role", role] + args, stdin: stdin)
        return (r.status, r.stdout.replacingOccurrences(of: "\r\n", with: "\n"), r.stderr)
    }

    /// C1 bought twice this year (silver by spend and count), C2 once two years ago, C3
    /// never; C2 raised a complaint.
    func seed() {
        let script = """
            add customer id: "C1", name: "王芳", tier: bronze, stage: active
            add customer id: "C2", name: "Anna", tier: gold, stage: active
            add customer id: "C3", name: "Li", stage: active
            add purchase customer: "C1", date: 2026-10-01, amount: 1500
            add purchase customer: "C1", date: 2026-11-01, amount: 600
            add purchase customer: "C2", date: 2024-11-01, amount: 90000
            open ticket C2 complaint "broken"
            """
        let r = rapport(["-"], stdin: script + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testAPurchaseRaisesTheTierAtOnceAndOnlyRecomputeLowersIt() {
        XCTAssertEqual(rapport(["-c", #"add customer id: "C9", name: "Wu", tier: bronze"#]).status, 0)
        XCTAssertEqual(rapport(["-c", "log purchase C9 amount 1000"]).status, 0)
        XCTAssertEqual(rapport(["-c", "find customers where id = C9 show tier"]).stdout, "tier\nbronze\n", "one purchase: still short of silver")
        let raised = rapport(["-c", "log purchase C9 amount 1000"])
        XCTAssertEqual(raised.status, 0, raised.stderr)
        XCTAssertEqual(rapport(["-c", "find customers where id = C9 show tier, points"]).stdout, "tier,points\nsilver,2000\n",
                       "the second purchase reaches 2000 and 2 purchases: silver at once, with the points")
        // A year later the purchases fall out of the window: the tier stays until recompute.
        let later = "2027-11-24"
        XCTAssertEqual(rapport(["-c", "log purchase C9 amount 10"], now: later).status, 0, "a small purchase a year later")
        XCTAssertEqual(rapport(["-c", "find customers where id = C9 show tier"], now: later).stdout, "tier\nsilver\n", "never lowered by a purchase")
        let run = rapport(["-c", "recompute tiers"], now: later)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "id,name,field,from,to\nC9,Wu,tier,silver,bronze\n")
        XCTAssertEqual(run.stderr, "1 customer moved: 1 silver → bronze\n")
        XCTAssertEqual(rapport(["-c", "find customers where id = C9 show tier"], now: later).stdout, "tier\nbronze\n")
    }

    func testImportedPurchasesRaiseTheTierToo() throws {
        XCTAssertEqual(rapport(["-c", #"add customer id: "C9", name: "Wu""#]).status, 0)
        let file = data + "-purchases.jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
            {"customer": "C9", "date": "2026-11-01", "amount": 6000}
            {"customer": "C9", "date": "2026-11-02", "amount": 6000}
            {"customer": "C9", "date": "2026-11-03", "amount": 6000}
            {"customer": "C9", "date": "2026-11-04", "amount": 6000}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let r = rapport(["-c", "import purchases from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(rapport(["-c", "find customers where id = C9 show tier"]).stdout, "tier\ngold\n")
    }

    func testDryRunListsAndChangesNothing() {
        seed()
        let expected = """
            id,name,field,from,to
            C2,Anna,stage,active,lost
            C2,Anna,lostReason,,fault
            C3,Li,stage,active,prospect

            """
        for args in [["-c", "recompute stages --dry-run"], ["-c", "recompute stages --dry-run"], ["-c", "set dry-run on", "-c", "recompute stages"]] {
            let r = rapport(args)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, expected, "\(args): a second run lists the same")
            XCTAssertTrue(r.stderr.hasSuffix("dry run: 2 customers would move: 1 active → lost, 1 lostReason none → fault, 1 active → prospect; nothing changed\n"), r.stderr)
        }
        XCTAssertEqual(rapport(["-c", "find customers show id, stage, lostReason"]).stdout, "id,stage,lostReason\nC1,active,\nC2,active,\nC3,active,\n")
    }

    func testARealRunIsDurableAndASecondFindsNobody() {
        seed()
        let r = rapport(["-c", "recompute stages"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "2 customers moved: 1 active → lost, 1 lostReason none → fault, 1 active → prospect\n")
        XCTAssertEqual(rapport(["-c", "find customers show id, stage, lostReason"]).stdout,
                       "id,stage,lostReason\nC1,active,\nC2,lost,fault\nC3,prospect,\n", "a fresh process sees the new stages")
        let again = rapport(["--format", "table", "-c", "recompute stages"])
        XCTAssertEqual(again.stdout, "nobody moved: every customer's stage is up to date\n")
        // A hand-set reason stays; coming back clears it.
        XCTAssertEqual(rapport(["-c", "update customers where id = C2 set lostReason = competitive"]).status, 0)
        XCTAssertEqual(rapport(["-c", "log purchase C2 amount 10"]).status, 0)
        XCTAssertEqual(rapport(["-c", "recompute stages"]).stdout, "id,name,field,from,to\nC2,Anna,lostReason,competitive,\n",
                       "the purchase made C2 active; recompute clears the reason")
    }

    func testTiersAndGradesMove() {
        seed()
        XCTAssertEqual(rapport(["-c", "find customers where id = C1 show tier"]).stdout, "tier\nsilver\n",
                       "add purchase raised C1 already, as log purchase does")
        let tiers = rapport(["-c", "recompute tiers"])
        XCTAssertEqual(tiers.stdout, "id,name,field,from,to\nC2,Anna,tier,gold,bronze\nC3,Li,tier,,bronze\n")
        let grades = rapport(["-c", "recompute grades --dry-run"])
        XCTAssertEqual(grades.stdout, "id,name,field,from,to\nC1,王芳,grade,,A\nC2,Anna,grade,,D\nC3,Li,grade,,D\n",
                       "only C1 spent within 12 months")
    }

    func testLostReasonIsAVocabularyField() {
        seed()
        let bad = rapport(["-c", "update customers where id = C1 set lostReason = bored"])
        XCTAssertEqual(bad.status, 2, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("natural, malicious, competitive, fault"), bad.stderr)
        XCTAssertEqual(rapport(["-c", "update customers where id = C1 set lostReason = Malicious"]).status, 0)
        XCTAssertEqual(rapport(["-c", "count customers where lostReason = malicious"]).stdout, "count\n1\n")
    }

    func testTraineeAndAgentAreRefused() {
        seed()
        for role in ["trainee", "agent"] {
            let r = rapport(["-c", "recompute tiers --dry-run"], role: role)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("manager"), r.stderr)
        }
        XCTAssertEqual(rapport(["-c", "recompute tiers --dry-run"], role: "manager").status, 0)
    }

    func testBadTargetIsAParseError() {
        let r = rapport(["-c", "recompute tier"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("tiers"), r.stderr)
    }
}
