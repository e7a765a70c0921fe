import XCTest
import RapportTestSupport

/// The contract's relation examples through the binary on the demo store, each checked
/// against the same answer computed here from plain `find`s of the records. Every command
/// only reads, so all ask the one saved demo store (SharedDemoStore).
final class RelationEndToEndTests: XCTestCase {
    static let demo = SharedDemoStore.arguments(now: "2026-11-01")

    /// The first column of each row of a `--format csv` answer.
    func column(_ command: String, file: StaticString = #filePath, line: UInt = #line) -> [String] {
        let r = RapportRunner.run(Self.demo + ["--format", "csv", "-c", command])
        XCTAssertEqual(r.status, 0, "\(command): \(r.stderr)", file: file, line: line)
        return r.stdout.split(separator: "\n").dropFirst().map { String($0.split(separator: ",").first ?? "") }
    }

    func testAnyPurchaseMatchesTheBuyersOfItsPurchases() {
        let buyers = Set(column("find purchases where product = 丝巾 and date <= 1y show customer"))
        XCTAssertFalse(buyers.isEmpty, "the demo store should hold such purchases")
        XCTAssertEqual(Set(column("find customers where any purchase(product = 丝巾 and date <= 1y) show id")), buyers)
    }

    func testNoTicketMatchesCustomersWithoutOpenTickets() {
        let withOpen = Set(column("find tickets where status != closed show customer"))
        let everyone = Set(column("find customers show id"))
        let expected = everyone.subtracting(withOpen)
        XCTAssertFalse(withOpen.isEmpty)
        XCTAssertEqual(Set(column("find customers where no tickets(status != closed) show id")), expected)
    }

    func testCountContactsMatchesCountsPerCustomer() {
        var counts: [String: Int] = [:]
        for customer in column("find contacts where date <= 90d show customer") { counts[customer, default: 0] += 1 }
        let expected = Set(counts.filter { $0.value >= 3 }.keys)
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(Set(column("find customers where count contact(date <= 90d) >= 3 show id")), expected)
        XCTAssertEqual(Set(column("find customers where count contacts(date <= 90d) < 3 show id")),
                       Set(column("find customers show id")).subtracting(expected))
    }

    func testCustomerFieldOnTickets() {
        let gold = Set(column("find customers where tier = gold show id"))
        let r = RapportRunner.run(Self.demo + ["--format", "csv", "-c", "find tickets where status != closed show id, customer"])
        let expected = Set(r.stdout.split(separator: "\n").dropFirst().compactMap { row -> String? in
            let cells = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return gold.contains(cells[1]) ? cells[0] : nil
        })
        XCTAssertFalse(expected.isEmpty)
        XCTAssertEqual(Set(column("find tickets where customer.tier = gold and status != closed show id")), expected)
    }

    func testMisuseIsAUsageError() {
        let r = RapportRunner.run(Self.demo + ["-c", "find customers where any purchase(amout > 5)"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("did you mean 'amount'"), r.stderr)
    }
}
