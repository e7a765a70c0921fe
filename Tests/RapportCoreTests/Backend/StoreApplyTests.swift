import XCTest
@testable import RapportCore

/// `Store.apply` finds each named field's position once per set and entity: the values
/// of several entities sharing field names, in any case, land in their own columns.
final class StoreApplyTests: XCTestCase {
    func testValuesLandInTheirEntitysColumnsWhateverTheCase() throws {
        let store = Store()
        var set = ChangeSet(at: 0, user: "u", command: "x")
        set.sequence = 1
        set.changes = [
            RecordChange(kind: .insert, entity: .customers, id: "C1", after: [RecordField.id: .string("C1"), CustomerField.name: .string("王芳"),
                                                                             "city": .string("上海")]),
            RecordChange(kind: .insert, entity: .contacts, id: "K1", after: [RecordField.id: .string("K1"), RecordField.customer: .string("C1"),
                                                                            RecordField.date: .date(Day(iso: "2026-12-24")!), "note": .string("会员日")]),
            RecordChange(kind: .insert, entity: .customers, id: "C2", after: [RecordField.id: .string("C2"), "NAME": .string("李雷")]),
            RecordChange(kind: .update, entity: .customers, id: "C1", before: ["city": .string("上海")], after: ["City": .string("北京")]),
            RecordChange(kind: .insert, entity: .contacts, id: "K2", after: [RecordField.id: .string("K2"), "Customer": .string("C2")]),
        ]
        store.apply(set)
        func value(_ entity: Entity, _ id: String, _ field: String) throws -> Value {
            let table = store[entity]
            let row = try XCTUnwrap(table.row(ofID: id))
            return table.value(row: row, field: try XCTUnwrap(table.schema.position(of: field)))
        }
        XCTAssertEqual(try value(.customers, "C1", CustomerField.name), .string("王芳"))
        XCTAssertEqual(try value(.customers, "C1", "city"), .string("北京"))
        XCTAssertEqual(try value(.customers, "C2", CustomerField.name), .string("李雷"))
        XCTAssertEqual(try value(.contacts, "K1", "note"), .string("会员日"))
        XCTAssertEqual(try value(.contacts, "K1", RecordField.customer), .string("C1"))
        XCTAssertEqual(try value(.contacts, "K2", RecordField.customer), .string("C2"))
        XCTAssertEqual(try value(.contacts, "K2", RecordField.date), .null)
    }
}
