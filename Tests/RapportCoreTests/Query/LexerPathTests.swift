import Foundation
import XCTest
@testable import RapportCore

/// The lexer reads a command of plain ASCII from its bytes (one character a byte) and any
/// other through its `Character`s: both paths must give the same tokens, spans, texts and
/// errors. A comment holding one accented letter sends the same command down the second.
final class LexerPathTests: XCTestCase {
    func describe(_ t: Token) -> String {
        "\(t.kind) at \(t.span.start.line):\(t.span.start.column)+\(t.span.length) \(t.text)"
    }

    func testPlainCommandsLexTheSameOnBothPaths() throws {
        let commands = [
            "find customers where id = C001500",
            "find customers where tier = gold and lastContact > 90d show id, name sort by name desc limit 20",
            "count customers by tier",
            #"update customer C1 set name = "A \"b\" \\ \n", tier = 'gold'"#,
            "find tickets where status != open and x <> 3 and y == 4 and z >= 2026-11-01 and w <= -3.5e2 and v < +7",
            "find customers where `First Name` = x and `a``b` = 1 and at-risk = yes and a-b = c-1 and x - 1 = 2",
            "find customers where tier = gold\n  and city = x # a comment\n  and y = 2",
            "find customers where n > 1.5 and m < 2e3 and d within 36h and e within 3mo",
            "a.b@c_d = (1, 2, 3) * 4 / 5 - 6 + 7 : 8",
            "\t\u{0B}\u{0C}find\u{0B}x   ",
            "",
            "   # only a comment",
            "find customers where id = $who",
        ]
        for command in commands {
            let parameters = ["who": "C000001"]
            let plain = try Lexer.tokenize(command, firstLine: 3, parameters: parameters)
            let general = try Lexer.tokenize(command + " # é", firstLine: 3, parameters: parameters)
            XCTAssertEqual(plain.dropLast().map(describe), general.dropLast().map(describe), command)
            XCTAssertEqual(plain.last?.kind, .end)
        }
    }

    func testErrorsAreTheSameOnBothPaths() {
        for command in ["find customers where x ! 3", "find customers where name = \"open", "find customers where d = 2026-13-45",
                        "find customers where d within 5parsecs", "find customers where x ~ 3", "find customers where x = $nope",
                        "find `` = 1", "find `open = 1", "find x = 99999999999999999999e999999",
                        "find x = 1e", "find x = 12abc"] {
            var errors: [String] = []
            for text in [command, command + "\n# é"] {
                do {
                    _ = try Lexer.tokenize(text, parameters: ["known": "1"])
                    errors.append("no error")
                } catch let d as Diagnostic {
                    errors.append("\(d.id) \(d.arguments) \(String(describing: d.span))")
                } catch {
                    errors.append("\(error)")
                }
            }
            XCTAssertNotEqual(errors[0], "no error", command)
            XCTAssertEqual(errors[0], errors[1], command)
        }
    }

    /// Characters the byte path never sees: their positions count characters, not bytes.
    func testOtherTextCountsCharacters() throws {
        let tokens = try Lexer.tokenize("find customers where city = 上海 and name contains “王” and x = é\u{301}1")
        XCTAssertEqual(tokens.map(\.text), ["find", "customers", "where", "city", "=", "上海", "and", "name", "contains", "“王”",
                                            "and", "x", "=", "é\u{301}1", ""])
        XCTAssertEqual(tokens[5].span, SourceSpan(start: SourceLocation(line: 1, column: 29), length: 2))
        XCTAssertEqual(tokens[9].span.start.column, 50)
        // A carriage return and line feed are one character, a space, not a new line.
        let crlf = try Lexer.tokenize("find x\r\nwhere y")
        XCTAssertEqual(crlf.map(\.text), ["find", "x", "where", "y", ""])
        XCTAssertEqual(crlf[2].span.start, SourceLocation(line: 1, column: 8))
    }
}
