import XCTest
import RapportCore

/// Where a test expects a diagnostic to point, written inside the command's text.
public let diagnosticMarker: Character = "1️⃣"

/// Runs `markedCommand` without its marker (1️⃣) and checks that it produced the
/// diagnostic `id` (an error or a warning), pointing at the marker's line and column.
/// Without a marker only the id is checked.
///
///     assertDiagnostic("find customers where 1️⃣lastcontct > 90d", .unknownField)
///
/// `session` defaults to a small in-memory store (`RecordBuilder.sample`). Returns the
/// diagnostic, for a test that checks more of it.
@discardableResult
public func assertDiagnostic(_ markedCommand: String, _ id: DiagnosticID, in session: Session? = nil,
                             file: StaticString = #filePath, line: UInt = #line) -> Diagnostic? {
    let (command, expected) = removingMarker(markedCommand)
    let outcome = (session ?? RecordBuilder.sample().session()).run(command)
    guard let diagnostic = outcome.diagnostics.first(where: { $0.id == id }) else {
        XCTFail("expected \(id) from \(command), got \(outcome.diagnosticIDs.map(\.rawValue)): \(outcome.messages)", file: file, line: line)
        return nil
    }
    if let expected {
        let actual = diagnostic.span.map { "\($0.start.line):\($0.start.column)" } ?? "no position"
        XCTAssertEqual(actual, "\(expected.line):\(expected.column)",
                       "\(id) points elsewhere than the marker in \(markedCommand)\n\(outcome.messages)", file: file, line: line)
    }
    return diagnostic
}

/// The text without the marker, and the marker's 1-based line and column in characters
/// (the units of `SourceLocation`).
public func removingMarker(_ marked: String) -> (text: String, location: SourceLocation?) {
    var text = "", location: SourceLocation?
    var line = 1, column = 1
    for c in marked {
        if c == diagnosticMarker { location = SourceLocation(line: line, column: column); continue }
        text.append(c)
        if c == "\n" { line += 1; column = 1 } else { column += 1 }
    }
    return (text, location)
}

extension RecordBuilder {
    /// Two customers, one with a contact and a purchase: enough for most commands to find
    /// something, and for a test of an error to show that nothing changed.
    public static func sample() -> RecordBuilder {
        RecordBuilder()
            .customer("C1", ["name": .string("Ada Lovelace"), "tier": .string("gold"), "city": .string("London")])
            .customer("C2", ["name": .string("王芳"), "tier": .string("silver"), "city": .string("上海")])
            .contact("K1", customer: "C1", date: "2026-11-01")
            .purchase("P1", customer: "C1", amount: 120, date: "2026-10-15")
    }
}
