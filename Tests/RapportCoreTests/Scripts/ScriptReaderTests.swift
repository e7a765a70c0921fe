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

    /// ASCII text is counted byte by byte; it must agree with counting characters on
    /// every mix of quotes, escapes, comments, parentheses and lines (and refuse the rest).
    func testParenthesesCountedAsBytesAgreeWithCountingCharacters() {
        let alphabet: [UInt8] = Array("()\"'\\#\n a=".utf8)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...14, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let text = String(decoding: bytes, as: UTF8.self)
            XCTAssertEqual(bytes.withUnsafeBufferPointer { ScriptReader.asciiParenthesisDepth($0) }, ScriptReader.parenthesisDepth(text), text)
        }
        for other in ["(\r\n", "（", "\u{201C}(", "é("] {
            XCTAssertNil(Array(other.utf8).withUnsafeBufferPointer { ScriptReader.asciiParenthesisDepth($0) }, other)
        }
        XCTAssertTrue(ScriptReader.isUnfinished("find customers where name = \u{201C}x\u{201D} and (tier = gold"))
        XCTAssertFalse(ScriptReader.isUnfinished("find customers where name = \u{201C})\u{201D} and (tier = gold)"))
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

    /// The reader's own trimming is Foundation's `trimmingCharacters(in: .whitespaces)`:
    /// the same blanks for every Unicode scalar, the same result on lines mixing them with
    /// combining marks, other line and paragraph separators and Chinese text.
    func testTrimmingBlanksIsFoundationsWhitespaceTrimming() {
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            XCTAssertEqual(ScriptReader.isBlank(scalar), CharacterSet.whitespaces.contains(scalar), "U+\(String(value, radix: 16))")
        }
        let pieces = [" ", "\t", "\u{3000}", "\u{A0}", "\u{2009}", "\u{301}", "\r", "\u{85}", "\u{2028}", "\u{200B}",
                      "a", "客户", "#", "--", "e\u{301}", "\u{FEFF}", "🙂", "end"]
        var generator = SystemRandomNumberGenerator()
        var lines = pieces + ["", "  ", " \u{301}x", "x \u{301}", "\t end \u{3000}"]
        for _ in 0..<3000 {
            lines.append((0..<Int.random(in: 1...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined())
        }
        for line in lines {
            XCTAssertEqual(String(ScriptReader.trimmingBlanks(Substring(line))), line.trimmingCharacters(in: .whitespaces),
                           line.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " "))
        }
        // A block is still found whatever the case of its first word, and only there.
        XCTAssertTrue(ScriptReader.isUnfinished("\u{3000}CampaiGN \"x\"\n  every 7d"))
        XCTAssertFalse(ScriptReader.isUnfinished("find customers where name = \"campaign\""))
        XCTAssertFalse(ScriptReader.isUnfinished("campaigns"))
    }
}
