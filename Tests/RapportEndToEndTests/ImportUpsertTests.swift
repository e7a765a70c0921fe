import Foundation
import RapportTestSupport
import XCTest

/// `import ... update by`, column maps, map files, `--dry-run`, and the format and
/// duplicate checks, through the real binary.
final class ImportUpsertTests: XCTestCase {
    /// A store with C000001 (Wang, silver) and C000002 (Li, bronze); new rows get C000003 on.
    private func seeded() throws -> TemporaryStore {
        let store = TemporaryStore("upsert")
        let file = try store.file("seed.csv", """
            id,name,email,phone,city,tier
            C000001,Wang Fang,Wang.Fang@Example.com,138 0013 8000,Shanghai,silver
            C000002,Li Na,li.na@example.com,13900139000,Beijing,bronze

            """)
        let r = store.run(["-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        return store
    }

    private func csv(_ store: TemporaryStore, _ query: String) -> String {
        let r = store.run(["--format", "csv", "-c", query])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    /// Every file of the store, by name, to prove a command changed nothing.
    private func storeFiles(_ store: TemporaryStore) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.subpathsOfDirectory(atPath: store.path) {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: store.path + "/" + name, isDirectory: &isDirectory)
            // The lock files hold who opened the store last, not its data.
            if !isDirectory.boolValue, !name.hasSuffix("lock") { files[name] = try Data(contentsOf: URL(fileURLWithPath: store.path + "/" + name)) }
        }
        return files
    }

    func testUpdateByEmailFromCSVUpdatesTheMatchAndAddsTheRest() throws {
        let store = try seeded()
        // Another case and padding: ContactKeys' normal form matches it; the empty name keeps C000001's.
        let file = try store.file("upsert.csv", """
            email,name,tier,city
             WANG.FANG@example.COM ,,gold,Hangzhou
            zhao@example.com,Zhao Lei,bronze,Shenzhen

            """)
        let r = store.run(["-c", "import customers from \"\(file)\" update by email"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("imported 2 customers: added 1, updated 1"), r.stdout)
        XCTAssertEqual(csv(store, "find customers sort by id show id, name, tier, city"),
                       "id,name,tier,city\nC000001,Wang Fang,gold,Hangzhou\nC000002,Li Na,bronze,Beijing\nC000003,Zhao Lei,bronze,Shenzhen\n")
    }

    func testUpdateByPhoneFromJSONLinesMatchesTheNormalForm() throws {
        let store = try seeded()
        let file = try store.file("upsert.jsonl", """
            {"phone": "+86 139-0013-9000", "tier": "gold"}
            {"phone": "0086 13700137000", "name": "Sun Li"}

            """)
        let r = store.run(["-c", "import customers from \"\(file)\" update by phone"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("added 1, updated 1"), r.stdout)
        XCTAssertEqual(csv(store, "find customers sort by id show id, name, tier"),
                       "id,name,tier\nC000001,Wang Fang,silver\nC000002,Li Na,gold\nC000003,Sun Li,\n")
    }

    func testUpdateByIDKeepsBeforeAndAfterAndUnchangedRowsChangeNothing() throws {
        let store = try seeded()
        let file = try store.file("byid.csv", "id,city,tier\nC000001,Shanghai,silver\nC000002,Xi'an,\nC000009,Wuhan,gold\n")
        // The dry run shows each update's before and after.
        let preview = store.run(["-c", "import customers from \"\(file)\" update by id --dry-run"])
        XCTAssertEqual(preview.status, 0, preview.stderr)
        XCTAssertTrue(preview.stdout.contains("city: Beijing → Xi'an"), preview.stdout)
        XCTAssertTrue(preview.stdout.contains("dry run: would add 1 customer, update 1 (1 more already up to date) and refuse 0; nothing changed"),
                      preview.stdout)
        let r = store.run(["-c", "import customers from \"\(file)\" update by id"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("added 1, updated 1 (1 matched and had these values already)"), r.stdout)
        XCTAssertEqual(csv(store, "find customers sort by id show id, city, tier"),
                       "id,city,tier\nC000001,Shanghai,silver\nC000002,Xi'an,bronze\nC000009,Wuhan,gold\n")
    }

    func testABadRowImportsNothingAndNamesItsLine() throws {
        let store = try seeded()
        let before = try storeFiles(store)
        let file = try store.file("bad.csv", "email,tier,satisfaction\nli.na@example.com,gold,4\nnew@example.com,silver,9\n")
        let r = store.run(["-c", "import customers from \"\(file)\" update by email"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("line 3"), r.stderr)
        XCTAssertTrue(r.stderr.contains("nothing was imported"), r.stderr)
        XCTAssertEqual(try storeFiles(store), before)
    }

    func testAmbiguousMatchesAreRefusedWithTheirLines() throws {
        let store = try seeded()
        // A third customer sharing C000002's phone in another spelling makes the phone ambiguous.
        let twin = try store.file("twin.csv", "id,name,phone\nC000003,Li Na (old),+86 139 0013 9000\n")
        XCTAssertEqual(store.run(["-c", "import customers from \"\(twin)\""]).status, 0)
        let ambiguous = try store.file("amb.csv", "phone,tier\n13900139000,gold\n")
        let r = store.run(["-c", "import customers from \"\(ambiguous)\" update by phone"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("line 2: phone '13900139000' matches 2 customers (C000002, C000003)"), r.stderr)

        let twice = try store.file("twice.csv", "email,tier\nwang.fang@example.com,gold\nWANG.FANG@EXAMPLE.COM,bronze\n")
        let t = store.run(["-c", "import customers from \"\(twice)\" update by email"])
        XCTAssertEqual(t.status, 1)
        XCTAssertTrue(t.stderr.contains("line 3: matches customer C000001, as line 2 does"), t.stderr)
        XCTAssertEqual(csv(store, "find customers where id = C000001 show tier"), "tier\nsilver\n")
    }

    func testMapClauseRenamesColumnsAndRefusesUnknownFieldsAndMissingColumns() throws {
        let store = TemporaryStore("map")
        let file = try store.file("crm.csv", "First Name,E-mail,Mobile\nWang Fang,wang@example.com,13800138000\n")
        let r = store.run(["-c", #"import customers from "\#(file)" map "first name" to name, "E-mail" to email, "Mobile" to phone"#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(csv(store, "find customers show name, email, phone"), "name,email,phone\nWang Fang,wang@example.com,13800138000\n")
        XCTAssertTrue(store.run(["-c", "show fields customers"]).stdout.contains("First Name") == false)

        let unknown = store.run(["-c", #"import customers from "\#(file)" map "E-mail" to emial"#])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("unknown field 'emial'") && unknown.stderr.contains("email"), unknown.stderr)

        let missing = store.run(["-c", #"import customers from "\#(file)" map "Phone No" to phone"#])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("column 'phone no', mapped to phone, is not in"), missing.stderr)
        XCTAssertEqual(csv(store, "count customers"), "count\n1\n")
    }

    func testMapFileMapsColumnsAndValueAliases() throws {
        let store = TemporaryStore("mapfile")
        let map = try store.file("map.txt", """
            # the old CRM's export
            "Customer" to name
            "Level" to tier
            tier "Gold Member" to gold
            tier "Silver Member" to silver

            """)
        let file = try store.file("old.csv", "Customer,Level\nWang Fang,Gold Member\nLi Na,silver member\nZhao Lei,bronze\n")
        let r = store.run(["-c", #"import customers from "\#(file)" using "\#(map)""#])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(csv(store, "find customers sort by id show name, tier"), "name,tier\nWang Fang,gold\nLi Na,silver\nZhao Lei,bronze\n")

        let badWord = try store.file("bad.txt", "\"Level\" to tier\ntier \"Gold Member\" to golden\n")
        let w = store.run(["-c", #"import customers from "\#(file)" using "\#(badWord)""#])
        XCTAssertEqual(w.status, 2)
        XCTAssertTrue(w.stderr.contains("line 2: 'golden' is not a tier (did you mean 'gold'?)"), w.stderr)

        let badField = try store.file("field.txt", "\"Level\" to tire\n")
        let f = store.run(["-c", #"import customers from "\#(file)" using "\#(badField)""#])
        XCTAssertEqual(f.status, 2)
        XCTAssertTrue(f.stderr.contains("line 1: unknown field 'tire' (did you mean 'tier'?)"), f.stderr)
        XCTAssertEqual(csv(store, "count customers"), "count\n3\n")
    }

    func testDryRunListsAddedUpdatedAndRefusedAndChangesNothing() throws {
        let store = try seeded()
        let before = try storeFiles(store)
        let file = try store.file("mixed.csv", "email,name,tier\nli.na@example.com,,gold\nnew@example.com,New One,silver\nbad@example.com,Bad,diamond\n")
        let r = store.run(["-c", "import customers from \"\(file)\" update by email --dry-run"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("dry run: would add 1 customer, update 1 and refuse 1; nothing changed"), r.stdout)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertTrue(lines.contains { $0.contains("2") && $0.contains("update") && $0.contains("C000002") && $0.contains("tier: bronze → gold") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.contains("3") && $0.contains("add") && $0.contains("new@example.com") }, r.stdout)
        XCTAssertTrue(lines.contains { $0.contains("4") && $0.contains("refuse") && $0.contains("diamond") }, r.stdout)
        XCTAssertEqual(try storeFiles(store), before)

        // The setting does the same.
        let s = store.run(["-"], stdin: "set dry-run on\nimport customers from \"\(file)\" update by email\n")
        XCTAssertTrue(s.stdout.contains("dry run: would add 1 customer"), s.stdout + s.stderr)
        XCTAssertEqual(try storeFiles(store), before)
    }

    func testMalformedEmailsAndPhonesAreStoredAndListedByLineCapped() throws {
        let store = TemporaryStore("format")
        var rows = "name,email,phone\nGood,good@example.com,138 0013 8000\nNoAt,wang.example.com,13800138001\nNoDigits,x@example.com,none\n"
        for i in 0..<22 { rows += "Many\(i),m\(i)@nodot,1380013\(String(format: "%04d", i))\n" }
        let file = try store.file("format.csv", rows)
        let r = store.run(["-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("imported 25 customers"), r.stdout)
        XCTAssertTrue(r.stderr.contains("24 row(s) have an email that is not an address or a phone without digits; stored as given"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 3: email 'wang.example.com' is not an address"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 4: phone 'none' has no digits"), r.stderr)
        XCTAssertTrue(r.stderr.contains("and 4 more"), r.stderr)
        XCTAssertFalse(r.stderr.contains("line 2:"), r.stderr)
        XCTAssertEqual(csv(store, "find customers where name = NoAt show email"), "email\nwang.example.com\n")
    }

    func testImportWarnsAboutTheDuplicatesItCreates() throws {
        let store = try seeded()
        let file = try store.file("dups.csv", """
            name,email,phone
            Wang Again,other@example.com,+86 138-0013-8000
            Twin A,twin@example.com,13700000001
            Twin B,TWIN@example.com,13700000002

            """)
        let r = store.run(["-c", "import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("line 2: phone '+86 138-0013-8000' is also customer C000001's"), r.stderr)
        XCTAssertTrue(r.stderr.contains("line 4: email 'TWIN@example.com' is also on line 3"), r.stderr)
        XCTAssertEqual(csv(store, "count customers"), "count\n5\n")

        // Matched by email, a row's email is no duplicate; its phone still is.
        let update = try store.file("upd.csv", "email,phone\nli.na@example.com,13700000001\n")
        let u = store.run(["-c", "import customers from \"\(update)\" update by email"])
        XCTAssertEqual(u.status, 0, u.stderr)
        XCTAssertTrue(u.stderr.contains("line 2: phone '13700000001' is also customer C000004's"), u.stderr)
        XCTAssertFalse(u.stderr.contains("email 'li.na"), u.stderr)
    }

    func testAddAndUpdateRefuseMalformedEmailsAndPhones() throws {
        let store = try seeded()
        let add = store.run(["-c", #"add customers name = "X", email = "x at example.com""#])
        XCTAssertEqual(add.status, 1)
        XCTAssertTrue(add.stderr.contains("email 'x at example.com' is not an address"), add.stderr)
        XCTAssertTrue(add.stderr.contains("^"), add.stderr)
        let update = store.run(["-c", #"update customers where id = C000001 set phone = "call me""#])
        XCTAssertEqual(update.status, 1)
        XCTAssertTrue(update.stderr.contains("phone 'call me' has no digits"), update.stderr)
        XCTAssertEqual(csv(store, "find customers where id = C000001 show phone"), "phone\n138 0013 8000\n")
        XCTAssertEqual(csv(store, "count customers"), "count\n2\n")
        let fine = store.run(["-c", #"update customers where id = C000001 set email = "wang@example.cn", phone = "+86 (138) 0013-8000""#])
        XCTAssertEqual(fine.status, 0, fine.stderr)
    }
}
