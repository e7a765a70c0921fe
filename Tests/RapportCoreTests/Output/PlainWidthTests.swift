import XCTest
@testable import RapportCore

/// Tables take the width of plain text (printable ASCII, CJK ideographs U+4E00 to U+9FFF)
/// from its bytes, skipping the control-character cleaning and the per-character width.
/// Both shortcuts must give what the general path gives.
final class PlainWidthTests: XCTestCase {
    func testPlainTextWidthIsTheCharacterWidthAndNeedsNoCleaning() {
        let plain = ["", "a", "C000123", "王芳", "王 芳 Wang", "上海市", "x一", "龥", "~!@#$%^&*()_+{}|:\"<>?", "\u{4E00}\u{9FFF}"]
        for s in plain {
            XCTAssertEqual(DisplayWidth.plainWidth(s), DisplayWidth.of(s), s)
            XCTAssertEqual(TerminalText.clean(s), s, s)
        }
    }

    func testAnythingElseTakesTheGeneralPath() {
        // Controls, DEL, C1, accents, combining marks, Hangul, emoji, CJK outside the
        // range (extension A, compatibility ideographs), fullwidth forms.
        for s in ["a\tb", "a\u{7F}", "\u{85}", "é", "e\u{301}", "김", "🙂", "\u{3400}", "\u{F9F4}", "Ａ", "。"] {
            XCTAssertNil(DisplayWidth.plainWidth(s), s)
        }
    }

    /// A table mixing plain and other cells lines up as the general widths say.
    func testTablesPadMixedCellsByTheirWidths() {
        let result = ResultSet(columns: ["name", "n"], rows: [
            [.string("王芳"), .integer(1)], [.string("e\u{301}cole"), .integer(22)], [.string("tab\there"), .integer(333)],
            [.string("Kim 김"), .null], [.string("x"), .integer(4)],
        ])
        let text = ResultRenderer(format: .table, timeZone: TimeZone(identifier: "UTC")!).render(result)
        func sp(_ n: Int) -> String { String(repeating: " ", count: n) }
        XCTAssertEqual(text, [
            "name" + sp(8) + "n", "--------  ---",
            "王芳" + sp(8) + "1", "e\u{301}cole" + sp(6) + "22", "tab here  333", "Kim 김", "x" + sp(11) + "4", "(5 rows)",
        ].joined(separator: "\n") + "\n")
    }
}
