import XCTest
@testable import RapportCore

/// A range on a string field (`<`, `<=`, `>`, `>=`, `between`) is tested on each distinct
/// value's UTF-8 bytes in the dictionary: it must keep code-point order, prefixes, empty
/// strings, non-ASCII text and nulls as comparing the strings does.
final class StringRangeTests: XCTestCase {
    let names: [String?] = ["C0100000", "C010000", "C0100001", "C0099999", "王芳", "王", "Zoë", "Zoe", "zoe", "a", "A",
                            "C01", "é", "\u{1F600}", nil, "C0100000 ", "王芳芳"]

    func store() -> Store {
        let store = Store()
        for (i, name) in names.enumerated() {
            store.customers.append(QueryFixtures.customer("C\(1_000 + i)", ["name": name.map(Value.string) ?? .null]))
        }
        return store
    }

    /// The customers whose name passes `test` by Swift's own UTF-8 order, in id order.
    func expected(_ test: (String) -> Bool) -> [String] {
        names.enumerated().compactMap { i, name in name.flatMap { test($0) ? "C\(1_000 + i)" : nil } }
    }

    func testRangesKeepCodePointOrder() throws {
        let store = store()
        func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
        for bound in ["C0100000", "王", "Zoe", "C01", "é"] {
            let cases: [(String, (String) -> Bool)] = [
                ("<", { precedes($0, bound) }), ("<=", { !precedes(bound, $0) }),
                (">", { precedes(bound, $0) }), (">=", { !precedes($0, bound) }),
            ]
            for (op, test) in cases {
                let query = "find customers where name \(op) \"\(bound)\""
                XCTAssertEqual(try QueryFixtures.ids(query, store: store, indexes: false), expected(test), query)
            }
        }
        let between = "find customers where name between \"C01\" and \"王\""
        XCTAssertEqual(try QueryFixtures.ids(between, store: store, indexes: false),
                       expected { !precedes($0, "C01") && !precedes("王", $0) }, between)
        let outside = "find customers where name not between \"C01\" and \"王\""
        XCTAssertEqual(try QueryFixtures.ids(outside, store: store, indexes: false),
                       expected { precedes($0, "C01") || precedes("王", $0) }, outside)
    }
}
