import Foundation
import XCTest
import RapportTestSupport

/// The encrypted live store (`--encrypt`, docs/encryption.md "An encrypted store"), through
/// the binary: same answers with the key, nothing in the clear, a wrong or missing key
/// refused with the files unchanged, `--check`, `--recover`, a crash mid-change.
final class EncryptedStoreTests: XCTestCase {
    var root: String!
    var data: String { root + "/store" }
    var keyFile: String { root + "/key" }
    var otherKeyFile: String { root + "/other-key" }
    let secrets = ["客户1", "c2@example.com", "first call", "rapport-snapshot", "\"seq\""]

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "rapport-encrypted-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let key: [UInt8] = (0..<32).map { UInt8(($0 * 53 + 7) % 256) }
        XCTAssertTrue(FileManager.default.createFile(atPath: keyFile, contents: Data(key), attributes: [.posixPermissions: 0o600]))
        XCTAssertTrue(FileManager.default.createFile(atPath: otherKeyFile, contents: Data(String(repeating: "cd", count: 32).utf8),
                                                     attributes: [.posixPermissions: 0o600]))
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func rapport(_ args: [String], key: String? = nil, stdin: String? = nil) -> RapportRunner.Result {
        RapportRunner.run(["--data", data, "--now", "2026-11-01", "--timezone", "UTC"] + args, stdin: stdin,
                          environment: ["RAPPORT_KEY_FILE": key ?? ""])
    }

    func csv(_ command: String) -> String {
        let r = rapport(["--format", "csv", "-c", command], key: keyFile)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func contents(_ directory: String) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Dictionary(uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: directory + "/" + $0) ?? Data()) })
    }

    /// An encrypted store with a snapshot, entries moved to the audit log, and entries in the journal.
    func makeStore() {
        let made = rapport(["--encrypt"], key: keyFile)
        XCTAssertEqual(made.status, 0, made.stderr)
        XCTAssertTrue(made.stdout.contains("an encrypted store"), made.stdout)
        var commands: [String] = []
        for i in 1...3 { commands += ["-c", "add customer id: \"C\(i)\", name: \"客户\(i)\", city: 上海, email: \"c\(i)@example.com\""] }
        let r = rapport(commands + ["-c", "save", "-c", "log contact C1 via phone \"first call\"", "-c", "update customers where id = C3 set city = 北京"],
                        key: keyFile)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func assertNothingInTheClear(file: StaticString = #filePath, line: UInt = #line) {
        let files = contents(data)
        XCTAssertTrue(files.keys.contains("snapshot.json") && files.keys.contains("journal.jsonl") && files.keys.contains("audit.jsonl"),
                      "\(files.keys.sorted())", file: file, line: line)
        for (name, bytes) in files {
            for clear in secrets {
                XCTAssertNil(bytes.range(of: Data(clear.utf8)), "\(clear) in \(name) in the clear", file: file, line: line)
            }
        }
    }

    func testAnEncryptedStoreGivesTheSameAnswersAndHoldsNothingInTheClear() throws {
        makeStore()
        assertNothingInTheClear()
        XCTAssertEqual(csv("find customers show id, name, city, email sort by id"),
                       "id,name,city,email\nC1,客户1,上海,c1@example.com\nC2,客户2,上海,c2@example.com\nC3,客户3,北京,c3@example.com\n")
        XCTAssertTrue(csv("find contacts show customer, note").contains("C1,first call"))
        // The audit entity reads the sealed audit log and journal.
        XCTAssertTrue(csv("find audit show command").contains("update customers where id = C3"))
        // A snapshot again: the journal's sealed entries move to the audit log as they are.
        XCTAssertEqual(rapport(["-c", "save"], key: keyFile).status, 0)
        assertNothingInTheClear()
        XCTAssertTrue(csv("find audit show command").contains("log contact C1"))
        let check = rapport(["--check"], key: keyFile)
        XCTAssertEqual(check.status, 0, check.stdout)
        XCTAssertTrue(check.stdout.contains("the store is sound"), check.stdout)
        XCTAssertTrue(check.stdout.contains("an encrypted store"), check.stdout)
    }

    func testAWrongOrMissingKeyIsRefusedAndNothingChanges() throws {
        makeStore()
        let before = contents(data)
        for (key, expected) in [(otherKeyFile, "is encrypted with another key"), (nil, "RAPPORT_KEY_FILE is not set")] {
            for args in [["-c", "count customers"], ["-c", "add customer id: \"C9\", name: \"X\""], ["--check"], ["--recover"], ["--read-only", "-c", "count customers"]] {
                let r = rapport(args, key: key)
                XCTAssertEqual(r.status, 1, "\(args)")
                XCTAssertTrue((r.stderr + r.stdout).contains(expected), "\(args): \(r.stderr)\(r.stdout)")
                XCTAssertFalse((r.stderr + r.stdout).contains("客户"), "\(args)")
                XCTAssertEqual(contents(data), before, "\(args) with \(key ?? "no key") changed the store")
            }
        }
        let wrong = rapport(["-c", "count customers"], key: otherKeyFile)
        XCTAssertTrue(wrong.stderr.contains(otherKeyFile), wrong.stderr)
        // --encrypt makes a new store only.
        let again = rapport(["--encrypt"], key: keyFile)
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("is not an empty directory"), again.stderr)
        XCTAssertEqual(contents(data), before)
        XCTAssertEqual(csv("count customers"), "count\n3\n")
    }

    func testATornSealedEntryIsOneLinesProblemAndRecoverKeepsTheStoreEncrypted() throws {
        makeStore()
        let journal = data + "/journal.jsonl"
        let whole = try XCTUnwrap(FileManager.default.contents(atPath: journal))
        // A crash mid-write: half of a sealed line at the end.
        let lastLine = whole.dropLast().split(separator: 10).last!
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: journal))
        handle.seekToEndOfFile()
        handle.write(Data(lastLine.prefix(lastLine.count / 2)))
        handle.closeFile()
        let check = rapport(["--check"], key: keyFile)
        XCTAssertEqual(check.status, 0, check.stdout)
        XCTAssertTrue(check.stdout.contains("a torn last entry"), check.stdout)
        let r = rapport(["-c", "count customers"], key: keyFile)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: journal), whole, "the torn entry is cut off, the rest kept")

        // A changed byte inside a sealed entry (checksum made to match) is damage, not a torn tail.
        var lines = whole.split(separator: 10, omittingEmptySubsequences: false).map(Array.init)
        var body = Array(lines[0].prefix(while: { $0 != 9 }))
        body[40] = body[40] == 65 ? 66 : 65
        lines[0] = body + [9] + Array(Self.crcHex(body).utf8)
        XCTAssertTrue(FileManager.default.createFile(atPath: journal, contents: Data(lines.joined(separator: [10]))))
        let damaged = rapport(["-c", "count customers"], key: keyFile)
        XCTAssertEqual(damaged.status, 1)
        XCTAssertTrue(damaged.stderr.contains("does not decrypt"), damaged.stderr)
        let recovered = rapport(["--recover"], key: keyFile)
        XCTAssertEqual(recovered.status, 0, recovered.stderr)
        XCTAssertEqual(rapport(["--check"], key: keyFile).status, 0)
        for name in ["snapshot.json", "journal.jsonl", "audit.jsonl"] {
            let bytes = FileManager.default.contents(atPath: data + "/" + name) ?? Data()
            XCTAssertNil(bytes.range(of: Data("客户".utf8)), name)
        }
        XCTAssertEqual(csv("count customers"), "count\n3\n")
    }

    func testKilledMidChangeReopensSound() throws {
        makeStore()
        signal(SIGPIPE, SIG_IGN)
        let victim = Process()
        victim.executableURL = RapportRunner.binary
        victim.arguments = ["--data", data, "--timezone", "UTC", "-"]
        var env = ProcessInfo.processInfo.environment
        env["RAPPORT_KEY_FILE"] = keyFile
        victim.environment = env
        let feed = Pipe()
        victim.standardInput = feed
        victim.standardOutput = FileHandle.nullDevice
        victim.standardError = FileHandle.nullDevice
        try victim.run()
        let feeder = Thread {
            for k in 0..<100_000 {
                let line = Data(#"log contact C2 via sms "victim-\#(k)"\#n"#.utf8)
                do { try feed.fileHandleForWriting.write(contentsOf: line) } catch { return }
            }
        }
        feeder.start()
        Thread.sleep(forTimeInterval: 1.5)
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        XCTAssertEqual(victim.terminationReason, .uncaughtSignal)
        let check = rapport(["--check"], key: keyFile)
        XCTAssertEqual(check.status, 0, check.stdout)
        let victims = Int(csv("count contacts where customer = \"C2\"").split(separator: "\n").last!)!
        XCTAssertGreaterThan(victims, 0)
        XCTAssertEqual(rapport(["-c", "log contact C2 via phone \"after\""], key: keyFile).status, 0)
        XCTAssertEqual(Int(csv("count contacts where customer = \"C2\"").split(separator: "\n").last!)!, victims + 1)
        XCTAssertEqual(rapport(["-c", "save"], key: keyFile).status, 0)
        assertNothingInTheClear()
    }

    func testABackupOfAnEncryptedStoreIsEncryptedAndRestores() throws {
        makeStore()
        let plain = rapport(["-c", "backup to \"\(root!)/plain\""], key: keyFile)
        XCTAssertEqual(plain.status, 1)
        XCTAssertTrue(plain.stderr.contains("its backup must be too"), plain.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/plain/snapshot.json"))
        XCTAssertEqual(rapport(["-c", "backup to \"\(root!)/copy\" encrypted"], key: keyFile).status, 0)
        let restored = RapportRunner.run(["--data", root + "/restored", "--restore-from", root + "/copy"], environment: ["RAPPORT_KEY_FILE": keyFile])
        XCTAssertEqual(restored.status, 0, restored.stderr)
        let r = RapportRunner.run(["--data", root + "/restored", "--format", "csv", "-c", "find audit show command"], environment: ["RAPPORT_KEY_FILE": ""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("update customers where id = C3"), r.stdout)
    }

    static func crcHex(_ bytes: [UInt8]) -> String {
        var table = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[i] = c
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        let s = String(crc ^ 0xFFFF_FFFF, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}
