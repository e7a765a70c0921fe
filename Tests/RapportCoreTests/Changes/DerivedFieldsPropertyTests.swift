import Foundation
import XCTest
@testable import RapportCore

/// Random sequences of changes through every path; after each, every customer's derived
/// fields equal a recomputation from its records.
final class DerivedFieldsPropertyTests: XCTestCase {
    let clock = QueryFixtures.clock

    struct Expected {
        var cents: Int64 = 0
        var count: Int64 = 0
        var loyalty: Int64 = 0
        var lastPurchase: Day?
        var lastContact: Day?
    }

    func value(_ t: Table, _ row: Int, _ name: String) -> Value { t.value(row: row, field: t.schema.position(of: name)!) }

    func ids(_ t: Table) -> [String] { t.liveRows.map { t.id(ofRow: Int($0)) } }

    /// Every customer's figures recomputed from scratch from the purchases and contacts.
    func recompute(_ store: Store) -> [String: Expected] {
        var out: [String: Expected] = [:]
        for id in ids(store.customers) { out[id] = Expected() }
        let purchases = store[.purchases]
        for row in purchases.liveRows.map(Int.init) {
            guard case .string(let c) = value(purchases, row, "customer") else { continue }
            let amount = value(purchases, row, "amount").doubleValue ?? 0
            out[c]!.cents += Int64((amount * 100).rounded())
            out[c]!.count += 1
            out[c]!.loyalty += Loyalty.points(forAmount: amount)
            if case .date(let d) = value(purchases, row, "date") { out[c]!.lastPurchase = max(out[c]!.lastPurchase ?? d, d) }
        }
        let contacts = store[.contacts]
        for row in contacts.liveRows.map(Int.init) {
            guard case .string(let c) = value(contacts, row, "customer") else { continue }
            if case .date(let d) = value(contacts, row, "date") { out[c]!.lastContact = max(out[c]!.lastContact ?? d, d) }
        }
        return out
    }

    func testDemoCustomersAgreeWithTheirRecords() {
        let store = Store()
        DemoLoader.load(into: store, size: 300, today: clock.today)
        assertAgree(store, step: "demo")
    }

    func assertAgree(_ store: Store, step: String, file: StaticString = #filePath, line: UInt = #line) {
        let expected = recompute(store)
        let t = store.customers
        for row in t.liveRows.map(Int.init) {
            let id = t.id(ofRow: row)
            let e = expected[id]!
            let spent = Int64(((value(t, row, "totalSpent").doubleValue ?? 0) * 100).rounded())
            XCTAssertEqual(spent, e.cents, "\(step): totalSpent of \(id)", file: file, line: line)
            XCTAssertEqual(value(t, row, "purchaseCount"), e.count == 0 && value(t, row, "purchaseCount").isNull ? .null : .integer(e.count),
                           "\(step): purchaseCount of \(id)", file: file, line: line)
            XCTAssertEqual(value(t, row, "lastPurchase"), e.lastPurchase.map(Value.date) ?? .null, "\(step): lastPurchase of \(id)", file: file, line: line)
            XCTAssertEqual(value(t, row, "lastContact"), e.lastContact.map(Value.date) ?? .null, "\(step): lastContact of \(id)", file: file, line: line)
        }
        // Points: each purchase holds exactly the ledger entry it earns, and no entry
        // outlives its purchase (the balance itself is the ledger's, tested in LoyaltyTests).
        let purchases = store[.purchases], ledger = store[.points]
        var earnedEntries = Set<String>()
        for row in purchases.liveRows.map(Int.init) {
            let id = purchases.id(ofRow: row)
            let earned = Loyalty.points(forAmount: value(purchases, row, "amount").doubleValue ?? 0)
            guard earned > 0 else { continue }
            let entryID = CustomerRollup.ledgerID(ofPurchase: id)
            earnedEntries.insert(entryID)
            guard let l = ledger.row(ofID: entryID) else { XCTFail("\(step): no ledger entry for \(id)", file: file, line: line); continue }
            XCTAssertEqual(value(ledger, l, "change"), .integer(earned), "\(step): points of \(id)", file: file, line: line)
            XCTAssertEqual(value(ledger, l, "customer"), value(purchases, row, "customer"), "\(step): owner of \(entryID)", file: file, line: line)
            XCTAssertEqual(value(ledger, l, "date"), value(purchases, row, "date"), "\(step): date of \(entryID)", file: file, line: line)
        }
        for row in ledger.liveRows.map(Int.init) {
            guard case .string(let reason) = value(ledger, row, "reason"), reason.hasPrefix("purchase ") else { continue }
            XCTAssertTrue(earnedEntries.contains(ledger.id(ofRow: row)), "\(step): \(ledger.id(ofRow: row)) outlived its purchase", file: file, line: line)
        }
    }

    func testRandomChangesKeepDerivedFieldsInStep() throws {
        for seed in [1, 7, 42, 2026] as [UInt64] { try runSequence(seed: seed, steps: 250) }
    }

    func runSequence(seed: UInt64, steps: Int) throws {
        let store = Store()
        DemoLoader.load(into: store, size: 25, today: clock.today)
        let session = Session(database: .inMemory(store), settings: Settings(user: "prop"), clock: clock, pinnedNow: clock.now)
        let start = recompute(store)
        _ = start
        assertAgree(store, step: "seed \(seed) start")
        let dir = NSTemporaryDirectory() + "rapport-prop-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        var rng = SplitMix64(seed: seed)
        func date() -> String { "2026-\(String(format: "%02d", 1 + rng.int(11)))-\(String(format: "%02d", 1 + rng.int(28)))" }
        func amount() -> String { "\(1 + rng.int(3000)).\(String(format: "%02d", rng.int(100)))" }
        var failures = 0
        for step in 0..<steps {
            let customers = ids(store.customers), purchases = ids(store[.purchases]), contacts = ids(store[.contacts])
            guard !customers.isEmpty else { break }
            let c = rng.pick(customers), other = rng.pick(customers)
            var command: String
            var mustFail = false
            switch rng.int(20) {
            case 0: command = "log contact \(c) via \(rng.pick(["call", "Email", "wechat"])) \"hello\""
            case 1: command = "log purchase \(c) amount \(amount())"
            case 2: command = "add purchase customer: \"\(c)\", date: \(date()), amount: \(amount())"
            case 3: command = "add contact customer: \"\(c)\", date: \(date()), channel: sms"
            case 4 where !purchases.isEmpty: command = "update purchases where id = \(rng.pick(purchases)) set amount = \(amount())"
            case 5 where !purchases.isEmpty: command = "update purchases where id = \(rng.pick(purchases)) set date = \(date())"
            case 6 where !purchases.isEmpty: command = "update purchases where id = \(rng.pick(purchases)) set customer = \"\(other)\""
            case 7 where !purchases.isEmpty:
                command = "update purchases where id = \(rng.pick(purchases)) set customer = \"\(other)\", amount = \(amount()), date = \(date())"
            case 8 where !contacts.isEmpty: command = "update contacts where id = \(rng.pick(contacts)) set date = \(date())"
            case 9 where !contacts.isEmpty: command = "update contacts where id = \(rng.pick(contacts)) set customer = \"\(other)\""
            case 10 where !purchases.isEmpty: command = "delete purchases where id = \(rng.pick(purchases))"
            case 11 where !contacts.isEmpty: command = "delete contacts where id = \(rng.pick(contacts))"
            case 12: command = "delete purchases where customer = \"\(c)\""
            case 13 where customers.count > 5: command = "delete customers where id = \(c)"
            case 14, 15:
                let entity = rng.int(2) == 0 ? "purchases" : "contacts"
                let lines = (0..<(1 + rng.int(3))).map { _ -> String in
                    let who = rng.pick(customers)
                    return entity == "purchases"
                        ? #"{"customer": "\#(who)", "date": "\#(date())", "amount": \#(amount())}"#
                        : #"{"customer": "\#(who)", "date": "\#(date())", "channel": "call"}"#
                }
                let file = dir + "/step\(step).jsonl"
                try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
                command = "import \(entity) from \"\(file)\""
            case 16: command = "set now \(date())"
            case 17:
                mustFail = true
                let file = dir + "/bad\(step).jsonl"
                try """
                {"customer": "\(c)", "date": "2026-05-05", "amount": 10}
                {"customer": "NOBODY", "date": "2026-05-05", "amount": 10}
                """.write(toFile: file, atomically: true, encoding: .utf8)
                command = "import purchases from \"\(file)\""
            case 18:
                mustFail = true
                command = rng.pick([
                    "add purchase customer: \"NOBODY\", amount: 5",
                    "log purchase \(c) amount -5",
                    "update customers where id = \(c) set totalSpent = 5",
                    "update customers where id = \(c) set lastContact = 2026-01-01",
                    "add contact customer: \"\(c)\", channel: fax",
                ] + (purchases.isEmpty ? [] : ["update purchases where id = \(rng.pick(purchases)) set customer = \"NOBODY\""]))
            default: command = "log purchase \(c) amount \(amount())"
            }
            let sequence = store.sequence
            let outcome = session.run(command)
            if mustFail {
                failures += 1
                XCTAssertNotEqual(outcome.status, .success, "seed \(seed) step \(step): \(command) should fail")
                XCTAssertEqual(store.sequence, sequence, "seed \(seed) step \(step): \(command) changed the store")
            } else {
                XCTAssertEqual(outcome.status, .success, "seed \(seed) step \(step): \(command)\n\(outcome.messages)")
            }
            assertAgree(store, step: "seed \(seed) step \(step): \(command)")
        }
        XCTAssertGreaterThan(failures, 0)
        XCTAssertGreaterThan(store.sequence, Int64(steps / 2), "most steps changed something")
    }
}

private extension SplitMix64 {
    /// 0 ..< n, from the demo generator's own SplitMix64.
    mutating func int(_ n: Int) -> Int { int(0, n - 1) }
}
