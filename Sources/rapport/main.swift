import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RapportCore
import RapportShell

// glibc's allocator set up before anything is allocated for a command: fixed thresholds
// for large blocks (`Allocator.configure`, why there).
Allocator.configure()

let status = Rapport.main(Array(CommandLine.arguments.dropFirst()))
// Everything the program must finish (the journal, the snapshot, the outbox) is done and
// synced when `main` returns; what may still run on other cores is frees, hashes and checks
// nobody will read (`BackgroundWork`). `exit` would run the libraries' teardown under them
// (libcrypto's crashed a test process's hash; `CryptoLibrary`), so the standard streams are
// flushed and the process ends without a teardown.
fflush(nil)
_exit(status)
