import Foundation
import XCTest
@testable import RapportCore

/// The policy's keys: values read back as written, documented, persisted, completed.
final class PolicyTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func testEveryDefaultReadsBackAsWrittenAndLiesInItsRange() {
        XCTAssertEqual(Set(PolicyCatalogue.all.map { $0.name.lowercased() }).count, PolicyCatalogue.all.count, "two keys share a name")
        for key in PolicyCatalogue.all {
            let written = key.format(key.defaultValue)
            XCTAssertEqual(key.parse(written), key.defaultValue, "\(key.name): \(written)")
            XCTAssertTrue(key.accepts(key.defaultValue), key.name)
            XCTAssertFalse(key.help.isEmpty, key.name)
        }
    }

    /// Durations print as service targets are spoken of: minutes and hours up to three
    /// days, days from four days up.
    func testDurationsPrintAsTargetsAreSpokenOf() {
        let shown = { (name: String) in PolicyCatalogue.key(named: name).map { $0.format($0.defaultValue) } }
        XCTAssertEqual(shown("response.phone"), "3min")
        XCTAssertEqual(shown("response.wechat"), "1h")
        XCTAssertEqual(shown("response.email"), "24h")
        XCTAssertEqual(shown("resolution.normal"), "72h")
        XCTAssertEqual(shown("resolution.low"), "7d")
        XCTAssertEqual(shown("points.expiry"), "365d")
        let key = PolicyCatalogue.key(named: "revisit.A")!
        XCTAssertEqual(key.format(90), "90s")
        XCTAssertEqual(key.format(5_400), "90min")
        XCTAssertEqual(key.format(0), "0d")
    }

    /// A key added without its line in docs/policy.md fails here.
    func testDocsNameEveryKeyWithItsDefault() throws {
        let text = try String(contentsOf: PolicyTests.root.appendingPathComponent("docs/policy.md"), encoding: .utf8)
        for key in PolicyCatalogue.all {
            let row = text.split(separator: "\n").first { $0.hasPrefix("| `\(key.name)` |") }
            XCTAssertNotNil(row, "docs/policy.md has no row for \(key.name)")
            XCTAssertTrue(row?.contains("| \(key.kind.rawValue) | `\(key.format(key.defaultValue))` |") ?? false,
                          "docs/policy.md: \(key.name) is \(key.kind.rawValue) with default \(key.format(key.defaultValue)): \(row ?? "")")
        }
    }

    func testQueriesAndPolicyValuesShareTheDurationUnits() throws {
        for (text, days) in [("3min", 3.0 / 1440), ("90s", 90.0 / 86_400), ("2w", 14), ("36h", 1.5), ("1y", 365)] {
            let tokens = try Lexer.tokenize(text)
            XCTAssertEqual(tokens.first?.kind, .duration(days: days), text)
            XCTAssertEqual(PolicyKey.parseDuration(text), days * 86_400, text)
        }
        XCTAssertThrowsError(try Lexer.tokenize("3fortnights"))
    }

    func testJournalEntryRoundTripsPolicyChangesAndRefusesAnUnknownKey() throws {
        var set = ChangeSet(at: 1_800_000_000, user: "alice", command: "set policy ltv.discountRate = 0.08")
        set.sequence = 4
        set.role = .admin
        set.policyChanges = [PolicyChange(key: "ltv.discountRate", before: 0.1, after: 0.08)]
        let bytes = JournalCodec.encode(set) { Store()[$0].schema }
        XCTAssertTrue(bytes.starts(with: Array(#"{"seq":4,"version":\#(FormatMigrations.entryVersion),"#.utf8)))
        XCTAssertEqual(try JournalCodec.decode(bytes.dropLast(), store: Store()), set)

        let store = Store()
        store.apply(set)
        XCTAssertEqual(store.policy.value(PolicyCatalogue.key(named: "ltv.discountRate")!), 0.08)
        XCTAssertEqual(store.policyVersion, 1)

        let body = #"{"seq":1,"version":3,"at":"2026-11-19T16:00:00Z","user":"u","role":"admin","command":"x","fields":[],"changes":[],"policy":[{"key":"no.such","before":1,"after":2}]}"#
        let line = Array(body.utf8) + [9] + Array(JournalCodec.hex(CRC32.checksum(Array(body.utf8))).utf8)
        XCTAssertThrowsError(try JournalCodec.decode(line[...], store: Store()))
    }

    func testSnapshotKeepsTheOverridesOnly() throws {
        let store = Store()
        var set = ChangeSet(at: 0, user: "u", command: "x")
        set.policyChanges = [PolicyChange(key: "response.phone", before: 180, after: 300),
                             PolicyChange(key: "ltv.margin", before: 1, after: 0.35)]
        store.apply(set)
        let bytes = SnapshotCodec.encode(store)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.contains(#""policy":{"response.phone":300,"ltv.margin":0.35},"#), text)
        XCTAssertEqual(try SnapshotCodec.read(bytes).policy, store.policy)
        XCTAssertEqual(try SnapshotCodec.read(SnapshotCodec.encode(Store())).policy, .defaults)

        let bad = text.replacingOccurrences(of: "\"ltv.margin\":0.35", with: "\"ltv.margin\":3.5")
        let body = bad[..<bad.range(of: #""checksum":""#)!.upperBound]
        let resealed = Array((body + JournalCodec.hex(CRC32.checksum(Array(body.dropLast(12).utf8))) + "\"}\n").utf8)
        XCTAssertThrowsError(try SnapshotCodec.read(resealed)) { error in
            XCTAssertTrue("\(error)".contains("policy ltv.margin cannot be 3.5"), "\(error)")
        }
    }

    func testShowPolicyOfPartOfAWordSuggestsTheShortestPrefixItStarts() {
        let span = SourceSpan(start: SourceLocation(line: 1, column: 13), length: 5)
        XCTAssertThrowsError(try PolicyCommands.table(.defaults, prefix: "resol", span: span)) { error in
            XCTAssertEqual((error as? Diagnostic)?.suggestion, "resolution")
        }
        XCTAssertEqual(PolicyCommands.suggestion(for: "Tier.Go"), "tier.gold")
        XCTAssertEqual(PolicyCommands.suggestion(for: "resolutoin"), "resolution", "a typo still gets the nearest prefix")
        XCTAssertNil(PolicyCommands.suggestion(for: "nosuch"))
    }

    func testCompletionOffersPolicyAndItsKeys() {
        let completer = Completer(backend: InMemoryBackend(database: .inMemory()))
        XCTAssertTrue(completer.complete("show ").candidates.contains("policy"))
        XCTAssertTrue(completer.complete("set ").candidates.contains("policy"))
        XCTAssertEqual(completer.complete("set policy resolution.u").candidates, ["resolution.urgent"])
        XCTAssertEqual(completer.complete("set policy REVISIT.").candidates.count, 6)
        XCTAssertEqual(completer.complete("set policy ").candidates.count, PolicyCatalogue.all.count)
        XCTAssertEqual(completer.complete("show policy ltv.h").candidates, ["ltv.horizon"])
        XCTAssertEqual(completer.complete("set policy ltv.horizon ").candidates, ["="])
    }
}
