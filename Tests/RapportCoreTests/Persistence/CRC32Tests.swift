import XCTest
@testable import RapportCore

/// The table-driven CRC-32 (sixteen, then eight, then one byte a step) against the
/// bit-by-bit definition, for every length around those steps and every alignment.
final class CRC32Tests: XCTestCase {
    /// The definition: one bit at a time, reflected polynomial 0xEDB88320.
    func bitwise(_ bytes: ArraySlice<UInt8>, seed: UInt32 = 0) -> UInt32 {
        var c = ~seed
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    func testKnownValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }

    func testEveryLengthAndAlignmentMatchesTheDefinition() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<200).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for length in 0...(bytes.count - start - 1) where length < 70 || length % 17 == 0 {
                let slice = bytes[start..<(start + length)]
                XCTAssertEqual(CRC32.checksum(slice), bitwise(slice), "start \(start), length \(length)")
            }
        }
        // Seeded (a running checksum) and joined from two parts.
        let first = bytes[0..<77], second = bytes[77...]
        XCTAssertEqual(CRC32.checksum(second, seed: CRC32.checksum(first)), bitwise(bytes[...]))
        XCTAssertEqual(CRC32.combine(CRC32.checksum(first), CRC32.checksum(second), secondLength: second.count), bitwise(bytes[...]))
    }

    /// The carry-less-multiplication CRC (Sources/CChecksum, chosen on x86-64 with
    /// PCLMULQDQ) against the tables and the definition: random lengths across its
    /// 64-byte minimum, its 16-byte blocks and tails, every alignment, random seeds.
    func testCarrylessMultiplicationMatchesTheTables() throws {
        try XCTSkipUnless(CRC32.carrylessAvailable, "this processor has no PCLMULQDQ: the tables alone run")
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<9_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        XCTAssertEqual(CRC32.checksum(Array(String(repeating: "123456789", count: 9).utf8)),
                       bitwise(ArraySlice(String(repeating: "123456789", count: 9).utf8)))
        bytes.withUnsafeBytes { raw in
            var lengths = Array(0...200) + [255, 256, 257, 1_023, 1_024, 1_025, 8_191]
            lengths += (0..<200).map { _ in Int.random(in: 0...8_900, using: &generator) }
            for length in lengths {
                let start = Int.random(in: 0..<64, using: &generator)
                let seed = UInt32.random(in: 0...UInt32.max, using: &generator)
                let piece = UnsafeRawBufferPointer(rebasing: raw[start..<(start + length)])
                let table = CRC32.tableChecksum(piece, seed: seed)
                XCTAssertEqual(CRC32.checksum(piece, seed: seed), table, "start \(start), length \(length), seed \(seed)")
                if length < 300 { XCTAssertEqual(table, bitwise(bytes[start..<(start + length)], seed: seed)) }
            }
            // Pieces checksummed apart still combine to the whole's checksum.
            let whole = UnsafeRawBufferPointer(rebasing: raw[3..<8_003])
            let first = UnsafeRawBufferPointer(rebasing: whole[0..<4_099]), second = UnsafeRawBufferPointer(rebasing: whole[4_099...])
            XCTAssertEqual(CRC32.combine(CRC32.checksum(first), CRC32.checksum(second), secondLength: second.count),
                           CRC32.tableChecksum(whole))
            XCTAssertEqual(CRC32.checksum(second, seed: CRC32.checksum(first)), CRC32.tableChecksum(whole))
        }
    }
}
