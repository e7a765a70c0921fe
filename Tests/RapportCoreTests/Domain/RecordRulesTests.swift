import XCTest
@testable import RapportCore

/// The rules every path into the store shares.
final class RecordRulesTests: XCTestCase {
    func check(_ value: Value, _ field: String, _ entity: Entity) throws -> Value {
        try RecordRules.check(value, for: EntitySchema(entity: entity).field(named: field)!, in: entity)
    }

    func message(_ value: Value, _ field: String, _ entity: Entity) -> String? {
        do { _ = try check(value, field, entity); return nil } catch { return (error as? RuleViolation)?.message }
    }

    func testVocabulariesAreStoredInOneSpellingWithAliases() throws {
        XCTAssertEqual(try check(.string("Gold"), "tier", .customers), .string("gold"))
        XCTAssertEqual(try check(.string("call"), "channel", .contacts), .string("phone"))
        XCTAssertEqual(try check(.string("AT-RISK"), "stage", .customers), .string("at-risk"))
        XCTAssertEqual(message(.string("diamond"), "tier", .customers), "'diamond' is not a tier")
        XCTAssertThrowsError(try check(.string("fax"), "channel", .contacts))
        // A custom field of the same name has no vocabulary.
        let custom = Field("tier", .string, isCustom: true)
        XCTAssertEqual(try RecordRules.check(.string("diamond"), for: custom, in: .contacts), .string("diamond"))
    }

    /// preferredChannel takes the contact channels; optOut's items take them or `all`, each
    /// stored once in its spelling; a custom field of either name is the user's.
    func testConsentFieldsTakeTheChannelWords() throws {
        XCTAssertEqual(try check(.string("call"), "preferredChannel", .customers), .string("phone"))
        XCTAssertEqual(try check(.string("WeChat"), "preferredChannel", .customers), .string("wechat"))
        XCTAssertEqual(message(.string("fax"), "preferredChannel", .customers), "'fax' is not a preferredChannel")
        XCTAssertEqual(try check(.list(["SMS", "微信", "sms", "All"]), "optOut", .customers), .list(["sms", "wechat", "all"]))
        XCTAssertEqual(message(.list(["sms", "emial"]), "optOut", .customers), "'emial' cannot be an item of optOut")
        do { _ = try check(.list(["emial"]), "optOut", .customers) } catch let v as RuleViolation {
            XCTAssertEqual(v.id, .listItemNotInVocabulary)
            XCTAssertEqual(v.suggestion, "email")
        }
        XCTAssertEqual(try check(.list(["VIP", "vip"]), "tags", .customers), .list(["VIP", "vip"]), "tags have no vocabulary")
        let custom = Field("optOut", .list, isCustom: true)
        XCTAssertEqual(try RecordRules.check(.list(["fax"]), for: custom, in: .contacts), .list(["fax"]))
    }

    func testIdsAreNeitherEmptyNorPaddedNorControl() throws {
        XCTAssertEqual(try check(.string("C1"), "id", .customers), .string("C1"))
        XCTAssertEqual(message(.string(""), "id", .customers), "an id cannot be empty")
        XCTAssertEqual(message(.string(" C1"), "id", .customers), "an id cannot start or end with a space")
        XCTAssertEqual(message(.string("C1 "), "id", .purchases), "an id cannot start or end with a space")
        XCTAssertEqual(message(.string("C\u{7}1"), "id", .customers), "an id cannot contain control characters")
        XCTAssertEqual(message(.string(" C1"), "customer", .purchases), "a customer id cannot start or end with a space")
    }

    func testSatisfactionAmountsNumbersAndDates() throws {
        XCTAssertEqual(try check(.integer(5), "satisfaction", .customers), .integer(5))
        XCTAssertEqual(message(.integer(0), "satisfaction", .customers), "satisfaction is from 1 to 5, found 0")
        XCTAssertEqual(message(.integer(6), "satisfaction", .customers), "satisfaction is from 1 to 5, found 6")
        XCTAssertEqual(try check(.number(12.345), "amount", .purchases), .number(12.35), "amounts are kept in cents")
        XCTAssertNotNil(message(.number(0), "amount", .purchases))
        XCTAssertNotNil(message(.number(-3), "amount", .purchases))
        XCTAssertNotNil(message(.number(1e12), "amount", .purchases))
        XCTAssertNotNil(message(.number(.infinity), "totalSpent", .customers))
        XCTAssertNotNil(message(.date(Day(daysSinceEpoch: Int32.max)), "birthday", .customers))
        XCTAssertEqual(try check(.date(Day(iso: "2026-02-28")!), "birthday", .customers), .date(Day(iso: "2026-02-28")!))
    }

    func testLoyaltyIsOnePointPerWholeUnit() {
        XCTAssertEqual(Loyalty.points(forAmount: 12.99), 12)
        XCTAssertEqual(Loyalty.points(forAmount: 0.5), 0)
        XCTAssertEqual(Loyalty.points(forAmount: 100), 100)
        XCTAssertEqual(Loyalty.points(forAmount: .nan), 0)
    }

    func testDerivedFieldsNameTheRecordsThatKeepThem() {
        XCTAssertEqual(CustomerField.keptFromRecords[CustomerField.totalSpent], "purchases")
        XCTAssertEqual(CustomerField.keptFromRecords[CustomerField.lastContact], "contacts")
        XCTAssertNil(CustomerField.keptFromRecords[CustomerField.points], "points is derived from the ledger, not kept")
        for name in CustomerField.keptFromRecords.keys { XCTAssertNotNil(EntitySchema(entity: .customers).position(of: name), name) }
    }

    /// add and update refuse what import stores with a warning: one rule, two outcomes.
    func testEmailsMustBeAddressesAndPhonesNeedDigits() throws {
        for good in ["wang@example.com", "a.b+tag@mail.example.cn", "王@例子.中国"] {
            XCTAssertNil(message(.string(good), "email", .customers), good)
        }
        for bad in ["wang.example.com", "a@b@example.com", "@example.com", "wang@example", "wang@.com", "wang@example.", "wang fang@example.com"] {
            XCTAssertEqual(message(.string(bad), "email", .customers), "email '\(bad)' is not an address", bad)
        }
        XCTAssertNil(message(.string("+86 (138) 0013-8000"), "phone", .customers))
        XCTAssertEqual(message(.string("call me"), "phone", .customers), "phone 'call me' has no digits")
        // A custom field of the same name is the user's.
        XCTAssertEqual(try RecordRules.check(.string("none"), for: Field("phone", .string, isCustom: true), in: .customers), .string("none"))

        var warning: RuleViolation?
        let stored = try RecordRules.check(.string("none"), for: EntitySchema(entity: .customers).field(named: "phone")!, in: .customers,
                                           formatWarning: &warning)
        XCTAssertEqual(stored, .string("none"))
        XCTAssertEqual(warning?.id, .phoneWithoutDigits)
        XCTAssertEqual(warning?.kind, .runtime)
    }

    /// Each field's rule is worked out once from its name and entity (import: once per key
    /// list). Every built-in field of every entity, and a custom field of each name, against
    /// the rules as they read when they were decided per value by the field's name: the
    /// same stored value, or the same refusal, and the same format warning.
    func testEachFieldsRuleIsWhatItsNameAndEntityCallFor() throws {
        func reference(_ value: Value, _ field: Field, _ entity: Entity) throws -> (Value, DiagnosticID?) {
            var checked = value
            if !field.isCustom {
                let vocabulary = Vocabulary.of(field.name, in: entity)
                switch value {
                case .number(let d):
                    guard d.isFinite else { throw RuleViolation(.nonFiniteNumber, field.name) }
                    if entity == .purchases, field.name == "amount" { checked = .number(try RecordRules.amount(d)) }
                case .integer(let i):
                    if entity == .customers, field.name == "satisfaction", !(1...5).contains(i) { throw RuleViolation(.satisfactionOutOfRange, String(i)) }
                    if entity == .surveys, field.name == "score", !(1...5).contains(i) { throw RuleViolation(.satisfactionOutOfRange, String(i)) }
                    if entity == .surveys, field.name == "nps", !(0...10).contains(i) { throw RuleViolation(.npsOutOfRange, String(i)) }
                case .string(let text):
                    if let vocabulary {
                        guard let word = vocabulary.canonical(text) else { throw RuleViolation(.notInVocabulary, text, field.name, "") }
                        checked = .string(word)
                    } else if field.name == "id" || (entity != .customers && field.name == "customer") {
                        try RecordRules.checkID(text, what: field.name == "id" ? "an id" : "a customer id")
                    }
                case .list(let items):
                    if let vocabulary { checked = .list(try RecordRules.words(items, of: vocabulary, field: field.name)) }
                default: break
                }
            } else if case .number(let d) = value, !d.isFinite {
                throw RuleViolation(.nonFiniteNumber, field.name)
            }
            var warning: DiagnosticID?
            if entity == .customers, !field.isCustom, case .string(let text) = checked {
                if field.name == "email", !RecordRules.isEmailAddress(text) { warning = .emailNotAnAddress }
                if field.name == "phone", ContactKeys.phone(text) == nil { warning = .phoneWithoutDigits }
            }
            return (checked, warning)
        }
        let values: [Value] = [
            .null, .string("gold"), .string("GOLD"), .string("call"), .string("Open"), .string("diamond"), .string(""),
            .string(" C1"), .string("C\u{7}1"), .string("wang@example.com"), .string("wang.example.com"),
            .string("call me"), .string("+86 138 0013 8000"), .integer(0), .integer(3), .integer(6), .integer(11),
            .number(0), .number(12.345), .number(.infinity), .list(["SMS", "sms", "all"]), .list(["fax"]), .boolean(true),
        ]
        var fieldsChecked = 0
        for entity in Entity.stored {
            for builtIn in EntitySchema(entity: entity).fields {
                for field in [builtIn, Field(builtIn.name, builtIn.type, isCustom: true)] {
                    fieldsChecked += 1
                    for value in values {
                        let what = "\(entity).\(field.name)\(field.isCustom ? " (custom)" : "") = \(value)"
                        var warning: RuleViolation?
                        let got = Result { try RecordRules.check(value, for: field, in: entity, formatWarning: &warning) }
                        switch (got, Result { try reference(value, field, entity) }) {
                        case (.success(let stored), .success(let expected)):
                            XCTAssertEqual(stored, expected.0, what)
                            XCTAssertEqual(warning?.id, expected.1, what)
                        case (.failure(let error), .failure(let expected)):
                            XCTAssertEqual((error as? RuleViolation)?.id, (expected as? RuleViolation)?.id, what)
                            XCTAssertEqual((error as? RuleViolation)?.arguments.prefix(2), (expected as? RuleViolation)?.arguments.prefix(2), what)
                        default:
                            XCTFail("\(what): \(got) against \(Result { try reference(value, field, entity) })")
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(fieldsChecked, 60)
    }
}
