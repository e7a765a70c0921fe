import XCTest
@testable import RapportCore

/// The derived fields: each rule at its boundaries, and through a session so that every
/// change and every `set now` shows at once.
final class DerivedFieldsTests: XCTestCase {
    let clock = QueryFixtures.clock

    // MARK: The pure rules

    func testDaysSinceCountsCalendarDaysAndKeepsNull() {
        let today = Day(iso: "2028-03-01")!
        let dates = [Day(iso: "2028-03-01")!, Day(iso: "2028-02-28")!, Day(iso: "2027-03-01")!, Day(iso: "2028-03-02")!].map(\.daysSinceEpoch)
        // 2028 is a leap year: 28 February to 1 March is two days, a year back is 366.
        XCTAssertEqual(DerivedRules.daysSince(dates + [NullSentinel.date], today: today), [0, 2, 366, -1, NullSentinel.integer])
    }

    func testCountPerRowIgnoresUnknownOwnersAndGivesZero() {
        XCTAssertEqual(DerivedRules.countPerRow([2, 0, 2, -1, 7], rowCount: 4), [1, 0, 2, 0])
        XCTAssertEqual(DerivedRules.countPerRow([], rowCount: 2), [0, 0])
    }

    func testOnlyAClosedTicketIsNotOpen() {
        XCTAssertTrue(DerivedRules.isOpenTicketStatus("open"))
        XCTAssertTrue(DerivedRules.isOpenTicketStatus(nil))
        XCTAssertFalse(DerivedRules.isOpenTicketStatus("closed"))
        XCTAssertFalse(DerivedRules.isOpenTicketStatus("Closed"))
    }

    func testRegistryNamesAreUniqueAndNoStoredFieldTakesOne() {
        let names = DerivedFields.all.map { "\($0.entity).\($0.name.lowercased())" }
        XCTAssertEqual(Set(names).count, names.count)
        for f in DerivedFields.all {
            XCTAssertNil(EntitySchema(entity: f.entity).position(of: f.name), f.name)
            XCTAssertFalse(f.rule.isEmpty)
        }
    }

    // MARK: Through a session

    func session() -> Session {
        let store = QueryFixtures.store()
        let s = Session(database: .inMemory(store), settings: Settings(user: "t"), clock: clock, pinnedNow: clock.now)
        XCTAssertEqual(s.run("set format csv").status, .success)
        return s
    }

    /// A customer's value of a field, as `find` prints it in csv.
    func value(_ s: Session, _ id: String, _ field: String) -> String {
        let out = s.run("find customers where id = \(id) show \(field)")
        XCTAssertEqual(out.status, .success, out.messages)
        return csv(out).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().first.map(String.init) ?? "<none>"
    }

    /// A command's csv output with plain line ends.
    func csv(_ out: CommandOutcome) -> String { out.output.replacingOccurrences(of: "\r\n", with: "\n") }

    func testDaysSinceContactFollowsTodayAndContacts() {
        let s = session()
        XCTAssertEqual(value(s, "C1", "daysSinceContact"), "146", "2026-07-01 to 2026-11-24")
        XCTAssertEqual(value(s, "C3", "daysSinceContact"), "\"\"", "never contacted: null (a lone empty csv cell is quoted)")
        XCTAssertEqual(value(s, "C3", "daysSincePurchase"), "\"\"")
        XCTAssertEqual(s.run("set now 2026-11-30").status, .success)
        XCTAssertEqual(value(s, "C1", "daysSinceContact"), "152", "moving today moves the count")
        XCTAssertEqual(s.run("log contact C3 via phone").status, .success)
        XCTAssertEqual(value(s, "C3", "daysSinceContact"), "0", "contacted today")
        XCTAssertEqual(value(s, "C3", "contactCount"), "1")
    }

    func testContactCountAndOpenTicketsChangeWithTheRecords() {
        let s = session()
        XCTAssertEqual(value(s, "C2", "contactCount"), "0")
        XCTAssertEqual(value(s, "C2", "openTickets"), "0")
        for k in ["K1", "K2"] {
            XCTAssertEqual(s.run("add contact id: \(k), customer: \"C2\", date: 2026-11-01, channel: phone").status, .success)
        }
        XCTAssertEqual(value(s, "C2", "contactCount"), "2")
        XCTAssertEqual(s.run("delete contacts where id = K1").status, .success)
        XCTAssertEqual(value(s, "C2", "contactCount"), "1", "a deleted contact leaves the count at once")
        XCTAssertEqual(s.run("open ticket C2 complaint \"late\"").status, .success)
        XCTAssertEqual(s.run("open ticket C2 inquiry \"how\"").status, .success)
        XCTAssertEqual(value(s, "C2", "openTickets"), "2")
        XCTAssertEqual(s.run("update tickets where kind = inquiry set status = closed").status, .success)
        XCTAssertEqual(value(s, "C2", "openTickets"), "1", "a closed ticket is not open")
        XCTAssertEqual(value(s, "C1", "openTickets"), "0")
    }

    func testQueriedSortedGroupedAndAggregatedLikeStoredFields() {
        let s = session()
        XCTAssertEqual(csv(s.run("find customers where daysSinceContact <= 90 sort by daysSinceContact show id, DAYSSINCECONTACT")),
                       "id,daysSinceContact\nC2,4\nC4,90\n")
        XCTAssertEqual(csv(s.run("find customers sort by daysSinceContact desc show id")), "id\nC5\nC1\nC4\nC2\nC3\n", "nulls last")
        XCTAssertEqual(csv(s.run("count customers by contactCount")), "contactCount,count\n0,5\n")
        XCTAssertEqual(csv(s.run("max daysSinceContact of customers")), "max(daysSinceContact)\n692\n")
        XCTAssertEqual(csv(s.run("find customers where daysSinceContact is null show id")), "id\nC3\n")
    }

    func testAMisspeltDerivedNameIsSuggested() {
        let out = session().run("find customers where daysSinceContakt > 3")
        XCTAssertEqual(out.status, .usageError)
        XCTAssertTrue(out.messages.contains("did you mean 'daysSinceContact'?"), out.messages)
    }

    func testWritesToDerivedFieldsAreRefusedAndChangeNothing() {
        let s = session()
        let update = s.run("update customers where id = C1 set daysSinceContact = 3")
        XCTAssertEqual(update.status, .usageError)
        XCTAssertTrue(update.messages.contains("'daysSinceContact' is a derived field"), update.messages)
        XCTAssertTrue(update.messages.contains("today - lastContact"), "names the rule: \(update.messages)")
        let add = s.run("add customer name: \"X\", openTickets: 2")
        XCTAssertEqual(add.status, .usageError)
        XCTAssertTrue(add.messages.contains("'openTickets' is a derived field"), add.messages)
        XCTAssertEqual(s.store.customers.liveCount, 5)
        XCTAssertNil(s.store.customers.schema.position(of: "openTickets"), "no column was added")
    }

    func testImportUnderADerivedNameIsRefusedWithTheLine() throws {
        let s = session()
        let file = NSTemporaryDirectory() + "rapport-derived-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "{\"name\":\"a\"}\n{\"name\":\"b\",\"ContactCount\":3}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let out = s.run("import customers from \"\(file)\"")
        XCTAssertNotEqual(out.status, .success)
        XCTAssertTrue(out.messages.contains("line 2: 'ContactCount' is a derived field"), out.messages)
        XCTAssertEqual(s.store.customers.liveCount, 5)
    }
}

/// The selection that lets `sort by F limit N` sort only the rows that can come first.
final class SortCandidateTests: XCTestCase {
    func testCandidatesAreExactlyThoseAsGoodAsTheLimitThBest() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let n = Int.random(in: 1...60, using: &generator)
            let keys = (0..<n).map { _ in Bool.random() && Bool.random() ? Double.nan : Double(Int.random(in: 0...9, using: &generator)) }
            let limit = Int.random(in: 1...8, using: &generator)
            for descending in [false, true] {
                let got = QueryExecutor.candidates(keys, descending: descending, limit: limit)
                let present = keys.filter { !$0.isNaN }.sorted(by: descending ? (>) : (<))
                let expected: [Int]
                if limit * 4 >= n || present.count <= limit {
                    expected = Array(keys.indices)
                } else {
                    let bound = present[limit - 1]
                    expected = keys.indices.filter { descending ? keys[$0] >= bound : keys[$0] <= bound }
                }
                XCTAssertEqual(got, expected, "\(keys) limit \(limit) descending \(descending)")
            }
        }
    }
}
