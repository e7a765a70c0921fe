import Foundation
@testable import RapportCore

/// A small store with edge cases: nulls, 29 February, Chinese names, mixed case, ties.
enum QueryFixtures {
    static let clock = Clock(now: Clock.parseInstant("2026-11-24", timeZone: TimeZone(identifier: "UTC")!)!,
                             timeZone: TimeZone(identifier: "UTC")!)

    static func customer(_ id: String, _ fields: [String: Value]) -> [Value] {
        let schema = EntitySchema(entity: .customers)
        var record = [Value](repeating: .null, count: schema.fields.count)
        record[0] = .string(id)
        // `points` is the ledger's balance: `store()` writes it as ledger entries.
        for (k, v) in fields where k != CustomerField.points { record[schema.position(of: k)!] = v }
        return record
    }

    /// A ledger entry that never expires, as a customer's whole balance.
    static func balance(_ customer: String, _ points: Int64) -> [Value] {
        [.string("L-" + customer), .string(customer), .null, .integer(points), .string("opening balance"), .null]
    }

    static func day(_ s: String) -> Value { .date(Day(iso: s)!) }

    static func store() -> Store {
        let store = Store()
        let t = store.customers
        t.append(customer("C1", ["name": .string("王芳"), "tier": .string("gold"), "city": .string("上海"),
                                 "lastContact": day("2026-07-01"), "birthday": day("1992-02-29"),
                                 "totalSpent": .number(5200.5), "points": .integer(5200), "tags": .list(["vip", "wechat"]), "stage": .string("active")]))
        t.append(customer("C2", ["name": .string("Anna Schmidt"), "tier": .string("Gold"), "city": .string("Berlin"),
                                 "lastContact": day("2026-11-20"), "birthday": day("1980-11-28"),
                                 "totalSpent": .number(5200.5), "points": .integer(10), "tags": .list(["VIP"]), "stage": .string("lost")]))
        t.append(customer("C3", ["name": .string("李芳芳"), "tier": .string("silver"), "city": .string("北京"),
                                 "lastContact": .null, "birthday": day("1990-12-25"),
                                 "totalSpent": .number(-75), "points": .integer(0), "stage": .null]))
        t.append(customer("C4", ["name": .string("anna"), "tier": .null, "city": .string("上海"),
                                 "lastContact": day("2026-08-26"), "totalSpent": .null, "points": .null, "tags": .list([])]))
        t.append(customer("C5", ["name": .string("Zoë"), "tier": .string("platinum"), "city": .null,
                                 "lastContact": day("2025-01-01"), "birthday": day("2000-11-24"),
                                 "totalSpent": .number(99999), "points": .integer(99999), "tags": .list(["b2b"])]))
        for (id, points) in [("C1", 5200), ("C2", 10), ("C5", 99999)] as [(String, Int64)] { store[.points].append(balance(id, points)) }
        return store
    }

    /// The ids a query finds, through the real parser, checker and executor.
    static func ids(_ query: String, store: Store, indexes: Bool = true) throws -> [String] {
        guard case .find(let q) = try Parser.parse(query) else { fatalError("not a find: \(query)") }
        let table = store.customers
        table.indexesEnabled = indexes
        defer { table.indexesEnabled = true }
        let checked = try Checker(schema: table.schema, clock: clock).check(q)
        return QueryExecutor(table: table, clock: clock).rows(checked).map { table.id(ofRow: Int($0)) }
    }
}
