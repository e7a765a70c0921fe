import XCTest
@testable import RapportShell

/// The command line: one ordered list of inputs, options anywhere, `--` and `--param`.
final class OptionsTests: XCTestCase {
    func testInputsKeepTheOrderTyped() throws {
        let o = try Options.parse(["a.rapport", "-c", "count customers", "-f", "b.rapport", "-", "--command=save"])
        XCTAssertEqual(o.inputs, [.script("a.rapport"), .command("count customers"), .script("b.rapport"), .script("-"), .command("save")])
        XCTAssertEqual(o.firstBareWord, 0)
    }

    func testOptionsAfterAScriptApplyAndFurtherWordsAreScripts() throws {
        let o = try Options.parse(["x.rapport", "--format", "csv", "y.rapport", "--bail"])
        XCTAssertEqual(o.format, .csv)
        XCTAssertTrue(o.bail)
        XCTAssertEqual(o.inputs, [.script("x.rapport"), .script("y.rapport")])
    }

    func testDoubleDashEndsOptions() throws {
        let o = try Options.parse(["--bail", "--", "--format", "-c"])
        XCTAssertTrue(o.bail)
        XCTAssertEqual(o.format, .table)
        XCTAssertEqual(o.inputs, [.script("--format"), .script("-c")])
    }

    func testCommandValueMayStartWithADash() throws {
        XCTAssertEqual(try Options.parse(["-c", "--bail"]).inputs, [.command("--bail")])
        XCTAssertFalse(try Options.parse(["-c", "--bail"]).bail)
    }

    func testParameters() throws {
        let o = try Options.parse(["--param", "TIER=gold", "--param=CITY=上海 = 北京", "--param", "TIER=silver", "--param", "E="])
        XCTAssertEqual(o.parameters, ["TIER": "silver", "CITY": "上海 = 北京", "E": ""])
        for bad in ["TIER", "=gold", "2x=1", "a-b=1", ""] {
            XCTAssertThrowsError(try Options.parse(["--param", bad])) { error in
                XCTAssertTrue("\(error)".hasPrefix("--param takes NAME=VALUE"), "\(error)")
            }
        }
        XCTAssertThrowsError(try Options.parse(["--param"])) { XCTAssertEqual("\($0)", "option --param needs a value") }
    }

    func testMistakesAreUsageErrors() {
        func message(_ args: [String]) -> String {
            do { _ = try Options.parse(args); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(["--formt", "csv"]), "unknown option '--formt'; did you mean '--format'?")
        XCTAssertEqual(message(["--parm", "A=1"]), "unknown option '--parm'; did you mean '--param'?")
        XCTAssertEqual(message(["--bail=yes"]), "option --bail takes no value")
        XCTAssertEqual(message(["-c"]), "option -c needs a value")
        XCTAssertEqual(message(["-", "-"]), "standard input ('-') can be read only once")
        XCTAssertEqual(message(["-f", ""]), "-f needs a file name, not an empty word")
        XCTAssertEqual(message(["--demo", "--data", "d"]), "--demo and --data cannot be used together: the demo store is throwaway")
        XCTAssertTrue(message(["-x"]).hasPrefix("unknown option '-x'"))
    }

    func testFirstBareWordIsTheFirstWordNotGivenWithAnOption() throws {
        XCTAssertEqual(try Options.parse(["-c", "save", "count", "customers"]).firstBareWord, 1)
        XCTAssertNil(try Options.parse(["-f", "count"]).firstBareWord)
        XCTAssertNil(try Options.parse(["-"]).firstBareWord)
    }

    func testRandomArgumentVectorsNeverCrash() {
        let pieces = ["-c", "-f", "-", "--", "--param", "A=1", "=", "--data", "--format", "csv", "--bail", "--bail=",
                      "--format=", "x", "中", "", "--demo-size", "-1", "99999999999999999999", "--now", "--role", "-h"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let count = Int.random(in: 0...6, using: &generator)
            let args = (0..<count).map { _ in pieces.randomElement(using: &generator)! }
            _ = try? Options.parse(args)
        }
    }
}
