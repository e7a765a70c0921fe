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
}
