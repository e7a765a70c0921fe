import Foundation
import XCTest
import RapportTestSupport

/// Any field name an import accepts (quotes, backslashes, Chinese, spaces inside) must come
/// back from the store's own snapshot and column image: the fuzzer found a CSV header with a
/// quote in it that made a store no later process could open.
final class FieldNameRoundTripTests: XCTestCase {
    func testCustomFieldsWithEscapedNamesSurviveSaveAndReopen() throws {
        let store = TemporaryStore("field-names")
        let csv = (store.path as NSString).deletingLastPathComponent + "/odd.csv"
        try "id,\"say \"\"hi\"\"\",back\\slash,电话 备注\nX1,hello,a\\b,晚上打\n".write(toFile: csv, atomically: true, encoding: .utf8)
        let imported = RapportRunner.run(["--data", store.path, "-c", "import customers from \"\(csv)\"", "-c", "save"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let query = "find customers show id, `say \"hi\"`, `back\\slash`, `电话 备注`"
        // Twice: the first opening parses the snapshot, the second may read the column image.
        for _ in 0..<2 {
            let r = RapportRunner.run(["--data", store.path, "--format", "csv", "-c", query])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, "id,\"say \"\"hi\"\"\",back\\slash,电话 备注\nX1,hello,a\\b,晚上打\n")
        }
    }
}
