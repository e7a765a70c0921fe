import Foundation
import XCTest
import RapportCore
import RapportTestSupport

/// Warnings from opening a store are diagnostics with ids too, and the binary shows
/// them with the same formatter as the errors of commands.
final class StoreWarningTests: XCTestCase {
    func testTornJournalTailIsAWarningWithAnID() throws {
        let store = TemporaryStore("store-warning")
        XCTAssertEqual(store.run(["-c", #"add customer id: "C1", name: "A""#]).status, 0)
        let journal = store.path + "/journal.jsonl"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: journal))
        bytes.append(Data(#"{"seq":2,"at":"2026-11-24T00:00:00Z","user":"x","comm"#.utf8))
        try bytes.write(to: URL(fileURLWithPath: journal))

        let reader = try store.open(readOnly: true)
        XCTAssertEqual(reader.warnings.map(\.id), [.journalTailIncomplete], "a reader leaves a tail that a writer may be finishing")
        XCTAssertEqual(reader.warnings.first?.kind, .warning)
        reader.close()

        let run = store.run(["-c", "count customers"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("warning: dropped the last journal entry (2, at byte "), run.stderr)
        XCTAssertTrue(run.stderr.hasSuffix("it was torn by a crash before it was acknowledged\n"), run.stderr)
        XCTAssertEqual(try store.open(readOnly: true).warnings.map(\.id), [], "the writer cut the torn tail off")
    }
}
