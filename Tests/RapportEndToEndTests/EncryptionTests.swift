import Foundation
import XCTest
import RapportTestSupport

/// `backup to "DIR" encrypted` and `--restore-from`, through the binary (docs/encryption.md).
final class EncryptedBackupTests: XCTestCase {
    var root: String!
    var data: String { root + "/store" }
    var backup: String { root + "/backup" }
    var restored: String { root + "/restored" }
    var keyFile: String { root + "/key" }
    var otherKeyFile: String { root + "/other-key" }
    let keyBytes: [UInt8] = (0..<32).map { UInt8(($0 * 37 + 11) % 256) }

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "rapport-encryption-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try writeKey(keyBytes, to: keyFile)
        try writeKey(Array(String(repeating: "ab", count: 32).utf8) + [10], to: otherKeyFile)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func writeKey(_ bytes: [UInt8], to path: String, mode: Int = 0o600) throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: mode]))
    }

    func rapport(_ args: [String], store: String? = nil, key: String? = nil) -> RapportRunner.Result {
        RapportRunner.run(["--data", store ?? data, "--now", "2026-11-01", "--timezone", "UTC"] + args,
                          environment: ["RAPPORT_KEY_FILE": key ?? ""])
    }

    func csv(_ command: String, store: String) -> String {
        let r = rapport(["--format", "csv", "-c", command], store: store)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    /// Three customers, a snapshot and a change in the journal, then an encrypted backup.
    func makeEncryptedBackup() {
        var commands: [String] = []
        for i in 1...3 { commands += ["-c", "add customer id: \"C\(i)\", name: \"客户\(i)\", city: 上海, email: \"c\(i)@example.com\""] }
        XCTAssertEqual(rapport(commands + ["-c", "save", "-c", "log contact C1 via phone \"first call\""]).status, 0)
        let r = rapport(["-c", "backup to \"\(backup)\" encrypted"], key: keyFile)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("backed up 3 customers"), r.stdout)
    }

    /// Every file of a directory, by name, with its bytes.
    func contents(_ directory: String) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return Dictionary(uniqueKeysWithValues: names.map { ($0, FileManager.default.contents(atPath: directory + "/" + $0) ?? Data()) })
    }

    func testEncryptedBackupRestoresTheSameData() throws {
        makeEncryptedBackup()
        let files = contents(backup)
        XCTAssertEqual(Set(files.keys), ["snapshot.json", "audit.jsonl"])
        for (name, bytes) in files {
            XCTAssertTrue(bytes.starts(with: Data("RAPSEAL\n".utf8)), name)
            for clear in ["客户1", "c2@example.com", "first call", "rapport-snapshot"] {
                XCTAssertNil(bytes.range(of: Data(clear.utf8)), "\(clear) in \(name) in the clear")
            }
        }
        // The encrypted copy does not open as a store, and opening it writes nothing into it.
        let opened = rapport(["-c", "count customers"], store: backup, key: keyFile)
        XCTAssertEqual(opened.status, 1)
        XCTAssertTrue(opened.stderr.contains("is an encrypted backup"), opened.stderr)
        XCTAssertTrue(opened.stderr.contains("--restore-from"), opened.stderr)
        let check = rapport(["--check"], store: backup, key: keyFile)
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stdout.contains("is an encrypted backup: check cannot read it"), check.stdout)
        XCTAssertEqual(contents(backup), files)

        let r = RapportRunner.run(["--data", restored, "--restore-from", backup], environment: ["RAPPORT_KEY_FILE": keyFile])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("restored 3 customers"), r.stdout)
        XCTAssertEqual(contents(backup), files, "the backup is only read")
        for query in ["find customers show *", "find contacts show *", "count customers by city"] {
            XCTAssertEqual(csv(query, store: restored), csv(query, store: data), query)
        }
        // The audit trail came along: the restored audit log is the original's, decrypted.
        let original = (FileManager.default.contents(atPath: data + "/audit.jsonl") ?? Data()) + (FileManager.default.contents(atPath: data + "/journal.jsonl") ?? Data())
        XCTAssertEqual(FileManager.default.contents(atPath: restored + "/audit.jsonl"), original)
        let mode = try FileManager.default.attributesOfItem(atPath: restored)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o700)
    }

    func testWrongOrMissingKeyIsAClearErrorAndChangesNothing() throws {
        makeEncryptedBackup()
        let files = contents(backup)
        let wrong = RapportRunner.run(["--data", restored, "--restore-from", backup], environment: ["RAPPORT_KEY_FILE": otherKeyFile])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertTrue(wrong.stderr.contains("was encrypted with another key"), wrong.stderr)
        XCTAssertTrue(wrong.stderr.contains(otherKeyFile), wrong.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: restored))

        let missing = RapportRunner.run(["--data", restored, "--restore-from", backup], environment: ["RAPPORT_KEY_FILE": ""])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.contains("RAPPORT_KEY_FILE is not set"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: restored))
        XCTAssertEqual(contents(backup), files)

        // Backing up without a usable key writes no directory at all and changes no file of
        // the store (but the lock, which each opening fills with its pid and time).
        var storeFiles = contents(data)
        storeFiles["lock"] = nil
        let other = root + "/other-backup"
        let unset = rapport(["-c", "backup to \"\(other)\" encrypted"])
        XCTAssertEqual(unset.status, 1)
        XCTAssertTrue(unset.stderr.contains("RAPPORT_KEY_FILE is not set"), unset.stderr)
        try writeKey(keyBytes, to: root + "/shared-key", mode: 0o644)
        let shared = rapport(["-c", "backup to \"\(other)\" encrypted"], key: root + "/shared-key")
        XCTAssertEqual(shared.status, 1)
        XCTAssertTrue(shared.stderr.contains("may be read by others (mode 644)"), shared.stderr)
        try writeKey(Array("not a key\n".utf8), to: root + "/bad-key")
        let malformed = rapport(["-c", "backup to \"\(other)\" encrypted"], key: root + "/bad-key")
        XCTAssertEqual(malformed.status, 1)
        XCTAssertTrue(malformed.stderr.contains("holds 10 bytes"), malformed.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: other))
        var after = contents(data)
        after["lock"] = nil
        XCTAssertEqual(after, storeFiles)
    }

    func testATamperedByteIsDetectedAndNothingIsRestored() throws {
        makeEncryptedBackup()
        for name in ["snapshot.json", "audit.jsonl"] {
            let path = backup + "/" + name
            let good = try XCTUnwrap(FileManager.default.contents(atPath: path))
            var bad = good
            bad[bad.count / 2 + 20] ^= 0x04
            try bad.write(to: URL(fileURLWithPath: path))
            let r = RapportRunner.run(["--data", restored, "--restore-from", backup], environment: ["RAPPORT_KEY_FILE": keyFile])
            XCTAssertEqual(r.status, 1, name)
            XCTAssertTrue(r.stderr.contains("\(name) does not decrypt"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: restored), name)
            try good.write(to: URL(fileURLWithPath: path))
        }
        let r = RapportRunner.run(["--data", restored, "--restore-from", backup], environment: ["RAPPORT_KEY_FILE": keyFile])
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func testTheKeyAppearsInNoFileOutputOrArgument() throws {
        makeEncryptedBackup()
        let r = RapportRunner.run(["--data", restored, "--restore-from", backup], environment: ["RAPPORT_KEY_FILE": keyFile])
        XCTAssertEqual(r.status, 0, r.stderr)
        // The key travels only as a file name in the environment: no argument carries it,
        // and neither the store, the audit log, the backup nor any output holds its bytes.
        let secrets = [Data(keyBytes), Data(keyBytes.map { String(format: "%02x", $0) }.joined().utf8)]
        var everything = [Data(r.stdout.utf8), Data(r.stderr.utf8)]
        for directory in [data, backup, restored] { everything += contents(directory).values }
        for blob in everything {
            for secret in secrets { XCTAssertNil(blob.range(of: secret)) }
        }
        let audit = String(decoding: FileManager.default.contents(atPath: restored + "/audit.jsonl") ?? Data(), as: UTF8.self)
        XCTAssertFalse(audit.contains(keyFile))
        // A key given as a word is not an option at all.
        let asArgument = RapportRunner.run(["--key", "00"])
        XCTAssertEqual(asArgument.status, 2)
    }

    func testRestoreRefusesAFullTargetAndAPlainBackupRestoresWithoutAKey() throws {
        makeEncryptedBackup()
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: restored + "/note"))
        let full = RapportRunner.run(["--data", restored, "--restore-from", backup], environment: ["RAPPORT_KEY_FILE": keyFile])
        XCTAssertEqual(full.status, 1)
        XCTAssertTrue(full.stderr.contains("is not an empty directory"), full.stderr)
        XCTAssertEqual(contents(restored).keys.sorted(), ["note"])

        let plain = root + "/plain"
        XCTAssertEqual(rapport(["-c", "backup to \"\(plain)\""]).status, 0)
        let again = root + "/again"
        let r = RapportRunner.run(["--data", again, "--restore-from", plain], environment: ["RAPPORT_KEY_FILE": ""])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(csv("find customers show *", store: again), csv("find customers show *", store: data))
        let usage = RapportRunner.run(["--restore-from", plain])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.stderr.contains("--restore-from needs --data"), usage.stderr)
    }
}
