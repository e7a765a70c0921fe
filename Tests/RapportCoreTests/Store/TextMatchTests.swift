import Foundation
import XCTest
@testable import RapportCore

/// `contains`, `starts with` and `ends with` take a byte search over the dictionary's
/// arena for plain text (printable ASCII and CJK ideographs) and `String`'s tests for
/// the rest. Every answer must be the one `String`'s tests give for every value: the
/// language's definition, `value.lowercased()` against `needle.lowercased()`.
final class TextMatchTests: XCTestCase {
    /// Values where a byte search could go wrong: case, CJK beside ASCII, accents
    /// precomposed and decomposed, the Kelvin sign (lower case is ASCII k), a CJK
    /// compatibility ideograph (canonically another ideograph), Hangul, an emoji, controls.
    static let values = [
        "王芳", "李芳芳", "芳", "张伟", "Fang Wang", "FANG", "fang", "王 芳", "芳x", "x芳",
        "École", "école", "e\u{301}cole", "Kelvin", "\u{212A}elvin", "\u{F9F4}林", "林",
        "김민준", "芳🙂", "tab\there", "a", "A", "ab", "BA", "上海市", "海", "C0001234", "c0001234",
    ]
    static let needles = [
        "芳", "芳芳", "王芳", "fang", "FANG", "Fa", "ng", "a", "", " ", "école", "ÉCOLE", "e\u{301}",
        "k", "K", "\u{212A}", "林", "\u{F9F4}", "민", "🙂", "海", "c000", "1234", "x芳", "芳x", "\t",
    ]

    /// The definition, one value at a time.
    static func expected(_ value: String, _ op: TextOperator, _ needle: String) -> Bool {
        let v = value.lowercased(), n = needle.lowercased()
        switch op {
        case .contains: return n.isEmpty || v.contains(n)
        case .startsWith: return v.hasPrefix(n)
        case .endsWith: return v.hasSuffix(n)
        }
    }

    private func check(_ values: [String], needles: [String], file: StaticString = #filePath, line: UInt = #line) {
        let d = StringDictionary()
        let codes = values.map { d.intern($0) }
        for op in [TextOperator.contains, .startsWith, .endsWith] {
            for needle in needles {
                for negated in [false, true] {
                    let mask = TextMatch.mask(d, op, needle, negated: negated)
                    XCTAssertEqual(mask.count, d.count + 1, file: file, line: line)
                    XCTAssertFalse(mask[0], "null never passes, even negated", file: file, line: line)
                    for (value, code) in zip(values, codes) {
                        XCTAssertEqual(mask[Int(code)], Self.expected(value, op, needle) != negated,
                                       "\(value) \(op.rawValue) \(needle) negated \(negated)", file: file, line: line)
                    }
                }
            }
        }
    }

    func testEveryValueAndNeedleAnswersAsTheDefinition() {
        check(Self.values, needles: Self.needles)
    }

    /// Over 65,536 distinct values the codes are split between two threads: every code,
    /// at both ends of both halves, must be answered.
    func testManyValuesSplitBetweenThreadsAnswerAsTheDefinition() {
        let surnames = ["王", "李", "张", "刘", "陈", "Smith", "ÉCOLE"]
        let given = ["芳", "伟", "Fang", "芳芳", "静", "\u{212A}"]
        let values = (0..<70_000).map { i in surnames[i % surnames.count] + given[(i / 7) % given.count] + String(i) }
        let d = StringDictionary()
        let codes = values.map { d.intern($0) }
        for needle in ["芳", "fang", "école", "k", "99"] {
            let mask = TextMatch.mask(d, .contains, needle, negated: false)
            var wrong = 0
            for (value, code) in zip(values, codes) where mask[Int(code)] != Self.expected(value, .contains, needle) { wrong += 1 }
            XCTAssertEqual(wrong, 0, needle)
            XCTAssertTrue(mask.dropFirst().contains(true), needle)
        }
    }

    /// Through the query language, with missing names: they match neither the test nor
    /// its negation.
    func testQueriesOverNamesWithMissingOnes() throws {
        let store = Store()
        let names: [Value] = [.string("王芳"), .null, .string("Fang LI"), .string("李伟"), .string("\u{212A}ai"), .null]
        for (i, name) in names.enumerated() {
            store.customers.append(QueryFixtures.customer("C\(i + 1)", ["name": name]))
        }
        XCTAssertEqual(try QueryFixtures.ids("find customers where name contains \"芳\"", store: store), ["C1"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where name contains \"FANG\"", store: store), ["C3"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where name contains \"k\"", store: store), ["C5"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where name not contains \"芳\"", store: store), ["C3", "C4", "C5"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where name starts with \"FA\"", store: store), ["C3"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where name ends with \"伟\"", store: store), ["C4"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where name contains \"\"", store: store), ["C1", "C3", "C4", "C5"])
    }
}
