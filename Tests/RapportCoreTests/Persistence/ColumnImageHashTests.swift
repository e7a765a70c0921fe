import XCTest
@testable import RapportCore

/// The column image's region hash (`ColumnImage.RegionHasher`, four lanes): a single bit
/// flipped anywhere in a region always changes it, and the writer's pieces hash as the
/// checker's one pass over the whole region does.
final class ColumnImageHashTests: XCTestCase {
    /// Deterministic bytes (a 64-bit LCG), so a failure can be run again.
    func bytes(_ count: Int, seed: UInt64 = 1) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    func hash(_ b: [UInt8]) -> UInt64 { b.withUnsafeBytes { ColumnImage.hash($0) } }

    /// Every bit of regions of 1 to 41 words (each lane's first, middle and last word, the
    /// four-word steps and the single words after them), and of a region of 4,099 words.
    func testEveryFlippedBitChangesTheHash() {
        for words in Array(1...41) + [4_099] {
            var region = bytes(words * 8, seed: UInt64(words))
            let good = hash(region)
            for bit in 0..<(words * 64) {
                region[bit / 8] ^= 1 << UInt8(bit % 8)
                XCTAssertNotEqual(hash(region), good, "\(words) words, bit \(bit)")
                region[bit / 8] ^= 1 << UInt8(bit % 8)
            }
            XCTAssertEqual(hash(region), good)
        }
    }

    /// Any one word replaced by any other changes it too (not only single bits): a whole
    /// word of zeros, of ones, or another word's value.
    func testAnyOneWordReplacedChangesTheHash() {
        let words = 67
        let original = bytes(words * 8, seed: 7)
        let good = hash(original)
        for i in 0..<words {
            for replacement: UInt64 in [0, ~0, 0x8000_0000_0000_0000, 1] {
                var region = original
                region.withUnsafeMutableBytes { $0.storeBytes(of: replacement, toByteOffset: i * 8, as: UInt64.self) }
                if region != original { XCTAssertNotEqual(hash(region), good, "word \(i) := \(replacement)") }
            }
        }
    }

    /// Words moved between lanes, or the regions of two columns swapped, are found as well
    /// (not guaranteed by construction as one changed word is; these are the usual shapes).
    func testSwappedWordsAndLengthsChangeTheHash() {
        let words = 64
        let original = bytes(words * 8, seed: 9)
        let good = hash(original)
        for i in 0..<(words - 1) {
            var region = original
            for k in 0..<8 { region.swapAt(i * 8 + k, (i + 1) * 8 + k) }
            if region != original { XCTAssertNotEqual(hash(region), good, "words \(i) and \(i + 1) swapped") }
        }
        // Zeros of different lengths (a column of nulls cut short or grown) differ.
        let zeros = (0...40).map { hash([UInt8](repeating: 0, count: $0 * 8)) }
        XCTAssertEqual(Set(zeros).count, zeros.count)
    }

    /// The writer hashes a region in pieces as it streams it (any multiple of 8 bytes, so a
    /// piece may start in any lane); the checks hash it in one pass: the same value.
    func testPiecesHashAsTheWhole() {
        let words = 300
        let whole = bytes(words * 8, seed: 3)
        let expected = hash(whole)
        var state: UInt64 = 5
        for _ in 0..<200 {
            var hasher = ColumnImage.RegionHasher()
            var start = 0
            whole.withUnsafeBytes { raw in
                while start < words {
                    state = state &* 6_364_136_223_846_793_005 &+ 1
                    let n = min(words - start, Int(state >> 60))
                    hasher.add(UnsafeRawBufferPointer(rebasing: raw[(start * 8)..<((start + n) * 8)]))
                    start += n
                }
            }
            XCTAssertEqual(hasher.finish(), expected)
        }
        // A tail under 8 bytes is not hashed: regions are whole words.
        XCTAssertEqual(hash(whole + [1, 2, 3]), expected)
    }
}
