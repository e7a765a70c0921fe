import Foundation

/// `show customer ID`: one customer's story on one screen: details, segment and value,
/// latest contacts, purchases and open tickets.
public struct ProfileCard {
    public let store: Store
    public let clock: Clock
    public let timeZone: TimeZone

    public init(store: Store, clock: Clock, timeZone: TimeZone) {
        self.store = store
        self.clock = clock
        self.timeZone = timeZone
    }

    public func render(_ literal: Literal) throws -> String {
        let id: String
        switch literal.kind {
        case .string(let s, _): id = s
        default: id = literal.text
        }
        let customers = store.customers
        guard let row = customers.row(ofID: id) else {
            let known = customers.row(ofID: id.uppercased()) != nil ? id.uppercased() : nil
            throw Diagnostic(.runtime, "no customer with id '\(id)'", at: literal.span, suggestion: known)
        }
        let formatter = ValueFormatter(timeZone: timeZone)
        func text(_ name: String) -> String {
            guard let p = customers.schema.position(of: name) else { return "" }
            return formatter.text(customers.value(row: row, field: p), forCSV: false)
        }
        var lines: [String] = []
        lines.append("\(text("name"))  (\(id))")
        var pairs: [(String, String)] = [
            ("tier", text("tier")), ("grade", text("grade")), ("stage", text("stage")), ("points", text("points")),
            ("phone", text("phone")), ("email", text("email")), ("city", text("city")), ("owner", text("owner")),
            ("birthday", text("birthday")), ("customer since", text("createdAt")),
            ("last contact", text("lastContact")), ("last purchase", text("lastPurchase")),
            ("total spent", text("totalSpent")), ("purchases", text("purchaseCount")),
            ("satisfaction", text("satisfaction")), ("tags", text("tags")),
        ]
        for f in customers.schema.customFields {
            pairs.append((f.name, text(f.name)))
        }
        let width = pairs.map { DisplayWidth.of($0.0) }.max() ?? 0
        for (k, v) in pairs where !v.isEmpty {
            lines.append("  " + DisplayWidth.pad(k, to: width, alignRight: false) + "  " + v)
        }
        lines.append(contentsOf: section("latest contacts", .contacts, id, sortField: "date", fields: ["date", "channel", "note", "by"], limit: 5))
        lines.append(contentsOf: section("latest purchases", .purchases, id, sortField: "date", fields: ["date", "amount", "product"], limit: 5))
        lines.append(contentsOf: section("open tickets", .tickets, id, sortField: "openedAt", fields: ["id", "kind", "priority", "openedAt", "text"], limit: 10, openOnly: true))
        return lines.joined(separator: "\n") + "\n"
    }

    private func section(_ title: String, _ entity: Entity, _ customer: String, sortField: String, fields: [String], limit: Int, openOnly: Bool = false) -> [String] {
        let table = store[entity]
        guard let p = table.schema.position(of: "customer"), let s = table.schema.position(of: sortField) else { return [] }
        var condition: Predicate = .compareString(ResolvedField(position: p, name: "customer", type: .string), .equal, customer)
        if openOnly, let st = table.schema.position(of: "status") {
            condition = .and(condition, .compareString(ResolvedField(position: st, name: "status", type: .string), .equal, "open"))
        }
        let shown = fields.compactMap { name in table.schema.position(of: name).map { ResolvedField(position: $0, name: name, type: table.schema.fields[$0].type) } }
        let q = CheckedFind(entity: entity, predicate: condition,
                            sort: [(ResolvedField(position: s, name: sortField, type: table.schema.fields[s].type), true)],
                            limit: limit, offset: 0, shown: shown)
        let result = QueryExecutor(table: table, clock: clock).find(q)
        guard !result.rows.isEmpty else { return ["", "\(title): none"] }
        let rendered = ResultRenderer(format: .table, timeZone: timeZone).render(result)
        let body = rendered.split(separator: "\n").dropLast().map { "  " + $0 }
        return ["", "\(title):"] + body
    }
}
