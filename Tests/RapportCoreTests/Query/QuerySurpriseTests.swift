import XCTest
@testable import RapportCore

/// Queries that used to surprise silently: words outside a vocabulary, aliases, `within`
/// on past events, the negated operators and boolean fields.
final class VocabularyInQueryTests: XCTestCase {
    func checkedFind(_ text: String, store: Store = QueryFixtures.store()) throws -> CheckedFind {
        guard case .find(let q) = try Parser.parse(text) else { fatalError("not a find: \(text)") }
        return try Checker(schema: store[q.entity.entity].schema, clock: QueryFixtures.clock).check(q)
    }

    func testWordOutsideVocabularyWarnsWithCaretAndStillRuns() throws {
        let text = "find customers where tier = goldd"
        let checked = try checkedFind(text)
        XCTAssertEqual(checked.warnings.count, 1)
        XCTAssertEqual(DiagnosticFormatter().format(checked.warnings[0], source: text), """
            warning: 'goldd' is not a tier at 1:29
              find customers where tier = goldd
                                          ^^^^^
              did you mean 'gold'?
              tier is one of: bronze, silver, gold, platinum

            """)
        XCTAssertEqual(try QueryFixtures.ids(text, store: QueryFixtures.store()), [])
    }

    func testEveryEqualityOperatorWarnsOnlyOnStrangeWords() throws {
        XCTAssertEqual(try checkedFind("find customers where tier != goldd").warnings.count, 1)
        XCTAssertEqual(try checkedFind("find customers where stage not in (lost, at-rsk)").warnings.map(\.span?.start.column), [42])
        XCTAssertEqual(try checkedFind("find customers where grade in (a, x, y)").warnings.count, 2)
        // Known words in any case, free-text fields and ordering operators stay quiet.
        XCTAssertEqual(try checkedFind("find customers where tier in (GOLD, Platinum) and stage = AT-RISK").warnings.count, 0)
        XCTAssertEqual(try checkedFind("find customers where city = goldd and tier < zzz and tier contains gol").warnings.count, 0)
        // An aggregate carries them too.
        guard case .aggregate(let q) = try Parser.parse("count customers where tier = silverr by stage") else { return XCTFail() }
        XCTAssertEqual(try Checker(schema: EntitySchema(entity: .customers), clock: QueryFixtures.clock).check(q).warnings.first?.suggestion, "silver")
    }

    func testAliasesResolveAsInChanges() throws {
        let store = Store()
        let contacts = store[.contacts]
        for (id, channel) in [("K1", "phone"), ("K2", "wechat"), ("K3", "visit"), ("K4", "Phone")] {
            contacts.append([.string(id), .string("C1"), .date(Day(iso: "2026-11-01")!), .string(channel), .null, .null])
        }
        func ids(_ condition: String) throws -> [String] {
            let checked = try checkedFind("find contacts where " + condition, store: store)
            XCTAssertEqual(checked.warnings.count, 0, condition)
            return QueryExecutor(table: contacts, clock: QueryFixtures.clock).rows(checked).map { contacts.id(ofRow: Int($0)) }
        }
        XCTAssertEqual(try ids("channel = call"), ["K1", "K4"])
        XCTAssertEqual(try ids("channel = call"), try ids("channel = phone"))
        XCTAssertEqual(try ids("channel = CALL"), ["K1", "K4"])
        XCTAssertEqual(try ids("channel = 微信"), ["K2"])
        XCTAssertEqual(try ids("channel in (call, 微信)"), ["K1", "K2", "K4"])
        XCTAssertEqual(try ids("channel != call"), ["K2", "K3"])
        XCTAssertEqual(try ids("channel not in (微信)"), ["K1", "K3", "K4"])
    }
}

final class WithinRefusalTests: XCTestCase {
    func check(_ text: String) throws {
        guard case .find(let q) = try Parser.parse(text) else { fatalError() }
        var schema = EntitySchema(entity: q.entity.entity)
        schema.append(Field("anniversary", .date, isCustom: true))
        _ = try Checker(schema: schema, clock: QueryFixtures.clock).check(q)
    }

    func testWithinOnPastEventsIsRefusedWithTheAgeComparison() {
        let text = "find customers where lastContact within 30d"
        XCTAssertThrowsError(try check(text)) { error in
            let d = error as! Diagnostic
            XCTAssertEqual(d.kind, .usage)
            XCTAssertEqual(d.span, SourceSpan(start: SourceLocation(line: 1, column: 34), length: 6), "caret under within")
            XCTAssertTrue(d.message.contains("yearly anniversary"), d.message)
            XCTAssertEqual(d.suggestion, "lastContact <= 30d")
        }
        XCTAssertThrowsError(try check("find customers where lastpurchase within 2w")) { error in
            XCTAssertEqual((error as! Diagnostic).suggestion, "lastpurchase <= 2w", "the field and duration as written")
        }
        for refused in ["find contacts where date within 7d", "find purchases where date within 7d",
                        "find tickets where openedAt within 1d", "find tickets where closedAt within 1d"] {
            XCTAssertThrowsError(try check(refused), refused) { error in
                XCTAssertEqual((error as! Diagnostic).span?.length, 6, refused)
            }
        }
    }

    func testWithinStaysOnYearlyAndCustomDates() throws {
        XCTAssertNoThrow(try check("find customers where birthday within 7d"))
        XCTAssertNoThrow(try check("find customers where createdAt within 30d"))
        XCTAssertNoThrow(try check("find customers where anniversary within 30d"))
    }
}

final class NegatedOperatorTests: XCTestCase {
    let store = QueryFixtures.store()
    func ids(_ condition: String) throws -> [String] {
        let on = try QueryFixtures.ids("find customers where " + condition, store: store)
        XCTAssertEqual(on, try QueryFixtures.ids("find customers where " + condition, store: store, indexes: false), condition)
        return on
    }

    func testNotBetweenNeverMatchesMissing() throws {
        // totalSpent: C1 5200.5, C2 5200.5, C3 -75, C4 missing, C5 99999.
        XCTAssertEqual(try ids("totalSpent between 0 and 5200.5"), ["C1", "C2"])
        XCTAssertEqual(try ids("totalSpent not between 0 and 5200.5"), ["C3", "C5"])
        XCTAssertEqual(try ids("not (totalSpent between 0 and 5200.5)"), ["C3", "C4", "C5"])
        // Text by code point: "Gold" < "gold" < "platinum" < "silver"; C4 has no tier.
        XCTAssertEqual(try ids("tier not between gold and silver"), ["C2"])
        // Dates by age (today 2026-11-24; C3 never contacted) and by day.
        XCTAssertEqual(try ids("lastContact not between 30d and 1y"), ["C2", "C5"])
        XCTAssertEqual(try ids("lastContact not between 2026-07-01 and 2026-08-31"), ["C2", "C5"])
    }

    func testNegatedTextTestsIncludingChinese() throws {
        // names: 王芳, Anna Schmidt, 李芳芳, anna, Zoë; cities: 上海, Berlin, 北京, 上海, missing.
        XCTAssertEqual(try ids("name not contains 芳"), ["C2", "C4", "C5"])
        XCTAssertEqual(try ids("name not starts with ANNA"), ["C1", "C3", "C5"])
        XCTAssertEqual(try ids("name not ends with 芳芳"), ["C1", "C2", "C4", "C5"])
        XCTAssertEqual(try ids("city not contains 上"), ["C2", "C3"], "a missing city matches neither way")
        XCTAssertEqual(try ids("city not starts with \"\""), [])
        XCTAssertEqual(try ids("not (city contains 上)"), ["C2", "C3", "C5"])
    }

    func testNotHasLeavesOutEmptyLists() throws {
        // tags: C1 (vip, wechat), C2 (VIP), C3 missing, C4 empty, C5 (b2b).
        XCTAssertEqual(try ids("tags not has vip"), ["C5"])
        XCTAssertEqual(try ids("tags not has any (b2b, wechat)"), ["C2"])
        XCTAssertEqual(try ids("tags not has all (vip, wechat)"), ["C2", "C5"])
        XCTAssertEqual(try ids("stage not in (lost)"), ["C1"])
    }

    func testParserReadsEachNegation() throws {
        for text in ["x not between 1 and 2", "x not contains a", "x not like a", "x not starts with a", "x not ends with a",
                     "x not has a", "x not has any (a)", "x not in (a)"] {
            guard case .find(let q) = try Parser.parse("find customers where " + text) else { return XCTFail() }
            switch q.condition {
            case .between(_, _, _, negated: true)?, .text(_, _, _, negated: true)?, .has(_, _, _, negated: true)?,
                 .member(_, _, negated: true)?: break
            default: XCTFail("\(text) parsed as \(String(describing: q.condition))")
            }
        }
        XCTAssertThrowsError(try Parser.parse("find customers where x not is null")) { error in
            XCTAssertEqual((error as! Diagnostic).span?.start.column, 28)
        }
    }
}

final class BooleanFieldTests: XCTestCase {
    /// C1 true, C2 false, C3 missing, C4 true, C5 false.
    func store() -> Store {
        let store = QueryFixtures.store()
        let vip = store.customers.addField(Field("vip", .boolean))
        for (row, value) in [(0, Value.boolean(true)), (1, .boolean(false)), (3, .boolean(true)), (4, .boolean(false))] {
            store.customers.set(row: row, field: vip, to: value)
        }
        return store
    }

    func testGroupsFalseTrueThenNull() throws {
        let store = self.store()
        guard case .aggregate(let q) = try Parser.parse("count customers by vip") else { return XCTFail() }
        let checked = try Checker(schema: store.customers.schema, clock: QueryFixtures.clock).check(q)
        let result = QueryExecutor(table: store.customers, clock: QueryFixtures.clock).aggregate(checked)
        XCTAssertEqual(result.columns, ["vip", "count"])
        XCTAssertEqual(result.rows, [[.boolean(false), .integer(2)], [.boolean(true), .integer(2)], [.null, .integer(1)]])
    }

    func testSortsFalseBeforeTrueNullsLast() throws {
        let store = self.store()
        XCTAssertEqual(try QueryFixtures.ids("find customers sort by vip", store: store), ["C2", "C5", "C1", "C4", "C3"])
        XCTAssertEqual(try QueryFixtures.ids("find customers sort by vip desc, name", store: store), ["C4", "C1", "C2", "C5", "C3"])
    }

    func testStandsAloneInConditions() throws {
        let store = self.store()
        XCTAssertEqual(try QueryFixtures.ids("find customers where vip", store: store), ["C1", "C4"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where not vip", store: store), ["C2", "C3", "C5"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where vip and city = 上海 or (vip = false) sort by id", store: store), ["C1", "C2", "C4", "C5"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where vip != true", store: store), ["C2", "C5"])
        XCTAssertThrowsError(try QueryFixtures.ids("find customers where tier and vip", store: store)) { error in
            let d = error as! Diagnostic
            XCTAssertEqual(d.span?.start.column, 22)
            XCTAssertTrue(d.message.contains("needs an operator"), d.message)
        }
    }
}
