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
}
