import Foundation
import XCTest
@testable import RapportCore

/// A lookup that is the whole predicate (`id = C1`, `tier in (gold, silver)`) takes the
/// index's rows untested, and a few rows are read cell by cell: both must answer exactly
/// what the test of every row answers (indexes off), whatever the case of the words.
final class LookupTests: XCTestCase {
    private func store() -> Store {
        let store = QueryFixtures.store()
        // Ids and tiers that differ only in case, and a Kelvin sign, which lowercases to k.
        for (id, tier) in [("c1", "GOLD"), ("Ck", "silver"), ("C\u{212A}", "Silver"), ("ÉCOLE", "gold"), ("école", nil)] as [(String, String?)] {
            store.customers.append(QueryFixtures.customer(id, ["tier": tier.map(Value.string) ?? .null, "name": .string("n-\(id)")]))
        }
        return store
    }

    func testALookupTakenUntestedFindsWhatTestingEveryRowFinds() throws {
        let store = store()
        let untested = ["find customers where id = C1", "find customers where id = c1", "find customers where id = CK",
                        "find customers where id = \"ck\"", "find customers where id = École", "find customers where id = nobody",
                        "find customers where id in (C2, c3, école, nobody)", "find customers where tier = GOLD",
                        "find customers where tier in (silver, Platinum)"]
        let tested = ["find customers where id = C1 and tier = gold", "find customers where id != C1",
                      "find customers where not id = C1", "find customers where id = C1 or id = C2",
                      "find customers where tier = gold and city = 上海"]
        for query in untested + tested {
            XCTAssertEqual(try QueryFixtures.ids(query, store: store), try QueryFixtures.ids(query, store: store, indexes: false), query)
        }
        // The untested path is the one these queries take (else the comparison above proves nothing about it).
        for (query, expected) in untested.map({ ($0, true) }) + tested.map({ ($0, false) }) {
            guard case .find(let q) = try Parser.parse(query) else { return XCTFail(query) }
            let checked = try Checker(schema: store.customers.schema, clock: QueryFixtures.clock).check(q)
            let executor = QueryExecutor(table: store.customers, clock: QueryFixtures.clock)
            XCTAssertEqual(executor.lookupIsWholePredicate(executor.plan(checked).access, checked.predicate), expected, query)
        }
        XCTAssertEqual(try QueryFixtures.ids("find customers where id = ck", store: store), ["Ck", "C\u{212A}"])
    }

    /// The ASCII path of `codes(ignoringCase:)` folds as it compares; every string of the
    /// dictionary must be found as `lowercased()` says, whichever way the query is spelt.
    func testCaseIgnoringCodesAgreeWithLowercasedForEveryString() {
        let d = StringDictionary()
        let strings = StringArenaTests.samples.prefix(400) + ["C1", "c1", "Ck", "C\u{212A}", "ck", "STRASSE", "straße", "ǅemal", "", "a b", "Ａ"]
        for s in strings { _ = d.intern(s) }
        let all = Array(d.strings.dropFirst())
        for query in strings + ["K", "k", "CK", "USER10@EXAMPLE.COM", "Straße", "ǆEMAL", "ａ", "none"] {
            let expected = all.indices.filter { all[$0].lowercased() == query.lowercased() }.map { UInt32($0 + 1) }
            XCTAssertEqual(d.codes(ignoringCase: query), expected, query)
        }
    }

    /// A table prints Latin letters (U+00A0 to U+02FF) as they are; it must measure them as
    /// the character-by-character width does and find nothing to clean in them.
    func testTheTableWidthAgreesWithTheGeneralWidthForEveryScalarItAccepts() {
        var accepted = 0
        for v in UInt32(0)...0x3000 {
            guard let scalar = Unicode.Scalar(v) else { continue }
            for text in [String(scalar), "a\(scalar)", "\(scalar)\u{301}", "\(scalar)芳", "\(scalar)\u{200D}x"] {
                var bytes = text
                guard let width = bytes.withUTF8({ DisplayWidth.tableWidth(utf8: $0) }) else { continue }
                accepted += 1
                XCTAssertEqual(width, DisplayWidth.of(text), String(format: "U+%04X in %@", v, text))
                XCTAssertEqual(TerminalText.clean(text), text, String(format: "U+%04X", v))
            }
        }
        XCTAssertGreaterThan(accepted, 95 + 2 * 0x160, "printable ASCII and the Latin letters, alone and after a")
        for rejected in ["\u{85}", "\u{9F}", "e\u{301}", "\u{300}", "\u{7F}", "\t"] {
            var bytes = rejected
            XCTAssertNil(bytes.withUTF8 { DisplayWidth.tableWidth(utf8: $0) }, rejected.unicodeScalars.map { String($0.value, radix: 16) }.joined())
        }
    }
}
