import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import RapportCore

/// The allocator as `rapport` sets it up: every setting accepted; during a bulk import, small
/// blocks freed beyond the per-thread cache merged at once, never left waiting in fast bins
/// for a sweep, and fast bins back on after it.
final class AllocatorTests: XCTestCase {
    #if canImport(Glibc)
    /// Allocates a thousand blocks of each small size, frees them, and counts the blocks
    /// then waiting in fast bins (the per-thread cache keeps 7 of each size). Everything
    /// this allocates (the report's buffer, the list) is allocated before the frees: a
    /// request of 1 KB or more would sweep the fast bins.
    private func fastBinBlocksAfterFreeingSmallBlocks(sizes: [Int]) throws -> (before: Int, after: Int) {
        let report = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { report.deallocate() }
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(sizes.count * 1000)
        let before = try XCTUnwrap(Allocator.fastBinBlocks(writingInto: report), "malloc_info unreadable")
        for size in sizes {
            for _ in 0..<1000 { blocks.append(malloc(size)!) }
        }
        for block in blocks { free(block) }
        let after = try XCTUnwrap(Allocator.fastBinBlocks(writingInto: report))
        return (before, after)
    }

    func testSmallBlocksFreedDuringABulkImportWaitInNoFastBin() throws {
        XCTAssertTrue(Allocator.configure(), "a setting was refused")
        let counts = try Allocator.withoutFastBins { try fastBinBlocksAfterFreeingSmallBlocks(sizes: Array(stride(from: 16, through: 112, by: 16))) }
        XCTAssertLessThanOrEqual(counts.after, counts.before, "\(counts.after - counts.before) freed blocks wait in fast bins")
    }

    func testFastBinsAreBackAfterwards() throws {
        // The count itself too: with fast bins on (glibc's default limit, 128 bytes on 64
        // bits), the same frees leave about a thousand in them.
        Allocator.withoutFastBins {}
        let counts = try fastBinBlocksAfterFreeingSmallBlocks(sizes: [48])
        XCTAssertGreaterThan(counts.after, counts.before + 500)
    }
    #endif
}
