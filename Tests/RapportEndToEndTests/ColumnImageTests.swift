import Foundation
import XCTest
import RapportTestSupport

/// The column image (`snapshot.columns`) through the real binary: a store opened from it
/// answers exactly as one opened from the JSON, a snapshot (`save`, in the background too,
/// and a bulk import's) writes the image a reading of it would write, and a damaged,
/// truncated, stale or newer image is ignored without a word on stdout, then written again.
final class ColumnImageTests: XCTestCase {
    var store: TemporaryStore!
    var image: String { store.path + "/snapshot.columns" }

    override func setUp() { store = TemporaryStore("image") }
    override func tearDown() { store = nil }

    @discardableResult
    func rapport(_ commands: [String], extra: [String] = []) -> RapportRunner.Result {
        store.run(["--format", "csv"] + extra + commands.flatMap { ["-c", $0] }, now: "2026-11-24")
    }

    /// Strings (Chinese and Latin), lists, numbers, dates, a custom field, histories, a
    /// policy, a segment, a grant and the bin; then a snapshot.
    func seed() {
        let file = try? store.file("more.jsonl", #"{"id":"C5","name":"Zoë","vipNote":"likes tea","tags":["tea","loyal"]}"# + "\n")
        let r = rapport([
            #"add customer id: "C1", name: "王芳", tier: gold, city: "上海", email: "wang@example.com""#,
            #"add customer id: "C2", name: "Bob Lee", tier: silver, city: "London""#,
            #"add customer id: "C3", name: "Ann", tier: gold, birthday: 1990-04-02"#,
            #"add customer id: "C4", name: "Gone""#,
            #"log contact C1 via phone "first call""#,
            "log purchase C1 amount 300.5 丝巾",
            "log purchase C3 amount 99.25",
            #"open ticket C2 complaint "late delivery""#,
            "import customers from \"\(file ?? "")\"",
            "update customers where id = C2 set tags = (tea, 团购)",
            "delete customers where id = C4",
            "set policy resolution.urgent = 12h",
            "save segment goldies as customers where tier = gold",
            "save",
        ], extra: ["--now", "2026-11-20"])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    /// Questions whose answers cover every part the image holds.
    let questions = [
        "find customers show *", "find contacts show *", "find purchases show *", "find tickets show *",
        "find points show *", "find deleted customers show *", "count customers by tier",
        "find customers where id = c1 show id, name", "find customers where name contains 芳 show id",
        "find customers where tags has tea show id", "show policy", "show segments",
        "find customers where in segment goldies show id", "count customers where birthday within 400d",
    ]

    func answers(_ extra: [String] = []) -> String {
        questions.map { q in
            let r = rapport([q], extra: extra)
            XCTAssertEqual(r.status, 0, "\(q): \(r.stderr)")
            return "\(q)\n\(r.stdout)"
        }.joined(separator: "\n")
    }

    /// The `column image:` line `--timer` prints.
    /// Flips `bits` of the image's byte `offset` bytes into the first occurrence of `text`
    /// (a column's string arena) and writes it back; the image before and after.
    @discardableResult
    func damageImage(inside text: String, at offset: Int, flipping bits: UInt8, _ what: String) throws -> (good: Data, damaged: Data) {
        let good = try Data(contentsOf: URL(fileURLWithPath: image))
        let target = try XCTUnwrap(good.range(of: Data(text.utf8)), what)
        var damaged = good
        damaged[target.lowerBound + offset] ^= bits
        try damaged.write(to: URL(fileURLWithPath: image))
        return (good, damaged)
    }

    func imageNote() -> String {
        let r = rapport(["count customers"], extra: ["--timer"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stderr.split(separator: "\n").first { $0.hasPrefix("column image:") }.map(String.init) ?? r.stderr
    }

    /// The image as it is now, and the one an opening that parses the JSON writes in its
    /// place: a snapshot's image must be the latter's bytes (deleted rows and the strings
    /// of overwritten values left out, strings coded in the order they are read).
    func imageAndParsedImage() throws -> (written: Data, parsed: Data) {
        let written = try Data(contentsOf: URL(fileURLWithPath: image))
        try FileManager.default.removeItem(atPath: image)
        XCTAssertEqual(imageNote(), "column image: not used (there is none); written again")
        return (written, try Data(contentsOf: URL(fileURLWithPath: image)))
    }

    func testStoreOpenedFromTheImageAnswersAsFromTheJSON() throws {
        seed()
        XCTAssertEqual(imageNote(), "column image: read", "the save wrote it: no opening parses the JSON")
        let images = try imageAndParsedImage()
        XCTAssertEqual(images.written, images.parsed, "the save's image is the one a reading of its snapshot gives")
        XCTAssertEqual(imageNote(), "column image: read")
        let fromImage = answers()
        try FileManager.default.removeItem(atPath: image)
        let fromJSON = answers()
        XCTAssertEqual(fromImage, fromJSON)
        XCTAssertTrue(fromImage.contains("likes tea"), "the custom field: \(fromImage)")
        XCTAssertTrue(fromImage.contains("C4,Gone"), "the bin comes from the image too: \(fromImage)")
        // A change after the image: generated ids, the id map and the journal's tail.
        XCTAssertEqual(imageNote(), "column image: read")
        XCTAssertEqual(rapport([#"add customer name: "New one""#, #"update customers where id = C1 set city = "北京""#]).status, 0)
        XCTAssertEqual(rapport(["find customers where name = \"New one\" show id"]).stdout, "id\nC000006\n",
                       "after C5, and the bin's C4 stays taken")
        XCTAssertEqual(rapport(["find customers where city = 北京 show id"]).stdout, "id\nC1\n")
        let mode = try FileManager.default.attributesOfItem(atPath: image)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
    }

    /// The image holds each table's highest generated number (no scan of its ids on the
    /// first insert): the ids generated after it are those generated after the JSON, the
    /// highest-numbered customer and contact in the bin, the bin's own tables too.
    func testIDsGeneratedAfterTheImageAreThoseGeneratedAfterTheJSON() throws {
        let r = rapport([
            #"add customer name: "A""#, #"add customer name: "B""#, #"add customer name: "C""#,
            #"log contact C000001 via phone "one""#, #"log contact C000002 via phone "two""#,
            "delete customers where id = C000003", "delete contacts where id = K0000002", "save",
        ])
        XCTAssertEqual(r.status, 0, r.stderr)
        let parsed = TemporaryStore("image-ids")
        try FileManager.default.copyItem(atPath: store.path, toPath: parsed.path)
        try FileManager.default.removeItem(atPath: parsed.path + "/snapshot.columns")
        let changes = [#"add customer name: "D""#, #"log contact C000001 via phone "three""#, "log purchase C000002 amount 5",
                       "find customers show id", "find contacts show id", "find purchases show id",
                       "find deleted customers show id", "find deleted contacts show id"]
        XCTAssertEqual(imageNote(), "column image: read")
        let fromImage = rapport(changes)
        let fromJSON = parsed.run(["--format", "csv"] + changes.flatMap { ["-c", $0] }, now: "2026-11-24")
        XCTAssertEqual(fromImage.status, 0, fromImage.stderr)
        XCTAssertEqual(fromImage.stdout, fromJSON.stdout)
        XCTAssertTrue(fromImage.stdout.contains("C000004"), "after the bin's C000003: \(fromImage.stdout)")
        XCTAssertTrue(fromImage.stdout.contains("K0000003"), "after the bin's K0000002: \(fromImage.stdout)")
    }

    func testDamagedTruncatedStaleAndNewerImagesAreIgnoredAndWrittenAgain() throws {
        seed()
        let expected = answers()
        XCTAssertEqual(imageNote(), "column image: read")
        let good = try Data(contentsOf: URL(fileURLWithPath: image))

        // The head is checked at opening (a damaged column only when read: below).
        var damaged = good
        damaged[110] ^= 0x5A
        try damaged.write(to: URL(fileURLWithPath: image))
        var r = rapport(["count customers"])
        XCTAssertEqual(r.stdout, "count\n4\n")
        XCTAssertEqual(r.stderr, "", "nothing is said without --timer")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: image)), good, "written again, as it was")

        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: image))
        XCTAssertEqual(imageNote(), "column image: not used (it is truncated); written again")
        XCTAssertEqual(answers(), expected)

        var newer = good
        newer[8] = 99
        try newer.write(to: URL(fileURLWithPath: image))
        XCTAssertEqual(imageNote(), "column image: not used (it is of version 99, this program writes 4); written again")
        XCTAssertEqual(answers(), expected)

        // Version 2 hashed its regions in one lane: its hashes are not this program's, so
        // such an image is not read (never misread as damaged either) and is written again.
        var older = good
        older[8] = 2
        try older.write(to: URL(fileURLWithPath: image))
        XCTAssertEqual(imageNote(), "column image: not used (it is of version 2, this program writes 4); written again")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: image)), good, "written again, as it was")

        // Version 3 lacked each table's highest generated number: not read, written again.
        var three = good
        three[8] = 3
        try three.write(to: URL(fileURLWithPath: image))
        XCTAssertEqual(imageNote(), "column image: not used (it is of version 3, this program writes 4); written again")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: image)), good, "written again, as it was")

        try Data(String(repeating: "not an image ", count: 20).utf8).write(to: URL(fileURLWithPath: image))
        XCTAssertEqual(imageNote(), "column image: not used (it is not a column image); written again")

        // Stale: another snapshot replaced the one the image was made from (its own image
        // lost, as after a crash between the two).
        try good.write(to: URL(fileURLWithPath: image))
        r = rapport([#"add customer id: "C9", name: "Later""#, "save"])
        XCTAssertEqual(r.status, 0, r.stderr)
        try good.write(to: URL(fileURLWithPath: image))
        XCTAssertEqual(imageNote(), "column image: not used (it was made from another snapshot); written again")
        XCTAssertEqual(rapport(["find customers where id = C9 show name"]).stdout, "name\nLater\n")
        XCTAssertEqual(imageNote(), "column image: read")
    }

    /// A damaged column is found on its first read: that command fails (status 1) with the
    /// error and a hint, answers nothing, and the image is removed; questions that do not
    /// read the column answer as before, and a change checks every column first.
    func testDamagedColumnIsFoundWhenFirstRead() throws {
        seed()
        let goldQuestion = "find customers where tier = gold show id, name"
        let noteQuestion = "find customers show id, vipNote"
        let gold = rapport([goldQuestion]).stdout, notes = rapport([noteQuestion]).stdout
        XCTAssertEqual(imageNote(), "column image: read")
        let (good, damaged) = try damageImage(inside: "likes tea", at: 2, flipping: 0x20, "the custom field's arena")

        XCTAssertEqual(rapport([goldQuestion]).stdout, gold, "another column is not read, nor checked")
        let r = rapport([noteQuestion])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stdout, "", "nothing answered from the damaged column")
        XCTAssertTrue(r.stderr.contains("the column image \(image) is damaged: customers.vipNote does not match its checksum"), r.stderr)
        XCTAssertTrue(r.stderr.contains("was removed: run the command again"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: image))
        XCTAssertEqual(rapport([noteQuestion]).stdout, notes, "from the JSON")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: image)), good, "written again, as it was")

        // A change checks every column before anything is journaled.
        try damaged.write(to: URL(fileURLWithPath: image))
        let change = rapport([#"update customers where id = C1 set city = "北京""#])
        XCTAssertEqual(change.status, 1)
        XCTAssertTrue(change.stderr.contains("customers.vipNote does not match its checksum"), change.stderr)
        XCTAssertEqual(rapport(["find customers where id = C1 show city"]).stdout, "city\n上海\n", "nothing changed")

        // A campaign has the columns checked on another core while it plans
        // (`Database.checkColumnImageAhead`); its commit still refuses the damage.
        try damaged.write(to: URL(fileURLWithPath: image))
        let block = try callCampaign(tier: "gold")
        let run = store.run(["--format", "csv", block], now: "2026-11-24")
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("customers.vipNote does not match its checksum"), run.stderr)
        XCTAssertEqual(rapport(["count contacts"]).stdout, "count\n1\n", "nothing changed")
        let again = store.run(["--format", "csv", block], now: "2026-11-24")
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(rapport(["count contacts where note = \"gold call\""]).stdout, "count\n2\n", "from the JSON, both gold customers")
    }

    /// A campaign file logging a phone call (note "TIER call") to every customer of `tier`:
    /// it reads and writes the customers' and contacts' columns only.
    private func callCampaign(tier: String) throws -> String {
        try store.file("call.rapport", """
            campaign "\(tier) call"
              target customers where tier = \(tier)
              log contact via phone "\(tier) call"
            end

            """)
    }

    /// A change checks the columns it writes, not every column (a campaign at a million
    /// customers hashed its 2.2 GB image first): a damage in a column it neither reads nor
    /// writes is left to that column's first read or to the next snapshot, which refuses
    /// it and writes nothing damaged; the change itself is kept, from the journal.
    func testAChangeChecksTheColumnsItWritesAndASnapshotEveryColumn() throws {
        seed()
        XCTAssertEqual(imageNote(), "column image: read")
        try damageImage(inside: "丝巾", at: 1, flipping: 0x01, "the purchases' product arena")

        let change = rapport([#"update customers where id = C2 set city = "北京""#])
        XCTAssertEqual(change.status, 0, change.stderr)
        // A campaign's checks ahead (on another core) and its commit hash the customers',
        // messages' and contacts' columns only: the damaged purchases do not stop it.
        let block = try callCampaign(tier: "silver")
        let run = store.run(["--format", "csv", block], now: "2026-11-24")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(rapport(["count contacts where note = \"silver call\""]).stdout, "count\n1\n")
        let save = rapport(["save"])
        XCTAssertEqual(save.status, 1)
        XCTAssertTrue(save.stderr.contains("purchases.product does not match its checksum"), save.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: image), "the damaged image removed")
        let again = rapport(["save"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(rapport(["find customers where id = C2 show city", "find purchases where customer = C1 show product"]).stdout,
                       "city\n北京\nproduct\n丝巾\n", "the change kept, the product from the JSON")
    }

    /// A store viewing the image answers as one parsed from the JSON through a change and a
    /// save, and the image's file is never written through its mapping.
    func testChangesAndSaveFromTheImageAnswerAsFromTheJSON() throws {
        seed()
        XCTAssertEqual(imageNote(), "column image: read")
        let parsed = TemporaryStore("image-json")
        try FileManager.default.copyItem(atPath: store.path, toPath: parsed.path)
        try FileManager.default.removeItem(atPath: parsed.path + "/snapshot.columns")
        func fromJSON(_ commands: [String]) -> RapportRunner.Result {
            try? FileManager.default.removeItem(atPath: parsed.path + "/snapshot.columns")
            return parsed.run(["--format", "csv"] + commands.flatMap { ["-c", $0] }, now: "2026-11-24")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        let changes = [#"update customers where tier = gold set city = "北京", vipNote = "changed""#,
                       #"add customer name: "New one", tier: gold"#, "log purchase C3 amount 12.5",
                       "delete customers where id = C2", "update customers where id = C5 set tags = (tea, new)"]
        let lazy = rapport(changes + questions)
        let json = fromJSON(changes + questions)
        XCTAssertEqual(lazy.status, 0, lazy.stderr)
        XCTAssertEqual(lazy.stdout, json.stdout)
        XCTAssertTrue(lazy.stdout.contains("New one"), lazy.stdout)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: image)), before, "changed in memory only, never through the map")
        XCTAssertEqual(imageNote(), "column image: read", "the journal's tail applied over the image")
        XCTAssertEqual(answers(), questions.map { q in "\(q)\n\(fromJSON([q]).stdout)" }.joined(separator: "\n"))
        XCTAssertEqual(rapport(["save"]).status, 0)
        XCTAssertEqual(fromJSON(["save"]).status, 0)
        XCTAssertEqual(imageNote(), "column image: read", "the save from a store viewing the image wrote a new one")
        XCTAssertEqual(answers(), questions.map { q in "\(q)\n\(fromJSON([q]).stdout)" }.joined(separator: "\n"))
        let images = try imageAndParsedImage()
        XCTAssertEqual(images.written, images.parsed)
    }

    func testSnapshotDamagedInPlaceIsFoundDespiteTheImage() throws {
        seed()
        XCTAssertEqual(imageNote(), "column image: read")
        let snapshot = store.path + "/snapshot.json"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        bytes[bytes.count / 2] ^= 0x20
        try bytes.write(to: URL(fileURLWithPath: snapshot))
        let r = rapport(["count customers"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("snapshot.json is damaged"), r.stderr)
    }

    func testReadOnlyDirectoryOpensWithoutAnImage() throws {
        seed()
        try FileManager.default.removeItem(atPath: image)
        chmod(store.path, 0o500)
        defer { chmod(store.path, 0o700) }
        guard access(store.path, W_OK) != 0 else { throw XCTSkip("running as a user who may write anywhere") }
        let r = rapport(["count customers"], extra: ["--timer"])
        XCTAssertEqual(r.stdout, "count\n4\n")
        XCTAssertTrue(r.stderr.contains("column image: not used (there is none); could not be written"), r.stderr)
    }

    /// Customers as a bulk import reads them (over `import.bulkRows`): Latin and Chinese
    /// names, repeated cities and tiers, tags, numbers and dates, some fields missing.
    func customersFile(_ count: Int) throws -> String {
        let cities = ["上海", "London", "Paris", "北京"], tiers = ["gold", "silver", "bronze"]
        let lines = (1...count).map { n -> String in
            let name = n % 3 == 0 ? "王芳\(n)" : "Ann \(n)"
            var fields = [#""id":"K\#(String(format: "%05d", n))""#, #""name":"\#(name)""#,
                          #""city":"\#(cities[n % cities.count])""#, #""tier":"\#(tiers[n % tiers.count])""#]
            if n % 4 != 0 { fields.append(#""email":"c\#(n)@example.com""#) }
            if n % 5 == 0 { fields.append(#""tags":["tea","t\#(n % 7)"]"#) }
            if n % 2 == 0 { fields.append(#""birthday":"19\#(50 + n % 50)-0\#(1 + n % 9)-1\#(n % 9)""#) }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return try store.file("customers.jsonl", lines.joined(separator: "\n") + "\n")
    }

    let importQuestions = [
        "count customers by tier", "count customers by city", "find customers where id = k00042 show *",
        "find customers where name contains 芳 and city = 上海 show id, email limit 5",
        "find customers where tags has t3 show id, tags limit 5", "count customers where birthday within 200d",
        "find deleted customers show id, name",
    ]

    func importAnswers() -> String {
        importQuestions.map { q in
            let r = rapport([q])
            XCTAssertEqual(r.status, 0, "\(q): \(r.stderr)")
            return "\(q)\n\(r.stdout)"
        }.joined(separator: "\n")
    }

    /// A bulk import writes its records into a snapshot, and the image with it: the next
    /// one-shot process reads the image, not the JSON.
    /// A save from a store opened from the image whose ids did not change keeps the id
    /// column's case-folded table instead of building it again; when ids were added, it is
    /// kept only when it is what a first build gives. Either way the image is the bytes a
    /// parsing opening writes, and `id = x` finds its customer whatever the case.
    func testSaveFromTheImageWritesTheIDLookupTableAParsingOpeningBuilds() throws {
        seed()
        XCTAssertEqual(imageNote(), "column image: read")
        for changes in [[#"update customers where tier = gold set city = "北京""#, "save"],
                        [#"add customer id: "C6", name: "Six""#, "find customers where id = c6 show id", "save"],
                        ["save"]] {
            let r = rapport(changes)
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(imageNote(), "column image: read")
            XCTAssertEqual(rapport(["find customers where id = c1 show id, city"]).stdout, "id,city\nC1,北京\n", "found by the image's table")
            let images = try imageAndParsedImage()
            XCTAssertEqual(images.written, images.parsed, "\(changes)")
        }
        XCTAssertEqual(rapport(["find customers where id = c6 show name"]).stdout, "name\nSix\n")
    }

    func testBulkImportWritesTheImage() throws {
        let file = try customersFile(1500)
        let r = rapport(["import customers from \"\(file)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(imageNote(), "column image: read")
        let fromImage = importAnswers()
        XCTAssertTrue(fromImage.contains("K00042"), fromImage)
        let images = try imageAndParsedImage()
        XCTAssertEqual(images.written, images.parsed, "the import's image is the one a reading of its snapshot gives")
        try FileManager.default.removeItem(atPath: image)
        XCTAssertEqual(importAnswers(), fromImage)

        // Deleted rows, overwritten strings and a second import into a living store.
        let more = try store.file("more.jsonl", #"{"id":"K09999","name":"Late","city":"Rome"}"# + "\n")
        let changes = rapport(["delete customers where city = London", "update customers where tier = gold set city = \"新城\"",
                               "import customers from \"\(more)\"", "save"])
        XCTAssertEqual(changes.status, 0, changes.stderr)
        XCTAssertEqual(imageNote(), "column image: read")
        let afterChanges = importAnswers()
        XCTAssertTrue(afterChanges.contains("新城"), afterChanges)
        let again = try imageAndParsedImage()
        XCTAssertEqual(again.written, again.parsed)
        try FileManager.default.removeItem(atPath: image)
        XCTAssertEqual(importAnswers(), afterChanges)
    }

    /// A save in the background installs its image when it puts its snapshot in place.
    func testBackgroundSaveWritesTheImage() throws {
        seed()
        let r = RapportRunner.run(["--data", store.path, "--now", "2026-11-24", "--timezone", "UTC", "--format", "csv",
                                   "-c", #"update customers where id = C1 set city = "北京""#, "-c", "delete customers where id = C3",
                                   "-c", "save", "-c", "count customers"],
                                  environment: ["RAPPORT_SAVE": "background"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(imageNote(), "column image: read")
        XCTAssertEqual(rapport(["find customers where id = C1 show city"]).stdout, "city\n北京\n")
        let images = try imageAndParsedImage()
        XCTAssertEqual(images.written, images.parsed)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: store.path).contains { $0.contains(".tmp-") },
                       "no temporary file left")
    }

    /// The snapshot is the record and the image a cache written after it: a crash between
    /// the two leaves the previous snapshot's image, which is stale and not read; a failure
    /// to write the image is not the save's.
    func testCrashOrFailureBetweenSnapshotAndImageLeavesACorrectStore() throws {
        seed()
        XCTAssertEqual(imageNote(), "column image: read")
        var r = store.run(["--format", "csv", "-c", #"update customers where id = C1 set city = "北京""#, "-c", "save"],
                          now: "2026-11-24", faults: "rename:snapshot.columns:1:KILL")
        XCTAssertNotEqual(r.status, 0, "killed after the snapshot, before the image")
        XCTAssertEqual(imageNote(), "column image: not used (it was made from another snapshot); written again")
        XCTAssertEqual(rapport(["find customers where id = C1 show city"]).stdout, "city\n北京\n")

        r = store.run(["--format", "csv", "-c", #"update customers where id = C2 set city = "Oslo""#, "-c", "save"],
                      now: "2026-11-24", faults: "open:snapshot.columns:1:EIO")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stderr, "updated 1 customer (C2)\nsaved a snapshot of 4 customers\n", "no word of the image")
        XCTAssertEqual(imageNote(), "column image: not used (it was made from another snapshot); written again")
        XCTAssertEqual(rapport(["find customers where id = C2 show city"]).stdout, "city\nOslo\n")
    }
}
