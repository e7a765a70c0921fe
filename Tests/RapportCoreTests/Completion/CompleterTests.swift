import Foundation
import XCTest
@testable import RapportCore

/// A small store for completion: a custom string and a custom integer field, Chinese
/// cities, a city with a space, a value no live row holds any more, and one record of
/// each other entity.
private enum CompleterFixtures {
    static func store() -> Store {
        let store = Store()
        let customers = store.customers
        customers.addField(Field("region", .string))
        customers.addField(Field("loyaltyScore", .integer))
        add(customers, "C1", ["name": .string("王芳"), "tier": .string("gold"), "city": .string("上海"),
                              "tags": .list(["vip", "老客户"]), "region": .string("East China"), "loyaltyScore": .integer(5)])
        add(customers, "C2", ["name": .string("Anna"), "tier": .string("Gold"), "city": .string("Berlin"),
                              "tags": .list(["VIP"]), "region": .string("europe")])
        add(customers, "C3", ["name": .string("李芳芳"), "tier": .string("silver"), "city": .string("北京"), "region": .string("north")])
        add(customers, "C10", ["name": .string("Lee"), "city": .string("Hong Kong"), "tags": .list(["b2b"])])
        add(customers, "C11", ["name": .string("Typo"), "city": .string("Shangai")])
        // The misspelt city is corrected: no live row holds "Shangai" any more.
        customers.set(row: customers.row(ofID: "C11")!, field: customers.schema.position(of: "city")!, to: .string("上海"))
        add(customers, "D1", ["name": .string("Other prefix"), "city": .string("广州")])

        add(store[.contacts], "K1", ["customer": .string("C1"), "channel": .string("phone"), "note": .string("hello")])
        add(store[.purchases], "P1", ["customer": .string("C1"), "amount": .number(12), "product": .string("Tea sampler")])
        add(store[.purchases], "P2", ["customer": .string("C2"), "amount": .number(30), "product": .string("茶具套装")])
        add(store[.tickets], "T1", ["customer": .string("C1"), "kind": .string("complaint"), "priority": .string("high"),
                                    "status": .string("open")])
        return store
    }

    static func add(_ table: Table, _ id: String, _ fields: [String: Value]) {
        var record = [Value](repeating: .null, count: table.schema.fields.count)
        record[0] = .string(id)
        for (k, v) in fields { record[table.schema.position(of: k)!] = v }
        table.append(record)
    }

    static let files = ["data/", "data.csv", "dump.jsonl", "notes.txt", "Daily.JSON", "my file.csv"]
}

final class CompleterTests: XCTestCase {
    private let store = CompleterFixtures.store()

    private var completer: Completer {
        Completer(store: store, lessons: ["basics", "campaigns", "first-queries", "zh-first-queries"]) { prefix in
            CompleterFixtures.files.filter { $0.lowercased().hasPrefix(prefix.lowercased()) }
        }
    }

    private func candidates(_ line: String, cursor: Int? = nil) -> [String] {
        completer.complete(line, cursor: cursor).candidates
    }

    // MARK: Command words and entities

    func testCommandWordsAtTheStart() {
        let all = candidates("")
        for word in ["find", "count", "sum", "avg", "min", "max", "add", "update", "delete", "log", "open", "import",
                     "export", "show", "save", "check", "backup", "help", "set", "edit", "history", "exit"] {
            XCTAssertTrue(all.contains(word), word)
        }
        for word in Parser.commandWords { XCTAssertTrue(all.contains(word), "parser command \(word) missing") }
        XCTAssertEqual(all, all.sorted())
        XCTAssertEqual(candidates("fi"), ["find"])
        XCTAssertEqual(candidates("FI"), ["find"])
        XCTAssertEqual(candidates("s"), ["save", "set", "show", "sum"])
        XCTAssertEqual(candidates("e"), ["edit", "exit", "export"])
        XCTAssertEqual(completer.complete("  sh"), Completion(replacementStart: 2, candidates: ["show"]))
        XCTAssertEqual(candidates("zz"), [])
    }

    /// `restore` offers the ids in the bin, of any entity, and never a live one;
    /// `find deleted ENTITY` goes on like `find ENTITY`.
    func testRestoreOffersTheIDsInTheBin() {
        var set = ChangeSet(at: 0, user: "u", command: "delete")
        set.sequence = 1
        set.changes = [RecordChange(kind: .delete, entity: .customers, id: "C10"), RecordChange(kind: .delete, entity: .contacts, id: "K1")]
        store.apply(set)
        XCTAssertEqual(candidates("restore "), ["C10", "K1"])
        XCTAssertEqual(candidates("restore c"), ["C10"])
        XCTAssertEqual(candidates("purge "), ["older"])
        XCTAssertEqual(candidates("find deleted customers wh"), ["where"])
        // `deleted` is offered where an entity may follow it: find and count, not export.
        XCTAssertEqual(candidates("find de"), ["deleted"])
        XCTAssertEqual(candidates("count del"), ["deleted"])
        XCTAssertEqual(candidates("find deleted "), candidates("export "))
        XCTAssertEqual(candidates("count deleted customers "), ["by", "where"])
        XCTAssertEqual(candidates("export de"), [])
    }

    func testEntityNames() {
        // The audit trail is queried like any other entity (but never written: not after import, update, add).
        let entities = ["audit", "contacts", "customers", "events", "messages", "points", "purchases", "runs", "surveys", "tasks", "tickets", "touchpoints"]
        XCTAssertEqual(candidates("find "), (entities + ["deleted", "duplicates"]).sorted(), "find deleted and find duplicates too")
        XCTAssertEqual(candidates("count cu"), ["customers"])
        XCTAssertEqual(candidates("delete t"), ["tasks", "tickets", "touchpoints"])
        XCTAssertEqual(candidates("update P"), ["purchases"], "update refuses the points ledger")
        XCTAssertEqual(candidates("import c"), ["contacts", "customers"])
        XCTAssertEqual(candidates("export "), entities)
        XCTAssertEqual(candidates("show fields "), entities)
        XCTAssertEqual(candidates("add c"), ["contact", "customer"])
        // After `of`, the entities that have the field.
        XCTAssertEqual(candidates("sum totalSpent of "), ["customers"])
        XCTAssertEqual(candidates("avg amount of "), ["purchases"])
        XCTAssertEqual(candidates("max date of "), ["contacts", "points", "purchases", "surveys"])
        XCTAssertEqual(candidates("sum nosuchfield of "), entities)
        XCTAssertEqual(candidates("sum points "), ["of"])
    }

    // MARK: Fields

    func testFieldsAfterWhereIncludeCustomFields() {
        let fields = candidates("find customers where ")
        for f in ["id", "name", "city", "tier", "lastContact", "tags", "region", "loyaltyScore", "not"] {
            XCTAssertTrue(fields.contains(f), f)
        }
        XCTAssertFalse(fields.contains("amount"))
        XCTAssertEqual(candidates("find customers where last"), ["lastContact", "lastPurchase"])
        XCTAssertEqual(candidates("find customers where LASTC"), ["lastContact"])
        XCTAssertEqual(candidates("find customers where reg"), ["region"])
        XCTAssertEqual(candidates("find customers where tier = gold and ti"), ["tier"])
        XCTAssertEqual(candidates("find customers where tier = gold or lo"), ["lostReason", "loyaltyScore"], "the built-in lostReason beside the custom field")
        XCTAssertEqual(candidates("find customers where not ci"), ["city"])
        XCTAssertEqual(candidates("find customers where (ci"), ["city"])
        XCTAssertEqual(candidates("find customers where not (tier = gold or (ci"), ["city"])
        XCTAssertEqual(candidates("find tickets where pr"), ["priority"])
        XCTAssertEqual(candidates("count contacts where ch"), ["channel"])
        XCTAssertEqual(candidates("delete customers where sta"), ["stage"])
        XCTAssertEqual(candidates("export customers where re"), ["region"])
    }

    func testFieldsInSortShowBySetAndAdd() {
        let sortable = candidates("find customers sort by ")
        XCTAssertTrue(sortable.contains("totalSpent"))
        XCTAssertTrue(sortable.contains("region"))
        XCTAssertFalse(sortable.contains("tags"), "lists cannot be sorted")
        XCTAssertFalse(candidates("find customers sort by name, ").contains("name"))
        XCTAssertEqual(candidates("find customers where tier = gold sort by points desc, to"), ["totalSpent"])
        XCTAssertEqual(candidates("find customers order by po"), ["points", "pointsExpiringNext"])
        XCTAssertEqual(candidates("find customers show na"), ["name"])
        XCTAssertEqual(candidates("find customers limit 5 show id, na"), ["name"])
        XCTAssertFalse(candidates("find customers show id, name, ").contains("name"))
        XCTAssertTrue(candidates("find customers show id, name, ").contains("region"))
        XCTAssertEqual(candidates("count customers by ci"), ["city"])
        XCTAssertEqual(candidates("count customers where tier = gold by re"), ["region"])
        XCTAssertEqual(candidates("sum points of customers group by ti"), ["tier"])
        XCTAssertEqual(candidates("update customers set ti"), ["tier"])
        XCTAssertFalse(candidates("update customers set ").contains("id"), "ids do not change")
        XCTAssertEqual(candidates("update customers where tier = gold set points = 5, re"), ["region"])
        XCTAssertEqual(candidates("update al"), ["all"])
        XCTAssertEqual(candidates("update all cu"), ["customers"])
        XCTAssertEqual(candidates("update all customers "), ["set"])
        XCTAssertEqual(candidates("update all customers set ti"), ["tier"])
        XCTAssertEqual(candidates("delete all t"), ["tasks", "tickets", "touchpoints"])
        XCTAssertEqual(candidates("add customer na"), ["name"])
        XCTAssertEqual(candidates("add customer name: \"x\", ti"), ["tier"])
    }

    func testAggregateFieldsAreNumeric() {
        let sum = candidates("sum ")
        XCTAssertEqual(Set(sum), ["amount", "change", "loyaltyScore", "points", "purchaseCount", "satisfaction", "totalSpent",
                                  "daysSinceContact", "daysSincePurchase", "contactCount", "openTickets", "ltv", "score", "nps",
                                  "targeted", "skipped", "sent", "applied", "attempts", "pointsExpiringNext", "seq"])
        XCTAssertEqual(candidates("avg p"), ["points", "pointsExpiringNext", "purchaseCount"])
        let max = candidates("max ")
        XCTAssertTrue(max.contains("birthday"))
        XCTAssertTrue(max.contains("openedAt"))
        XCTAssertFalse(max.contains("tags"))
        XCTAssertFalse(max.contains("name"))
        XCTAssertEqual(candidates("min loyaltyScore of customers where ci"), ["city"])
    }

    // MARK: Operators

    func testOperatorsFitTheFieldType() {
        let text = candidates("find customers where tier ")
        for op in ["=", "!=", "<", "in", "not in", "between", "contains", "starts with", "ends with", "is null", "is not null"] {
            XCTAssertTrue(text.contains(op), op)
        }
        XCTAssertFalse(text.contains("has"))
        XCTAssertFalse(text.contains("within"))
        XCTAssertEqual(candidates("find customers where tags "), ["has", "has all", "has any", "is not null", "is null",
                                                                  "not has", "not has all", "not has any"])
        XCTAssertTrue(candidates("find customers where birthday ").contains("within"))
        // within is a yearly recurrence: refused on past events, so not offered there.
        XCTAssertFalse(candidates("find customers where lastContact ").contains("within"))
        XCTAssertTrue(candidates("find customers where lastContact ").contains("not between"))
        XCTAssertFalse(candidates("find customers where points ").contains("contains"))
        XCTAssertTrue(candidates("find customers where loyaltyScore ").contains(">="))
        XCTAssertEqual(candidates("find customers where region s"), ["starts with"])
        XCTAssertEqual(candidates("find customers where tier is "), ["not null", "null"])
        XCTAssertEqual(candidates("find customers where tier is not "), ["null"])
        XCTAssertEqual(candidates("find customers where tier not "), ["between", "contains", "ends with", "in", "starts with"])
        XCTAssertEqual(candidates("find customers where points not "), ["between", "in"])
        XCTAssertEqual(candidates("find customers where tier not s"), ["starts with"])
    }

    func testABooleanFieldMayStandAlone() {
        store.customers.addField(Field("vip", .boolean))
        XCTAssertTrue(candidates("find customers where vip ").contains("and"))
        XCTAssertTrue(candidates("find customers where vip and ").contains("tier"))
        XCTAssertTrue(candidates("find customers where (vip) ").contains("or"))
        XCTAssertEqual(candidates("find customers where vip = "), ["false", "true"])
        XCTAssertEqual(candidates("find customers where name starts "), ["with"])
        XCTAssertEqual(candidates("find customers where points between 1 "), ["and"])
        XCTAssertEqual(candidates("find customers where city !"), ["!="])
        // An unknown field gets every operator.
        XCTAssertTrue(candidates("find customers where nosuch ").contains("has any"))
    }

    func testRelationsOfferRecordEntitiesThenTheirFields() {
        XCTAssertTrue(candidates("find customers where ").contains("any"))
        XCTAssertFalse(candidates("find contacts where ").contains("any"))
        XCTAssertEqual(candidates("find customers where any "), ["contact", "purchase", "ticket"])
        XCTAssertEqual(candidates("find customers where count t"), ["ticket"])
        // Inside the parentheses, the inner entity's fields; after them, the customers' again.
        let inner = candidates("find customers where any purchase(")
        XCTAssertTrue(inner.contains("amount") && inner.contains("product"), "\(inner)")
        XCTAssertFalse(inner.contains("tier"))
        XCTAssertEqual(candidates("find customers where no ticket(status = open) and ti"), ["tier"])
        XCTAssertTrue(candidates("find customers where any purchase(date <= 1y and am").contains("amount"))
        XCTAssertTrue(candidates("find customers where any purchase ").contains("and"))
        XCTAssertEqual(candidates("find customers where count contact(date <= 90d) >= 3 a"), ["and"])
    }

    // MARK: Values

    func testValuesOfLowCardinalityFields() {
        // The tier vocabulary, with the data's "Gold" folded into "gold".
        XCTAssertEqual(candidates("find customers where tier = "), ["bronze", "gold", "platinum", "silver"])
        XCTAssertEqual(candidates("find customers where tier != G"), ["gold"])
        XCTAssertEqual(candidates("find customers where city = "), ["\"Hong Kong\"", "Berlin", "上海", "北京", "广州"])
        XCTAssertEqual(candidates("find customers where city = 上"), ["上海"])
        XCTAssertEqual(candidates("find customers where city = BER"), ["Berlin"])
        XCTAssertEqual(completer.complete("find customers where city = ho"),
                       Completion(replacementStart: 28, candidates: ["\"Hong Kong\""]))
        // Begun with a quote: replaced from the quote, and quoted.
        XCTAssertEqual(completer.complete("find customers where city = \"ho"),
                       Completion(replacementStart: 28, candidates: ["\"Hong Kong\""]))
        XCTAssertEqual(candidates("find customers where city = \"北"), ["\"北京\""])
        XCTAssertEqual(candidates("find customers where region = "), ["\"East China\"", "europe", "north"])
        XCTAssertEqual(candidates("find customers where grade = "), ["A", "B", "C", "D"])
        XCTAssertEqual(candidates("find customers where stage = at"), ["at-risk"])
        // The corrected misspelling is gone.
        XCTAssertEqual(candidates("find customers where city = S"), [])
        // Not after operators that do not compare whole values.
        XCTAssertEqual(candidates("find customers where city contains "), [])
        XCTAssertEqual(candidates("find customers where points = "), [])
    }

    func testValuesInListsAndHas() {
        XCTAssertEqual(candidates("find customers where city in (上海, "), ["\"Hong Kong\"", "Berlin", "北京", "广州"])
        XCTAssertEqual(candidates("find customers where city not in (b"), ["Berlin"])
        XCTAssertEqual(candidates("find customers where city in （上海，北"), ["北京"])
        XCTAssertEqual(candidates("find customers where tier in (gold, silver, "), ["bronze", "platinum"])
        XCTAssertEqual(candidates("find customers where tags has "), ["all", "any", "b2b", "vip", "老客户"])
        XCTAssertEqual(candidates("find customers where tags has any (vip, "), ["b2b", "老客户"])
        XCTAssertEqual(candidates("find customers where tags has all (V"), ["vip"])
        XCTAssertEqual(candidates("find customers where tags has 老"), ["老客户"])
        XCTAssertEqual(candidates("find tickets where priority in ("), ["high", "low", "normal", "urgent"])
        XCTAssertEqual(candidates("find tickets where status = "), ["closed", "open", "pending", "resolved", "responded"])
        XCTAssertEqual(candidates("find purchases where product = "), ["\"Tea sampler\"", "茶具套装"])
        XCTAssertEqual(candidates("update customers set tier = p"), ["platinum"])
        XCTAssertEqual(candidates("add customer tags: (vip, "), ["b2b", "老客户"])
    }

    func testFieldsWithManyValuesOfferNone() {
        let store = Store()
        for i in 0..<(Completer.maxDistinctValues + 1) {
            CompleterFixtures.add(store.customers, "C\(i)", ["city": .string("city\(i)"), "tier": .string("gold")])
        }
        let completer = Completer(store: store)
        XCTAssertEqual(completer.complete("find customers where city = ci").candidates, [])
        XCTAssertEqual(completer.complete("find customers where city in (").candidates, [])
        XCTAssertEqual(completer.complete("find customers where tier = ").candidates, ["bronze", "gold", "platinum", "silver"])
        CompleterFixtures.add(store.customers, "X", ["owner": .string("张伟")])
        XCTAssertEqual(completer.complete("find customers where owner = ").candidates, ["张伟"])
    }

    func testQuotingOfValues() {
        XCTAssertTrue(Completer.isBareWord("gold"))
        XCTAssertTrue(Completer.isBareWord("at-risk"))
        XCTAssertTrue(Completer.isBareWord("上海"))
        XCTAssertTrue(Completer.isBareWord("b2b"))
        XCTAssertFalse(Completer.isBareWord("Hong Kong"))
        XCTAssertFalse(Completer.isBareWord("2b"))
        XCTAssertFalse(Completer.isBareWord("O'Brien"))
        XCTAssertFalse(Completer.isBareWord("null"))
        XCTAssertFalse(Completer.isBareWord("x-"))
        XCTAssertFalse(Completer.isBareWord(""))
        XCTAssertEqual(Completer.quoted("say \"hi\"", "\""), "\"say \\\"hi\\\"\"")
        // Each quoted value reads back as itself.
        for value in ["Hong Kong", "O'Brien", "a\\b", "say \"hi\"", "null"] {
            let tokens = try? Lexer.tokenize(Completer.quoted(value, "\""))
            XCTAssertEqual(tokens?.first?.kind, .string(value))
        }
    }

    // MARK: Ids

    func testCustomerIDs() {
        XCTAssertEqual(candidates("show customer "), ["C1", "C10", "C11", "C2", "C3", "D1"])
        XCTAssertEqual(candidates("show customer C1"), ["C1", "C10", "C11"])
        XCTAssertEqual(candidates("show customer c1"), ["C1", "C10", "C11"])
        XCTAssertEqual(candidates("log contact d"), ["D1"])
        XCTAssertEqual(candidates("log purchase C2"), ["C2"])
        XCTAssertEqual(candidates("open ticket C3"), ["C3"])
        XCTAssertEqual(candidates("open ticket \"C3"), ["\"C3\""])
        XCTAssertEqual(candidates("find customers where id = C1"), ["C1", "C10", "C11"])
        XCTAssertEqual(candidates("find tickets where customer in (C1, C1"), ["C10", "C11"])
        XCTAssertEqual(candidates("find tickets where id = "), ["T1"])
        store.customers.delete(row: store.customers.row(ofID: "C10")!)
        XCTAssertEqual(candidates("show customer C1"), ["C1", "C11"], "deleted ids are not offered")
    }

    func testIDsAreCapped() {
        let store = Store()
        for i in 0..<300 { CompleterFixtures.add(store.customers, String(format: "C%04d", 299 - i), [:]) }
        XCTAssertFalse(store.customers.rowsInIDOrder)
        let ids = Completer(store: store).complete("show customer C").candidates
        XCTAssertEqual(ids.count, Completer.maxIDs)
        XCTAssertEqual(ids, (0..<Completer.maxIDs).map { String(format: "C%04d", $0) })
        XCTAssertEqual(Completer(store: store).complete("show customer C029").candidates, (290..<300).map { String(format: "C%04d", $0) })
    }

    func testIDsOfABigTableInIDOrderAreFoundBySearch() {
        let table = Table(entity: .customers)
        for i in 0..<60_000 {
            table.append([.string("C" + String(format: "%06d", i))])
        }
        table.append([.string("c999999")])
        table.delete(row: table.row(ofID: "C012345")!)
        XCTAssertTrue(table.rowsInIDOrder)
        XCTAssertEqual(table.liveIDs(prefix: "C01234", cap: 100),
                       ["C012340", "C012341", "C012342", "C012343", "C012344", "C012346", "C012347", "C012348", "C012349"])
        XCTAssertEqual(table.liveIDs(prefix: "c05999", cap: 100), (59990..<60000).map { "C0\($0)" })
        XCTAssertEqual(table.liveIDs(prefix: "c9", cap: 100), ["c999999"])
        XCTAssertEqual(table.liveIDs(prefix: "", cap: 3), ["C000000", "C000001", "C000002"])
        XCTAssertEqual(table.liveIDs(prefix: "X", cap: 3), [])
    }

    // MARK: Keywords that follow

    func testClauseKeywords() {
        XCTAssertEqual(candidates("find customers "), ["limit", "offset", "show", "sort by", "where"])
        XCTAssertEqual(candidates("find customers s"), ["show", "sort by"])
        XCTAssertEqual(candidates("find customers where tier = gold "), ["and", "limit", "offset", "or", "show", "sort by"])
        XCTAssertEqual(candidates("find customers where tier is null "), ["and", "limit", "offset", "or", "show", "sort by"])
        XCTAssertEqual(candidates("find customers where city in (上海) o"), ["offset", "or"])
        XCTAssertEqual(candidates("find customers where (tier = gold "), ["and", "or"])
        XCTAssertEqual(candidates("find customers where (tier = gold) "), ["and", "limit", "offset", "or", "show", "sort by"])
        XCTAssertEqual(candidates("find customers sort "), ["by"])
        XCTAssertEqual(candidates("find customers sort by name "), ["asc", "desc", "limit", "offset", "show"])
        XCTAssertEqual(candidates("find customers sort by name d"), ["desc"])
        XCTAssertEqual(candidates("find customers sort by name desc "), ["limit", "offset", "show"])
        // After where, find's clauses come in any order (as the parser reads them), each once.
        XCTAssertEqual(candidates("find customers limit 5 "), ["offset", "show", "sort by"])
        XCTAssertEqual(candidates("find customers limit 5 offset 10 "), ["show", "sort by"])
        XCTAssertEqual(candidates("find customers show name "), ["limit", "offset", "sort by"])
        XCTAssertEqual(candidates("count customers "), ["by", "where"])
        XCTAssertEqual(candidates("count customers where tier = gold "), ["and", "by", "or"])
        XCTAssertEqual(candidates("sum points of customers "), ["by", "where"])
        XCTAssertEqual(candidates("export customers "), ["to", "where"])
        XCTAssertEqual(candidates("export customers where tier = gold "), ["and", "or", "to"])
        XCTAssertEqual(candidates("update customers "), ["set", "where"])
        XCTAssertEqual(candidates("update customers where tier = gold "), ["and", "or", "set"])
        XCTAssertEqual(candidates("delete customers "), ["where"])
        XCTAssertEqual(candidates("import customers "), ["from"])
        XCTAssertEqual(candidates("backup "), ["to"])
        XCTAssertEqual(candidates("show "), ["customer", "fields", "grants", "policy", "segments", "settings", "ticket"])
        XCTAssertEqual(candidates("log "), ["contact", "purchase", "survey"])
        XCTAssertEqual(candidates("save "), ["segment"])
        XCTAssertEqual(candidates("save segment vips "), ["as", "replace"])
        XCTAssertTrue(candidates("delete ").contains("segment"))
        XCTAssertEqual(candidates("log survey C1 "), ["score"])
        XCTAssertEqual(candidates("log survey C1 score 3 nps 9 "), ["via"])
        XCTAssertEqual(candidates("done A1 "), ["via"])
        XCTAssertEqual(candidates("open "), ["ticket"])
        XCTAssertEqual(candidates("find customers where birthday < "), ["today", "tomorrow", "yesterday"])
    }

    func testLogOpenAndSetArguments() {
        XCTAssertEqual(candidates("log contact C1 "), ["via"])
        XCTAssertEqual(candidates("log contact C1 via "), ["email", "phone", "sms", "visit", "wechat"])
        XCTAssertEqual(candidates("log contact C1 via w"), ["wechat"])
        XCTAssertEqual(candidates("log purchase C1 "), ["amount"])
        XCTAssertEqual(candidates("log purchase C1 amount 1200 "), ["\"Tea sampler\"", "茶具套装"])
        XCTAssertEqual(candidates("open ticket C1 "), ["complaint", "inquiry", "suggestion"])
        XCTAssertEqual(candidates("open ticket C1 co"), ["complaint"])
        XCTAssertEqual(candidates("open ticket C1 complaint \"late delivery\" "), ["owner", "priority"])
        XCTAssertEqual(candidates("open ticket C1 complaint \"late delivery\" priority "), ["high", "low", "normal", "urgent"])
        XCTAssertEqual(candidates("open ticket C1 complaint \"late delivery\" priority u"), ["urgent"])
        XCTAssertEqual(candidates("set "), ["colour", "dry-run", "format", "now", "pager", "policy", "timer"])
        XCTAssertEqual(candidates("set d"), ["dry-run"])
        XCTAssertEqual(candidates("set format "), ["chart", "csv", "json", "jsonl", "table"])
        XCTAssertEqual(candidates("set format j"), ["json", "jsonl"])
        XCTAssertEqual(candidates("set dry-run "), ["off", "on"])
        XCTAssertEqual(candidates("set timer o"), ["off", "on"])
        XCTAssertEqual(candidates("set pager "), ["off", "on"])
        XCTAssertEqual(candidates("set colour of"), ["off"])
    }

    func testPointsAndWhyChurnTakeACustomer() {
        let ids = ["C1", "C10", "C11", "C2", "C3", "D1"]
        XCTAssertEqual(candidates("why "), ["churn"])
        XCTAssertEqual(candidates("why ch"), ["churn"])
        XCTAssertEqual(candidates("why churn "), ids)
        XCTAssertEqual(candidates("why churn C1"), ["C1", "C10", "C11"])
        XCTAssertEqual(candidates("why churn C1 "), [])
        XCTAssertEqual(candidates("why nosuch "), [])
        XCTAssertEqual(candidates("redeem "), ids)
        XCTAssertEqual(candidates("redeem C1 "), [])
        XCTAssertEqual(candidates("add points "), ids)
        XCTAssertEqual(candidates("add point C"), ["C1", "C10", "C11", "C2", "C3"])
        XCTAssertEqual(candidates("add points C1 100 "), [])
        // audit takes the id of a record of any entity.
        XCTAssertEqual(candidates("audit C1"), ["C1", "C10", "C11"])
        XCTAssertEqual(candidates("audit C1 "), [])
    }

    func testMergeTakesTwoCustomersAndFindDuplicatesItsClauses() {
        XCTAssertEqual(candidates("merge "), ["C1", "C10", "C11", "C2", "C3", "D1"])
        XCTAssertEqual(candidates("merge C2 "), ["into"])
        XCTAssertEqual(candidates("merge C2 into C"), ["C1", "C10", "C11", "C3"], "not the customer being merged")
        XCTAssertEqual(candidates("merge C2 into C1 "), ["--dry-run"])
        XCTAssertEqual(candidates("find dup"), ["duplicates"])
        XCTAssertEqual(candidates("find duplicates "), ["by", "limit"])
        XCTAssertEqual(candidates("find duplicates by "), ["email", "name", "phone"])
        XCTAssertEqual(candidates("find duplicates by phone, "), ["email", "name"])
        XCTAssertEqual(candidates("find duplicates by phone "), ["limit"])
        XCTAssertEqual(candidates("find duplicates limit "), [])
    }

    func testUpdateAndImportDoNotOfferThePointsLedger() {
        XCTAssertFalse(candidates("update ").contains("points"))
        XCTAssertFalse(candidates("update all ").contains("points"))
        XCTAssertFalse(candidates("import ").contains("points"))
        XCTAssertEqual(candidates("import p"), ["purchases"])
        XCTAssertTrue(candidates("delete ").contains("points"), "an admin may delete a ledger entry")
        XCTAssertTrue(candidates("delete all ").contains("points"))
    }

    // MARK: Files, lessons, help

    func testFileNamesInQuotes() {
        XCTAssertEqual(candidates("import customers from "), ["\"Daily.JSON\"", "\"data.csv\"", "\"data/", "\"dump.jsonl\"", "\"my file.csv\""])
        XCTAssertEqual(completer.complete("import customers from \"da"),
                       Completion(replacementStart: 22, candidates: ["\"Daily.JSON\"", "\"data.csv\"", "\"data/"]))
        XCTAssertEqual(candidates("import customers from 'du"), ["'dump.jsonl'"])
        XCTAssertEqual(candidates("export customers to \"n"), ["\"notes.txt\""])
        XCTAssertEqual(candidates("export customers where tier = gold to \"n"), ["\"notes.txt\""])
        XCTAssertEqual(candidates("backup to \""), ["\"data/"])
        XCTAssertEqual(candidates("backup to \"b\" "), ["encrypted"])
        XCTAssertEqual(candidates("backup to \"b\" encrypted "), [])
    }

    /// After the file, import's clauses in any order, each once; `update by` (customers
    /// only) offers its keys, `map` the entity's fields after `to`, `using` a file.
    func testImportClausesAfterTheFile() {
        let file = "import customers from \"data.csv\" "
        XCTAssertEqual(candidates(file), ["--dry-run", "map", "update by", "using"])
        XCTAssertEqual(candidates(file + "up"), ["update by"])
        XCTAssertEqual(candidates(file + "--"), ["--dry-run"])
        XCTAssertEqual(candidates(file + "update "), ["by"])
        XCTAssertEqual(candidates(file + "update by "), ["email", "id", "phone"])
        XCTAssertEqual(candidates(file + "update by ph"), ["phone"])
        XCTAssertEqual(candidates(file + "update by email "), ["--dry-run", "map", "using"])
        XCTAssertEqual(candidates(file + "update by nickname "), [], "nothing after a key the parser refuses")
        XCTAssertEqual(candidates(file + "map "), [], "a column name is the file's own")
        XCTAssertEqual(candidates(file + "map \"手机\" "), ["to"])
        XCTAssertEqual(candidates(file + "map \"手机\" to reg"), ["region"])
        XCTAssertEqual(candidates(file + "map \"手机\" to phone, \"城市\" to ci"), ["city"])
        XCTAssertEqual(candidates(file + "map \"手机\" to phone --dry-run "), ["update by", "using"])
        XCTAssertEqual(candidates(file + "using \"n"), ["\"notes.txt\""])
        XCTAssertEqual(candidates(file + "using \"m.json\" update by id --dry-run map \"a\" to name "), [])
        XCTAssertEqual(candidates("import contacts from \"data.csv\" "), ["--dry-run", "map", "using"],
                       "update by is for customers")
        XCTAssertEqual(candidates("import customers from data.csv "), [], "the file must be in quotes")
    }

    func testListFilesReadsADirectory() throws {
        let dir = NSTemporaryDirectory() + "completer-\(UUID().uuidString)/"
        try FileManager.default.createDirectory(atPath: dir + "sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["customers.csv", "Contacts.jsonl", ".hidden.csv", "other.txt"] {
            _ = FileManager.default.createFile(atPath: dir + name, contents: Data())
        }
        XCTAssertEqual(Completer.listFiles(dir + "c"), [dir + "Contacts.jsonl", dir + "customers.csv"])
        XCTAssertEqual(Completer.listFiles(dir), [dir + "Contacts.jsonl", dir + "customers.csv", dir + "other.txt", dir + "sub/"])
        XCTAssertEqual(Completer.listFiles(dir + "."), [dir + ".hidden.csv"])
        XCTAssertEqual(Completer.listFiles(dir + "nosuchdir/x"), [])
        let real = Completer(store: store)
        XCTAssertEqual(real.complete("import customers from \"\(dir)s").candidates, ["\"\(dir)sub/"])
    }

    func testAMultiLineCommandIsOneCommand() {
        XCTAssertEqual(candidates("find customers where (tier = gold\n  or ti"), ["tier"])
        XCTAssertEqual(Completer(store: store).complete("find customers where (tier = gold\n  or ti").replacementStart, 39)
    }

    func testLessonsAndHelpTopics() {
        // tutorial takes a lesson's name (hyphens and all, one word) or report, and nothing after it.
        XCTAssertEqual(candidates("tutorial "), ["basics", "campaigns", "first-queries", "report", "zh-first-queries"])
        XCTAssertEqual(candidates("tutorial FIRST-"), ["first-queries"])
        XCTAssertEqual(completer.complete("tutorial first-q").replacementStart, 9)
        XCTAssertEqual(candidates("tutorial re"), ["report"])
        XCTAssertEqual(candidates("tutorial basics "), [])
        XCTAssertEqual(candidates("tutorial \"ba"), [], "a quoted word is a file, not a lesson's name")
        // The shell's completer gets the session's lessons: the built-in ones and $RAPPORT_LESSONS's.
        let session = Session(database: .inMemory(Store()), settings: Settings(), clock: Clock(now: 0, timeZone: TimeZone(identifier: "UTC")!))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("completer-lessons-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try? "# Mine\nname: my-own-lesson\nnow: 2026-11-24\n\n## Read\nText.\n".write(toFile: directory + "/mine.lesson.md", atomically: true, encoding: .utf8)
        session.training = TrainingSetup(lessonsDirectory: directory)
        let offered = Completer(backend: session.backend, lessons: session.lessonNames).complete("tutorial ").candidates
        XCTAssertEqual(offered, (BuiltInLessons.all.map { String($0.file.dropLast(".lesson.md".count)) } + ["my-own-lesson", "report"]).sorted())
        XCTAssertTrue(candidates("").contains("tutorial"))
        XCTAssertTrue(candidates("").contains("campaign"))
        XCTAssertEqual(candidates("campaign "), ["history"])
        XCTAssertEqual(candidates("help "), Set(Help.topicWords.filter { !$0.contains(" ") }).sorted())
        XCTAssertTrue(candidates("help ").contains("operators"))
        XCTAssertEqual(candidates("help OPER"), ["operator", "operators"])
        XCTAssertEqual(candidates("help find "), [])
    }

    // MARK: Campaign blocks

    func testCampaignBlocks() {
        let open = "campaign \"birthday greetings\"\n  "
        XCTAssertEqual(candidates(open), ["add", "assign", "end", "every", "log", "open", "send", "set", "target", "when"])
        XCTAssertEqual(candidates(open + "target customers where bir"), ["birthday"])
        XCTAssertEqual(candidates(open + "target customers where stage != l"), ["lost"])
        // A visit is no message channel; preferred is the customer's own choice.
        XCTAssertEqual(candidates(open + "send "), ["email", "phone", "preferred", "sms", "wechat"])
        XCTAssertEqual(candidates(open + "send sms \"Hi {na"), ["\"Hi {name"])
        XCTAssertEqual(candidates(open + "send sms \"{points|nu"), ["\"{points|number}"])
        XCTAssertTrue(candidates(open + "send sms \"{hol").contains("\"{holiday"))
        XCTAssertEqual(candidates(open + "send sms \"{name} "), [])
        XCTAssertEqual(candidates(open + "when "), ["holiday"])
        XCTAssertTrue(candidates(open + "when holiday ").contains("\"春节\""))
        XCTAssertEqual(candidates(open + "when holiday \"春节\" "), ["within"])
        XCTAssertEqual(candidates(open + "target "), ["all", "customers", "segment"])
        XCTAssertEqual(candidates(open + "log contact "), ["via"])
        XCTAssertEqual(candidates(open + "log contact via s"), ["sms"])
        XCTAssertTrue(candidates(open + "every 365d\n  send sms \"hi\"\nend\n").contains("find"))
        XCTAssertEqual(completer.complete(open + "sen").replacementStart, open.count)
    }

    // MARK: Cursor and robustness

    func testCursorInTheMiddleCompletesTheWordBeforeIt() {
        let line = "find customers where ti = gold"
        XCTAssertEqual(completer.complete(line, cursor: 23), Completion(replacementStart: 21, candidates: ["tier"]))
        XCTAssertEqual(completer.complete(line, cursor: 2), Completion(replacementStart: 0, candidates: ["find"]))
        XCTAssertEqual(completer.complete("find customers where city = 上海 and", cursor: 30).candidates, ["上海"])
        XCTAssertEqual(completer.complete("fi", cursor: 99), Completion(replacementStart: 0, candidates: ["find"]))
        XCTAssertEqual(completer.complete("fi", cursor: -3), completer.complete(""))
    }

    func testNeverFailsOnOddInput() {
        let samples = [
            "find customers where city in (上海, \"北京", "\"", "'", "“上", "\\", "find \"", "((((((", "))))",
            "find customers where ((((((((tier", "find customers where tier = = = ", "!!!", "<>", "=", ",,,", "*",
            "find customers where city in ()", "find customers where city in ) ", "find customers where tags has any ((",
            "sum of of of", "log contact via via via", "open ticket", "set", "show customer \"C1\" extra", "😀 find",
            "find customers where name = \"a\\", "find customers sort by , , ", "update customers set = =", "add customer : :",
            "export customers to \"\" \"\"", "campaign\ncampaign\nend\nend\n", "\n\n\n", "  \t ", "find customers where 2026-11-01 ",
            "find customers where lastContact > 90d a", "count customers group", "count customers group x", "find customers show *, ",
            String(repeating: "(", count: 5000) + "ti", "find customers where " + String(repeating: "tier = gold and ", count: 2000),
            String(repeating: "x", count: 100_000), String(repeating: "\"", count: 1001),
        ]
        for sample in samples {
            let count = sample.count
            let cursors = count < 200 ? Array(0...count) : [0, 1, count / 2, count - 1, count]
            for cursor in cursors {
                let c = completer.complete(sample, cursor: cursor)
                XCTAssertTrue((0...cursor).contains(c.replacementStart), "\(sample.prefix(40)) at \(cursor)")
                XCTAssertEqual(c.candidates, Array(Set(c.candidates)).sorted())
            }
        }
        XCTAssertEqual(completer.complete("find customers where " + String(repeating: "tier = gold and ", count: 2000) + "ci").candidates, ["city"])
    }
}

/// Derived fields complete wherever a field is read, never where one is written.
final class DerivedFieldCompletionTests: XCTestCase {
    private func candidates(_ line: String) -> [String] {
        Completer(store: CompleterFixtures.store()).complete(line, cursor: nil).candidates
    }

    func testDerivedNamesCompleteWhereFieldsAreRead() {
        XCTAssertEqual(candidates("find customers where daysS"), ["daysSinceContact", "daysSincePurchase"])
        XCTAssertEqual(candidates("find customers sort by contactC"), ["contactCount"])
        XCTAssertEqual(candidates("avg openT"), ["openTickets"])
        XCTAssertTrue(candidates("find customers where openTickets ").contains(">="))
    }

    func testDerivedNamesAreNotOfferedAsTargetsOfAChange() {
        XCTAssertEqual(candidates("update customers where id = C1 set daysS"), [])
        XCTAssertEqual(candidates("add customer contactC"), [])
    }
}
