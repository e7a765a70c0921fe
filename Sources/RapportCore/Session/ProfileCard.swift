import Foundation

/// `show customer ID`: one customer's story on one screen: details, segment and value,
/// latest contacts and purchases; the service section: open tickets with their targets,
/// open tasks and the latest survey.
public struct ProfileCard {
    public let backend: any Backend
    public let clock: Clock
    public let timeZone: TimeZone

    public init(backend: any Backend, clock: Clock, timeZone: TimeZone) {
        self.backend = backend
        self.clock = clock
        self.timeZone = timeZone
    }

    /// For a trainee: the terminal card's phone and email come out masked (`Masking`).
    /// (`record` gives results, which the session masks as it masks every result.)
    public var masksContacts = false

    /// The customer's id and stored record, or an error naming the id.
    func find(_ literal: Literal) throws -> (id: String, record: [String: Value]) {
        let id: String
        switch literal.kind {
        case .string(let s, _): id = s
        default: id = literal.text
        }
        guard let record = backend.records(.customers, ids: [id], fields: nil)[id] else {
            let upper = id.uppercased()
            let known = backend.records(.customers, ids: [upper], fields: []).isEmpty ? nil : upper
            throw Diagnostic(.runtime, .customerNotFound, [id], at: literal.span, suggestion: known)
        }
        return (id, record)
    }

    /// `show customer ID` in csv, json and jsonl: every stored field of the customer as
    /// one record, and what the card lists (latest contacts and purchases, open tickets)
    /// with all their fields, for the JSON formats.
    public func record(_ literal: Literal) throws -> (record: ResultSet, related: [(key: String, rows: ResultSet)]) {
        let (_, stored) = try find(literal)
        let fields = backend.schema(of: .customers).fields
        guard case .string(let customer)? = stored["id"] else {
            return (ResultSet(columns: fields.map(\.name), rows: [fields.map { stored[$0.name] ?? .null }]), [])
        }
        // The balance is derived from the ledger; the card's record keeps it beside the stored fields.
        let points = ChangeBuilder.pointsBalance(of: customer, in: backend, today: clock.today).points
        let record = ResultSet(columns: fields.map(\.name) + [CustomerField.points],
                               rows: [fields.map { stored[$0.name] ?? .null } + [.integer(points)]])
        return (record, [
            ("latestContacts", latestContacts(customer, fields: nil)),
            ("latestPurchases", latestPurchases(customer, fields: nil)),
            ("openTickets", openTickets(customer, fields: nil)),
            ("openTasks", openTasks(customer, fields: nil)),
            ("latestSurvey", latestSurvey(customer, fields: nil)),
        ])
    }

    /// The card for a terminal: every text from the store passes `TerminalText.clean`.
    public func render(_ literal: Literal) throws -> String {
        var (id, stored) = try find(literal)
        if masksContacts { stored = Masking.record(stored) }
        let schema = backend.schema(of: .customers)
        let formatter = ValueFormatter(timeZone: timeZone)
        let balance = ChangeBuilder.pointsBalance(of: id, in: backend, today: clock.today)
        var points = balance.points == 0 ? "" : String(balance.points)
        if let next = balance.nextExpiry, balance.points > 0 {
            points += " (\(next.points) expire on \(formatter.text(.date(next.on), forCSV: false)))"
        }
        func text(_ name: String) -> String {
            guard let f = schema.field(named: name) else { return "" }
            return TerminalText.clean(formatter.text(stored[f.name] ?? .null, forCSV: false))
        }
        var lines: [String] = []
        lines.append("\(text("name"))  (\(TerminalText.clean(id)))")
        var pairs: [(String, String)] = [
            ("tier", text("tier")), ("grade", text("grade")), ("stage", text("stage")), ("points", TerminalText.clean(points)),
            ("phone", text("phone")), ("email", text("email")),
            ("prefers", text(CustomerField.preferredChannel)), ("opted out", text(CustomerField.optOut)),
            ("city", text("city")), ("owner", text("owner")),
            ("birthday", text("birthday")), ("customer since", text("createdAt")),
            ("last contact", text("lastContact")), ("last purchase", text("lastPurchase")),
            ("total spent", text("totalSpent")), ("purchases", text("purchaseCount")),
            ("satisfaction", text("satisfaction")), ("tags", text("tags")),
        ]
        for f in schema.customFields {
            pairs.append((TerminalText.clean(f.name), text(f.name)))
        }
        for (name, value) in derived(id, ["contactCount", "openTickets"], schema: schema) where value != .integer(0) {
            pairs.append((name, TerminalText.clean(formatter.text(value, forCSV: false))))
        }
        let width = pairs.map { DisplayWidth.of($0.0) }.max() ?? 0
        for (k, v) in pairs where !v.isEmpty {
            lines.append("  " + DisplayWidth.pad(k, to: width, alignRight: false) + "  " + v)
        }
        lines.append(contentsOf: valueSection(id, stored, schema: schema, formatter: formatter))
        lines.append(contentsOf: section("latest contacts", latestContacts(id, fields: ["date", "channel", "note", "by"])))
        lines.append(contentsOf: section("latest purchases", latestPurchases(id, fields: ["date", "amount", "product"])))
        lines.append(contentsOf: section("open tickets", openTickets(id, fields: ["id", "kind", "priority", "status", "respondBy", "resolveBy", "sla", "text"])))
        lines.append(contentsOf: section("open tasks", openTasks(id, fields: ["id", "due", "owner", "text"])))
        lines.append(contentsOf: section("latest survey", latestSurvey(id, fields: ["date", "score", "nps", "comment"])))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Value: ltv, rfm and its segment, grade, next contact due, and churn risk with its
    /// weightiest signal (the first of equal weights, as `why churn` lists them).
    private func valueSection(_ id: String, _ stored: [String: Value], schema: EntitySchema, formatter: ValueFormatter) -> [String] {
        let values = Dictionary(derived(id, ["ltv", "rfm", "rfmSegment", "nextContactDue", "churnRisk"], schema: schema),
                                uniquingKeysWith: { a, _ in a })
        func text(_ v: Value?) -> String { TerminalText.clean(formatter.text(v ?? .null, forCSV: false)) }
        var rfm = text(values["rfm"])
        if !rfm.isEmpty { rfm += " (\(text(values["rfmSegment"])))" }
        let signals = ChurnExplanation(backend: backend, clock: clock).assess(id, stored).signals
        var churn = text(values["churnRisk"])
        if let top = signals.max(by: { $0.weight < $1.weight }) {
            churn += ": \(top.kind.rawValue), \(TerminalText.clean(top.evidence))"
        }
        let pairs = [("ltv", text(values["ltv"])), ("rfm", rfm), ("grade", text(stored["grade"])),
                     ("next contact due", text(values["nextContactDue"])), ("churn risk", churn)]
        let width = pairs.map { DisplayWidth.of($0.0) }.max() ?? 0
        return ["", "value:"] + pairs.filter { !$0.1.isEmpty }.map { "  " + DisplayWidth.pad($0.0, to: width, alignRight: false) + "  " + $0.1 }
    }

    /// The customer's values of some derived fields, read through the same query path as any field.
    private func derived(_ customer: String, _ names: [String], schema: EntitySchema) -> [(String, Value)] {
        let fields = Checker.derivedFields(of: schema).filter { names.contains($0.name) }
        let q = CheckedFind(entity: .customers, predicate: .compareString(ResolvedField(position: Table.idPosition, name: "id", type: .string), .equal, customer),
                            sort: [], limit: 1, offset: 0, shown: fields)
        guard let row = backend.find(q, clock: clock).rows.first else { return [] }
        return zip(fields.map(\.name), row).map { ($0, $1) }
    }

    private func latestContacts(_ customer: String, fields: [String]?) -> ResultSet {
        related(.contacts, customer, sortField: "date", fields: fields, limit: 5)
    }

    private func latestPurchases(_ customer: String, fields: [String]?) -> ResultSet {
        related(.purchases, customer, sortField: "date", fields: fields, limit: 5)
    }

    /// Every ticket not closed: a resolved one waits for the customer's agreement.
    private func openTickets(_ customer: String, fields: [String]?) -> ResultSet {
        related(.tickets, customer, sortField: "openedAt", fields: fields, limit: 10, status: (.notEqual, "closed"))
    }

    /// Open tasks, the soonest due first.
    private func openTasks(_ customer: String, fields: [String]?) -> ResultSet {
        related(.tasks, customer, sortField: TaskField.due, descending: false, fields: fields, limit: 10, status: (.equal, "open"))
    }

    private func latestSurvey(_ customer: String, fields: [String]?) -> ResultSet {
        related(.surveys, customer, sortField: RecordField.date, fields: fields, limit: 1)
    }

    private func section(_ title: String, _ result: ResultSet) -> [String] {
        guard !result.rows.isEmpty else { return ["", "\(title): none"] }
        let rendered = ResultRenderer(format: .table, timeZone: timeZone).render(result)
        let body = rendered.split(separator: "\n").dropLast().map { "  " + $0 }
        return ["", "\(title):"] + body
    }

    /// The customer's newest records of `entity`, `fields` of them (all when nil).
    private func related(_ entity: Entity, _ customer: String, sortField: String, descending: Bool = true, fields: [String]?, limit: Int,
                         status: (ComparisonOperator, String)? = nil) -> ResultSet {
        let schema = backend.schema(of: entity)
        let derived = Checker.derivedFields(of: schema)
        let names = fields ?? schema.fields.map(\.name)
        guard let p = schema.position(of: "customer"), let s = schema.position(of: sortField) else {
            return ResultSet(columns: names)
        }
        var condition: Predicate = .compareString(ResolvedField(position: p, name: "customer", type: .string), .equal, customer)
        if let (op, value) = status, let st = schema.position(of: "status") {
            condition = .and(condition, .compareString(ResolvedField(position: st, name: "status", type: .string), op, value))
        }
        let shown = names.compactMap { name in
            schema.position(of: name).map { ResolvedField(position: $0, name: name, type: schema.fields[$0].type) }
                ?? derived.first { $0.name == name }
        }
        let q = CheckedFind(entity: entity, predicate: condition,
                            // Same date: the later id (the one added later) first, as the rollup decides the latest survey.
                            sort: [(ResolvedField(position: s, name: sortField, type: schema.fields[s].type), descending),
                                   (ResolvedField(position: Table.idPosition, name: "id", type: .string), descending)],
                            limit: limit, offset: 0, shown: shown)
        return backend.find(q, clock: clock)
    }
}
