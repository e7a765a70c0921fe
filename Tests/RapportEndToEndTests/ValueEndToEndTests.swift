import Foundation
import XCTest
import RapportTestSupport

/// The value fields through the real binary: rfm, rfmSegment, ltv, nextContactDue and
/// churnRisk queried, sorted and grouped; moved by --now; `why churn` agrees with churnRisk.
final class ValueEndToEndTests: XCTestCase {
    var data: String!

    override func setUpWithError() throws {
        data = NSTemporaryDirectory() + "rapport-value-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: data)
    }

    func rapport(_ args: [String], now: String = "2026-11-24", format: String = "csv", stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let r = RapportRunner.run(["--data", data, "--now", now, "--timezone", "UTC", "--format", format] + args, stdin: stdin)
        return (r.status, r.stdout.replacingOccurrences(of: "\r\n", with: "\n"), r.stderr)
    }

    /// C1 buys twice lately and was contacted; C2 bought once, long ago; C3 never bought and
    /// is unhappy; C4 bought monthly, then stopped.
    func seed() {
        let script = """
            add customer id: "C1", name: "王芳", grade: A, createdAt: 2026-01-01
            add customer id: "C2", name: "Anna", createdAt: 2024-06-01
            add customer id: "C3", name: "Li", satisfaction: 1, createdAt: 2026-11-01
            add customer id: "C4", name: "Bo", createdAt: 2026-01-01
            add purchase customer: "C1", date: 2026-10-20, amount: 500
            add purchase customer: "C1", date: 2026-11-20, amount: 1000
            add contact customer: "C1", date: 2026-11-21, channel: phone
            add purchase customer: "C2", date: 2025-01-01, amount: 200
            add purchase customer: "C4", date: 2026-01-01, amount: 100
            add purchase customer: "C4", date: 2026-02-01, amount: 100
            add purchase customer: "C4", date: 2026-03-01, amount: 100
            """
        let r = rapport(["-"], stdin: script + "\n")
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testFieldsQuerySortAndGroup() {
        seed()
        XCTAssertEqual(rapport(["-c", "find customers sort by ltv desc show id, rfm, rfmSegment, ltv, nextContactDue, churnRisk"]).stdout, """
            id,rfm,rfmSegment,ltv,nextContactDue,churnRisk
            C1,535,potential,5686.18,2026-12-21,low
            C4,353,loyal,1137.24,2026-03-08,high
            C2,111,lost,0,2024-08-30,medium
            C3,,,0,2027-01-30,medium

            """, "R by last date, F by count, M by total among 3 buyers; ltv = 3.7908 × 12-month spend; C2: one-time buyer 2 + overdue 1 = 3, medium")
        XCTAssertEqual(rapport(["-c", "count customers by churnRisk"]).stdout, "churnRisk,count\nhigh,1\nlow,1\nmedium,2\n")
        XCTAssertEqual(rapport(["-c", "find customers where rfmSegment = \"can't lose\" or rfm is null show id"]).stdout, "id\nC3\n")
        XCTAssertEqual(rapport(["-c", "find customers where churnRisk = high and ltv > 0 show id"]).stdout, "id\nC4\n")
    }

    func testMovingNowMovesTheValueFields() {
        seed()
        XCTAssertEqual(rapport(["-c", "find customers where id in (C1, C4) show id, rfm, ltv, churnRisk"], now: "2026-03-02").stdout, """
            id,rfm,ltv,churnRisk
            C1,,0,low
            C4,444,1137.24,low

            """, "before C1's first purchase; of two buyers C4 scores 4 (mid-rank 1.5 of 2), C2 2; C4 bought yesterday")
        XCTAssertEqual(rapport(["-c", "find customers where id = C4 show ltv"], now: "2027-03-01").stdout, "ltv\n0\n",
                       "2026-03-01 is 365 days before 2027-03-01: out of the window")
        XCTAssertEqual(rapport(["-c", "find customers where id = C4 show ltv"], now: "2027-02-28").stdout, "ltv\n379.08\n")
    }

    func testWhyChurnListsTheSignals() {
        seed()
        let r = rapport(["-c", "why churn C4"], format: "table")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("churnRisk of C4 (Bo): high, signal weights 4 (medium from 2, high from 4)\n"), r.stdout)
        XCTAssertTrue(r.stdout.contains("lapse                 3  no purchase for 268 days (last 2026-03-01), more than 2 × the usual gap of 29.5 days between 3 purchases"), r.stdout)
        XCTAssertTrue(r.stdout.contains("overdue revisit       1  revisit was due 2026-03-08, 261 days overdue"), r.stdout)
        XCTAssertEqual(rapport(["-c", "why churn C1"]).stdout, "signal,weight,evidence\n", "no signal, no rows")
        let card = rapport(["-c", "show customer C3"], format: "table").stdout
        XCTAssertTrue(card.contains("churn risk        medium: low satisfaction, satisfaction 1, at or below 2"), card)
        let missing = rapport(["-c", "why churn C9"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("no customer with id 'C9'"), missing.stderr)
        XCTAssertEqual(rapport(["-c", "why churn"]).status, 2)
        XCTAssertEqual(rapport(["-c", "why churn C4", "--role", "trainee"]).status, 0, "any role")
    }

    func testWhyChurnAgreesWithChurnRiskForEveryDemoCustomer() throws {
        let args = SharedDemoStore.arguments(now: "2026-11-24")
        let column = RapportRunner.run(args + ["--format", "csv", "-c", "find customers where id <= C000400 show id, churnRisk"])
        XCTAssertEqual(column.status, 0, column.stderr)
        let expected = column.stdout.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n").dropFirst().map { line -> (String, String) in
            let parts = line.split(separator: ",")
            return (String(parts[0]), String(parts[1]))
        }
        XCTAssertEqual(expected.count, 400)
        XCTAssertEqual(Set(expected.map(\.1)), ["low", "medium", "high"], "the demo shows every level")
        let script = expected.map { "why churn \($0.0)" }.joined(separator: "\n") + "\n"
        let why = RapportRunner.run(args + ["-"], stdin: script)
        XCTAssertEqual(why.status, 0, why.stderr)
        let headlines = why.stdout.split(separator: "\n").filter { $0.hasPrefix("churnRisk of ") }
        XCTAssertEqual(headlines.count, expected.count)
        for ((id, risk), line) in zip(expected, headlines) {
            XCTAssertTrue(line.hasPrefix("churnRisk of \(id) ("), String(line))
            XCTAssertTrue(line.contains("): \(risk), signal weights"), "\(id): column says \(risk), why says \(line)")
        }
    }
}
