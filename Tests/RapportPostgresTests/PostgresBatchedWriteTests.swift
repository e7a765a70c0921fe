import Foundation
import RapportCore
@testable import RapportPostgres
import RapportTestSupport
import XCTest

/// A change set is written to PostgreSQL in batches (PostgresBackend+Write.swift: a row's
/// n-th change in round n; per round one COPY per entity, one UPDATE per entity and set of
/// fields, one DELETE per entity). These tests hold it to applying the changes in order:
/// change sets that mix inserts, updates of different fields, nulls, Chinese text, custom
/// fields, text that needs quoting in an array literal, and several changes of one row, give
/// what the embedded store gives.
final class PostgresBatchedWriteTests: XCTestCase {
    private var server: PostgresTestServer!

    override func setUpWithError() throws { server = try PostgresTestServer() }

    static let now = "2026-03-01T09:00:00Z"

    // Custom fields of every type (vip boolean, shoe integer, since date, nick string, weight
    // number), text an array literal must quote (quotes, backslashes, commas, braces, "NULL").
    static let customers = """
        {"id":"C1","name":"王芳","city":"上海","phone":"13800000001","tier":"gold","vip":true,"shoe":41,"since":"2020-01-02","nick":"芳芳","weight":61.5,"tags":["老客户","a,b"]}
        {"id":"C2","name":"Anna \\"Q\\" Smith","city":"北京","phone":"13800000002","tier":"silver","shoe":44,"nick":"{brace}"}
        {"id":"C3","name":"back\\\\slash","phone":"13800000003","nick":"NULL","weight":70}
        {"id":"C4","name":"张伟","city":"广州","phone":"13800000004","optOut":["sms"],"since":"2019-12-31"}
        {"id":"C5","name":"Émile","city":"Paris","email":"emile@example.com","vip":false}

        """

    // An upserting import: the matched rows update different fields each (C1 name and city,
    // C2 tier and a custom field, C3 the custom number), and new rows are added in the same set.
    static let upsert = #"""
        id,name,city,tier,nick,weight
        C1,王芳芳,深圳,,,
        C2,,,gold,"say ""hi"", \o/",
        C3,,,,,72.25
        C6,李娜,杭州,bronze,娜娜,55
        C7,"O'Brien, ""Pat""",Dublin,,,

        """#

    static let campaign = """
        campaign "会员日"
          target customers where phone is not null
          send sms "{name}您好，会员日双倍积分。"
          log contact via sms "会员日"
          add points 20 "会员日"
        end
        """

    static let readBack = [
        "find customers show *", "find contacts show *", "find messages show *", "find points show *",
        "find purchases show *", // The bin without the derived columns PostgreSQL does not compute there.
        "find deleted customers show id, name, phone, city, tier, lastContact, tags, optOut, vip, shoe, since, nick, weight, deletedAt, deletedIn",
        "find deleted contacts show *", "show fields customers",
    ]

    /// Each step on both backends (as the database's login), then every entity read back: the same bytes.
    private func assertSame(_ steps: [[String]], url: String, store: TemporaryStore, file: StaticString = #filePath, line: UInt = #line) throws {
        let login = try server.psql(url, "SELECT session_user")
        for (i, step) in steps.enumerated() {
            let arguments = ["--role", "admin"] + step
            let embedded = store.run(["--user", login] + arguments, now: Self.now)
            let postgres = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + arguments)
            XCTAssertEqual(postgres.stdout, embedded.stdout, "\(step)", file: file, line: line)
            XCTAssertEqual(postgres.stderr, embedded.stderr, "\(step)", file: file, line: line)
            XCTAssertEqual(postgres.status, embedded.status, "\(step): \(embedded.stderr)", file: file, line: line)
            for query in Self.readBack {
                let arguments = ["--role", "admin", "--format", "csv", "-c", query]
                let embedded = store.run(["--user", login] + arguments, now: Self.now)
                let postgres = RapportRunner.run(["--db", url, "--now", Self.now, "--timezone", "UTC"] + arguments)
                XCTAssertEqual(postgres.stdout, embedded.stdout, "after step \(i + 1) (\(step)): \(query)", file: file, line: line)
                XCTAssertEqual(postgres.stderr, embedded.stderr, "after step \(i + 1) (\(step)): \(query)", file: file, line: line)
            }
        }
    }

    func testMixedChangeSetsLeaveWhatTheEmbeddedStoreLeaves() throws {
        let url = try server.freshDatabase(initialised: true)
        let store = TemporaryStore("pg-batched")
        let customers = try store.file("c.jsonl", Self.customers)
        let upsert = try store.file("u.csv", Self.upsert)
        let campaign = try store.file("campaign.rapport", Self.campaign)
        let commands = [
            "import customers from \"\(customers)\"",
            "log contact C1 via phone \"第一次\"", "log contact C2 via email", "add purchase customer: C1, amount: 99.5, date: 2026-02-01",
            "import customers from \"\(upsert)\" update by id",
            // Nulls beside values, lists with quotes and commas, a custom date and boolean cleared.
            "update customers where id in (C1, C2, C6) set city = null, tags = (vip, 团购, \"x,y\", \"say \\\"q\\\"\"), since = 2021-05-06, vip = null",
            "update customers where city = null set shoe = 40",
        ]
        let afterCampaign = ["delete customers where id in (C2, C5)", "restore C2", "merge C3 into C1", "delete contacts where customer = C1"]
        try assertSame(commands.map { ["-c", $0] } + [[campaign]] + afterCampaign.map { ["-c", $0] }, url: url, store: store)
        XCTAssertEqual(try server.psql(url, "SELECT count(*) FROM rapport_touches"), "3", "each messaged customer touched once (C1 to C3: C4 refuses sms, the rest have no phone)")
    }

    /// Changes no single command makes together, committed straight to both backends: an
    /// insert then updates of the same row (one setting a null), a delete then a re-insert of
    /// one id, updates of different fields (named and positional) in one set.
    func testSeveralChangesOfOneRowApplyInTheirOrder() throws {
        let url = try server.freshDatabase(initialised: true)
        let postgres = try PostgresBackend(url: url)
        let embedded = InMemoryBackend()
        let author = ChangeAuthor(user: "tester", role: .admin, pinnedNow: 1_772_355_600)
        func commit(_ changes: [RecordChange]) throws {
            for backend in [postgres, embedded] as [Backend] {
                var set = ChangeSet(at: 0, user: "tester", command: "test")
                set.changes = changes
                try backend.commit(&set, by: author)
            }
        }
        try commit([
            RecordChange(kind: .insert, entity: .customers, id: "C1", after: ["name": .string("甲"), "city": .string("上海"), "satisfaction": .integer(5)]),
            RecordChange(kind: .insert, entity: .customers, id: "C2", after: ["name": .string("乙"), "tier": .string("gold")]),
            RecordChange(kind: .insert, entity: .customers, id: "C3", after: ["name": .string("丙")]),
        ])
        let fields = FieldList(["city", "lastContact"])
        try commit([
            RecordChange(kind: .insert, entity: .customers, id: "C4", after: ["name": .string("丁"), "city": .string("北京")]),
            RecordChange(kind: .update, entity: .customers, id: "C4", before: ["city": .string("北京")], after: ["city": .string("天津")]),
            RecordChange(kind: .update, entity: .customers, id: "C1", before: ["city": .string("上海")], after: ["city": .null, "tier": .string("silver")]),
            RecordChange(kind: .update, entity: .customers, id: "C4", before: ["city": .string("天津")], after: ["city": .null, "tags": .list(["新", "a\"b"])]),
            RecordChange(kind: .delete, entity: .customers, id: "C2", before: ["name": .string("乙"), "tier": .string("gold")]),
            RecordChange(kind: .insert, entity: .customers, id: "C2", after: ["name": .string("乙二")]),
            RecordChange(update: .customers, id: "C3", fields: fields, before: [.null, .null], after: [.string("南京"), .date(Day(daysSinceEpoch: 20_500))]),
            RecordChange(kind: .update, entity: .customers, id: "C1", before: ["satisfaction": .integer(5)], after: ["satisfaction": .integer(4)]),
            RecordChange(kind: .update, entity: .customers, id: "C3", before: ["name": .string("丙")], after: [:]),
        ])
        let ids = ["C1", "C2", "C3", "C4"]
        let onPostgres = postgres.records(.customers, ids: ids, fields: nil)
        let onStore = embedded.records(.customers, ids: ids, fields: nil)
        XCTAssertEqual(onPostgres, onStore)
        XCTAssertEqual(onPostgres["C4"]?["city"], nil, "the last update of C4 cleared its city")
        XCTAssertEqual(onPostgres["C2"]?["tier"], nil, "C2 re-inserted after its delete: no tier")
        XCTAssertEqual(onPostgres["C1"]?["satisfaction"], .integer(4))
    }

    /// The plan itself: a campaign's change set (per customer a message, a contact and the
    /// customer's update, interleaved) is one round of three batches, however many customers;
    /// a row changed twice goes in two rounds, in its order.
    func testACampaignsWritesAreThreeStatementsAndARowsChangesKeepTheirOrder() {
        var changes: [RecordChange] = []
        for n in 1...1000 {
            changes.append(RecordChange(kind: .insert, entity: .messages, id: "M\(n)", after: ["customer": .string("C\(n)")]))
            changes.append(RecordChange(kind: .insert, entity: .contacts, id: "K\(n)", after: ["customer": .string("C\(n)")]))
            changes.append(RecordChange(kind: .update, entity: .customers, id: "C\(n)", after: ["lastContact": .date(Day(daysSinceEpoch: 20_000))]))
        }
        let rounds = PostgresBackend.writeRounds(changes)
        XCTAssertEqual(rounds.count, 1)
        XCTAssertEqual(rounds.first?.map { "\($0.kind) \($0.entity.rawValue) \($0.changes.count)" },
                       ["insert messages 1000", "insert contacts 1000", "update customers 1000"])

        let mixed = PostgresBackend.writeRounds([
            RecordChange(kind: .insert, entity: .customers, id: "C1", after: ["name": .string("a")]),
            RecordChange(kind: .update, entity: .customers, id: "C1", after: ["name": .string("b")]),
            RecordChange(kind: .update, entity: .customers, id: "C2", after: ["city": .string("x")]),
            RecordChange(kind: .update, entity: .customers, id: "C3", after: ["name": .string("c")]),
            RecordChange(kind: .delete, entity: .customers, id: "C1"),
            RecordChange(kind: .insert, entity: .customers, id: "C1", after: [:]),
            RecordChange(kind: .insert, entity: .contacts, id: "C1", after: [:]),
        ])
        XCTAssertEqual(mixed.map { $0.map { "\($0.kind) \($0.entity.rawValue) \($0.fields) \($0.changes.map(\.id))" } }, [
            ["insert customers [] [\"C1\"]", "update customers [\"city\"] [\"C2\"]", "update customers [\"name\"] [\"C3\"]", "insert contacts [] [\"C1\"]"],
            ["update customers [\"name\"] [\"C1\"]"],
            ["delete customers [] [\"C1\"]"],
            ["insert customers [] [\"C1\"]"],
        ])
    }
}
