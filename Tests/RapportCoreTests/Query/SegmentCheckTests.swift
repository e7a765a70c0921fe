@testable import RapportCore
import XCTest

/// `in segment`: the saved condition is checked at each use, against the schema as it is then.
final class SegmentCheckTests: XCTestCase {
    private func checker(_ segments: [SavedSegment]) -> Checker {
        var checker = Checker(schema: EntitySchema(entity: .customers), clock: Clock.system(timeZone: .gmt))
        checker.segments = segments
        return checker
    }

    private func segment(_ condition: String) -> SavedSegment {
        SavedSegment(name: "lapsing", entity: .customers, condition: condition, savedBy: "ann", savedAt: 0)
    }

    func testASegmentChecksAsItsConditionWritten() throws {
        let viaSegment = try checker([segment("tier = gold and lastContact > 90d")]).check(Parser.parseCondition("in segment lapsing or city = 上海"))
        let written = try checker([]).check(Parser.parseCondition("(tier = gold and lastContact > 90d) or city = 上海"))
        XCTAssertEqual("\(viaSegment)", "\(written)")
    }

    func testAConditionThatNoLongerChecksNamesTheSegmentAtItsUse() throws {
        XCTAssertThrowsError(try checker([segment("vip and tier = gold")]).check(Parser.parseCondition("tier = gold and in segment LAPSING"))) { error in
            let d = error as! Diagnostic
            XCTAssertEqual(d.id, .segmentConditionInvalid)
            XCTAssertEqual(d.span?.start.column, 28)
            XCTAssertTrue(d.message.contains("segment 'lapsing' no longer checks: unknown field 'vip'"), d.message)
        }
    }

    func testASavedConditionCannotUseAnotherSegment() throws {
        let condition = try Parser.parseCondition("in segment lapsing and tier = gold")
        XCTAssertThrowsError(try SegmentCommands.save(name: "b", nameSpan: SourceSpan(start: .init(line: 1, column: 14), length: 1), replace: false,
                                                      entity: .customers, condition: condition, text: "", checker: checker([segment("tier = gold")]),
                                                      user: "ann", at: 0)) { error in
            XCTAssertEqual((error as? Diagnostic)?.id, .segmentNested)
        }
    }

    func testParametersAreStoredAsTheirValues() throws {
        let (_, command) = try Parser.parseStatement(#"save segment s as customers where city = $c and name = "a \"b\"" and lastContact > $d"#,
                                                     parameters: ["c": "Hong Kong", "d": "90d"])
        guard case .saveSegment(_, _, _, _, let text) = command else { return XCTFail("\(command)") }
        XCTAssertEqual(text, #"city = "Hong Kong" and name = "a \"b\"" and lastContact > 90.0d"#)
        XCTAssertNoThrow(try Parser.parseCondition(text))
    }
}
