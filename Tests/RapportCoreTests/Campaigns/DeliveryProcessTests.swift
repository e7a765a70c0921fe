import Foundation
import XCTest
@testable import RapportCore

/// The child process of `deliver`: what counts as sent, the reason recorded for a failure,
/// a command that hangs, a command that never reads its input.
final class DeliveryProcessTests: XCTestCase {
    override class func setUp() {
        // As the executable does: a command that quits without reading must not kill us.
        signal(SIGPIPE, SIG_IGN)
    }

    func testExitZeroIsSentAndTheCommandReadsTheInput() throws {
        let file = NSTemporaryDirectory() + "delivery-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: file) }
        XCTAssertEqual(DeliveryProcess.run("cat > '\(file)'", input: Array("{\"id\":\"M1\"}\n".utf8), timeout: 10), .sent)
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), "{\"id\":\"M1\"}\n")
    }

    func testAFailureRecordsTheStatusAndTheFirstLineOfStandardError() {
        XCTAssertEqual(DeliveryProcess.run("echo '  quota exceeded ' >&2; echo second >&2; exit 4", input: [10], timeout: 10),
                       .failed("exit status 4: quota exceeded"))
        XCTAssertEqual(DeliveryProcess.run("exit 2", input: [10], timeout: 10), .failed("exit status 2"))
        guard case .failed(let reason) = DeliveryProcess.run("/no/such/sender", input: [10], timeout: 10) else { return XCTFail() }
        XCTAssertTrue(reason.hasPrefix("exit status 127 (command not found): "), reason)
        XCTAssertEqual(DeliveryProcess.run("kill -9 $$", input: [10], timeout: 10), .failed("killed by signal 9"))
    }

    func testAReasonIsCappedAndCleanedOfControlCharacters() {
        let long = DeliveryProcess.reason(exit: 1, signal: 0, errorText: Array(String(repeating: "x", count: 500).utf8))
        XCTAssertEqual(long.count, DeliveryProcess.reasonLimit)
        XCTAssertTrue(long.hasSuffix("…"))
        XCTAssertFalse(DeliveryProcess.reason(exit: 1, signal: 0, errorText: Array("bad \u{1B}[31mred".utf8)).contains("\u{1B}"))
    }

    func testAHangingCommandAndItsPipelineAreStoppedAtTheTimeout() {
        let started = Date()
        XCTAssertEqual(DeliveryProcess.run("sleep 30 | cat", input: [10], timeout: 1), .failed("timed out after 1s and was stopped"))
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
    }

    func testACommandThatDoesNotReadALargeInputIsJudgedByItsExit() {
        let big = [UInt8](repeating: 65, count: 1 << 20)
        XCTAssertEqual(DeliveryProcess.run("exit 0", input: big, timeout: 10), .sent)
        XCTAssertEqual(DeliveryProcess.run("head -c 10 > /dev/null", input: big, timeout: 10), .sent)
    }
}
