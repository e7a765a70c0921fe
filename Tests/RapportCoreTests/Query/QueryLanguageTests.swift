import XCTest
@testable import RapportCore

final class LexerTests: XCTestCase {
    func testDatesDurationsAndWords() throws {
        let tokens = try Lexer.tokenize("lastContact > 90d and stage = at-risk and birthday < 2026-02-28 or x >= 36h")
        let kinds = tokens.map(\.kind)
        XCTAssertEqual(kinds[2], .duration(days: 90))
        XCTAssertEqual(kinds[6], .word("at-risk"))
        XCTAssertEqual(kinds[10], .date(Day(year: 2026, month: 2, day: 28)!))
        XCTAssertEqual(kinds[14], .duration(days: 1.5))
        XCTAssertEqual(try Lexer.tokenize("3mo 1y 2w")[0...2].map(\.kind), [.duration(days: 90), .duration(days: 365), .duration(days: 14)])
    }

    func testColumnsCountCharactersNotBytes() throws {
        let tokens = try Lexer.tokenize("name = \"王芳\" and x")
        XCTAssertEqual(tokens[3].span.start.column, 13)
        XCTAssertEqual(tokens[2].kind, .string("王芳"))
    }

    func testImpossibleDateIsAnError() {
        XCTAssertThrowsError(try Lexer.tokenize("birthday = 2026-02-30")) { error in
            let d = error as! Diagnostic
            XCTAssertEqual(d.span?.start.column, 12)
            XCTAssertTrue(d.message.contains("2026-02-30"))
        }
    }

    func testUnterminatedString() {
        XCTAssertThrowsError(try Lexer.tokenize("find customers where name = \"abc")) { error in
            XCTAssertEqual((error as! Diagnostic).span?.start.column, 29)
        }
    }
}

final class ParserTests: XCTestCase {
    func testAndBindsTighterThanOr() throws {
        guard case .find(let q) = try Parser.parse("find customers where a = 1 or b = 2 and c = 3") else { return XCTFail() }
        guard case .or(_, .and)? = q.condition else { return XCTFail("expected or(a, and(b, c)), got \(String(describing: q.condition))") }
    }

    func testFullFind() throws {
        guard case .find(let q) = try Parser.parse("FIND Customer WHERE tier in (gold, platinum) SORT BY totalSpent DESC, name LIMIT 20 OFFSET 5 SHOW id, name") else { return XCTFail() }
        XCTAssertEqual(q.entity.entity, .customers)
        XCTAssertEqual(q.sort.map(\.descending), [true, false])
        XCTAssertEqual(q.limit, 20)
        XCTAssertEqual(q.offset, 5)
        XCTAssertEqual(q.show?.map(\.name), ["id", "name"])
    }

    func testUnknownCommandSuggests() {
        XCTAssertThrowsError(try Parser.parse("fnd customers")) { error in
            let d = error as! Diagnostic
            XCTAssertEqual(d.suggestion, "find")
            XCTAssertEqual(d.kind, .usage)
        }
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = "find customers where " + String(repeating: "(", count: 5000) + "tier = gold" + String(repeating: ")", count: 5000)
        XCTAssertThrowsError(try Parser.parse(deep))
    }

    func testMissingCloseParenthesisPointsAtEnd() {
        XCTAssertThrowsError(try Parser.parse("find customers where (tier = gold")) { error in
            XCTAssertEqual((error as! Diagnostic).span?.start.column, 34)
        }
    }
}

final class CheckerTests: XCTestCase {
    func testContractErrorExample() throws {
        let text = "find customers where lastcontct > 90d"
        guard case .find(let q) = try Parser.parse(text) else { return XCTFail() }
        XCTAssertThrowsError(try Checker(schema: EntitySchema(entity: .customers), clock: QueryFixtures.clock).check(q)) { error in
            let d = error as! Diagnostic
            XCTAssertEqual(DiagnosticFormatter().format(d, source: text), """
            error: unknown field 'lastcontct' at 1:22
              find customers where lastcontct > 90d
                                   ^^^^^^^^^^
              did you mean 'lastContact'?

            """)
        }
    }

    func testTypeMismatchPointsAtValue() throws {
        guard case .find(let q) = try Parser.parse("find customers where totalSpent > gold") else { return XCTFail() }
        XCTAssertThrowsError(try Checker(schema: EntitySchema(entity: .customers), clock: QueryFixtures.clock).check(q)) { error in
            XCTAssertEqual((error as! Diagnostic).span?.start.column, 35)
        }
    }

    func testHasOnStringIsRefused() throws {
        guard case .find(let q) = try Parser.parse("find customers where tier has gold") else { return XCTFail() }
        XCTAssertThrowsError(try Checker(schema: EntitySchema(entity: .customers), clock: QueryFixtures.clock).check(q))
    }
}

final class ExecutorTests: XCTestCase {
    let store = QueryFixtures.store()
    func ids(_ q: String) throws -> [String] { try QueryFixtures.ids(q, store: store) }

    func testEqualityIgnoresCaseOrderingKeepsIt() throws {
        XCTAssertEqual(try ids("find customers where tier = GOLD"), ["C1", "C2"])
        XCTAssertEqual(try ids("find customers where tier < gold"), ["C2"])  // "Gold" < "gold" by code point
    }

    func testNullRule() throws {
        XCTAssertEqual(try ids("find customers where stage != lost"), ["C1"])
        XCTAssertEqual(try ids("find customers where not (stage = lost)"), ["C1", "C3", "C4", "C5"])
        XCTAssertEqual(try ids("find customers where tags is null"), ["C3", "C4"])
        XCTAssertEqual(try ids("find customers where totalSpent < 0 or totalSpent is null"), ["C3", "C4"])
    }

    func testDurations() throws {
        // today 2026-11-24: C1 146 days, C2 4, C4 90, C5 692.
        XCTAssertEqual(try ids("find customers where lastContact > 90d"), ["C1", "C5"])
        XCTAssertEqual(try ids("find customers where lastContact >= 90d"), ["C1", "C4", "C5"])
        XCTAssertEqual(try ids("find customers where lastContact <= 3mo"), ["C2", "C4"])
        XCTAssertEqual(try ids("find customers where lastContact > 1y"), ["C5"])
    }

    func testWithinAndLeapDay() throws {
        XCTAssertEqual(try ids("find customers where birthday within 7d"), ["C2", "C5"])
        let later = Clock(now: Clock.parseInstant("2027-02-27", timeZone: .gmt)!, timeZone: .gmt)
        guard case .find(let q) = try Parser.parse("find customers where birthday within 1d") else { return XCTFail() }
        let checked = try Checker(schema: store.customers.schema, clock: later).check(q)
        let rows = QueryExecutor(table: store.customers, clock: later).rows(checked)
        XCTAssertEqual(rows.map { store.customers.id(ofRow: Int($0)) }, ["C1"], "29 February recurs on 28 February in 2027")
    }

    func testSortNullsLastThenID() throws {
        XCTAssertEqual(try ids("find customers sort by totalSpent desc"), ["C5", "C1", "C2", "C3", "C4"])
        XCTAssertEqual(try ids("find customers sort by totalSpent"), ["C3", "C1", "C2", "C5", "C4"])
        XCTAssertEqual(try ids("find customers sort by city desc limit 2 offset 1"), ["C1", "C4"])
    }

    func testTextAndLists() throws {
        XCTAssertEqual(try ids("find customers where name contains \"芳\""), ["C1", "C3"])
        XCTAssertEqual(try ids("find customers where name starts with ANNA"), ["C2", "C4"])
        XCTAssertEqual(try ids("find customers where tags has vip"), ["C1", "C2"])
        XCTAssertEqual(try ids("find customers where tags has all (vip, wechat)"), ["C1"])
        XCTAssertEqual(try ids("find customers where tags has any (b2b, wechat)"), ["C1", "C5"])
    }

    func testIndexesOnAndOffAgree() throws {
        let queries = [
            "find customers where tier = gold and lastContact > 90d",
            "find customers where city in (上海, berlin) and totalSpent > 5000 sort by totalSpent desc limit 1",
            "find customers where points between 10 and 5200",
            "find customers where totalSpent = 5200.5 sort by points limit 1",
            "find customers where tags has any (VIP) or tier is null",
            "find customers sort by lastContact desc limit 2",
        ]
        for q in queries {
            XCTAssertEqual(try QueryFixtures.ids(q, store: store, indexes: true), try QueryFixtures.ids(q, store: store, indexes: false), q)
        }
    }

    func testIndexesFollowChanges() throws {
        let store = QueryFixtures.store()
        // totalSpent: points is derived from the ledger, not a stored column.
        XCTAssertEqual(try QueryFixtures.ids("find customers where totalSpent > 5000", store: store), ["C1", "C2", "C5"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where city = 上海", store: store), ["C1", "C4"])
        store.customers.set(row: 1, field: store.customers.schema.position(of: "totalSpent")!, to: .number(500))
        store.customers.delete(row: 0)
        XCTAssertEqual(try QueryFixtures.ids("find customers where totalSpent > 5000", store: store), ["C5"])
        XCTAssertEqual(try QueryFixtures.ids("find customers where city = 上海", store: store), ["C4"])
    }

    func testAggregates() throws {
        func run(_ text: String) throws -> ResultSet {
            guard case .aggregate(let q) = try Parser.parse(text) else { fatalError() }
            let checked = try Checker(schema: store.customers.schema, clock: QueryFixtures.clock).check(q)
            return QueryExecutor(table: store.customers, clock: QueryFixtures.clock).aggregate(checked)
        }
        let byTier = try run("count customers by tier")
        XCTAssertEqual(byTier.columns, ["tier", "count"])
        XCTAssertEqual(byTier.rows.map { $0[0] }, [.string("Gold"), .string("gold"), .string("platinum"), .string("silver"), .null])
        XCTAssertEqual(try run("sum totalSpent of customers where tier = nobody").rows, [[.null]])
        XCTAssertEqual(try run("count customers where tier = nobody").rows, [[.integer(0)]])
        XCTAssertEqual(try run("max points of customers").rows, [[.integer(99999)]])
        XCTAssertEqual(try run("sum points of customers").columns, ["sum(points)"])
        XCTAssertEqual(try run("sum points of customers").rows, [[.integer(105209)]])
    }
}
