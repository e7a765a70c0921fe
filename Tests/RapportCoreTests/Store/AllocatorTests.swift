import XCTest
#if canImport(Glibc)
import Glibc
#endif
@testable import RapportCore

/// The allocator as `rapport` sets it up: every setting accepted; during a bulk import, small
/// blocks freed beyond the per-thread cache merged at once, never left waiting in fast bins
/// for a sweep, large blocks taken from the heap rather than mapped on their own, and both
/// back as glibc has them after it.
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
        let counts = try Allocator.forBulkImport { try fastBinBlocksAfterFreeingSmallBlocks(sizes: Array(stride(from: 16, through: 112, by: 16))) }
        XCTAssertLessThanOrEqual(counts.after, counts.before, "\(counts.after - counts.before) freed blocks wait in fast bins")
    }

    func testFastBinsAreBackAfterwards() throws {
        // The count itself too: with fast bins on (glibc's default limit, 128 bytes on 64
        // bits), the same frees leave about a thousand in them.
        Allocator.forBulkImport {}
        let counts = try fastBinBlocksAfterFreeingSmallBlocks(sizes: [48])
        XCTAssertGreaterThan(counts.after, counts.before + 500)
    }

    /// Whether a block of `size` bytes, allocated and freed on this thread, was mapped on
    /// its own (`malloc_info`'s count of mapped blocks while it is held).
    private func blockIsMapped(size: Int) throws -> Bool {
        let report = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 18, alignment: 16)
        defer { report.deallocate() }
        let before = try XCTUnwrap(Allocator.mappedBlocks(writingInto: report), "malloc_info unreadable")
        let block = try XCTUnwrap(malloc(size))
        let held = try XCTUnwrap(Allocator.mappedBlocks(writingInto: report))
        free(block)
        return held > before
    }

    /// A large array freed during an import stays in the heap for the next one (its pages
    /// not faulted in again): no block is mapped on its own there, and they are again after.
    /// The last block is larger than any the heap has free by then (a free block that
    /// fits is taken before any is mapped); none is written, so none is faulted in.
    func testLargeBlocksComeFromTheHeapDuringABulkImportOnly() throws {
        XCTAssertTrue(Allocator.configure(), "a setting was refused")
        let large = 40 << 20
        XCTAssertTrue(try blockIsMapped(size: large), "over the threshold, mapped as before")
        XCTAssertFalse(try Allocator.forBulkImport { try blockIsMapped(size: large) }, "mapped during an import")
        XCTAssertTrue(try blockIsMapped(size: 512 << 20), "mapped again after the import")
    }
    /// Resident pages of this process, from /proc/self/statm.
    private func residentBytes() throws -> Int {
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return try XCTUnwrap(Int(statm[1])) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// 256 MB of heap blocks freed below a block still held stay resident (glibc trims only
    /// the top of the heap on its own) until `returnFreeMemory` gives them back, as it does
    /// after a bulk import.
    func testReturnFreeMemoryGivesTheFreedHeapBack() throws {
        XCTAssertTrue(Allocator.configure(), "a setting was refused")
        let block = 64 << 10
        var blocks: [UnsafeMutableRawPointer] = []
        blocks.reserveCapacity(4096)
        for _ in 0..<4096 {
            let b = malloc(block)!
            memset(b, 1, block)
            blocks.append(b)
        }
        // Held: the freed blocks are not the heap's top.
        let pin = malloc(block)!
        defer { free(pin) }
        for b in blocks { free(b) }
        let freed = try residentBytes()
        XCTAssertTrue(Allocator.returnFreeMemory())
        let returned = try residentBytes()
        XCTAssertGreaterThan(freed - returned, 128 << 20, "\((freed - returned) >> 20) MB given back")
    }
    #endif
}
