import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RapportShell

#if canImport(Glibc)
// glibc maps each block over its threshold (128 KB at first, then moving with what is
// freed) on its own and unmaps it when freed, so the buffers of a large answer (its rows,
// cells and text: tens of MB for a few hundred thousand rows) could be faulted in again
// page by page at every command: 14,000 page faults a run of `find customers where
// lastContact <= 90d show id` at a million, a quarter of its time. Fixed thresholds keep
// them in the heap for the next command (docs/performance.md, branch plookup).
// `mallopt` is not in the Glibc module (malloc.h): looked up by name, its parameters from
// malloc.h (M_TRIM_THRESHOLD -1, M_MMAP_THRESHOLD -3).
if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    _ = mallopt(-3, 32 << 20)
    _ = mallopt(-1, 128 << 20)
}
#endif

let status = Rapport.main(Array(CommandLine.arguments.dropFirst()))
// Everything the program must finish (the journal, the snapshot, the outbox) is done and
// synced when `main` returns; what may still run on other cores is frees, hashes and checks
// nobody will read (`BackgroundWork`). `exit` would wait for them (its teardown would crash
// under them), and a one-shot import of a million customers then freed its rows for nothing
// (0.2 to 0.5 s). The standard streams are flushed and the process ends without a teardown.
fflush(nil)
_exit(status)
