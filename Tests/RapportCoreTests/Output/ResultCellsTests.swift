import XCTest
@testable import RapportCore

/// A find's result holds its row numbers and the shown columns (`ResultSet.cells`); a
/// table reads its cells from them in place, a string column's bytes straight from its
/// dictionary. Every format must print exactly what it prints for the same rows built as
/// values, and the result must not change when its table does afterwards.
final class ResultCellsTests: XCTestCase {
    private let utc = TimeZone(identifier: "UTC")!

    /// The fixtures' customers plus names the table must clean or measure character by
    /// character: a tab, a combining accent, Hangul, an emoji, a C1 control, spaces at the end.
    private func store() -> Store {
        let store = QueryFixtures.store()
        for (id, name) in [("C6", "tab\there"), ("C7", "e\u{301}cole"), ("C8", "Kim 김"), ("C9", "🙂 ok"),
                           ("C91", "next\u{85}line"), ("C92", "trailing  ")] {
            store.customers.append(QueryFixtures.customer(id, ["name": .string(name), "totalSpent": .integer(7)]))
        }
        return store
    }

    /// `fewestRows`: below it the result is built as rows at once (0: every result that
    /// can be is read in place, as a large one is).
    private func find(_ query: String, in table: Table, fewestRows: Int = 0) throws -> ResultSet {
        guard case .find(let q) = try Parser.parse(query) else { fatalError("not a find: \(query)") }
        let checked = try Checker(schema: table.schema, clock: QueryFixtures.clock).check(q)
        var executor = QueryExecutor(table: table, clock: QueryFixtures.clock)
        executor.fewestRowsReadInPlace = fewestRows
        return executor.find(checked)
    }

    /// A lookup's row or two is built at once: taking the columns' pointers for the renderer
    /// cost more than the rows (a lookup by id 19 µs against 10 at a million).
    func testAFewRowsAreBuiltAtOnceAndPrintTheSame() throws {
        let table = store().customers
        for query in ["find customers where id = C1", "find customers where tier = gold show id, name"] {
            let few = try find(query, in: table, fewestRows: ResultCells.fewestRowsReadInPlace)
            XCTAssertNil(few.cells, query)
            let inPlace = try find(query, in: table)
            XCTAssertNotNil(inPlace.cells, query)
            for format in OutputFormat.allCases {
                let renderer = ResultRenderer(format: format, timeZone: utc)
                XCTAssertEqual(renderer.render(few), renderer.render(inPlace), "\(query) as \(format)")
            }
        }
    }

    func testEveryFormatPrintsTheCellsAsTheRowsOfValues() throws {
        let table = store().customers
        for (query, readInPlace) in [
            ("find customers", true),
            ("find customers show id", true),
            ("find customers show name, city, tier, lastContact, birthday, totalSpent, stage", true),
            ("find customers where lastContact <= 200d show name, totalSpent sort by totalSpent desc", true),
            ("find customers where name contains 芳 show name", true),
            ("find customers where id = nobody show id, name", true),
            ("find customers show name, tags", false),   // a list column is read when found
        ] {
            let result = try find(query, in: table)
            XCTAssertEqual(result.cells != nil, readInPlace, query)
            let rows = ResultSet(columns: result.columns, rows: result.rows)
            XCTAssertNil(rows.cells)
            XCTAssertEqual(result.rowCount, rows.rows.count, query)
            for format in OutputFormat.allCases {
                var renderer = ResultRenderer(format: format, timeZone: utc)
                renderer.colour = format == .table
                XCTAssertEqual(renderer.render(result), renderer.render(rows), "\(query) as \(format)")
            }
        }
        // The cleaned, wide and accented names line up as the general widths say.
        let names = ResultRenderer(format: .table, timeZone: utc).render(try find("find customers where totalSpent = 7 show name, totalSpent", in: table))
        XCTAssertEqual(names, """
            name        totalSpent
            ----------  ----------
            tab here             7
            e\u{301}cole                7
            Kim 김               7
            🙂 ok                7
            next line            7
            trailing             7
            (6 rows)

            """)
    }

    func testAFoundResultDoesNotChangeWithItsTable() throws {
        let table = store().customers
        let result = try find("find customers where tier = gold show id, name, lastContact, totalSpent", in: table)
        let before = ResultRenderer(format: .table, timeZone: utc).render(result)
        let row = table.row(ofID: "C1")!
        table.set(row: row, field: table.schema.position(of: "name")!, to: .string("changed"))
        table.set(row: row, field: table.schema.position(of: "totalSpent")!, to: .number(1))
        table.set(row: row, field: table.schema.position(of: "lastContact")!, to: .null)
        table.delete(row: row)
        XCTAssertEqual(ResultRenderer(format: .table, timeZone: utc).render(result), before)
        XCTAssertTrue(before.contains("王芳"), before)
        XCTAssertEqual(result.rows.first?[1], .string("王芳"))
    }

    /// Changing a found result's rows (as masking does) leaves the cells behind.
    func testChangedRowsReplaceTheCells() throws {
        var result = try find("find customers where tier = gold show id, name", in: store().customers)
        XCTAssertNotNil(result.cells)
        result.rows[0][1] = .string("***")
        XCTAssertNil(result.cells)
        XCTAssertEqual(result.rows[0][1], .string("***"))
        XCTAssertTrue(ResultRenderer(format: .table, timeZone: utc).render(result).contains("***"))
    }
}
