import XCTest
import RapportCore
import RapportTestSupport

/// Diagnostics by id: the catalogue is total, and each layer (parser, checker, changes,
/// import) reports the id it should, pointing where the marker 1️⃣ stands.
final class DiagnosticTests: XCTestCase {
    func testEveryIDHasItsOwnWording() {
        // Arguments that cannot occur in the wording itself, so each shows where it is used.
        let arguments = DiagnosticArguments((0..<6).map { "‹\($0)›" })
        var seen: [String: DiagnosticID] = [:]
        for id in DiagnosticID.allCases {
            let wording = DiagnosticMessages.wording(for: id, arguments)
            XCTAssertFalse(wording.message.isEmpty, "\(id) has no message")
            XCTAssertFalse(wording.message.hasPrefix(" ") || wording.message.hasSuffix(" "), "\(id): \(wording.message)")
            if let other = seen.updateValue(id, forKey: wording.message) {
                XCTFail("\(id) and \(other) share the wording '\(wording.message)': one id per error")
            }
            XCTAssertFalse(wording.notes.contains(where: \.isEmpty), "\(id) has an empty note")
        }
        XCTAssertEqual(DiagnosticID.allCases.map(\.rawValue), DiagnosticID.allCases.map(\.rawValue).sorted { $0.lowercased() < $1.lowercased() },
                       "ids are kept alphabetical")
    }

    func testMissingArgumentsReadAsEmptyRatherThanCrash() {
        XCTAssertEqual(DiagnosticMessages.wording(for: .unknownField, DiagnosticArguments([])).message, "unknown field ''")
    }

    func testParserDiagnostics() {
        assertDiagnostic("1️⃣fnd customers", .unknownCommand)
        assertDiagnostic("find 1️⃣custmers", .unknownEntity)
        assertDiagnostic("find customers where tier 1️⃣lik \"g%\"", .unknownOperator)
        assertDiagnostic("find customers where (tier = gold and city = \"London\"1️⃣", .unclosedParenthesis)
        assertDiagnostic("find customers where lastContact > 1️⃣2026-13-01", .invalidDate)
        assertDiagnostic("find customers where lastContact > 90d\n  and name = 1️⃣\"x", .unterminatedString)
        assertDiagnostic("delete customers 1️⃣", .conditionRequired)
    }

    /// A keyword in the wrong place is no typo: no "did you mean" naming the word itself,
    /// but where the clause goes.
    func testMisplacedClauseSuggestsTheOrderNotTheSameWord() {
        let d = assertDiagnostic("find purchases show id limit 4 1️⃣where amount > 10", .expectedToken)
        XCTAssertNil(d?.suggestion)
        XCTAssertTrue(d?.notes.contains { $0.contains("where comes right after the entity") } ?? false, "\(String(describing: d?.notes))")
        XCTAssertNil(nearestName(to: "Limit", among: ["where", "limit"]))
        XCTAssertEqual(nearestName(to: "limt", among: ["where", "limit"]), "limit")
    }

    func testCheckerDiagnostics() {
        assertDiagnostic("find customers where 1️⃣lastcontct > 90d", .unknownField)
        assertDiagnostic("find customers where 1️⃣tags = vip", .listNeedsHas)
        assertDiagnostic("find customers where tier = 1️⃣null", .nullComparison)
        assertDiagnostic("find customers where 王芳 = 1", .unknownField)
        // A warning: the query still runs.
        let warning = assertDiagnostic("find customers where tier = 1️⃣gld", .notInVocabulary)
        XCTAssertEqual(warning?.kind, .warning)
        XCTAssertEqual(warning?.suggestion, "gold")
    }

    func testChangeDiagnostics() {
        let session = RecordBuilder.sample().session()
        assertDiagnostic("add customer id = 1️⃣\"C1\", name = \"Again\"", .recordExists, in: session)
        assertDiagnostic("log contact 1️⃣C9 via phone", .customerNotFound, in: session)
        assertDiagnostic("update customers where id = C1 set 1️⃣totalSpent = 5", .derivedFieldReadOnly, in: session)
        assertDiagnostic("update customers where id = C1 set tier = 1️⃣gld", .notInVocabulary, in: session)
        assertDiagnostic("add customer id = \"C5\", name = \"x\", 1️⃣NAME = \"y\"", .fieldGivenTwice, in: session)
        // Nothing was half applied.
        XCTAssertEqual(session.store.customers.liveCount, 2)
    }

    func testImportDiagnostics() throws {
        let folder = TemporaryStore("diagnostics")
        let records = RecordBuilder().customer("C7", ["name": .string("Grace"), "tier": .string("gold")])
        let good = try folder.file("good.jsonl", records.jsonLines(.customers))
        let session = RecordBuilder.sample().session()
        assertDiagnostic("import customers from 1️⃣\"\(folder.files)/missing.jsonl\"", .cannotReadFile, in: session)
        assertDiagnostic("import customers from 1️⃣\"\(folder.files)/customers.txt\"", .unknownFileFormat, in: session)
        let bad = try folder.file("bad.jsonl", records.jsonLines(.customers) + "{\"id\": \"C8\", \"tier\": \"gld\"}\n")
        let failure = assertDiagnostic("import customers from 1️⃣\"\(bad)\"", .importFailed, in: session)
        XCTAssertEqual(failure?.arguments[1], "2", "the bad row's line")
        XCTAssertEqual(session.store.customers.liveCount, 2, "nothing was imported")
        let imported = session.run("import customers from \"\(good)\"")
        XCTAssertEqual(imported.status, .success, imported.messages)
        XCTAssertEqual(imported.diagnosticIDs, [])
    }

    func testOutcomeCarriesTheIDsOfWarningsAndErrors() {
        let session = RecordBuilder.sample().session()
        let outcome = session.run("find customers where tier = gld or tier = slver")
        XCTAssertEqual(outcome.diagnosticIDs, [.notInVocabulary, .notInVocabulary])
        XCTAssertEqual(outcome.status, .success)
        XCTAssertEqual(session.run("find customers where nope = 1").diagnosticIDs, [.unknownField])
    }

    func testFormatterSizesTheCaretForWideCharactersAndColours() {
        let text = "find customers where 城市 = \"上海\""
        let diagnostic = Diagnostic.usage(.unknownField, "城市", at: SourceSpan(start: SourceLocation(line: 1, column: 22), length: 2),
                                          suggestion: "city")
        XCTAssertEqual(DiagnosticFormatter().format(diagnostic, source: text), """
            error: unknown field '城市' at 1:22
              find customers where 城市 = "上海"
                                   ^^^^
              did you mean 'city'?

            """)
        let coloured = DiagnosticFormatter(colour: true).format(diagnostic, source: text)
        XCTAssertTrue(coloured.hasPrefix("\u{1B}[1;31merror:\u{1B}[0m unknown field"), coloured)
        let warning = Diagnostic(.warning, .notInVocabulary, ["gld", "tier", "gold, silver"])
        XCTAssertEqual(DiagnosticFormatter(colour: true).format(warning, source: nil),
                       "\u{1B}[1;35mwarning:\u{1B}[0m 'gld' is not a tier\n  tier is one of: gold, silver\n")
    }

    func testFormatterCleansControlCharactersFromEchoedText() {
        let diagnostic = Diagnostic.usage(.unknownField, "a\u{1B}[2Jb", at: SourceSpan(start: SourceLocation(line: 1, column: 1), length: 1))
        let shown = DiagnosticFormatter().format(diagnostic, source: "a\u{1B}[2Jb")
        XCTAssertFalse(shown.contains("\u{1B}"), shown)
    }
}
