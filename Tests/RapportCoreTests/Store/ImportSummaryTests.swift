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

    /// The runs as they were made before: a key per id, its prefix a `Substring`.
    private func runsByKeys(_ ids: [String]) -> [String] {
        func split(_ id: String) -> (prefix: Substring, number: Int, width: Int)? {
            if id.utf8.allSatisfy({ $0 < 0x80 }) {
                let digits = id.utf8.reversed().prefix { $0 >= 48 && $0 <= 57 }.count
                guard digits > 0, digits <= 18 else { return nil }
                return (Substring(id.utf8.dropLast(digits)), Int(Substring(id.utf8.suffix(digits)))!, digits)
            }
            let digits = id.utf8.reversed().prefix { $0 >= 48 && $0 <= 57 }.count
            guard digits > 0, digits <= 18, let n = Int(id.suffix(digits)) else { return nil }
            return (id.dropLast(digits), n, digits)
        }
        var out: [String] = []
        var first = "", last = "", lastKey: (prefix: Substring, number: Int, width: Int)?
        func close() { if !first.isEmpty { out.append(first == last ? first : first + ".." + last) } }
        for id in ids {
            let key = split(id)
            if let k = key, let l = lastKey, k.prefix == l.prefix, k.width == l.width, k.number == l.number + 1 {
                last = id
            } else {
                close()
                first = id
                last = id
            }
            lastKey = key
        }
        close()
        return out
    }

    func testRunsByBytesMatchRunsByKeysOnMixedIDs() {
        // ASCII ids beside others (Kelvin sign, CJK, accents, marks), no number, 18 and 19
        // digits, empty: the pairs compared by bytes and those by characters agree.
        let pieces = ["C", "K", "\u{212A}", "客户", "café", "\u{0600}", "", "C-", "x"]
        let numbers = ["1", "2", "3", "09", "10", "11", "", "999999999999999999", "1000000000000000000", "0"]
        // Every pair, then sequences drawn by a fixed linear congruential generator.
        for a in pieces { for m in numbers { for b in pieces { for n in numbers {
            let ids = [a + m, b + n]
            XCTAssertEqual(ImportSummary.runs(ids), runsByKeys(ids), "\(ids)")
        } } } }
        var state: UInt64 = 42
        func draw(_ count: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(count))
        }
        for _ in 0..<2000 {
            var ids: [String] = []
            let prefix = pieces[draw(pieces.count)]
            for _ in 0..<(1 + draw(12)) {
                // Mostly one prefix and counting up, so that runs form and break.
                let piece = draw(4) == 0 ? pieces[draw(pieces.count)] : prefix
                ids.append(piece + (draw(3) == 0 ? numbers[draw(numbers.count)] : String(1 + draw(4))))
            }
            XCTAssertEqual(ImportSummary.runs(ids), runsByKeys(ids), "\(ids)")
        }
        let generated = (1...1000).map { IDGenerator.id(.customers, number: $0) } + ["C001002", "C1003", "L0000001", "L0000002"]
        XCTAssertEqual(ImportSummary.runs(generated), ["C000001..C001000", "C001002", "C1003", "L0000001..L0000002"])
        XCTAssertEqual(ImportSummary.runs(generated), runsByKeys(generated))
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
