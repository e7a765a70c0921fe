import Foundation
import XCTest
@testable import RapportCore

/// The encrypted store's entry framing (`StoreCipher`): one sealed entry per line, read only
/// with the store's key, and never mixed with plain entries.
final class StoreCipherTests: XCTestCase {
    let cipher = StoreCipher(key: EncryptionKey(bytes: Array(0..<32), file: "k1"))
    let otherCipher = StoreCipher(key: EncryptionKey(bytes: Array(repeating: 9, count: 32), file: "k2"))

    func entry(_ sequence: Int64) -> (set: ChangeSet, plain: [UInt8]) {
        var set = ChangeSet(at: 1_800_000_000, user: "alice", command: "set policy ltv.discountRate = 0.08 客户")
        set.sequence = sequence
        set.role = .admin
        set.policyChanges = [PolicyChange(key: "ltv.discountRate", before: 0.1, after: 0.08)]
        return (set, JournalCodec.encode(set) { Store()[$0].schema })
    }

    func testASealedEntryIsOneLineThatOnlyItsKeyReads() throws {
        let (set, plain) = entry(1)
        let sealed = try cipher.sealEntry(plain)
        XCTAssertEqual(sealed.filter { $0 == 10 }.count, 1)
        XCTAssertEqual(sealed.last, 10)
        XCTAssertTrue(sealed.starts(with: StoreCipher.entryPrefix))
        XCTAssertNil(String(decoding: sealed, as: UTF8.self).range(of: "客户"))
        XCTAssertEqual(try JournalCodec.decode(sealed.dropLast(), store: Store(), cipher: cipher), set)
        XCTAssertThrowsError(try JournalCodec.decode(sealed.dropLast(), store: Store(), cipher: otherCipher))
        XCTAssertThrowsError(try JournalCodec.decode(sealed.dropLast(), store: Store())) { error in
            XCTAssertTrue("\(error)".contains("not encrypted"), "\(error)")
        }
        XCTAssertThrowsError(try JournalCodec.decode(plain.dropLast(), store: Store(), cipher: cipher)) { error in
            XCTAssertTrue("\(error)".contains("a plain entry, in an encrypted store"), "\(error)")
        }
    }

    func testReplayReadsSealedEntriesAndCallsAHalfWrittenOneTorn() throws {
        let lines = try (1...3).map { try cipher.sealEntry(entry($0).plain) }
        let whole = lines.joined().map { $0 }
        let replay = JournalReplay.run(whole, into: Store(), cipher: cipher)
        XCTAssertNil(replay.problem)
        XCTAssertEqual(replay.applied, 3)
        let torn = Array(lines[0] + lines[1] + lines[2].prefix(lines[2].count / 2))
        let cut = JournalReplay.run(torn, into: Store(), cipher: cipher)
        XCTAssertEqual(cut.applied, 2)
        XCTAssertEqual(cut.problem?.isTornTail, true)
        XCTAssertEqual(cut.validBytes, lines[0].count + lines[1].count)
        // Plain lines again, for a backup.
        XCTAssertEqual(try cipher.plainLines(whole), (1...3).flatMap { entry($0).plain })
    }
}
