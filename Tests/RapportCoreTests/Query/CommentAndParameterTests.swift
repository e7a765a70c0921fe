import XCTest
@testable import RapportCore

/// `#` comments and `$NAME` parameters, as the Lexer, the ScriptReader and the
/// Completer each see them: the three must agree where a comment starts.
final class CommentAndParameterTests: XCTestCase {
    private func kinds(_ text: String, _ parameters: [String: String] = [:]) throws -> [Token.Kind] {
        try Lexer.tokenize(text, parameters: parameters).map(\.kind).dropLast()
    }

    func testCommentRunsToTheEndOfItsLineOutsideQuotes() throws {
        XCTAssertEqual(try kinds("count customers # how many"), [.word("count"), .word("customers")])
        XCTAssertEqual(try kinds("count customers#how many"), [.word("count"), .word("customers")])
        XCTAssertEqual(try kinds("# only a comment"), [])
        XCTAssertEqual(try kinds("find customers where (tier = gold # the best\n or tier = silver)").count, 12)
        XCTAssertEqual(try kinds(#"find customers where name = "a # b" # c"#).last, .string("a # b"))
        XCTAssertEqual(try kinds("find customers where name = 'it''s' # c").suffix(2), [.string("it"), .string("s")])
        // A comment ends at the line's end; the next line is read again.
        XCTAssertEqual(try kinds("count # ( unbalanced\ncustomers"), [.word("count"), .word("customers")])
    }

    func testScriptReaderAndLexerAgreeWhereACommentStarts() throws {
        let lines = [
            "count customers # how many",
            ##"find customers where name = "#1" # not this"##,
            "find customers where name = '#' and city = “#上海” # x",
            ##"find customers where name = "a\"#" # escaped quote"##,
            "# all comment",
            "no comment here",
        ]
        for line in lines {
            let kept = String(ScriptReader.withoutComment(Substring(line)))
            XCTAssertEqual(try kinds(line), try kinds(kept), line)
            XCTAssertFalse(try Lexer.tokenize(kept).contains { $0.text.hasPrefix("#") }, line)
        }
        XCTAssertEqual(ScriptReader.withoutComment(##"find x where a = "#" # c"##), ##"find x where a = "#" "##)
    }

    func testCommentedParenthesisDoesNotContinueTheCommand() {
        XCTAssertFalse(ScriptReader.isUnfinished("count customers # (see below"))
        XCTAssertTrue(ScriptReader.isUnfinished("find customers where (tier = gold # )"))
        XCTAssertFalse(ScriptReader.isUnfinished("find customers where name = \"#(\""))
        XCTAssertFalse(ScriptReader.isUnfinished("campaign \"x\"\n  every 365d\nend # of the block"))
        let commands = ScriptReader.commands(in: "count customers # (a\ncount tickets # b\n")
        XCTAssertEqual(commands.map(\.line), [1, 2])
    }

    func testCompleterOffersNothingInAComment() {
        let completer = Completer(store: Store(), fileNames: { _ in [] })
        XCTAssertEqual(completer.complete("count customers # cou").candidates, [])
        XCTAssertEqual(completer.complete("cou").candidates, ["count"])
        // A quoted "#" is text: completion goes on after it.
        XCTAssertFalse(completer.complete(##"find customers where name = "#" and t"##).candidates.isEmpty)
        // A comment on an earlier line of the command does not stop it.
        XCTAssertFalse(completer.complete("find customers where (tier = gold # c\n and t").candidates.isEmpty)
    }

    func testParameterReadsAsTheTokenItsValueLooksLike() throws {
        let p = ["TIER": "gold", "N": "5", "X": "2.5", "D": "2026-11-01", "AGE": "90d", "CITY": "上海",
                 "NAME": "Anna Lee", "EVIL": "gold or tier = silver", "Q": "\"quoted\"", "HASH": "a#b",
                 "EMPTY": "", "SYM": "=", "NEG": "-3"]
        XCTAssertEqual(try kinds("$TIER", p), [.word("gold")])
        XCTAssertEqual(try kinds("$N", p), [.integer(5)])
        XCTAssertEqual(try kinds("$X", p), [.number(2.5)])
        XCTAssertEqual(try kinds("$D", p), [.date(Day(iso: "2026-11-01")!)])
        XCTAssertEqual(try kinds("$AGE", p), [.duration(days: 90)])
        XCTAssertEqual(try kinds("$CITY", p), [.word("上海")])
        XCTAssertEqual(try kinds("$NEG", p), [.integer(-3)])
        // Text that is not one token stays one value: it cannot add syntax.
        XCTAssertEqual(try kinds("$NAME", p), [.string("Anna Lee")])
        XCTAssertEqual(try kinds("$EVIL", p), [.string("gold or tier = silver")])
        XCTAssertEqual(try kinds("$HASH", p), [.string("a#b")])
        XCTAssertEqual(try kinds("$EMPTY", p), [.string("")])
        XCTAssertEqual(try kinds("$SYM", p), [.string("=")])
        XCTAssertEqual(try kinds("$Q", p), [.string("\"quoted\"")])
        // Inside quotes `$` is text.
        XCTAssertEqual(try kinds(#""$TIER""#, p), [.string("$TIER")])
        XCTAssertEqual(try kinds("tier=$TIER,", p), [.word("tier"), .symbol("="), .word("gold"), .symbol(",")])
    }

    func testParameterKeepsItsPositionForLaterErrors() throws {
        let tokens = try Lexer.tokenize("find customers where tier = $TIER", parameters: ["TIER": "gold"])
        XCTAssertEqual(tokens[5].span, SourceSpan(start: SourceLocation(line: 1, column: 29), length: 5))
        XCTAssertEqual(tokens[5].text, "$TIER")
    }

    func testUndefinedParameterNamesTheDefinedOnesAndTheNearest() {
        XCTAssertThrowsError(try Lexer.tokenize("find customers where tier = $TEIR", parameters: ["TIER": "gold", "CITY": "x"])) { error in
            let d = error as! Diagnostic
            XCTAssertEqual(d.kind, .usage)
            XCTAssertEqual(DiagnosticFormatter().format(d, source: "find customers where tier = $TEIR"), """
            error: unknown parameter '$TEIR' at 1:29
              find customers where tier = $TEIR
                                          ^^^^^
              did you mean '$TIER'?
              the parameters are: $CITY, $TIER

            """)
        }
        XCTAssertThrowsError(try Lexer.tokenize("count customers where tier = $T")) { error in
            XCTAssertEqual((error as! Diagnostic).notes, ["no parameters are defined: give one with --param T=VALUE"])
        }
        XCTAssertThrowsError(try Lexer.tokenize("count $ customers")) { error in
            XCTAssertEqual((error as! Diagnostic).span?.start.column, 7)
        }
    }

    func testParameterNames() {
        XCTAssertTrue(Lexer.isParameterName("TIER"))
        XCTAssertTrue(Lexer.isParameterName("_min_2"))
        XCTAssertFalse(Lexer.isParameterName("2x"))
        XCTAssertFalse(Lexer.isParameterName(""))
        XCTAssertFalse(Lexer.isParameterName("a-b"))
        XCTAssertFalse(Lexer.isParameterName("城市"))
    }

    /// `let` keeps a value that reads back on its own as `$NAME`: a parameter in it is the
    /// value it stood for, a minus sign in front of it too (`-$a` was once kept as "-$a").
    func testLetKeepsTheValueAParameterStoodFor() throws {
        func defined(_ text: String, _ parameters: [String: String]) throws -> String? {
            guard case .define(_, _, let value) = try Parser.parse(text, parameters: parameters) else { return nil }
            return value
        }
        XCTAssertEqual(try defined("let b = -$a", ["a": "5"]), "-5")
        XCTAssertEqual(try defined("let b = -$a", ["a": "2.5"]), "-2.5")
        XCTAssertEqual(try defined("let b = $a", ["a": "上海"]), "上海")
        XCTAssertEqual(try defined("let b = $a", ["a": "Hong Kong"]), "Hong Kong")
        XCTAssertEqual(try defined("let b = $a", ["a": "2025-01-31"]), "2025-01-31")
        XCTAssertEqual(try defined("let b = -7d", [:]), "-7d")
    }
}
