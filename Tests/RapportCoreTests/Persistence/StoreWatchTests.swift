import Foundation
import XCTest
@testable import RapportCore

/// The cheap test before each command (`StoreWatch`): once a look at the store's files is
/// trusted, two `fstat`s stand in for the full look, and every way another process changes
/// the store must still show at the reader's next command: the journal created, appended
/// to, emptied by a snapshot and written again to the very size the reader had seen.
/// A look is trusted only once the times it sees are over a second old, so the test waits
/// that second before each change (what it checks does not depend on how long anything took).
final class StoreWatchTests: XCTestCase {
    func directory() throws -> String {
        let dir = NSTemporaryDirectory() + "rapport-watch-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func session(_ database: Database) -> Session {
        Session(database: database, settings: Settings(user: "test"), clock: QueryFixtures.clock, pinnedNow: QueryFixtures.clock.now)
    }

    func testAReaderTrustingItsLookStillSeesEveryChangeAtItsNextCommand() throws {
        let dir = try directory()
        // A store as a backup leaves it: a snapshot, no journal.
        let first = session(try Database.open(directory: dir))
        XCTAssertEqual(first.run(#"add customer id: "C1", name: "Anna""#).status, .success)
        XCTAssertEqual(first.run("save").status, .success)
        unlink(dir + "/" + Database.journalFile)

        let readerDatabase = try Database.open(directory: dir)
        let reader = session(readerDatabase)
        let writer = session(try Database.open(directory: dir))
        func count() -> String { reader.run("count customers").output.split(separator: "\n")[2].trimmingCharacters(in: .whitespaces) }
        // Over a second after the last change, the reader's look is trusted from its next command on.
        func settleAndTrust(_ line: UInt = #line) {
            Thread.sleep(forTimeInterval: 1.1)
            _ = count()
            _ = count()
            XCTAssertTrue(readerDatabase.isTrustingItsLook, "the reader takes the cheap test", line: line)
        }

        settleAndTrust()
        XCTAssertEqual(count(), "1")
        // The journal created.
        XCTAssertEqual(writer.run(#"add customer id: "C2", name: "Bert""#).status, .success)
        XCTAssertEqual(count(), "2")

        // The journal appended to.
        settleAndTrust()
        XCTAssertEqual(writer.run(#"add customer id: "C3", name: "Cleo""#).status, .success)
        XCTAssertEqual(count(), "3")

        // A snapshot empties the journal, and a change of the same length fills it again
        // to the size the reader last saw: only the times tell.
        XCTAssertEqual(writer.run("save").status, .success)
        XCTAssertEqual(writer.run(#"add customer id: "C4", name: "Dora""#).status, .success)
        let size = FileSystem.identity(dir + "/" + Database.journalFile)?.size
        XCTAssertEqual(count(), "4")
        settleAndTrust()
        XCTAssertEqual(writer.run("save").status, .success)
        XCTAssertEqual(writer.run(#"add customer id: "C5", name: "Emil""#).status, .success)
        XCTAssertEqual(FileSystem.identity(dir + "/" + Database.journalFile)?.size, size, "the journal is back at the size seen")
        XCTAssertEqual(count(), "5")
        XCTAssertEqual(reader.run(#"find customers where id = "C5" show name"#).output, "name\n----\nEmil\n(1 row)\n")

        // The journal replaced by another file (as `--recover` writes it), emptied.
        settleAndTrust()
        XCTAssertEqual(writer.run("save").status, .success)
        try FileSystem.writeAtomically([], to: dir + "/" + Database.journalFile)
        XCTAssertEqual(writer.run(#"add customer id: "C6", name: "Fred""#).status, .success)
        XCTAssertEqual(count(), "6")

        // The reader's own change: its look is not kept under the lock, and it goes on reading.
        settleAndTrust()
        XCTAssertEqual(reader.run(#"add customer id: "C7", name: "Gus""#).status, .success)
        XCTAssertEqual(count(), "7")
        XCTAssertEqual(writer.run("count customers").output.split(separator: "\n")[2].trimmingCharacters(in: .whitespaces), "7")
    }
}
