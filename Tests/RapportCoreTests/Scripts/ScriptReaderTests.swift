import XCTest
@testable import RapportCore

final class ScriptReaderTests: XCTestCase {
    func testOpenParenthesisAndCampaignBlockGoOn() {
        XCTAssertTrue(ScriptReader.isUnfinished("find customers where (tier = gold"))
        XCTAssertFalse(ScriptReader.isUnfinished("find customers where name = \"(\""))
        XCTAssertTrue(ScriptReader.isUnfinished("campaign \"birthday\"\n  target customers where birthday within 7d"))
        XCTAssertFalse(ScriptReader.isUnfinished("campaign \"birthday\"\n  every 365d\nend"))
        // `campaign history` is a one-line command, not the start of a block.
        XCTAssertFalse(ScriptReader.isUnfinished("campaign history"))
        XCTAssertFalse(ScriptReader.isUnfinished("campaign HISTORY \"birthday\""))
        XCTAssertTrue(ScriptReader.isUnfinished("campaign \"history\""))
    }

    func testScriptSplitsIntoCommandsWithTheirLines() {
        let source = """
        #!/usr/bin/env rapport
        # greetings
        count customers

        find customers where (tier = gold
          or tier = silver)
        campaign "birthday greetings"
          target customers where birthday within 7d
          # a comment inside the block
        end
        count tickets
        """
        let commands = ScriptReader.commands(in: source)
        XCTAssertEqual(commands.map(\.line), [3, 5, 7, 11])
        XCTAssertEqual(commands[1].text, "find customers where (tier = gold\n  or tier = silver)")
        XCTAssertTrue(commands[2].text.hasSuffix("end"))
    }
}
