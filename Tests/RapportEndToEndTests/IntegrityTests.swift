import Foundation
import XCTest
import RapportTestSupport

/// Records and values that agree, through the real binary: one validation for import and
/// `add`, every bad row reported, no record of a customer that does not exist.
final class IntegrityTests: XCTestCase {
    var store: TemporaryStore!

    override func setUpWithError() throws {
        store = TemporaryStore("integrity")
    }

    override func tearDown() {
        store = nil
    }

    func rapport(_ command: String, format: String = "table") -> RapportRunner.Result {
        store.run(["--format", format, "-c", command])
    }

    func file(_ name: String, _ text: String) throws -> String {
        try store.file(name, text)
    }

    func seedCustomers() throws {
        let f = try file("seed.jsonl", """
        {"id": "C1", "name": "王芳", "tier": "gold"}
        {"id": "C2", "name": "李雷", "tier": "silver"}
        """)
        XCTAssertEqual(rapport("import customers from \"\(f)\"").status, 0)
    }

    func testImportOfPurchasesNamingAnUnknownCustomerFailsWithTheLine() throws {
        try seedCustomers()
        let f = try file("p.jsonl", """
        {"customer": "C1", "date": "2026-10-01", "amount": 10}
        {"customer": "C404", "date": "2026-10-02", "amount": 20}
        """)
        let r = rapport("import purchases from \"\(f)\"")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("line 2: no customer with id 'C404'; nothing was imported"), r.stderr)
        XCTAssertEqual(rapport("count purchases", format: "csv").stdout, "count\n0\n")
        XCTAssertEqual(rapport("find customers where id = C1 show totalSpent", format: "csv").stdout, "totalSpent\n\"\"\n", "no purchase reached C1")
    }

    func testImportOfPurchasesUpdatesTheirCustomers() throws {
        try seedCustomers()
        let f = try file("p.csv", "customer,date,amount\nC1,2026-10-01,10.5\nC1,2026-09-01,4\nC2,2026-08-01,100\n")
        XCTAssertEqual(rapport("import purchases from \"\(f)\"").status, 0)
        let r = rapport("find customers sort by id show id, totalSpent, purchaseCount, points, lastPurchase", format: "csv")
        XCTAssertEqual(r.stdout, "id,totalSpent,purchaseCount,points,lastPurchase\nC1,14.5,2,14,2026-10-01\nC2,100,1,100,2026-08-01\n")
    }

    func testImportWithThreeBadRowsReportsAllThree() throws {
        let f = try file("bad.jsonl", """
        {"id": "C1", "name": "A", "tier": "diamond"}
        {"id": "C2", "name": "B"}
        {"id": " C3", "name": "C"}
        {"id": "C4", "name": "D", "satisfaction": 9}
        """)
        let r = rapport("import customers from \"\(f)\"")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("3 bad rows; nothing was imported"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 1: 'tier': 'diamond' is not a tier"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 3: 'id': an id cannot start or end with a space"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 4: 'satisfaction': satisfaction is from 1 to 5, found 9"), r.stderr)
        XCTAssertFalse(r.stderr.contains("line 2"), r.stderr)
        XCTAssertEqual(rapport("count customers", format: "csv").stdout, "count\n0\n")
    }

    func testManyBadRowsAreCappedAtTwenty() throws {
        let lines = (1...25).map { #"{"id": "C\#($0)", "tier": "diamond"}"# }
        let f = try file("many.jsonl", lines.joined(separator: "\n"))
        let r = rapport("import customers from \"\(f)\"")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("25 bad rows"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 20:"), r.stderr)
        XCTAssertFalse(r.stderr.contains("line 21:"), r.stderr)
        XCTAssertTrue(r.stderr.contains("and 5 more"), r.stderr)
    }

    func testImportedTierIsStoredInItsOneSpelling() throws {
        let f = try file("tiers.csv", "id,name,tier\nC1,A,Gold\nC2,B,gold\nC3,C,GOLD\nC4,D,silver\n")
        XCTAssertEqual(rapport("import customers from \"\(f)\"").status, 0)
        XCTAssertEqual(rapport("count customers by tier", format: "csv").stdout, "tier,count\ngold,3\nsilver,1\n")
    }

    func testDiamondIsRefusedByImportAsByAdd() throws {
        let add = rapport("add customer id: \"C1\", name: \"A\", tier: diamond")
        XCTAssertEqual(add.status, 2)
        XCTAssertTrue(add.stderr.contains("'diamond' is not a tier"), add.stderr)
        let f = try file("d.jsonl", #"{"id": "C1", "name": "A", "tier": "diamond"}"#)
        let imported = rapport("import customers from \"\(f)\"")
        XCTAssertEqual(imported.status, 1)
        XCTAssertTrue(imported.stderr.contains("'diamond' is not a tier"), imported.stderr)
        XCTAssertEqual(rapport("count customers", format: "csv").stdout, "count\n0\n")
    }

    func testKeptFieldsCannotBeSetNorPoints() throws {
        try seedCustomers()
        let r = rapport("update customers where id = C1 set totalSpent = 100")
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("totalSpent is kept from the customer's purchases; change the purchases instead"), r.stderr)
        // Points are the ledger's balance now: add points and redeem change them.
        XCTAssertEqual(rapport("update customers where id = C1 set points = 100").status, 2)
        XCTAssertEqual(rapport("add points C1 100 \"goodwill\"").status, 0)
        XCTAssertEqual(rapport("find customers where id = C1 show points", format: "csv").stdout, "points\n100\n")
    }
}
