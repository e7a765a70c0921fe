import Foundation
import XCTest
import RapportTestSupport

/// The value questions answered by Rapport and by sqlite3 in SQL written by hand to the
/// rules of docs/value.md and docs/segments.md: `count customers by rfmSegment`,
/// `find customers where churnRisk = high and tier = gold`, a relation, and
/// `recompute tiers --dry-run`, and the service questions `find tickets where overdue` and
/// `find customers where nextContactDue <= today`, row for row on a demo store. The SQL is the benchmark's
/// (`scripts/bench --check`), so the figures in docs/performance.md compare like with like.
final class ValueDifferentialTests: XCTestCase {
    func testValueQuestionsAgreeWithSQLite() throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("rapport-value-diff-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let (status, text) = try RapportRunner.runScript("bench", ["--check", "--size", "3000", "--work", work.path,
                                                                   "--bin", RapportRunner.binary.path])
        XCTAssertEqual(status, 0, text)
        for question in ["v1: count customers by rfmSegment", "v2: churnRisk = high and tier = gold",
                         "v3: any purchase", "v4: recompute tiers --dry-run",
                         "s1: tickets where overdue", "s2: customers where nextContactDue <= today"] {
            XCTAssertTrue(text.contains(question) && text.contains("both give the same"), "\(question) not compared: \(text)")
        }
        // Each comparison had rows to compare: an empty answer on both sides proves nothing.
        let counts = text.split(separator: "\n").compactMap { line -> Int? in
            guard let r = line.range(of: "both give the same ") else { return nil }
            return Int(line[r.upperBound...].split(separator: " ")[0])
        }
        // Four value questions, two service questions and the plain question beside each.
        XCTAssertEqual(counts.count, 8, text)
        XCTAssertTrue(counts.allSatisfy { $0 > 0 }, text)
    }
}
