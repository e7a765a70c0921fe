import Foundation
import XCTest
@testable import RapportShell

final class ShellHistoryTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "rapport-history-" + UUID().uuidString
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testLeadingSpaceAndRepeatsAreNotKept() {
        var history = ShellHistory(path: directory + "/state/history")
        XCTAssertEqual(history.record("count customers"), "count customers")
        XCTAssertNil(history.record("count customers"), "a repeat of the last command")
        XCTAssertNil(history.record(" find customers where phone = \"13800000000\""), "a leading space keeps it out")
        XCTAssertNil(history.record("\tcount tickets"))
        XCTAssertEqual(history.record("count tickets"), "count tickets")
        XCTAssertEqual(history.record("count customers"), "count customers", "not a repeat of the last one")
        XCTAssertEqual(history.entries, ["count customers", "count tickets", "count customers"])
        let reloaded = ShellHistory(path: directory + "/state/history")
        XCTAssertEqual(reloaded.entries, history.entries)
    }

    func testMultiLineCommandIsKeptOnOneLine() {
        var history = ShellHistory(path: directory + "/history")
        history.record("find customers where (tier = gold\n   or tier = platinum)")
        XCTAssertEqual(ShellHistory(path: directory + "/history").entries, ["find customers where (tier = gold or tier = platinum)"])
    }

    func testCapKeepsTheLatestAndTheFileIsRewritten() throws {
        let path = directory + "/history"
        var history = ShellHistory(path: path, capacity: 5)
        for i in 1...23 { history.record("count customers where points > \(i)") }
        XCTAssertEqual(history.entries.count, 5)
        XCTAssertEqual(history.entries.last, "count customers where points > 23")
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertLessThanOrEqual(lines.count, 10, "the file is cut back once it holds twice the cap")
        XCTAssertEqual(ShellHistory(path: path, capacity: 5).entries, history.entries)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        let dirMode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
        XCTAssertEqual(dirMode, 0o700)
    }

    func testXDGDirectoriesFollowTheSpecification() {
        let set = XDGDirectories(["HOME": "/home/li", "XDG_STATE_HOME": "/s", "XDG_CONFIG_HOME": "/c"])
        XCTAssertEqual(set.state, "/s")
        XCTAssertEqual(set.config, "/c")
        let unset = XDGDirectories(["HOME": "/home/li", "XDG_STATE_HOME": "relative/ignored"])
        XCTAssertEqual(unset.state, "/home/li/.local/state")
        XCTAssertEqual(unset.config, "/home/li/.config")
    }
}

final class CompletionAlignmentTests: XCTestCase {
    func testSameWord() {
        XCTAssertEqual(LineEditor.align(["gold"], ourWord: "go", libeditWord: "go"), ["gold"])
    }

    func testCompleterWordStartsEarlier() {
        // The completer replaces `"cus` (with its quote); libedit only `cus`.
        XCTAssertEqual(LineEditor.align(["\"customers.csv\"", "\"data/"], ourWord: "\"cus", libeditWord: "cus"),
                       ["customers.csv\"", "data/"])
    }

    func testLibeditWordStartsEarlier() {
        XCTAssertEqual(LineEditor.align(["上海"], ourWord: "上", libeditWord: "x上"), ["x上海"])
    }

    func testUnrelatedWordsGiveNothing() {
        XCTAssertEqual(LineEditor.align(["gold"], ourWord: "go", libeditWord: "ti"), [])
    }
}
