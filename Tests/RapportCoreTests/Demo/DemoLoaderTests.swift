import Foundation
import XCTest
@testable import RapportCore

/// The demo loader's records against the rules they must obey: the ledger, the dates,
/// determinism.
final class DemoLoaderTests: XCTestCase {
    let today = Day(iso: "2026-11-24")!

    func load(size: Int, seed: UInt64 = 20261124) -> Store {
        let store = Store()
        DemoLoader.load(into: store, size: size, today: today, seed: seed)
        return store
    }

    func value(_ t: Table, _ row: Int, _ name: String) -> Value { t.value(row: row, field: t.schema.position(of: name)!) }

    /// On the day of every ledger entry, the customer's balance is not below zero: no
    /// redemption ever spent more than was there (a debt would show from its day on).
    func testEveryRedemptionFitsTheBalanceOnItsDay() {
        let ledger = load(size: 2000)[.points]
        var entries: [String: [Loyalty.Entry]] = [:]
        var redemptions = 0
        for row in ledger.liveRows.map(Int.init) {
            guard case .string(let customer) = value(ledger, row, "customer"), case .date(let date) = value(ledger, row, "date"),
                  case .integer(let change) = value(ledger, row, "change") else { return XCTFail("incomplete entry \(ledger.id(ofRow: row))") }
            var expiry: Day?
            if case .date(let e) = value(ledger, row, "expiresAt") { expiry = e }
            if change < 0 { redemptions += 1; XCTAssertNil(expiry) }
            entries[customer, default: []].append(Loyalty.Entry(date: date, change: change, expiresAt: expiry))
        }
        XCTAssertGreaterThan(redemptions, 100)
        for (customer, ledger) in entries {
            for day in Set(ledger.compactMap(\.date)) {
                XCTAssertGreaterThanOrEqual(Loyalty.balance(of: ledger, today: day).points, 0, "\(customer) on \(day)")
            }
        }
    }

    func testNothingIsDatedAfterTodayOrBeforeTheCustomerJoined() {
        let store = load(size: 1000)
        let customers = store.customers, purchases = store[.purchases], contacts = store[.contacts]
        var joined: [String: Day] = [:]
        for row in customers.liveRows.map(Int.init) {
            if case .date(let d) = value(customers, row, "createdAt") { joined[customers.id(ofRow: row)] = d }
        }
        for table in [purchases, contacts] {
            for row in table.liveRows.map(Int.init) {
                guard case .date(let d) = value(table, row, "date"), case .string(let c) = value(table, row, "customer") else { return XCTFail() }
                XCTAssertLessThanOrEqual(d, today, table.id(ofRow: row))
                XCTAssertGreaterThanOrEqual(d, joined[c]!, table.id(ofRow: row))
            }
        }
    }

    func testTheSameSeedGivesTheSameRecordsAndAnotherSeedOthers() {
        func records(_ seed: UInt64) -> [String] {
            var out: [String] = []
            DemoGenerator(size: 200, today: today, seed: seed).generate { entity, record in out.append("\(entity) \(record)") }
            return out
        }
        XCTAssertEqual(records(7), records(7))
        XCTAssertNotEqual(records(7), records(8))
        let a = load(size: 200, seed: 7), b = load(size: 200, seed: 7)
        for entity in Entity.allCases {
            XCTAssertEqual(a[entity].liveRows.map { a[entity].record(row: Int($0)).description },
                           b[entity].liveRows.map { b[entity].record(row: Int($0)).description }, "\(entity)")
        }
    }

    /// A customer with surveys has the score of its latest (by date, then id) as its
    /// satisfaction, as `CustomerRollup` keeps it; tasks belong to the demo's staff and
    /// nothing on the service side is after the demo's instant.
    func testSatisfactionIsTheLatestSurveyAndTheServiceRecordsAreNotInTheFuture() {
        let store = load(size: 2000)
        let surveys = store[.surveys], customers = store.customers, tasks = store[.tasks], events = store[.events]
        var latest: [String: (Day, String, Value)] = [:]
        for row in surveys.liveRows.map(Int.init) {
            guard case .string(let c) = value(surveys, row, "customer"), case .date(let d) = value(surveys, row, "date") else { return XCTFail() }
            XCTAssertLessThanOrEqual(d, today)
            let id = surveys.id(ofRow: row)
            if let seen = latest[c], (seen.0, seen.1) > (d, id) { continue }
            latest[c] = (d, id, value(surveys, row, "score"))
        }
        XCTAssertGreaterThan(latest.count, 300)
        for row in customers.liveRows.map(Int.init) {
            guard let survey = latest[customers.id(ofRow: row)] else { continue }
            XCTAssertEqual(value(customers, row, "satisfaction"), survey.2, customers.id(ofRow: row))
        }
        let asOf = DemoService.asOf(today: Int(today.daysSinceEpoch))
        for row in events.liveRows.map(Int.init) {
            guard case .instant(let at) = value(events, row, "at") else { return XCTFail() }
            XCTAssertLessThanOrEqual(at, asOf, events.id(ofRow: row))
        }
        XCTAssertGreaterThan(tasks.liveCount, 100)
        for row in tasks.liveRows.map(Int.init) {
            guard case .string(let owner) = value(tasks, row, "owner") else { return XCTFail() }
            XCTAssertTrue(DemoData.owners.contains(owner), owner)
            if case .instant(let doneAt) = value(tasks, row, "doneAt") { XCTAssertLessThanOrEqual(doneAt, asOf) }
        }
    }
}
