import Foundation
import XCTest
import RapportTestSupport

/// Nothing lost, nothing half-done: crashes, disk faults, corruption, atomic commands,
/// backups and hostile input, each against the real binary. docs/reliability.md maps
/// every guarantee to the test here that proves it.
final class ReliabilityTests: XCTestCase {
    var root: String!
    var data: String { root + "/store" }

    override func setUp() {
        root = NSTemporaryDirectory() + "rapport-reliability-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
    }

    @discardableResult
    func rapport(_ args: [String], stdin: String? = nil, faults: String? = nil, store: String? = nil) -> RapportRunner.Result {
        RapportRunner.run(["--data", store ?? data, "--now", "2026-11-01", "--timezone", "UTC"] + args, stdin: stdin,
                          environment: faults.map { ["RAPPORT_TEST_FAULTS": $0] } ?? [:])
    }

    func csv(_ command: String, store: String? = nil) -> String {
        let r = rapport(["--format", "csv", "-c", command], store: store)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    /// Three customers and a snapshot, then one change in the journal.
    func makeStore(customers: Int = 3) {
        var commands: [String] = []
        for i in 1...customers { commands += ["-c", "add customer id: \"C\(i)\", name: \"客户\(i)\", city: 上海, satisfaction: \(i % 5 + 1)"] }
        XCTAssertEqual(rapport(commands + ["-c", "save", "-c", "log contact C1 via phone \"first\""]).status, 0)
    }

    func bytes(_ name: String) -> Data { FileManager.default.contents(atPath: data + "/" + name) ?? Data() }

    // MARK: Crashes

    func testSigkillDuringChangesLosesNothingAcknowledged() throws {
        let (status, text) = try RapportRunner.runScript("crashtest", ["--kills", "30", "--seed", "20261101", "--bulk-kills", "6",
                                                                       "--bulk-rows", "3000", "--bin", RapportRunner.binary.path])
        XCTAssertEqual(status, 0, text)
        XCTAssertTrue(text.contains("30 kills survived"), text)
        XCTAssertTrue(text.contains("0 lost"), text)
        XCTAssertTrue(text.contains("6 kills of bulk imports of 3000 customers survived"), text)
        // Longer rounds, so that the ticket steps, surveys, tasks and policy changes are acknowledged before the kill.
        let (longStatus, longText) = try RapportRunner.runScript("crashtest", ["--kills", "3", "--max-delay", "1.5", "--seed", "7", "--bulk-kills", "0",
                                                                               "--bin", RapportRunner.binary.path])
        XCTAssertEqual(longStatus, 0, longText)
        let service = longText.range(of: #"\((\d+) on tickets"#, options: .regularExpression)
            .flatMap { Int(longText[$0].dropFirst().split(separator: " ")[0]) }
        XCTAssertGreaterThan(service ?? 0, 0, longText)
    }

    // MARK: Disk faults

    func testFailedJournalWriteChangesNothingAndTheShellGoesOn() {
        makeStore()
        for fault in ["write:journal.jsonl:1", "fsync:journal.jsonl:1", "write:journal.jsonl:1:ENOSPC"] {
            let contacts = Int(csv("count contacts").split(separator: "\n")[1])!
            let r = rapport(["--format", "csv", "-"], stdin: """
                log contact C2 via visit "lost to the fault"
                count contacts
                log contact C3 via visit "after the fault"
                count contacts
                """, faults: fault)
            XCTAssertEqual(r.status, 1, fault)
            XCTAssertTrue(r.stderr.contains("the change was not saved"), "\(fault): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("journal.jsonl"), "names the file: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("nothing changed"), r.stderr)
            XCTAssertEqual(r.stdout, "count\n\(contacts)\ncount\n\(contacts + 1)\n",
                           "\(fault): the failed change is not in memory; the next one works")
            XCTAssertEqual(csv("find contacts where note = \"lost to the fault\" show id"), "id\n", fault)
            XCTAssertEqual(csv("count contacts"), "count\n\(contacts + 1)\n", "\(fault): after a restart too")
        }
    }

    /// A set of 1,800 changes (600 customers messaged: messages, contacts, lastContact) is
    /// applied in memory while its entry is written and fsynced on another thread
    /// (`Database.changesWorthApplyingDuringTheFsync`): when the write or fsync fails, the
    /// store is read again, so the same process sees none of it, and its next run (on the
    /// store read again) sends to all 600 and lasts after a restart.
    func testFailedJournalWriteOfALargeSetAppliedMeanwhileChangesNothing() throws {
        var lines: [String] = []
        for i in 1...600 { lines.append(#"{"id":"D\#(i)","name":"客户 \#(i)","phone":"1390000\#(i)"}"#) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/many.jsonl", atomically: true, encoding: .utf8)
        let campaign = """
            campaign "welcome"
              target customers where id starts with D
              send sms "欢迎 {name}"
              log contact via sms "welcome"
            end
            """
        for (n, fault) in ["write:journal.jsonl:1", "fsync:journal.jsonl:1", "write:journal.jsonl:1:ENOSPC"].enumerated() {
            // A store of its own per fault: a second week's run would meet the weekly cap.
            let store = root + "/large-\(n)"
            XCTAssertEqual(rapport(["-c", "import customers from \"\(root!)/many.jsonl\""], store: store).status, 0)
            let r = rapport(["--format", "csv", "--role", "admin", "-"], stdin: """
                \(campaign)
                count messages
                count contacts
                count customers where lastContact = 2026-11-01
                \(campaign)
                count messages
                count contacts
                """, faults: fault, store: store)
            XCTAssertEqual(r.status, 1, fault)
            XCTAssertTrue(r.stderr.contains("the change was not saved"), "\(fault): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("nothing changed"), r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix("count\n0\ncount\n0\ncount\n0\n"), "\(fault): none of the failed run is in memory: \(r.stdout)")
            XCTAssertTrue(r.stdout.hasSuffix("count\n600\ncount\n600\n"), "\(fault): the next run sends to all: \(r.stdout)")
            XCTAssertEqual(csv("count messages", store: store), "count\n600\n", "\(fault): after a restart")
            XCTAssertEqual(csv("count contacts", store: store), "count\n600\n", fault)
            XCTAssertEqual(csv("count customers where lastContact = 2026-11-01", store: store), "count\n600\n", fault)
            // The outbox is written only once the journal is durable: the failed run left no line.
            let outbox = store + "/outbox"
            let files = try FileManager.default.contentsOfDirectory(atPath: outbox).filter { $0.hasSuffix(".jsonl") }
            let outboxLines = try files.map { try String(contentsOfFile: outbox + "/" + $0, encoding: .utf8) }.joined().split(separator: "\n")
            XCTAssertEqual(outboxLines.count, 600, "\(fault): only the saved run's messages, each once")
            XCTAssertEqual(Set(outboxLines).count, 600, fault)
        }
    }

    func testFailedSnapshotKeepsTheOldOneAndTheJournal() {
        makeStore()
        for fault in ["write:snapshot.json:1", "fsync:snapshot.json:1", "rename:snapshot.json:1", "write:snapshot.json:1:ENOSPC"] {
            let snapshot = bytes("snapshot.json"), journal = bytes("journal.jsonl")
            let r = rapport(["-c", "save", "-c", "count customers"], faults: fault)
            XCTAssertEqual(r.status, 1, fault)
            XCTAssertTrue(r.stderr.contains("the snapshot was not completed"), "\(fault): \(r.stderr)")
            XCTAssertTrue(r.stdout.contains("3"), "the shell goes on after the failure: \(r.stdout)")
            XCTAssertEqual(bytes("snapshot.json"), snapshot, "\(fault): the old snapshot is untouched")
            XCTAssertEqual(bytes("journal.jsonl"), journal, "\(fault): the journal still holds every change")
            let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: data))?.filter { $0.contains(".tmp-") } ?? []
            XCTAssertEqual(leftovers, [], "no temporary file is left behind")
            XCTAssertEqual(csv("count contacts"), "count\n1\n")
        }
    }

    func testFailedAuditAppendAfterTheSnapshotLosesNothing() {
        makeStore()
        let r = rapport(["-c", "log purchase C2 amount 30", "-c", "save", "-c", "count contacts"], faults: "write:audit.jsonl:1")
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("the snapshot was saved, but the journal could not be moved"), r.stderr)
        XCTAssertFalse(bytes("journal.jsonl").isEmpty, "the journal keeps its entries")
        XCTAssertEqual(csv("count contacts"), "count\n1\n")
        XCTAssertEqual(csv("count purchases"), "count\n1\n", "entries the snapshot holds are not applied twice")
        XCTAssertEqual(rapport(["--check"]).status, 0, "the store is sound")
        XCTAssertEqual(rapport(["-c", "save"]).status, 0, "the next snapshot goes through")
        XCTAssertEqual(csv("count purchases"), "count\n1\n")
    }

    func testSizeLimitedFileFailsCleanly() throws {
        makeStore(customers: 40)
        let big = root + "/big.jsonl"
        let rows = (0..<3000).map { #"{"id":"B\#($0)","name":"批量客户\#($0)","note":"\#(String(repeating: "x", count: 40))"}"# }
        try rows.joined(separator: "\n").write(toFile: big, atomically: true, encoding: .utf8)
        let journal = bytes("journal.jsonl")
        // `ulimit -f 64`: no file may grow past 64 KiB; the import's journal entry would.
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "ulimit -f 64; exec \"$0\" \"$@\"", RapportRunner.binary.path, "--data", data, "--format", "csv",
                           "-c", "import customers from \"\(big)\"", "-c", "count customers", "-c", "log contact C2 via sms \"small\""]
        let err = Pipe(), out = Pipe()
        shell.standardError = err
        shell.standardOutput = out
        try shell.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        XCTAssertEqual(shell.terminationStatus, 1, stderr)
        XCTAssertTrue(stderr.contains("File too large"), stderr)
        XCTAssertTrue(stdout.hasPrefix("count\r\n40\r\n"), "the import changed nothing: \(stdout)")
        XCTAssertEqual(bytes("journal.jsonl").prefix(journal.count), journal, "the journal before the import is intact")
        XCTAssertEqual(csv("count customers"), "count\n40\n")
        XCTAssertEqual(csv("count contacts"), "count\n2\n", "the small change after the failure was kept")
    }

    /// A real full disk and a real read-only file system: a small tmpfs (needs root to
    /// mount; skipped elsewhere, the size-limited file test covers the same path).
    func testFullDiskAndReadOnlyMount() throws {
        let mountPoint = root + "/tmpfs"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        func sh(_ command: String) -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", command]
            p.standardError = FileHandle.nullDevice
            try? p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        guard getuid() == 0, sh("mount -t tmpfs -o size=160k tmpfs '\(mountPoint)'") == 0 else {
            throw XCTSkip("cannot mount a tmpfs here")
        }
        defer { _ = sh("umount '\(mountPoint)'") }
        let store = mountPoint + "/store"
        var commands: [String] = []
        for i in 1...150 { commands += ["-c", "add customer id: \"C\(i)\", name: \"\(String(repeating: "名", count: 80))\""] }
        var r = rapport(commands, store: store)
        XCTAssertEqual(r.status, 0, r.stderr)
        // Fill the disk with the rest of its space, then try a change and a snapshot.
        _ = sh("dd if=/dev/zero of='\(mountPoint)/filler' bs=1k count=1000 2>/dev/null")
        r = rapport(["-c", "update all customers set city = \(String(repeating: "城", count: 200))", "-c", "save", "-c", "count customers"], store: store)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr)
        XCTAssertTrue(r.stdout.contains("150"), "the shell went on: \(r.stdout)")
        XCTAssertEqual(csv("count customers where city is not null", store: store), "count\n0\n", "nothing half-applied")
        XCTAssertEqual(csv("count customers", store: store), "count\n150\n")

        _ = sh("rm -f '\(mountPoint)/filler'")
        XCTAssertEqual(sh("mount -o remount,ro '\(mountPoint)'"), 0)
        r = rapport(["--format", "csv", "-c", "count customers", "-c", "log contact C1 via phone \"x\""], store: store)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("opened read-only"), r.stderr)
        XCTAssertTrue(r.stderr.contains("changes are refused"), r.stderr)
        XCTAssertEqual(r.stdout, "count\n150\n")
    }

    /// A kill after a snapshot appended the journal to the audit log but before it emptied
    /// the journal (made here by putting the journal back): the next snapshot appends those
    /// entries to the audit log a second time. Nothing is lost, and check and recover take
    /// the repeated entries for what they are instead of calling the store damaged.
    func testCrashBetweenAuditAppendAndJournalTruncationLeavesASoundStore() throws {
        XCTAssertEqual(rapport(["-c", "add customer id: \"C1\"", "-c", "add customer id: \"C2\""]).status, 0)
        let journal = bytes("journal.jsonl")
        XCTAssertEqual(rapport(["-c", "save"]).status, 0)
        try journal.write(to: URL(fileURLWithPath: data + "/journal.jsonl"))
        XCTAssertEqual(rapport(["-c", "add customer id: \"C3\"", "-c", "save"]).status, 0)
        XCTAssertEqual(csv("count customers"), "count\n3\n")
        let check = RapportRunner.run(["--data", data, "--check"])
        XCTAssertEqual(check.status, 0, check.stdout)
        XCTAssertTrue(check.stdout.contains("audit.jsonl: ok, 5 entries (changes 1 to 3), 2 repeated"), check.stdout)
        // Rebuilding from the previous snapshot and the audit log skips the repeats too.
        try Data("damaged".utf8).write(to: URL(fileURLWithPath: data + "/snapshot.json"))
        let recover = RapportRunner.run(["--data", data, "--recover"])
        XCTAssertEqual(recover.status, 0, recover.stderr)
        XCTAssertTrue(recover.stdout.contains("up to change 3, 3 customers"), recover.stdout)
        XCTAssertEqual(csv("find customers show id"), "id\nC1\nC2\nC3\n")
    }

    // MARK: Corruption

    func testFlippedJournalByteIsFoundCheckedAndRecovered() throws {
        makeStore()
        XCTAssertEqual(rapport(["-c", "log contact C2 via email \"second\"", "-c", "log contact C3 via sms \"third\""]).status, 0)
        var journal = bytes("journal.jsonl")
        let firstEnd = journal.firstIndex(of: 10)!
        journal[firstEnd + 40] ^= 0x01   // inside the second of three entries
        try journal.write(to: URL(fileURLWithPath: data + "/journal.jsonl"))

        let open = rapport(["-c", "count customers"])
        XCTAssertEqual(open.status, 1)
        XCTAssertTrue(open.stderr.contains("journal.jsonl is damaged at byte \(firstEnd + 1) (entry 2)"), open.stderr)
        XCTAssertEqual(bytes("journal.jsonl"), journal, "never overwritten")

        let check = RapportRunner.run(["--data", data, "--check"])
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.contains("journal.jsonl: damaged at byte \(firstEnd + 1), entry 2"), check.stdout)

        let recover = RapportRunner.run(["--data", data, "--recover"])
        XCTAssertEqual(recover.status, 0, recover.stderr)
        XCTAssertTrue(recover.stdout.contains("dropped"), recover.stdout)
        XCTAssertTrue(recover.stdout.contains("entry 2 and 1 after it"), recover.stdout)
        XCTAssertEqual(csv("find contacts show note"), "note\nfirst\n", "the valid prefix is kept")
        let kept = try FileManager.default.contentsOfDirectory(atPath: data).filter { $0.hasPrefix("damaged-") }
        XCTAssertEqual(kept.count, 1)
        XCTAssertEqual(FileManager.default.contents(atPath: data + "/" + kept[0] + "/journal.jsonl"), journal)
        XCTAssertEqual(RapportRunner.run(["--data", data, "--check"]).status, 0)
    }

    func testTruncatedSnapshotIsRebuiltFromThePreviousOneAndTheAuditLog() throws {
        makeStore()
        XCTAssertEqual(rapport(["-c", "update customers where id = C2 set tier = gold", "-c", "save",
                                "-c", "log purchase C3 amount 99.5"]).status, 0)
        let expected = csv("find customers show id, tier, points, totalSpent")
        let snapshot = bytes("snapshot.json")
        try snapshot.prefix(snapshot.count / 2).write(to: URL(fileURLWithPath: data + "/snapshot.json"))

        let open = rapport(["-c", "count customers"])
        XCTAssertEqual(open.status, 1)
        XCTAssertTrue(open.stderr.contains("snapshot.json is damaged"), open.stderr)
        XCTAssertTrue(open.stderr.contains("--recover"), open.stderr)
        XCTAssertTrue(RapportRunner.run(["--data", data, "--check"]).stdout.contains("snapshot.json: damaged"))

        let recover = RapportRunner.run(["--data", data, "--recover"])
        XCTAssertEqual(recover.status, 0, recover.stderr)
        XCTAssertTrue(recover.stdout.contains("starting from snapshot.prev.json"), recover.stdout)
        XCTAssertEqual(csv("find customers show id, tier, points, totalSpent"), expected, "nothing lost")
    }

    func testJournalFromAnotherStoreIsRefused() throws {
        makeStore()
        let other = root + "/other"
        XCTAssertEqual(rapport(["-c", "add customer id: \"X1\"", "-c", "add customer id: \"X2\"", "-c", "add customer id: \"X3\"",
                                "-c", "save", "-c", "add customer id: \"X4\"", "-c", "add customer id: \"X5\""], store: other).status, 0)
        // Our snapshot ends at change 3, so change 4 must come next; the other store's
        // journal line holds its change 5.
        let foreign = FileManager.default.contents(atPath: other + "/journal.jsonl")!
        let lines = foreign.split(separator: 10)
        try (Data(lines[1]) + Data([10])).write(to: URL(fileURLWithPath: data + "/journal.jsonl"))
        let r = rapport(["-c", "count customers"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("does not belong with this snapshot"), r.stderr)
        XCTAssertEqual(bytes("journal.jsonl"), Data(lines[1]) + Data([10]), "never overwritten")
    }

    func testAFileThatIsNotAJournalIsNotCutOff() throws {
        makeStore()
        let csvText = Data("id,name\nC1,Someone\nC2,Else".utf8)   // no final newline, like a torn entry
        try csvText.write(to: URL(fileURLWithPath: data + "/journal.jsonl"))
        let r = rapport(["-c", "count customers"])
        XCTAssertEqual(r.status, 1, "a swapped file is not a torn write: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("not a journal entry"), r.stderr)
        XCTAssertEqual(bytes("journal.jsonl"), csvText)
    }

    // MARK: Atomic commands

    func testUpdateInvalidForOneMatchedCustomerChangesNone() {
        makeStore()
        let before = csv("find customers show id, name, points")
        let r = rapport(["-c", "update customers where city = 上海 set id = \"SAME\""])
        XCTAssertNotEqual(r.status, 0, r.stderr)
        XCTAssertEqual(csv("find customers show id, name, points"), before)
        let bad = rapport(["-c", "update all customers set points = 5, satisfaction = 9"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(csv("find customers show id, name, points"), before)
    }

    // MARK: Two processes

    /// Writers share a store now (SharedStoreTests): a second one is let in, and the lock
    /// file names the process that committed under it.
    func testASecondWriterSharesTheStoreAndTheLockNamesTheCommitter() throws {
        makeStore()
        let holder = Process()
        holder.executableURL = RapportRunner.binary
        holder.arguments = ["--data", data, "--format", "csv", "-"]
        let input = Pipe(), output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        defer { try? input.fileHandleForWriting.close(); holder.waitUntilExit() }
        input.fileHandleForWriting.write(Data("log contact C2 via phone\ncount contacts\n".utf8))
        XCTAssertFalse(output.fileHandleForReading.availableData.isEmpty, "the holder answers")
        let lock = String(decoding: bytes("lock"), as: UTF8.self)
        XCTAssertTrue(lock.hasPrefix("pid \(holder.processIdentifier), user "), lock)
        let second = rapport(["-c", "log contact C3 via phone"])
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertFalse(String(decoding: bytes("lock"), as: UTF8.self).hasPrefix("pid \(holder.processIdentifier),"))
        let reader = rapport(["--read-only", "--format", "csv", "-c", "count contacts"])
        XCTAssertEqual(reader.stdout, "count\n3\n", reader.stderr)
    }

    func testReadersOpenWhileAWriterKeepsTakingSnapshots() throws {
        makeStore()
        let writer = Process()
        writer.executableURL = RapportRunner.binary
        writer.arguments = ["--data", data, "-"]
        let input = Pipe()
        writer.standardInput = input
        writer.standardOutput = FileHandle.nullDevice
        writer.standardError = FileHandle.nullDevice
        try writer.run()
        // Changes and snapshots, as fast as the writer takes them, while readers open.
        let feeding = DispatchQueue(label: "writer")
        final class Flag: @unchecked Sendable { var stop = false }
        let flag = Flag()
        let handle = input.fileHandleForWriting
        feeding.async {
            while !flag.stop {
                handle.write(Data("log contact C2 via phone \"again\"\nsave\n".utf8))
                usleep(2_000)
            }
            try? handle.close()
        }
        var last = 0
        for _ in 0..<25 {
            let r = rapport(["--read-only", "--format", "csv", "-c", "count contacts"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertFalse(r.stderr.contains("error"), r.stderr)
            let count = Int(r.stdout.split(separator: "\n").last ?? "") ?? -1
            XCTAssertGreaterThanOrEqual(count, last, "a reader never sees the store go back")
            last = count
        }
        flag.stop = true
        feeding.sync {}
        writer.waitUntilExit()
        XCTAssertGreaterThan(last, 1, "the writer was writing while the readers read")
    }

    // MARK: Backups

    func testBackupWhileInUseRestoresTheSameAnswers() throws {
        makeStore()
        let backup = root + "/backup"
        let queries = ["find customers show *", "find contacts show *", "count customers by city"]
        let r = rapport(["-c", "log purchase C2 amount 10", "-c", "backup to \"\(backup)\""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("backed up 3 customers"), r.stdout)
        let expected = queries.map { csv($0) }
        XCTAssertEqual(rapport(["-c", "log contact C3 via phone \"after\""]).status, 0)
        // The original moved on; the backup is the store as it was when it was taken.
        XCTAssertEqual(csv("count contacts"), "count\n2\n")
        XCTAssertEqual(queries.map { csv($0, store: backup) }, expected)
        let again = rapport(["-c", "backup to \"\(backup)\""])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("not empty"), again.stderr)
        let mode = try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o700)
    }

    // MARK: Hostile input

    func testHostileInputGetsAClearErrorNeverACrash() throws {
        let deep = "find customers where " + String(repeating: "(", count: 100_000) + "tier = gold" + String(repeating: ")", count: 100_000)
        let cases: [(String, String)] = [
            ("find customers where name = \"unterminated", "unterminated string"),
            (deep, "nested too deeply"),
            ("find customers where " + String(repeating: "not ", count: 50_000) + "tier = gold", "nested too deeply"),
            ("find customers where " + String(repeating: "x", count: 10_000_000) + " = 1", "unknown field"),
            ("find customers where " + Array(repeating: "tier = gold", count: 300_000).joined(separator: " or "), "condition is too long"),
            ("find customers where totalSpent > 1e999", "out of range"),
            ("find customers limit 99999999999999999999", "whole number"),
            ("find customers where birthday = 2026-02-30", "is not a date"),
            ("add customer id: \"Z\", birthday: 2025-02-29", "is not a date"),
            ("find customers where name = \"a\" and", "expected"),
            ("find customers where tier in (", "expected"),
        ]
        for (input, message) in cases {
            let r = RapportRunner.run(["--demo-size", "20", "-"], stdin: input + "\n")
            XCTAssertEqual(r.status, 2, "\(input.prefix(60)): \(r.stderr.prefix(300))")
            XCTAssertTrue(r.stderr.contains(message), "\(input.prefix(60)): \(r.stderr.prefix(300))")
            XCTAssertLessThan(r.stderr.utf8.count, 2000, "a long line is shown in a window, not whole")
        }
        var invalid = Data("count customers\n".utf8)
        invalid.append(contentsOf: [0xFF, 0xFE, 0x0A])
        let script = root + "/bad.rq"
        try invalid.write(to: URL(fileURLWithPath: script))
        let file = RapportRunner.run(["--demo-size", "20", script])
        XCTAssertEqual(file.status, 2)
        XCTAssertTrue(file.stderr.contains("not UTF-8"), file.stderr)
    }

    /// 2,000 customers shown whole are 900 KB, fourteen times a pipe's buffer: the writes
    /// go on long after `head` has gone (20,000 proved no more and took the suite 40 s).
    func testClosedStandardOutputEndsQuietly() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "\"$0\" --demo-size 2000 -c 'find customers show *' > \"$1\"", RapportRunner.binary.path, "/dev/full"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertFalse(text.contains("Fatal error"), text)
        let pipe = Process()
        pipe.executableURL = URL(fileURLWithPath: "/bin/bash")
        pipe.arguments = ["-c", "set -o pipefail; \"$0\" --demo-size 2000 -c 'find customers show *' | head -1 >/dev/null", RapportRunner.binary.path]
        try pipe.run()
        pipe.waitUntilExit()
        XCTAssertEqual(pipe.terminationStatus, 0, "a reader that stops early is not a crash")
    }
}
