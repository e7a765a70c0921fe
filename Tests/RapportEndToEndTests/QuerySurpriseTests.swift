import Foundation
import XCTest
import RapportTestSupport

/// Through the real binary: a word outside a vocabulary warns on standard error and the
/// query still answers; `within` on a past event is a usage error.
final class QuerySurpriseEndToEndTests: XCTestCase {
    /// On the demo store, saved once and opened read-only (SharedDemoStore): every command here only reads.
    func rapport(_ args: [String], stdin: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let r = RapportRunner.run(SharedDemoStore.arguments(now: "2026-11-24") + args, stdin: stdin)
        return (r.status, r.stdout, r.stderr)
    }

    /// Output lines, whatever the records end in.
    func lines(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { String($0).trimmingCharacters(in: ["\r"]) }
    }

    func testWordOutsideVocabularyWarnsAndStillAnswers() {
        let r = rapport(["--format", "csv", "-c", "count customers where tier = goldd"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(lines(r.stdout), ["count", "0"])
        XCTAssertEqual(r.stderr, """
            warning: 'goldd' is not a tier at 1:30
              count customers where tier = goldd
                                           ^^^^^
              did you mean 'gold'?
              tier is one of: bronze, silver, gold, platinum

            """)
    }

    func testWarningInAScriptNamesItsLine() {
        let r = rapport(["--format", "csv", "-"], stdin: "count customers where tier = gold\nfind customers where stage in (lost, lots) limit 1 show id\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("warning: 'lots' is not a stage at 2:38\n"), r.stderr)
        XCTAssertEqual(lines(r.stdout).count, 4, r.stdout)
        XCTAssertTrue(lines(r.stdout)[3].hasPrefix("C"), r.stdout)
    }

    func testAliasFindsWhatTheLogStored() {
        let r = rapport(["--format", "csv", "-c", "count contacts where channel = call", "-c", "count contacts where channel = phone"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "")
        let counts = lines(r.stdout).filter { Int($0) != nil }
        XCTAssertEqual(counts.count, 2)
        XCTAssertEqual(counts.first, counts.last)
        XCTAssertNotEqual(counts.first, "0")
    }

    func testWithinOnAPastEventIsAUsageError() {
        let r = rapport(["-c", "find customers where lastContact within 30d"])
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stdout, "")
        XCTAssertEqual(r.stderr, """
            error: 'within' means a yearly anniversary, as for birthdays; 'lastContact' does not recur each year at 1:34
              find customers where lastContact within 30d
                                               ^^^^^^
              did you mean 'lastContact <= 30d'?
              lastContact <= 30d holds where it was at most 30d ago

            """)
        XCTAssertEqual(rapport(["-c", "count customers where birthday within 30d"]).status, 0)
    }
}
