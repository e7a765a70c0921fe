import Foundation
import XCTest
@testable import RapportCore

/// AES-256-GCM sealing of whole files, and reading key files.
final class EncryptionTests: XCTestCase {
    let key = EncryptionKey(bytes: Array(0..<32), file: "k1")
    let otherKey = EncryptionKey(bytes: Array(repeating: 7, count: 32), file: "k2")
    var folder: String!

    override func setUp() {
        folder = NSTemporaryDirectory() + "rapport-keys-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: folder) }

    func testSealThenOpenGivesThePlaintextBack() throws {
        for plaintext: [UInt8] in [[], Array("客户 C1, 上海".utf8), (0..<100_000).map { UInt8($0 % 251) }] {
            let sealed = try SealedFile.seal(plaintext, with: key)
            XCTAssertTrue(SealedFile.isSealed(sealed))
            XCTAssertEqual(sealed.count, SealedFile.headerLength + plaintext.count + SealedFile.tagLength)
            XCTAssertEqual(try SealedFile.open(sealed, with: key), plaintext)
            if plaintext.count > 16 {
                XCTAssertNil(sealed.indices.first { sealed[$0...].starts(with: plaintext.prefix(16)) }, "the plaintext shows through")
            }
        }
    }

    func testEveryMessageGetsItsOwnNonce() throws {
        let plaintext = Array("the same text".utf8)
        let a = try SealedFile.seal(plaintext, with: key), b = try SealedFile.seal(plaintext, with: key)
        let nonce = (SealedFile.headerLength - SealedFile.nonceLength)..<SealedFile.headerLength
        XCTAssertNotEqual(a[nonce], b[nonce])
        XCTAssertNotEqual(a, b)
    }

    func testAWrongKeyIsNamedByItsIDBeforeDecrypting() throws {
        let sealed = try SealedFile.seal(Array("secret".utf8), with: key)
        XCTAssertThrowsError(try SealedFile.open(sealed, with: otherKey)) { error in
            XCTAssertEqual(error as? SealedFile.OpenError, .wrongKey(fileKeyID: key.idHex, keyID: otherKey.idHex))
        }
        XCTAssertEqual(key.idHex.count, 16)
        XCTAssertNotEqual(key.idHex, otherKey.idHex)
    }

    func testAnyChangedByteIsDetected() throws {
        let sealed = try SealedFile.seal(Array("a change anywhere must fail the tag".utf8), with: key)
        for i in sealed.indices {
            var damaged = sealed
            damaged[i] ^= 0x01
            XCTAssertThrowsError(try SealedFile.open(damaged, with: key), "byte \(i)")
        }
        let ciphertextByte = SealedFile.headerLength + 3
        var damaged = sealed
        damaged[ciphertextByte] ^= 0x80
        XCTAssertThrowsError(try SealedFile.open(damaged, with: key)) { XCTAssertEqual($0 as? SealedFile.OpenError, .tampered) }
        XCTAssertThrowsError(try SealedFile.open(Array(sealed.dropLast()), with: key)) { XCTAssertEqual($0 as? SealedFile.OpenError, .tampered) }
        XCTAssertThrowsError(try SealedFile.open(Array(sealed.prefix(20)), with: key)) { XCTAssertEqual($0 as? SealedFile.OpenError, .truncated) }
        XCTAssertThrowsError(try SealedFile.open(Array("{\"format\"".utf8), with: key)) { XCTAssertEqual($0 as? SealedFile.OpenError, .notSealed) }
        var newer = sealed
        newer[SealedFile.magic.count] = 9
        XCTAssertThrowsError(try SealedFile.open(newer, with: key)) { XCTAssertEqual($0 as? SealedFile.OpenError, .newerVersion(9)) }
    }

    func write(_ name: String, _ bytes: [UInt8], mode: Int = 0o600) throws -> String {
        let path = folder + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: mode]))
        return path
    }

    func testKeyFilesHoldRawBytesOrHex() throws {
        let raw: [UInt8] = (0..<32).map { UInt8($0 * 7 % 256) }
        let fromRaw = try EncryptionKey.load(file: try write("raw", raw))
        let hex = SealedFile.hex(raw)
        let fromHex = try EncryptionKey.load(file: try write("hex", Array((hex + "\n").utf8)))
        let fromUpperHex = try EncryptionKey.load(file: try write("HEX", Array(hex.uppercased().utf8)))
        XCTAssertEqual(fromRaw.bytes, raw)
        XCTAssertEqual(fromHex.bytes, raw)
        XCTAssertEqual(fromUpperHex.id, fromRaw.id)
        XCTAssertEqual(fromRaw.file, folder + "/raw")
    }

    func testBadKeyFilesAreClearErrorsNamingTheFile() throws {
        let cases: [(String, [UInt8], Int, DiagnosticID)] = [
            ("short", Array(repeating: 1, count: 31), 0o600, .keyFileMalformed),
            ("long", Array(repeating: 1, count: 33), 0o600, .keyFileMalformed),
            ("nothex", Array(String(repeating: "g", count: 64).utf8), 0o600, .keyFileMalformed),
            ("empty", [], 0o600, .keyFileMalformed),
            ("shared", Array(repeating: 1, count: 32), 0o640, .keyFileNotPrivate),
            ("public", Array(repeating: 1, count: 32), 0o604, .keyFileNotPrivate),
        ]
        for (name, bytes, mode, id) in cases {
            let path = try write(name, bytes, mode: mode)
            XCTAssertThrowsError(try EncryptionKey.load(file: path), name) { error in
                let d = error as? Diagnostic
                XCTAssertEqual(d?.id, id, name)
                XCTAssertEqual(d?.arguments.first, path, name)
            }
        }
        XCTAssertThrowsError(try EncryptionKey.load(file: folder + "/missing")) { XCTAssertEqual(($0 as? Diagnostic)?.id, .keyFileUnreadable) }
        XCTAssertThrowsError(try EncryptionKey.load(file: folder)) { XCTAssertEqual(($0 as? Diagnostic)?.id, .keyFileUnreadable) }
        XCTAssertThrowsError(try EncryptionKey.fromEnvironment([:])) { XCTAssertEqual(($0 as? Diagnostic)?.id, .encryptionKeyMissing) }
        XCTAssertThrowsError(try EncryptionKey.fromEnvironment(["RAPPORT_KEY_FILE": ""])) { XCTAssertEqual(($0 as? Diagnostic)?.id, .encryptionKeyMissing) }
    }
}
