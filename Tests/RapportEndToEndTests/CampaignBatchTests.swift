import Foundation
import XCTest
import RapportTestSupport

/// A campaign builds its records for thousands of customers at once (the customers read
/// once, one rollup, the outbox appended): the records must be exactly those the
/// single-customer commands write, one after another, in another store.
final class CampaignBatchTests: XCTestCase {
    static let now = "2026-03-01T09:00:00Z"
    static let size = 1000

    /// 1,000 customers: every 20th without a phone (skipped), owners and stages varied,
    /// every 7th without an owner (its ticket has none).
    static var customers: String {
        let owners = ["李娜", "Tom Chen", "王磊"]
        return (1...size).map { i in
            var fields = [#""id":"D\#(i)""#, #""name":"客户 \#(i)""#, #""stage":"\#(i % 3 == 0 ? "lost" : "active")""#]
            if i % 20 != 0 { fields.append(#""phone":"1390\#(String(i).leftPadded(7))""#) }
            if i % 7 != 0 { fields.append(#""owner":"\#(owners[i % 3])""#) }
            return "{" + fields.joined(separator: ",") + "}"
        }.joined(separator: "\n") + "\n"
    }

    func store(importing customers: String) throws -> TemporaryStore {
        let store = TemporaryStore("campaign-batch")
        let file = try store.file("customers.jsonl", customers)
        let r = store.run(["-c", "import customers from \"\(file)\""], now: Self.now)
        XCTAssertEqual(r.status, 0, r.stderr)
        return store
    }

    /// The message ids of an outbox file's lines, in the file's order.
    func outboxIDs(_ outbox: String) throws -> [String] {
        try String(contentsOfFile: outbox, encoding: .utf8).split(separator: "\n").map { line in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            return try XCTUnwrap(object["id"])
        }
    }

    /// The store's message ids, sorted.
    func storedMessageIDs(_ store: TemporaryStore) -> [String] {
        Array(store.run(["--format", "csv", "-c", "find messages show id sort by id"], now: Self.now).stdout
            .split(separator: "\n").dropFirst().map(String.init))
    }

    func export(_ store: TemporaryStore, _ entity: String) -> String {
        let r = store.run(["--format", "csv", "-c", "find \(entity) sort by id"], now: Self.now)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func testALargeRunWritesWhatTheSingleCommandsWrite() throws {
        let batch = try store(importing: Self.customers)
        let block = try batch.file("welcome.rapport", """
        campaign "welcome"
          target customers where id starts with D
          send sms "欢迎 {name}"
          log contact via sms "welcome"
          add points 10 "welcome"
          open ticket inquiry "welcome call"
        end

        """)
        let run = batch.run([block], now: Self.now)
        XCTAssertEqual(run.status, 0, run.stderr)
        let sent = Self.size - Self.size / 20
        XCTAssertEqual(run.stdout, "welcome: targeted \(Self.size), skipped \(Self.size / 20) (no address: \(Self.size / 20)), sent \(sent)\n")

        let single = try store(importing: Self.customers)
        // In the order the run takes its targets: by id, as strings (D1, D10, D100, ...).
        let targets = (1...Self.size).filter { $0 % 20 != 0 }.map { "D\($0)" }.sorted()
        let commands = targets.map { id in
            "log contact \(id) via sms \"welcome\"\nadd points \(id) 10 \"welcome\"\nopen ticket \(id) inquiry \"welcome call\"\n"
        }.joined()
        let one = single.run([try single.file("one-by-one.rapport", commands)], now: Self.now)
        XCTAssertEqual(one.status, 0, String(one.stderr.prefix(2000)))

        // Same ids, same values: the contacts, ledger, tickets, their timelines, and every
        // customer's lastContact and other fields.
        for entity in ["contacts", "points", "tickets", "events", "customers"] {
            let (a, b) = (export(batch, entity), export(single, entity))
            XCTAssertEqual(a, b, entity)
        }
        let counts = batch.run(["--format", "csv", "-c", "count customers where lastContact = 2026-03-01",
                                "-c", "count tickets where owner = 李娜"], now: Self.now)
        let withLiNa = (1...Self.size).filter { (i: Int) -> Bool in i % 20 != 0 && i % 7 != 0 && i % 3 == 0 }.count
        XCTAssertEqual(counts.stdout, "count\n\(sent)\ncount\n\(withLiNa)\n")

        // The outbox: one line per message, in id order, appended without reading the file.
        let lines = try String(contentsOfFile: batch.path + "/outbox/2026-03-01.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, sent)
        let ids = try lines.map { line -> String in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
            return try XCTUnwrap(object["id"])
        }
        let messages = batch.run(["--format", "csv", "-c", "find messages show id sort by id"], now: Self.now)
        XCTAssertEqual(["id"] + ids, messages.stdout.split(separator: "\n").map(String.init))
    }

    /// A run of 1,200 changes (400 customers: messages, contacts, lastContact) is applied
    /// while its journal entry is fsynced, and its outbox lines are written as soon as the
    /// journal is durable, beside the apply (`Database.changesWorthApplyingDuringTheFsync`):
    /// the mark comes from the run's own message numbers, a failed outbox write still says
    /// so after the commit, and the next run repairs it.
    func testALargeRunsOutboxIsWrittenOnceTheJournalIsDurable() throws {
        // Groups of 400 (1,200 changes a run), then 10.
        let group = ["甲", "乙", "丙"]
        let store = try store(importing: (1...810).map { #"{"id":"D\#($0)","name":"\#(group[($0 - 1) / 400]) \#($0)","phone":"1390000\#($0)"}"# }
            .joined(separator: "\n") + "\n")
        func block(_ name: String, _ first: String) throws -> String {
            try store.file("\(name).rapport", "campaign \"\(name)\"\n  target customers where name starts with \"\(first)\"\n  send sms \"hi {name}\"\n  log contact via sms \"\(name)\"\nend\n")
        }
        let outbox = store.path + "/outbox/2026-03-01.jsonl"
        func lineIDs() throws -> [String] { try outboxIDs(outbox) }
        func messageIDs() -> [String] { storedMessageIDs(store) }
        let first = store.run([try block("first", "甲")], now: Self.now)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try lineIDs(), messageIDs())
        XCTAssertEqual(try lineIDs().count, 400)
        let mark = try String(contentsOfFile: store.path + "/outbox/written.mark", encoding: .utf8)
        XCTAssertTrue(mark.hasPrefix("400\n"), "the mark is the run's highest message number: \(mark)")
        // The outbox write fails (on the journal's thread): the commit stands, the run says so.
        let failed = store.run([try block("second", "乙")], now: Self.now, faults: "write:2026-03-01.jsonl:1")
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertTrue(failed.stderr.contains("the messages are recorded but the outbox file was not written"), failed.stderr)
        XCTAssertEqual(try lineIDs().count, 400)
        XCTAssertEqual(messageIDs().count, 800)
        let third = store.run([try block("third", "丙")], now: Self.now)
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertEqual(try lineIDs(), messageIDs())
        XCTAssertEqual(try lineIDs().count, 810)
        XCTAssertTrue(try String(contentsOfFile: store.path + "/outbox/written.mark", encoding: .utf8).hasPrefix("810\n"))
    }

    /// The outbox's mark: after a normal run the next run reads no old message; a run
    /// killed between its commit and its outbox write is still repaired by the next run,
    /// and an outbox file changed behind Rapport's back voids the mark.
    func testTheOutboxMarkKeepsTheRepairGuarantee() throws {
        let store = try store(importing: (1...30).map { #"{"id":"D\#($0)","name":"客户 \#($0)","phone":"1390000\#($0)"}"# }
            .joined(separator: "\n") + "\n")
        func block(_ name: String, _ condition: String) throws -> String {
            try store.file("\(name).rapport", "campaign \"\(name)\"\n  target customers where \(condition)\n  send sms \"hi {name}\"\nend\n")
        }
        let outbox = store.path + "/outbox/2026-03-01.jsonl"
        func lineIDs() throws -> [String] { try outboxIDs(outbox) }
        func messageIDs() -> [String] { storedMessageIDs(store) }
        XCTAssertEqual(store.run([try block("first", "id in (D1, D2, D3)")], now: Self.now).status, 0)
        let mark = try String(contentsOfFile: store.path + "/outbox/written.mark", encoding: .utf8)
        XCTAssertTrue(mark.hasPrefix("3\n"), mark)
        // The outbox write fails after the commit (as a kill there would leave it).
        let failed = store.run([try block("second", "id in (D4, D5)")], now: Self.now, faults: "write:2026-03-01.jsonl:1")
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertEqual(try lineIDs(), ["M0000001", "M0000002", "M0000003"])
        XCTAssertEqual(store.run([try block("third", "id = D6")], now: Self.now).status, 0)
        XCTAssertEqual(try lineIDs(), messageIDs())
        XCTAssertEqual(try lineIDs().count, 6)
        // A line removed by hand: the file's length no longer matches the mark, so every
        // message is checked against the file again.
        let text = try String(contentsOfFile: outbox, encoding: .utf8)
        try (text.split(separator: "\n").dropLast().joined(separator: "\n") + "\n").write(toFile: outbox, atomically: false, encoding: .utf8)
        XCTAssertEqual(store.run([try block("fourth", "id = D7")], now: Self.now).status, 0)
        XCTAssertEqual(try lineIDs().sorted(), messageIDs())
        XCTAssertEqual(try lineIDs().count, 7)
    }

    /// `log contact` is built once for a run and stamped per customer: without a note and
    /// with the channel in another case, its contacts are still those the command writes.
    func testLogContactWithoutANoteWritesWhatTheCommandWrites() throws {
        let few = (1...3).map { #"{"id":"D\#($0)","name":"客户 \#($0)","phone":"1390000000\#($0)"}"# }.joined(separator: "\n") + "\n"
        let batch = try store(importing: few)
        let block = try batch.file("visit.rapport", "campaign \"visit\"\n  target customers where id starts with D\n  log contact via Visit\nend\n")
        let run = batch.run([block], now: Self.now)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "visit: targeted 3, skipped 0, applied to 3\n")
        let single = try store(importing: few)
        let one = single.run((1...3).flatMap { ["-c", "log contact D\($0) via Visit"] }, now: Self.now)
        XCTAssertEqual(one.status, 0, one.stderr)
        for entity in ["contacts", "customers"] {
            XCTAssertEqual(export(batch, entity), export(single, entity), entity)
        }
        XCTAssertTrue(export(batch, "contacts").contains(",visit,"), export(batch, "contacts"))
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
