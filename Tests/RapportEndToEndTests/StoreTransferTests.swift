import Foundation
import RapportTestSupport
import XCTest

/// `export store to "DIR"` and `import store from "DIR"` between store directories, through
/// the binary (between a directory and PostgreSQL: PostgresTrustTests).
final class StoreTransferTests: XCTestCase {
    func manifest(_ directory: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json"))
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testAStoreMovesWholeAndTheCopyExportsTheSameFiles() throws {
        let source = TemporaryStore("transfer-source")
        let setup = source.run([
            "-c", #"add customer name: "张伟", city: 上海, tier: gold, tags: "vip, 老客户""#,
            "-c", #"add customer name: "Anna", email: "anna@example.com""#,
            "-c", #"add customer name: "Gone""#,
            "-c", #"log contact C000001 via phone "called back""#,
            "-c", "set policy resolution.urgent = 12h",
            "-c", "delete customers where id = C000003",
        ])
        XCTAssertEqual(setup.status, 0, setup.stderr)
        // A custom field, through an import of a column the schema lacks.
        let extra = try source.file("extra.jsonl", "{\"name\":\"Bo\",\"shoeSize\":42}\n")
        XCTAssertEqual(source.run(["-c", #"import customers from "\#(extra)""#]).status, 0)

        let first = source.files + "/first"
        let exported = source.run(["-c", #"export store to "\#(first)""#])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        XCTAssertTrue(exported.stdout.contains("exported the store to"), exported.stdout)

        let target = TemporaryStore("transfer-target")
        let imported = target.run(["-c", #"import store from "\#(first)""#])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains("3 customers, 1 contact"), imported.stdout)
        let second = target.files + "/second"
        XCTAssertEqual(target.run(["-c", #"export store to "\#(second)""#]).status, 0)
        for file in try FileManager.default.contentsOfDirectory(atPath: first) {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: second + "/" + file)),
                           try Data(contentsOf: URL(fileURLWithPath: first + "/" + file)), file)
        }
        let firstManifest = try manifest(first)
        XCTAssertEqual((firstManifest["highestGeneratedNumbers"] as? [String: Int])?["customers"], 4, "the deleted C000003 counts")
        let customers = try XCTUnwrap((firstManifest["entities"] as? [[String: Any]])?.first { $0["entity"] as? String == "customers" })
        XCTAssertEqual(customers["count"] as? Int, 3)
        for query in ["find customers sort by id", "show policy resolution", "show fields customers", "find contacts"] {
            XCTAssertEqual(target.run(["-c", query]).stdout, source.run(["-c", query]).stdout, query)
        }

        // At the policy's import.bulkRows the move is a bulk import: the same store, and the
        // audit entry names the manifest and the ids instead of copying every record.
        let bulkTarget = TemporaryStore("transfer-bulk")
        XCTAssertEqual(bulkTarget.run(["-c", "set policy import.bulkRows = 2"]).status, 0)
        let bulk = bulkTarget.run(["-c", #"import store from "\#(first)""#])
        XCTAssertEqual(bulk.status, 0, bulk.stderr)
        for query in ["find customers sort by id", "show policy resolution", "show fields customers", "find contacts"] {
            XCTAssertEqual(bulkTarget.run(["-c", query]).stdout, source.run(["-c", query]).stdout, query)
        }
        let audit = bulkTarget.run(["--format", "csv", "-c", #"find audit where command starts with "import store" and field = import show entity, after"#])
        XCTAssertTrue(audit.stdout.contains("customers,\"added 3 customers (C000001..C000002, C000004) from \(first)/manifest.json, sha256 "), audit.stdout)
        let copied = bulkTarget.run(["-c", #"count audit where command starts with "import store" and entity = customers and field = name"#])
        XCTAssertTrue(copied.stdout.contains(" 0\n"), "no record copied into the audit: " + copied.stdout)
    }

    func testADamagedOrUnfinishedDirectoryIsRefusedAndChangesNothing() throws {
        let source = TemporaryStore("transfer-damaged")
        XCTAssertEqual(source.run(["-c", #"add customer name: "Ada""#, "-c", #"add customer name: "Bob""#]).status, 0)
        let directory = source.files + "/out"
        XCTAssertEqual(source.run(["-c", #"export store to "\#(directory)""#]).status, 0)

        let again = source.run(["-c", #"export store to "\#(directory)""#])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("is not empty"), again.stderr)

        let target = TemporaryStore("transfer-damaged-target")
        // One byte changed in a record: its checksum no longer matches.
        let customers = directory + "/customers.jsonl"
        let original = try String(contentsOfFile: customers, encoding: .utf8)
        try original.replacingOccurrences(of: "Ada", with: "Eve").write(toFile: customers, atomically: true, encoding: .utf8)
        let damaged = target.run(["-c", #"import store from "\#(directory)""#])
        XCTAssertEqual(damaged.status, 1)
        XCTAssertTrue(damaged.stderr.contains("customers.jsonl does not match its SHA-256 in the manifest; nothing was imported"), damaged.stderr)
        try original.write(toFile: customers, atomically: true, encoding: .utf8)

        // No manifest: an export that never finished.
        try FileManager.default.moveItem(atPath: directory + "/manifest.json", toPath: source.files + "/manifest.json")
        let partial = target.run(["-c", #"import store from "\#(directory)""#])
        XCTAssertEqual(partial.status, 1)
        XCTAssertTrue(partial.stderr.contains("it has no manifest.json"), partial.stderr)
        XCTAssertTrue(target.run(["-c", "count customers"]).stdout.contains("    0\n"), "nothing was imported")
        try FileManager.default.moveItem(atPath: source.files + "/manifest.json", toPath: directory + "/manifest.json")

        // Into a store that holds records: refused, nothing added.
        let full = source.run(["-c", #"import store from "\#(directory)""#])
        XCTAssertEqual(full.status, 1)
        XCTAssertTrue(full.stderr.contains("import store fills an empty store; this one holds customers"), full.stderr)
        XCTAssertEqual(target.run(["-c", #"import store from "\#(directory)""#, "-c", "count customers"]).status, 0)

        // The whole store leaves with export store: an admin's, as backup is.
        let manager = source.run(["--role", "manager", "-c", #"export store to "\#(source.files)/by-manager""#])
        XCTAssertEqual(manager.status, 1)
        XCTAssertTrue(manager.stderr.contains("needs the admin role"), manager.stderr)
    }
}
