import XCTest
@testable import RapportCore

/// Expressions in conditions, `sort by` and `show`: grammar, the bare-word rule, types
/// checked before running, and the null rule.
final class ExpressionTests: XCTestCase {
    private func condition(_ text: String) throws -> Condition {
        guard case .find(let q) = try Parser.parse("find customers where " + text), let c = q.condition else {
            throw XCTSkip("not a find")
        }
        return c
    }

    private func predicate(_ text: String) throws -> RapportCore.Predicate {
        try Checker(schema: EntitySchema(entity: .customers), clock: QueryFixtures.clock).check(try condition(text))
    }

    private func ids(_ where: String, sort: String = "") throws -> [String] {
        try QueryFixtures.ids("find customers where \(`where`)\(sort.isEmpty ? "" : " sort by " + sort)", store: QueryFixtures.store())
    }

    /// The diagnostic a condition's check throws.
    private func checkError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Diagnostic? {
        do { _ = try predicate(text); XCTFail("no error for \(text)", file: file, line: line); return nil }
        catch { return error as? Diagnostic }
    }

    // MARK: Grammar

    func testPrecedenceAndLeftAssociativity() throws {
        guard case .compareExpressions(let left, .greater, _) = try condition("a + b * c - d / e > 1") else { return XCTFail() }
        // ((a + (b * c)) - (d / e))
        guard case .binary(.binary(.field, .add, .binary(_, .multiply, _, _), _), .subtract, .binary(_, .divide, _, _), _) = left else {
            return XCTFail("\(left)")
        }
        XCTAssertEqual(left.name, "a + b * c - d / e")
        guard case .compareExpressions(let chain, _, _) = try condition("a - b - c > 0"),
              case .binary(.binary(_, .subtract, _, _), .subtract, .field(let c), _) = chain else { return XCTFail() }
        XCTAssertEqual(c.name, "c")
        // Names keep only the parentheses that change the meaning, with normalised spacing.
        guard case .compareExpressions(let grouped, _, let right) = try condition("(a+b)*c > a -(b - c)") else { return XCTFail() }
        XCTAssertEqual(grouped.name, "(a + b) * c")
        XCTAssertEqual(right.name, "a - (b - c)")
        guard case .compareExpressions(let negated, _, _) = try condition("-(a + b) < 0") else { return XCTFail() }
        XCTAssertEqual(negated.name, "-(a + b)")
    }

    func testAParenthesisGroupsAnExpressionOrAConditionByWhatFollows() throws {
        guard case .compareExpressions(.binary(_, .multiply, _, _), .greater, _) = try condition("(points + 1) * 2 > 10") else { return XCTFail() }
        guard case .compareExpressions(.field, .greater, _) = try condition("(points) > 10") else { return XCTFail() }
        guard case .or = try condition("(tier = gold or tier = silver)") else { return XCTFail() }
        guard case .and(.or, .compareExpressions) = try condition("(tier = gold or vip) and (points - 1) / 2 >= 3") else { return XCTFail() }
        guard case .isTrue = try condition("((vip))") else { return XCTFail() }
        XCTAssertEqual(try ids("((points - 100) > 0 or tier = silver)"), ["C1", "C3", "C5"])
    }

    func testASignedNumberAfterAnOperandSubtracts() throws {
        guard case .compareExpressions(.binary(.field, .subtract, .value(let hundred), _), _, _) = try condition("points -100 > 0") else { return XCTFail() }
        XCTAssertEqual(hundred.kind, .integer(100))
        XCTAssertEqual(hundred.span.start.column, 30)
        // Where a value is expected a signed number is still a number.
        guard case .compare(_, _, let v) = try condition("totalSpent > -75") else { return XCTFail() }
        XCTAssertEqual(v.kind, .integer(-75))
    }

    func testParseErrorsPointAtTheFault() {
        XCTAssertThrowsError(try Parser.parse("find customers where (points + 1 > 2")) { XCTAssertTrue("\($0)".contains("expected ')'"), "\($0)") }
        XCTAssertThrowsError(try Parser.parse("find customers where points + > 2")) { XCTAssertEqual(($0 as? Diagnostic)?.span?.start.column, 31) }
        XCTAssertThrowsError(try Parser.parse("find customers where points + 1")) { XCTAssertTrue("\($0)".contains("comparison operator"), "\($0)") }
        let long = "find customers where points" + String(repeating: " + 1", count: 500) + " > 0"
        XCTAssertThrowsError(try Parser.parse(long)) { XCTAssertTrue("\($0)".contains("too long"), "\($0)") }
        let deep = "find customers where " + String(repeating: "-(", count: 300) + "points" + String(repeating: ")", count: 300) + " > 0"
        XCTAssertThrowsError(try Parser.parse(deep)) { XCTAssertTrue("\($0)".contains("nested too deeply"), "\($0)") }
    }

    func testSortLimitAndShowComeInAnyOrderOnce() throws {
        guard case .find(let q) = try Parser.parse("find customers where points > 1 show id, points * 2 sort by points * 2 desc limit 5 offset 1") else { return XCTFail() }
        XCTAssertEqual(q.show?.map(\.name), ["id", "points * 2"])
        XCTAssertEqual(q.sort.map(\.expression.name), ["points * 2"])
        XCTAssertEqual(q.limit, 5)
        XCTAssertEqual(q.offset, 1)
        XCTAssertThrowsError(try Parser.parse("find customers show id limit 2 show name")) {
            XCTAssertTrue("\($0)".contains("'show' is given twice"), "\($0)")
            XCTAssertEqual(($0 as? Diagnostic)?.span?.start.column, 32)
        }
    }

    // MARK: The bare-word rule

    func testABareWordIsAFieldOnlyWhereTheEntityHasIt() throws {
        guard case .compareFields(let a, .equal, let b) = try predicate("city = owner") else { return XCTFail() }
        XCTAssertEqual([a.name, b.name], ["city", "owner"])
        guard case .compareString(_, .equal, "gold") = try predicate("tier = gold") else { return XCTFail() }
        guard case .compareString(_, .equal, "owner") = try predicate("tier = \"owner\"") else { return XCTFail() }
        // Case-insensitive, as field names are.
        guard case .compareFields(_, .equal, let c) = try predicate("city = OWNER") else { return XCTFail() }
        XCTAssertEqual(c.name, "owner")
    }

    func testTextFieldAgainstTextFieldIgnoresCaseForEqualityAndOrdersByCodePoint() throws {
        let store = Store()
        let t = store.customers
        t.append(QueryFixtures.customer("C1", ["city": .string("Berlin"), "owner": .string("berlin")]))
        t.append(QueryFixtures.customer("C2", ["city": .string("a"), "owner": .string("B")]))
        t.append(QueryFixtures.customer("C3", ["city": .string("x"), "owner": .null]))
        t.append(QueryFixtures.customer("C4", ["city": .string("Zed"), "owner": .string("Zed")]))
        func ids(_ c: String) throws -> [String] { try QueryFixtures.ids("find customers where \(c)", store: store) }
        XCTAssertEqual(try ids("city = owner"), ["C1", "C4"])
        XCTAssertEqual(try ids("city != owner"), ["C2"])
        // "a" (U+0061) sorts after "B" (U+0042); "Berlin" before "berlin".
        XCTAssertEqual(try ids("city > owner"), ["C2"])
        XCTAssertEqual(try ids("city < owner"), ["C1"])
        XCTAssertEqual(try ids("city <= owner"), ["C1", "C4"])
        XCTAssertEqual(try ids("not (city = owner)"), ["C2", "C3"])
    }

    // MARK: Types

    func testTypeErrorsPutTheCaretUnderTheOffendingOperand() {
        var d = checkError("lastContact + 5 > today")
        XCTAssertEqual(d?.span?.start.column, 21 + 15)
        XCTAssertTrue(d?.message.contains("cannot add a date and a number") == true, d?.message ?? "")
        XCTAssertTrue(d?.notes.contains { $0.contains("30d") } == true)
        d = checkError("city + 1 > 3")
        XCTAssertEqual(d?.span?.start.column, 21 + 1)
        XCTAssertEqual(d?.span?.length, 4)
        d = checkError("points > lastContact")
        XCTAssertEqual(d?.span?.start.column, 21 + 10)
        XCTAssertTrue(d?.message.contains("cannot compare a number with a date") == true, d?.message ?? "")
        d = checkError("points * 2 > \"many\"")
        XCTAssertEqual(d?.span?.start.column, 21 + 14)
        d = checkError("lastContact * 2 > today")
        XCTAssertTrue(d?.message.contains("cannot multiply a date and a number") == true, d?.message ?? "")
        d = checkError("tags + 1 > 0")
        XCTAssertTrue(d?.message.contains("'tags' is a list") == true, d?.message ?? "")
        d = checkError("points - nosuch > 0")
        XCTAssertTrue(d?.message.contains("unknown field 'nosuch'") == true, d?.message ?? "")
        d = checkError("city = points")
        XCTAssertEqual(d?.span?.start.column, 21 + 8)
    }

    func testFieldAgainstAConstantExpressionIsTheIndexAnswerableTest() throws {
        let today = Double(QueryFixtures.clock.today.daysSinceEpoch)
        guard case .compareKey(let f, .less, let k) = try predicate("lastContact < today - 30d") else { return XCTFail() }
        XCTAssertEqual(f.name, "lastContact")
        XCTAssertEqual(k, today - 30)
        // Mirrored when the field stands on the right.
        guard case .compareKey(_, .greater, let k2) = try predicate("today - 30d < lastContact") else { return XCTFail() }
        XCTAssertEqual(k2, today - 30)
        guard case .compareKey(_, .greaterOrEqual, 2000) = try predicate("points >= 1000 * 2") else { return XCTFail() }
        guard case .compareKey(_, .lessOrEqual, 5) = try predicate("5 >= points") else { return XCTFail() }
        // An expression against a duration compares its age, as a field does.
        guard case .compareValues(_, .less, .constant(let bound, .date)) = try predicate("lastContact + 10d > 90d") else { return XCTFail() }
        XCTAssertEqual(bound, today - 90)
    }

    func testDateArithmetic() throws {
        // C1 2026-07-01, C2 2026-11-20, C4 2026-08-26, C5 2025-01-01; today 2026-11-24.
        XCTAssertEqual(try ids("today - lastContact > 90"), ["C1", "C5"])
        XCTAssertEqual(try ids("today - lastContact = 4"), ["C2"])
        XCTAssertEqual(try ids("lastContact + 3mo > today"), ["C2"])
        XCTAssertEqual(try ids("lastContact + 3mo >= today"), ["C2", "C4"])
        XCTAssertEqual(try ids("lastContact - 1y < 2025-08-01"), ["C1", "C5"])
        XCTAssertEqual(try ids("lastContact + 90d > 2026-11-23 and lastContact + 90d < 2026-11-25"), ["C4"])
        XCTAssertEqual(try ids("lastContact - birthday > 365 * 30"), ["C1", "C2"])
    }

    // MARK: Missing values

    func testAMissingOperandOrADivisionByZeroIsMissing() throws {
        // C4 has no totalSpent: the comparison is false either way; only `not` reaches it.
        XCTAssertEqual(try ids("totalSpent - 100 > -1000"), ["C1", "C2", "C3", "C5"])
        XCTAssertEqual(try ids("totalSpent - 100 <= -1000"), [])
        XCTAssertEqual(try ids("not (totalSpent - 100 > -1000)"), ["C4"])
        XCTAssertEqual(try ids("points / 0 > 0 or points / 0 <= 0 or points / 0 != 1"), [])
        XCTAssertEqual(try ids("points / (points - 10) >= 1"), ["C1", "C5"])
        // C5 has 99999 of each; C4 has neither.
        XCTAssertEqual(try ids("points != totalSpent"), ["C1", "C2", "C3"])
        XCTAssertEqual(try ids("lastContact != lastContact + 1d"), ["C1", "C2", "C4", "C5"])
    }

    func testArithmeticNeverTraps() throws {
        XCTAssertEqual(try ids("points * 9223372036854775807 * 9223372036854775807 > 0"), ["C1", "C2", "C5"])
        XCTAssertEqual(try ids("-points < -99998"), ["C5"])
    }

    // MARK: Sort and show

    func testSortByAnExpressionNullsLast() throws {
        // totalSpent - points: C1 0.5, C2 5190.5, C3 -75, C4 missing, C5 0.
        XCTAssertEqual(try ids("id != x", sort: "totalSpent - points desc"), ["C2", "C1", "C5", "C3", "C4"])
        XCTAssertEqual(try ids("id != x", sort: "totalSpent - points"), ["C3", "C5", "C1", "C2", "C4"])
        // Tiers by code point: Gold, gold, platinum, silver, then the missing one.
        XCTAssertEqual(try ids("id != x", sort: "tier, (totalSpent - points) * -1"), ["C2", "C1", "C5", "C3", "C4"])
        XCTAssertEqual(try ids("id != x", sort: "points - totalSpent desc, id"), ["C3", "C5", "C1", "C2", "C4"])
    }

    func testShowAnExpressionNamedAsWritten() throws {
        guard case .find(let q) = try Parser.parse("find customers where id in (C1, C3, C4) show id, totalSpent/ points, lastContact+30d, points / 0") else { return XCTFail() }
        let store = QueryFixtures.store()
        let checked = try Checker(schema: store.customers.schema, clock: QueryFixtures.clock).check(q)
        let result = QueryExecutor(table: store.customers, clock: QueryFixtures.clock).find(checked)
        XCTAssertEqual(result.columns, ["id", "totalSpent / points", "lastContact + 30d", "points / 0"])
        XCTAssertEqual(result.rows[0][1], .number(5200.5 / 5200))
        XCTAssertEqual(result.rows[0][2], .date(Day(iso: "2026-07-31")!))
        XCTAssertEqual(result.rows[0][3], .null)
        // C3: x / 0 is missing; C4: a missing operand.
        XCTAssertEqual(result.rows[1][1], .null)
        XCTAssertEqual(result.rows[2][1], .null)
        XCTAssertEqual(result.rows[2][2], .date(Day(iso: "2026-09-25")!))
    }

    func testAComputedInstantPastYear9999IsMissing() {
        // Once read as an instant of year 84163, or a trap when the output formatted it.
        let far = TypedExpression.arithmetic(.constant(0, .instant), .add, .constant(3e9 * 86400, .duration), .instant)
        XCTAssertEqual(far.value(ofKey: 3e9 * 86400), .null)
        XCTAssertEqual(far.value(ofKey: -1e14), .null)
        XCTAssertEqual(far.value(ofKey: Double(Clock.instantRange.upperBound)), .instant(Clock.instantRange.upperBound))
        XCTAssertEqual(far.value(ofKey: 86400.5), .instant(86400))
    }
}
