import XCTest
@testable import RapportCore

/// The journal's summary of a bulk import: its inserts grouped by entity in order of first
/// appearance, ids joined into runs of one prefix, width and consecutive numbers. ASCII
/// ids are split by bytes; any other id by characters, with the same runs as before.
final class ImportSummaryTests: XCTestCase {
    func testRunsJoinConsecutiveNumbersOfOnePrefixAndWidth() {
        XCTAssertEqual(ImportSummary.runs(["C000001", "C000002", "C000003", "X", "C000004", "C000005"]),
                       ["C000001..C000003", "X", "C000004..C000005"])
        // Another width, another prefix, a gap, no number: each starts a run.
        XCTAssertEqual(ImportSummary.runs(["A9", "A10", "A11", "B12", "B14", "B15", "7", "8", "x", "y"]),
                       ["A9", "A10..A11", "B12", "B14..B15", "7..8", "x", "y"])
        // Up to 18 digits are a number; 19 are not.
        XCTAssertEqual(ImportSummary.runs(["P999999999999999998", "P999999999999999999", "Q1000000000000000000", "Q1000000000000000001"]),
                       ["P999999999999999998..P999999999999999999", "Q1000000000000000000", "Q1000000000000000001"])
    }

    func testIDsBeyondASCIIAreSplitByCharacters() {
        XCTAssertEqual(ImportSummary.runs(["客户1", "客户2", "客户3", "café9", "café10"]), ["客户1..客户3", "café9", "café10"])
        // A prefix written with the Kelvin sign is the same text as one with K.
        XCTAssertEqual(ImportSummary.runs(["K1", "\u{212A}2", "K3"]), ["K1..K3"])
        // A prepended mark joins the digit after it into one character: no number there.
        XCTAssertEqual(ImportSummary.runs(["\u{0600}1", "\u{0600}2"]), ["\u{0600}1", "\u{0600}2"])
    }

    func testInsertsGroupByEntityInOrderOfFirstAppearance() {
        func insert(_ entity: Entity, _ id: String) -> RecordChange {
            RecordChange(kind: .insert, entity: entity, id: id, after: [RecordField.id: .string(id)])
        }
        let changes = [insert(.customers, "C1"), insert(.points, "P1"), insert(.customers, "C2"),
                       RecordChange(kind: .update, entity: .customers, id: "C9", before: [:], after: [:]),
                       insert(.points, "P2"), insert(.customers, "C4")]
        let summary = ImportSummary.of(changes, source: ImportSource(file: "f.jsonl", sha256: "00"))
        XCTAssertEqual(summary.added, [ImportSummary.Added(entity: .customers, count: 3, ids: ["C1..C2", "C4"]),
                                       ImportSummary.Added(entity: .points, count: 2, ids: ["P1..P2"])])
    }
}
