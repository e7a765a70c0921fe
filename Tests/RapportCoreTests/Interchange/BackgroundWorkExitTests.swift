import Foundation
import XCTest
@testable import RapportCore

/// A process that exits while background work still runs (frees, a file's hash nobody
/// read) ends with its own status, never a signal: twice a test process whose import had
/// passed died in exit's teardown (SIGSEGV in `pthread_rwlock_*`) while its hash ran.
final class BackgroundWorkExitTests: XCTestCase {
    static let childVariable = "RAPPORT_TEST_EXIT_BESIDE_WORK"

    /// Run in a process of its own by the test below (skipped otherwise): leaves work that
    /// allocates, frees and calls into the runtime running on other threads, and an import
    /// whose hash nobody reads, then returns at once, so the process exits under them.
    func testChildStartsBackgroundWorkAndReturns() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment[Self.childVariable] != nil, "run by testAProcessExitingBesideBackgroundWorkEndsWithItsStatus")
        for part in 0..<4 {
            var rows: [[String: [String]]] = []
            for i in 0..<50_000 { rows.append(["k\(i)": ["value \(i) of part \(part), long enough to be allocated"]]) }
            ReleasedAside.release(rows)
            BackgroundWork.async {
                // Dynamic casts go through the runtime's locked caches, as the crashed thread did.
                let values: [Any] = [1, "text", [1.5], ["k": 2] as [String: Int], Day(daysSinceEpoch: 20_512) as Any]
                for i in 0..<400_000 {
                    let value = values[i % values.count]
                    _ = value as? any CustomStringConvertible
                    _ = value as? any Hashable
                    _ = String(describing: value).utf8.count
                }
            }
        }
        let lines = (1...20_000).map { "{\"id\":\"X\($0)\",\"name\":\"名字\($0)\"}" }.joined(separator: "\n")
        let result = try Importer(store: Store(), clock: Clock(now: 1_793_491_200, timeZone: TimeZone(identifier: "UTC")!))
            .read(bytes: Array(lines.utf8), format: .jsonl, into: .customers)
        XCTAssertEqual(result.changes.count, 20_000)
        // A large file's hash left running as the process exits, as an import leaves it
        // when nobody reads it.
        let file = [UInt8](repeating: 0x61, count: 256 << 20)
        BackgroundWork.async { _ = Importer.sha256(file) }
    }

    func testAProcessExitingBesideBackgroundWorkEndsWithItsStatus() throws {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0])
        for run in 1...6 {
            let child = Process()
            child.executableURL = executable
            child.arguments = ["RapportCoreTests.BackgroundWorkExitTests/testChildStartsBackgroundWorkAndReturns"]
            var environment = ProcessInfo.processInfo.environment
            environment[Self.childVariable] = "1"
            child.environment = environment
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            child.waitUntilExit()
            XCTAssertEqual(child.terminationReason, .exit, "run \(run) ended by signal \(child.terminationStatus)")
            XCTAssertEqual(child.terminationStatus, 0, "run \(run)")
        }
    }
}
