import XCTest
@testable import RapportCore

final class DuplicatesTests: XCTestCase {
    /// Customers as (id, name, phone, email, city), in any order.
    typealias Person = (id: String, name: String?, phone: String?, email: String?, city: String?)

    func groups(_ people: [Person], kinds: Set<DuplicateKind> = Set(DuplicateKind.allCases)) -> [(reason: String, ids: [String])] {
        let ids = TextColumn(people.map(\.id))
        return Duplicates.groups(ids: ids, names: TextColumn(people.map(\.name)), phones: TextColumn(people.map(\.phone)),
                                 emails: TextColumn(people.map(\.email)), cities: TextColumn(people.map(\.city)), kinds: kinds)
            .map { ($0.reason, $0.rows.map { ids[$0]! }) }
    }

    func testPhonesWrittenManyWaysAreOneNumber() {
        let found = groups([
            ("C3", "A", "+86 138-0013-8000", nil, nil),
            ("C1", "B", "13800138000", nil, nil),
            ("C2", "C", "0086 138 0013 8000", nil, nil),
            ("C4", "D", "13800138001", nil, nil),
            ("C5", "E", nil, nil, nil),
            ("C6", "F", nil, nil, nil),
        ])
        XCTAssertEqual(found.map(\.reason), ["same phone"])
        XCTAssertEqual(found.map(\.ids), [["C1", "C2", "C3"]], "one number three ways; the neighbour number and the two without a phone are apart")
    }

    func testEmailsDifferingOnlyByCaseAndSpacesAreOne() {
        let found = groups([
            ("C1", "A", nil, "Wang.Fang@Example.COM", nil),
            ("C2", "B", nil, " wang.fang@example.com ", nil),
            ("C3", "C", nil, "wangfang@example.com", nil),
        ])
        XCTAssertEqual(found.map(\.reason), ["same email"])
        XCTAssertEqual(found.map(\.ids), [["C1", "C2"]], "a dot in the local part is another address")
    }

    func testChineseNamesMatchExactlyInNormalFormOnly() {
        let found = groups([
            ("C1", "王芳", nil, nil, "上海"),
            ("C2", "王 芳", nil, nil, "上海"),
            ("C3", "王方", nil, nil, "上海"),
            ("C4", "王芳", nil, nil, "北京"),
            ("C5", "王芳", nil, nil, nil),
        ])
        XCTAssertEqual(found.map(\.ids), [["C1", "C2"]], "王方 is another person; 北京 is another city; no city, no name match")
        XCTAssertEqual(found.map(\.reason), ["similar name in 上海"])
    }

    func testTwoCharacterChineseNamesOneCharacterApartNeverMatch() {
        XCTAssertEqual(groups([("C1", "王芳", nil, nil, "上海"), ("C2", "王方", nil, nil, "上海")]).count, 0)
        XCTAssertEqual(groups([("C1", "欧阳娜娜", nil, nil, "上海"), ("C2", "欧阳娜妮", nil, nil, "上海")]).count, 0,
                       "no typo allowance outside Latin names, however long")
    }

    func testLatinNamesIgnoreCaseWordOrderPunctuationAndWidth() {
        let found = groups([
            ("C1", "Fang Wang", nil, nil, "Shanghai"),
            ("C2", "wang fang", nil, nil, "shanghai"),
            ("C3", "WANG, Fang", nil, nil, "SHANGHAI "),
            ("C4", "Ｗａｎｇ Ｆａｎｇ", nil, nil, "Shanghai"),
        ])
        XCTAssertEqual(found.map(\.ids), [["C1", "C2", "C3", "C4"]])
        XCTAssertEqual(Duplicates.nameKey("Lucas O'Brien"), Duplicates.nameKey("lucas obrien"))
        XCTAssertEqual(Duplicates.nameKey("Fang Wang")?.text, "fangwang")
        XCTAssertEqual(Duplicates.nameKey("王 芳")?.isLatin, false)
        XCTAssertNil(Duplicates.nameKey(" ,. "))
    }

    func testOneTypoInALatinNameOfSixLettersOrMore() {
        let found = groups([
            ("C1", "Lucas Obrien", nil, nil, "上海"),
            ("C2", "Lucas Obrian", nil, nil, "上海"),   // replaced
            ("C3", "Lucas Obrein", nil, nil, "北京"),   // swapped, but in another city
            ("C4", "Li Na", nil, nil, "上海"),
            ("C5", "Li Ma", nil, nil, "上海"),          // short: must match exactly
            ("C6", "Lucas Orbrien", nil, nil, "上海"),  // added
            ("C7", "Anna Smith", nil, nil, "上海"),
            ("C8", "Anna Smyht", nil, nil, "上海"),     // two edits: apart
        ])
        XCTAssertEqual(found.map(\.ids), [["C1", "C2", "C6"]])
    }

    func testWithinOneEdit() {
        XCTAssertTrue(Duplicates.withinOneEdit("fangwang", "fangwang"))
        XCTAssertTrue(Duplicates.withinOneEdit("fangwang", "fangwnag"), "neighbours swapped")
        XCTAssertTrue(Duplicates.withinOneEdit("fangwang", "fangwan"), "dropped")
        XCTAssertTrue(Duplicates.withinOneEdit("fangwang", "fangwangg"), "added")
        XCTAssertTrue(Duplicates.withinOneEdit("fangwang", "fangwong"), "replaced")
        XCTAssertFalse(Duplicates.withinOneEdit("abcd", "acdb"), "shares a deletion (acd) but is two edits")
        XCTAssertFalse(Duplicates.withinOneEdit("fangwang", "fangwo"))
        XCTAssertFalse(Duplicates.withinOneEdit("annasmith", "annasmyht"))
    }

    func testMatchesAreTransitiveAndGroupsFoundTwiceAreListedOnce() {
        let found = groups([
            ("C1", "A", "13800138000", "a@x.cn", nil),
            ("C2", "B", "138 0013 8000", "A@X.CN", nil),
            ("C3", "C", nil, "c@x.cn", nil),
            ("C4", "D", "13900139000", "c@x.cn", nil),
            ("C5", "E", "13900139000", nil, nil),
        ])
        XCTAssertEqual(found.map(\.reason), ["same phone, same email", "same email", "same phone"])
        XCTAssertEqual(found.map(\.ids), [["C1", "C2"], ["C3", "C4"], ["C4", "C5"]], "equal sizes by first id; C4 in two groups")
    }

    func testBiggestGroupsFirstAndOnlyTheRulesAskedFor() {
        let people: [Person] = [
            ("C1", "王芳", "13800138000", nil, "上海"),
            ("C2", "王芳", nil, nil, "上海"),
            ("C3", "王芳", nil, nil, "上海"),
            ("C9", "李娜", "13800138000", nil, "北京"),
        ]
        XCTAssertEqual(groups(people).map(\.ids), [["C1", "C2", "C3"], ["C1", "C9"]])
        XCTAssertEqual(groups(people, kinds: [.phone]).map(\.ids), [["C1", "C9"]])
        XCTAssertEqual(groups(people, kinds: [.name]).map(\.reason), ["similar name in 上海"])
    }

    func testTypoChainsWithinACityJoinOneGroup() {
        // fangwang ~ fangwong ~ fongwong: one chain, one group, though the ends are two edits apart.
        let found = groups([("C1", "Fang Wang", nil, nil, "上海"), ("C2", "Fang Wong", nil, nil, "上海"),
                            ("C3", "Fong Wong", nil, nil, "上海")])
        XCTAssertEqual(found.map(\.ids), [["C1", "C2", "C3"]])
    }
}
