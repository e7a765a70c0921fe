import Foundation
import XCTest
import RapportTestSupport

/// An import longer than a second shows rows, rate and time left on a terminal's standard
/// error, on one line rewritten in place and wiped at the end; Ctrl-C abandons it and
/// nothing is imported.
final class ImportProgressTests: XCTestCase {
    func testALongImportShowsProgressAndCtrlCImportsNothing() throws {
        let root = NSTemporaryDirectory() + "rapport-progress-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Enough rows that each pass over them takes over a second in a debug build on an idle
        // machine (the bar shows only then): 150,000 stopped being enough once the reader got faster.
        let file = root + "/many.jsonl"
        let lines = (1...600_000).map { "{\"id\":\"K\(String(format: "%06d", $0))\",\"name\":\"n\($0)\",\"city\":\"上海\"}" }
        FileManager.default.createFile(atPath: file, contents: Data((lines.joined(separator: "\n") + "\n").utf8))
        let t = try TerminalSession(["--data", root + "/store", "--now", "2026-11-01"], columns: 120)
        t.waitFor("(admin)>")
        t.type("import customers from \"\(file)\"", then: "Enter")
        let shown = t.waitFor(" s left", timeout: 120)
        let bar = try XCTUnwrap(shown.split(separator: "\n").first { $0.contains(" s left") })
        XCTAssertNotNil(bar.range(of: #"\] \d+/600000 rows, \d+/s, \d+ s left"#, options: .regularExpression), String(bar))
        t.pressWhileRunning("C-c")
        let after = t.waitFor("import cancelled", timeout: 60)
        XCTAssertFalse(after.contains(" s left"), "the bar is wiped: \(after)")
        t.type("count customers", then: "Enter")
        let counted = t.waitFor("(1 row)")
        XCTAssertTrue(counted.contains("    0\n"), counted)
    }
}
