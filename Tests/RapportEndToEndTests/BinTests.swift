import Foundation
import XCTest
import RapportTestSupport

/// The bin through the real binary: delete moves records there with their related ones,
/// restore brings back exactly what went (rollups included), across restarts and
/// snapshots, purge removes for good, and the refusals say why.
final class BinTests: XCTestCase {
    var store: TemporaryStore!

    override func setUp() { store = TemporaryStore("bin") }
    override func tearDown() { store = nil }

    @discardableResult
    func rapport(_ commands: [String], format: String = "csv", role: String = "admin", now: String = "2026-11-24",
                 extra: [String] = []) -> RapportRunner.Result {
        store.run(["--format", format, "--role", role] + extra + commands.flatMap { ["-c", $0] }, now: now)
    }

    /// Every record of every entity a customer has, as `find --format json` prints them.
    func everything() -> String {
        let entities = ["customers", "contacts", "purchases", "tickets", "points", "events", "surveys", "tasks"]
        return entities.map { e in
            let r = rapport(["find \(e) show *"], format: "json")
            XCTAssertEqual(r.status, 0, r.stderr)
            return "\(e): \(r.stdout)"
        }.joined(separator: "\n")
    }

    /// Two customers with contacts, purchases (and their points), a ticket, a survey and a task.
    func seed() {
        let r = rapport([
            #"add customer id: "C1", name: "王芳", tier: silver"#,
            #"add customer id: "C2", name: "李雷""#,
            #"log contact C1 via phone "first call""#,
            "log purchase C1 amount 300.5 丝巾",
            "log purchase C1 amount 99.25",
            #"log contact C2 via email "hello""#,
            "log purchase C2 amount 50",
            #"open ticket C1 complaint "late delivery""#,
            "log survey C1 score 4",
            #"add task customer: "C1", owner: "amy", text: "call back", due: 2026-12-01"#,
        ], now: "2026-11-20")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(rapport([#"log contact C1 via visit "later visit""#]).status, 0)
    }

    func testDeleteThenRestoreGivesBackTheSameRecordsWithTheirRollups() {
        seed()
        let before = everything()
        var r = rapport(["delete customers where id = C1"], format: "table")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("deleted 1 customer (C1) and "), r.stdout)
        XCTAssertEqual(rapport(["count contacts"]).stdout, "count\n1\n")
        // In the bin, with when and who, and queried like live records.
        r = rapport(["find deleted customers show id, name, deletedAt, deletedBy"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("id,name,deletedAt,deletedBy\nC1,王芳,2026-11-24T00:00:00+00:00,"), r.stdout)
        XCTAssertEqual(rapport(["count deleted contacts where customer = C1"]).stdout, "count\n2\n")
        XCTAssertEqual(rapport(["count deleted purchases by customer"]).stdout, "customer,count\nC1,2\n")
        // A deleted customer's points come from its deleted ledger, as they were.
        XCTAssertEqual(rapport(["find deleted customers show totalSpent, purchaseCount, points"]).stdout,
                       "totalSpent,purchaseCount,points\n399.75,2,399\n")

        r = rapport(["restore C1"], format: "table")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("restored customer C1 and "), r.stdout)
        XCTAssertEqual(everything(), before)
        XCTAssertEqual(rapport(["count deleted customers"]).stdout, "count\n0\n")
    }

    func testADeletedContactNoLongerCountsAndComesBackWithRestore() {
        seed()
        let lastContact = { self.rapport(["find customers where id = C1 show lastContact"]).stdout }
        XCTAssertEqual(lastContact(), "lastContact\n2026-11-24\n")
        let latest = rapport(["find contacts where customer = C1 and date = 2026-11-24 show id"]).stdout
            .split(separator: "\n")[1]
        XCTAssertEqual(rapport(["delete contacts where id = \(latest)"]).status, 0)
        XCTAssertEqual(lastContact(), "lastContact\n2026-11-20\n")
        XCTAssertEqual(rapport(["restore \(latest)"]).status, 0)
        XCTAssertEqual(lastContact(), "lastContact\n2026-11-24\n")
        // A purchase deleted alone takes its points and totals; restore gives them back.
        let totals = { self.rapport(["find customers where id = C1 show totalSpent, purchaseCount, points"]).stdout }
        let before = totals()
        XCTAssertEqual(rapport(["delete purchases where amount = 99.25"]).status, 0)
        XCTAssertEqual(totals(), "totalSpent,purchaseCount,points\n300.5,1,300\n")
        XCTAssertEqual(rapport(["restore P0000002"]).status, 0)
        XCTAssertEqual(totals(), before)
    }

    func testRestoreAfterARestartAndAfterASnapshot() throws {
        seed()
        let before = everything()
        XCTAssertEqual(rapport(["delete customers where id = C1"]).status, 0)
        // Each run of the binary is a restart: the bin comes back from the journal...
        XCTAssertEqual(rapport(["count deleted contacts"]).stdout, "count\n2\n")
        // ...and from a snapshot (format 4, member bin).
        XCTAssertEqual(rapport(["save"]).status, 0)
        let snapshot = try String(contentsOfFile: store.path + "/snapshot.json", encoding: .utf8)
        XCTAssertTrue(snapshot.contains(#""version":4,"#) && snapshot.contains(#""bin":{"#), snapshot)
        XCTAssertEqual(rapport(["count deleted contacts"]).stdout, "count\n2\n")
        XCTAssertEqual(rapport(["restore C1"]).status, 0)
        XCTAssertEqual(everything(), before)
        XCTAssertEqual(rapport(["save"]).status, 0)
        XCTAssertEqual(everything(), before)
        XCTAssertEqual(store.run(["--check"]).status, 0)
    }

    func testPurgeOlderThanRemovesOnlyWhatWasDeletedLongEnoughAgo() {
        seed()
        XCTAssertEqual(rapport(["delete customers where id = C2"], now: "2026-11-01").status, 0)
        XCTAssertEqual(rapport(["delete customers where id = C1"], now: "2026-11-24").status, 0)
        var r = rapport(["purge older than 10d"], format: "table", now: "2026-11-25")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "purged 4 records from the bin\n")
        XCTAssertEqual(rapport(["count deleted customers by id"]).stdout, "id,count\nC1,1\n")
        r = rapport(["restore C2"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no record with id 'C2' in the bin"), r.stderr)
        // Purged ids are free again; ids in the bin are not.
        XCTAssertEqual(rapport([#"add customer id: "C2", name: "new""#]).status, 0)
        r = rapport([#"add customer id: "C1", name: "again""#])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("customer C1 is in the bin (deleted); restore it with 'restore C1' or remove it for good with 'purge'"), r.stderr)
        // C1 with its 2 contacts, 2 purchases, their 2 points entries, a ticket and its event, a survey and a task.
        XCTAssertEqual(rapport(["purge"], format: "table").stdout, "purged 11 records from the bin\n")
        XCTAssertEqual(rapport(["count deleted customers"]).stdout, "count\n0\n")
    }

    func testGeneratedIDsContinueAboveTheBins() {
        seed()
        // K0000003 is the latest contact; after a snapshot only the bin still knows its id.
        XCTAssertEqual(rapport(["delete contacts where id = K0000003", "save"]).status, 0)
        XCTAssertEqual(rapport([#"log contact C2 via phone "again""#]).status, 0)
        XCTAssertEqual(rapport(["find contacts where customer = C2 show id"]).stdout, "id\nK0000002\nK0000004\n")
        XCTAssertEqual(rapport(["restore K0000003"]).status, 0)
        XCTAssertEqual(rapport(["count contacts"]).stdout, "count\n4\n")
    }

    /// An import's inserts are checked against the bin only where it holds records
    /// (`CustomerRollup.binnedIDsTaken` skips an entity whose bin is empty): a binned
    /// customer's id is refused; with the bins emptied the same file imports, its opening
    /// balances beside the customers.
    func testAnImportMeetsTheBinOnlyWhereItHoldsRecords() throws {
        seed()
        XCTAssertEqual(rapport(["delete customers where id = C2"]).status, 0)
        let file = try store.file("back.jsonl", """
            {"id":"C9","name":"新客","points":40}
            {"id":"C2","name":"回来","points":10}
            {"name":"无号","points":5}

            """)
        var r = rapport(["import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("customer C2 is in the bin (deleted)"), r.stderr)
        XCTAssertEqual(rapport(["count customers"]).stdout, "count\n1\n")
        XCTAssertEqual(rapport(["purge"]).status, 0)
        XCTAssertEqual(rapport(["count deleted customers", "count deleted points"]).stdout, "count\n0\ncount\n0\n")
        r = rapport(["import customers from \"\(file)\"", "count customers", "find customers where id in (C9, C2) show id, points"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasSuffix("count\n4\nid,points\nC2,10\nC9,40\n"), r.stdout)
    }

    func testRestoreIsRefusedWhileTheCustomerIsInTheBin() {
        seed()
        XCTAssertEqual(rapport(["delete contacts where customer = C1"]).status, 0)
        XCTAssertEqual(rapport(["delete customers where id = C1"]).status, 0)
        let r = rapport(["restore K0000001"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("contact K0000001 belongs to customer C1, which is in the bin: restore C1 first"), r.stderr)
        // The customer comes back with what its own delete took, not the contacts deleted before.
        XCTAssertEqual(rapport(["restore C1"]).status, 0)
        XCTAssertEqual(rapport(["count contacts where customer = C1"]).stdout, "count\n0\n")
        XCTAssertEqual(rapport(["restore K0000001"]).status, 0)
        XCTAssertEqual(rapport(["count contacts where customer = C1"]).stdout, "count\n1\n")
    }

    func testDryRunOfDeleteRestoreAndPurgeChangesNothing() {
        seed()
        let before = everything()
        XCTAssertEqual(rapport(["delete customers where id = C1"], extra: ["--dry-run"]).status, 0)
        XCTAssertEqual(everything(), before)
        XCTAssertEqual(rapport(["delete customers where id = C1"]).status, 0)
        let deleted = everything()
        let bin = rapport(["find deleted contacts show *"]).stdout
        var r = rapport(["restore C1"], format: "table", extra: ["--dry-run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("dry run: would have restored customer C1 and "), r.stdout)
        r = rapport(["purge"], format: "table", extra: ["--dry-run"])
        XCTAssertTrue(r.stdout.hasPrefix("dry run: would have purged "), r.stdout)
        XCTAssertEqual(everything(), deleted)
        XCTAssertEqual(rapport(["find deleted contacts show *"]).stdout, bin)
    }

    func testRestoreAndPurgeAreRefusedForAnAgent() {
        seed()
        XCTAssertEqual(rapport(["delete customers where id = C2"]).status, 0)
        for command in ["restore C2", "purge", "purge older than 30d"] {
            let r = rapport([command], role: "agent")
            XCTAssertEqual(r.status, 1, command)
            XCTAssertTrue(r.stderr.contains("admin"), r.stderr)
        }
        XCTAssertEqual(rapport(["count deleted customers"], role: "agent").stdout, "count\n1\n")
    }

    func testRestoreAndPurgeAreJournalledAndAudited() throws {
        seed()
        XCTAssertEqual(rapport(["delete customers where id = C2"]).status, 0)
        XCTAssertEqual(rapport(["restore C2"]).status, 0)
        XCTAssertEqual(rapport(["delete customers where id = C2"]).status, 0)
        XCTAssertEqual(rapport(["purge"]).status, 0)
        let journal = try String(contentsOfFile: store.path + "/journal.jsonl", encoding: .utf8)
        let lines = journal.split(separator: "\n").suffix(4)
        XCTAssertTrue(lines.allSatisfy { $0.contains(#""version":5"#) }, journal)
        XCTAssertTrue(lines.dropFirst().first!.contains(#""bin":[{"op":"restore","entity":"customers","id":"C2"}"#), journal)
        XCTAssertTrue(lines.last!.contains(#"{"op":"purge","entity":"customers","id":"C2"}"#), journal)
    }

    func testUnknownIDsAndBadDurationsAreClearErrors() {
        var r = rapport(["restore C404"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no record with id 'C404' in the bin"), r.stderr)
        r = rapport(["purge older than soon"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("'purge older than' needs a duration such as 30d, found 'soon'"), r.stderr)
    }
}
