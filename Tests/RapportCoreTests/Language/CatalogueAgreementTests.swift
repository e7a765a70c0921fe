import XCTest
@testable import RapportCore

/// The parser, the completer, help and `set` all read the catalogues; these tests catch
/// any reader that drifts from them.
final class CatalogueAgreementTests: XCTestCase {
    private let completer = Completer(store: Store(), fileNames: { _ in [] })

    /// The message of what `text` throws, or nil when it parses.
    private func parseError(_ text: String) -> String? {
        do { _ = try Parser.parse(text); return nil } catch let d as Diagnostic { return d.message } catch { return "\(error)" }
    }

    func testEveryWordAndAliasIsACommandToTheParser() throws {
        for spec in CommandCatalogue.all {
            for word in spec.words {
                // The lexer must read the word as one keyword, or no command can start with it.
                let tokens = try Lexer.tokenize(word)
                XCTAssertEqual(tokens.first?.keyword, word, "the lexer splits or refuses '\(word)'")
                let message = parseError(word) ?? ""
                XCTAssertFalse(message.contains("unknown command"), "\(word): \(message)")
                if spec.shellOnly {
                    XCTAssertTrue(message.contains("interactive shell only"), "\(word): \(message)")
                } else {
                    XCTAssertNotNil(spec.parseClauses, word)
                    XCTAssertFalse(message.contains("shell only"), "\(word): \(message)")
                }
                XCTAssertEqual(CommandCatalogue.spec(named: word.uppercased())?.word, spec.word, "lookup ignores case")
            }
        }
        XCTAssertTrue(parseError("frobnicate customers")?.contains("unknown command") ?? false)
    }

    func testTheParserDispatchesToTheEntryOfTheWord() throws {
        for (text, word) in [("list customers", "find"), ("checkpoint", "save"), ("help find", "help"), ("avg amount of purchases", "avg"),
                             ("delete customers where id = C1", "delete"), ("set timer on", "set"), ("show settings", "show")] {
            XCTAssertEqual(try Parser.parseStatement(text).spec.word, word, text)
        }
    }

    func testEveryEntryHasAHelpPageThatHelpListsAndThatNamesItsRole() {
        let listed = Set(Help.Group.allCases.flatMap(Help.listedWords(in:)))
        for spec in CommandCatalogue.all {
            guard let page = Help.topic(named: spec.helpTopic) else { XCTFail("no help page '\(spec.helpTopic)' for \(spec.word)"); continue }
            XCTAssertEqual(page.name, spec.helpTopic, "help \(spec.helpTopic) leads to another page")
            XCTAssertTrue(listed.contains(spec.word) || page.listed.values.contains { !$0.isEmpty },
                          "the topic list does not reach \(spec.word)'s page")
            XCTAssertNotNil(Help.topic(named: spec.word), "help \(spec.word)")
            if !spec.shellOnly {
                XCTAssertTrue(page.body.contains("Least role") && page.body.contains(spec.leastRole.rawValue),
                              "help \(spec.helpTopic) should name \(spec.word)'s least role")
            }
        }
        for spec in CommandCatalogue.all where !spec.shellOnly {
            XCTAssertTrue(Help.overview.contains(spec.word), "the overview should mention \(spec.word)")
        }
    }

    func testEveryTopicWordLeadsToAPage() {
        for word in Help.topicWords {
            XCTAssertNotNil(Help.topic(named: word), "help \(word)")
        }
        XCTAssertEqual(Help.topic(named: "daysSinceContact")?.name, "derived")
    }

    /// An alias another page has taken first is never reached from its own page. A
    /// setting's name (format) leads to settings, before formats, on purpose.
    func testEveryPageNameAndAliasLeadsToThatPage() {
        let settingNames = Set(SettingCatalogue.acceptedNames.map { $0.lowercased() })
        for page in Help.pages {
            for word in [page.name] + page.aliases where page.name == "settings" || !settingNames.contains(word.lowercased()) {
                XCTAssertEqual(Help.topic(named: word)?.name, page.name, "help \(word)")
            }
        }
        XCTAssertEqual(Help.topic(named: "churn")?.name, "value", "churn risk and why churn")
    }

    func testTheCompleterOffersExactlyTheCatalogueWordsAtTheStart() {
        XCTAssertEqual(completer.complete("").candidates, CommandCatalogue.all.map(\.word).sorted())
        for word in CommandCatalogue.all.flatMap(\.words) {
            XCTAssertNil(parseError(word).flatMap { $0.contains("unknown command") ? $0 : nil })
        }
    }

    func testEverySettingIsAcceptedBySetAndOfferedByTheCompleter() {
        let session = Session(database: Database.inMemory(Store()), settings: Settings(user: "t"), clock: Clock(now: 0, timeZone: TimeZone(identifier: "UTC")!))
        XCTAssertEqual(completer.complete("set ").candidates, (SettingCatalogue.all.map(\.name) + ["policy"]).sorted())
        for setting in SettingCatalogue.all {
            for name in setting.names {
                for value in setting.values {
                    let outcome = session.run("set \(name) \(value)")
                    XCTAssertEqual(outcome.status, .success, "set \(name) \(value): \(outcome.messages)")
                }
                XCTAssertFalse(session.run("set \(name)").messages.contains("unknown setting"), name)
            }
            XCTAssertEqual(completer.complete("set \(setting.name) ").candidates, setting.values.sorted(), setting.name)
            XCTAssertTrue(Help.text(topic: "settings").contains(setting.name), "help settings lacks \(setting.name)")
            let shown = session.run("show settings").output
            XCTAssertTrue(shown.contains(setting.name), "show settings lacks \(setting.name)")
        }
        XCTAssertEqual(session.run("set bogus on").status, .usageError)
    }

    func testRolesAreOrderedAndTheDynamicRulesHold() throws {
        XCTAssertEqual(Role.allCases.sorted(), [.trainee, .agent, .manager, .admin])
        func role(_ text: String) throws -> Role {
            let (spec, command) = try Parser.parseStatement(text)
            return spec.leastRole(for: command)
        }
        XCTAssertEqual(try role("update customers where id = C000001 set tier = gold"), .agent)
        XCTAssertEqual(try role("update customers where ID = 'C000001' set tier = gold"), .agent)
        XCTAssertEqual(try role("update customers where id in (C1, C2) set tier = gold"), .manager)
        XCTAssertEqual(try role("update customers where tier = gold set tier = silver"), .manager)
        XCTAssertEqual(try role("update all customers set tier = gold"), .manager)
        XCTAssertEqual(try role("update tickets where id = T000001 set status = closed"), .manager)
        XCTAssertEqual(try role("set now 2026-01-01"), .manager)
        XCTAssertEqual(try role("set timer on"), .trainee)
        XCTAssertEqual(try role("find customers"), .trainee)
        XCTAssertEqual(try role("delete customers where id = C1"), .admin)
        XCTAssertEqual(try role("log contact C1 via phone"), .agent)
        for spec in CommandCatalogue.all where spec.changesData {
            XCTAssertGreaterThan(spec.leastRole, .trainee, "a trainee only reads: \(spec.word)")
        }
    }
}
