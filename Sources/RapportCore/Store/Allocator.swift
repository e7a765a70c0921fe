import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The program's settings of glibc's allocator: fixed thresholds made once at start
/// (`rapport`'s main, before the first command), fast bins and mapped blocks off while a
/// bulk import runs.
public enum Allocator {
    /// `mallopt`'s parameters (malloc.h; `mallopt` is not in the Glibc module).
    static let fastBinLimit: Int32 = 1        // M_MXFAST
    static let trimThreshold: Int32 = -1      // M_TRIM_THRESHOLD
    static let mapThreshold: Int32 = -3       // M_MMAP_THRESHOLD
    static let mapLimit: Int32 = -4           // M_MMAP_MAX
    /// glibc's own limit on blocks mapped at once (DEFAULT_MMAP_MAX).
    static let defaultMapLimit: Int32 = 65536
    /// glibc's own fast-bin limit (DEFAULT_MXFAST: 64 * sizeof(size_t) / 4).
    static let defaultFastBinLimit = Int32(64 * MemoryLayout<Int>.size / 4)

    /// Sets the allocator's thresholds; false when a setting was refused (or there is no glibc).
    ///
    /// Fixed thresholds: glibc maps each block over its threshold (128 KB at first, then
    ///   moving with what is freed) on its own and unmaps it when freed, so the buffers of a
    ///   large answer (its rows, cells and text: tens of MB for a few hundred thousand rows)
    ///   could be faulted in again page by page at every command: 14,000 page faults a run
    ///   of `find customers where lastContact <= 90d show id` at a million, a quarter of its
    ///   time. Fixed thresholds keep them in the heap for the next command (docs/performance.md,
    ///   branch plookup).
    @discardableResult
    public static func configure() -> Bool {
        #if canImport(Glibc)
        guard let mallopt = Allocator.mallopt else { return false }
        let settings: [(Int32, Int32)] = [(mapThreshold, 32 << 20), (trimThreshold, 128 << 20)]
        var accepted = true
        for (parameter, value) in settings where mallopt(parameter, value) != 1 { accepted = false }
        return accepted
        #else
        return false
        #endif
    }

    /// Runs a bulk import's `body` with glibc's fast bins off and no block mapped on its
    /// own, and puts both back (glibc's defaults) after.
    ///
    /// Fast bins: a freed small block waits in a fast bin, unmerged, until a request of
    /// 1 KB or more sweeps every such bin (`malloc_consolidate`, `unlink_chunk`). An import
    /// of a million customers frees millions of small blocks (cells, keys, rows) while other
    /// threads grow arrays: 5% of its CPU went to those sweeps, 0.49 s less CPU without fast
    /// bins in six pairs of runs (docs/performance.md, branch pimport9). Only there: a
    /// campaign at a million, which frees little, took 13% longer without them (lead, stop 30).
    ///
    /// Mapped blocks: a block over the threshold (32 MB) is mapped on its own and unmapped
    /// when freed, so its pages went back to the kernel and the next large array faulted
    /// fresh zeroed ones in again (about 2.5 µs a page here). An import frees such blocks
    /// all along (the file's bytes once hashed, the converted chunks once resolved, arrays
    /// outgrown); taken from the heap instead, their memory is reused by what comes after:
    /// 14% fewer page faults at a million (docs/performance.md, branch pmem). A worker
    /// thread's arena cannot hold a block over 64 MB: glibc still maps that one.
    public static func forBulkImport<T>(_ body: () throws -> T) rethrows -> T {
        #if canImport(Glibc)
        guard let mallopt = Allocator.mallopt else { return try body() }
        let fastBinsOff = mallopt(fastBinLimit, 0) == 1
        let mapsOff = mallopt(mapLimit, 0) == 1
        defer {
            if fastBinsOff { _ = mallopt(fastBinLimit, defaultFastBinLimit) }
            if mapsOff { _ = mallopt(mapLimit, defaultMapLimit) }
        }
        #endif
        return try body()
    }

    /// Gives the heap's free memory back to the kernel (`malloc_trim`): after a bulk import
    /// its freed rows and changes, and the blocks it took from the heap (`forBulkImport`),
    /// stayed resident in a session that goes on: 1.43 GB after importing a million customers,
    /// 1.04 GB once given back (docs/performance.md, stop 31). Runs where
    /// nobody waits for it (`ReleasedAside`); false when glibc has no `malloc_trim`.
    @discardableResult
    public static func returnFreeMemory() -> Bool {
        #if canImport(Glibc)
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return false }
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        return true
        #else
        return false
        #endif
    }

    #if canImport(Glibc)
    private typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    private static var mallopt: Mallopt? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return nil }
        return unsafeBitCast(symbol, to: Mallopt.self)
    }

    /// How many freed blocks wait in the fast bins of every arena, written into `buffer`;
    /// nil when it cannot be read. The buffer is the caller's, allocated beforehand, and
    /// the stream unbuffered: a request of 1 KB or more made here (a stream's buffer) would
    /// sweep the fast bins before they are counted.
    static func fastBinBlocks(writingInto buffer: UnsafeMutableRawBufferPointer) -> Int? {
        mallocInfoTotal("fast", writingInto: buffer)
    }

    /// How many blocks are mapped on their own now (not in any arena's heap), as
    /// `fastBinBlocks` reads it.
    static func mappedBlocks(writingInto buffer: UnsafeMutableRawBufferPointer) -> Int? {
        mallocInfoTotal("mmap", writingInto: buffer)
    }

    /// `malloc_info`'s last `<total type="TYPE" count="N"`: the count over every arena.
    private static func mallocInfoTotal(_ type: String, writingInto buffer: UnsafeMutableRawBufferPointer) -> Int? {
        typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_info"), let base = buffer.baseAddress,
              buffer.count > 1 else { return nil }
        let mallocInfo = unsafeBitCast(symbol, to: MallocInfo.self)
        memset(base, 0, buffer.count)
        guard let stream = fmemopen(base, buffer.count - 1, "w") else { return nil }
        setvbuf(stream, nil, _IONBF, 0)
        let status = mallocInfo(0, stream)
        fclose(stream)
        guard status == 0 else { return nil }
        let xml = String(cString: base.assumingMemoryBound(to: CChar.self))
        // The totals of all arenas come last, after each arena's own.
        guard let range = xml.range(of: "<total type=\"\(type)\" count=\"", options: .backwards) else { return nil }
        return Int(xml[range.upperBound...].prefix { $0.isNumber })
    }
    #endif
}
