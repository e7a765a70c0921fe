/// `show ticket ID`: the ticket, its targets (`respondBy`, `resolveBy`, `sla`, `overdue`)
/// and its whole timeline, oldest step first.
public struct TicketCard {
    public let backend: any Backend
    public let clock: Clock

    public init(backend: any Backend, clock: Clock) {
        self.backend = backend
        self.clock = clock
    }

    /// The ticket's stored and derived fields as one record, and its timeline.
    public func record(_ literal: Literal) throws -> (record: ResultSet, related: [(key: String, rows: ResultSet)]) {
        let id: String
        switch literal.kind {
        case .string(let s, _): id = s
        default: id = literal.text
        }
        let tickets = backend.schema(of: .tickets)
        let fields = tickets.fields.enumerated().map { ResolvedField(position: $0.offset, name: $0.element.name, type: $0.element.type) }
            + Checker.derivedFields(of: tickets)
        let idField = ResolvedField(position: Table.idPosition, name: RecordField.id, type: .string)
        let ticket = backend.find(CheckedFind(entity: .tickets, predicate: .compareString(idField, .equal, id), sort: [],
                                              limit: 1, offset: 0, shown: fields), clock: clock)
        guard !ticket.rows.isEmpty else { throw Diagnostic.runtime(.ticketNotFound, id, at: literal.span) }
        let events = backend.schema(of: .events)
        let shown = [RecordField.id, EventField.at, EventField.by, EventField.kind, EventField.channel, EventField.status, EventField.text]
            .compactMap { name in events.position(of: name).map { ResolvedField(position: $0, name: events.fields[$0].name, type: events.fields[$0].type) } }
        guard let link = events.position(of: EventField.ticket) else { return (ticket, []) }
        // Ids grow with each step, so id order is the order the steps were taken.
        let timeline = backend.find(CheckedFind(entity: .events, predicate: .compareString(ResolvedField(position: link, name: EventField.ticket, type: .string), .equal, id),
                                                sort: [(idField, false)], limit: nil, offset: 0, shown: shown), clock: clock)
        return (ticket, [("timeline", timeline)])
    }

    /// The card for a terminal: the ticket's fields one a line, then the timeline as a table.
    public func render(_ literal: Literal) throws -> String {
        let (ticket, related) = try record(literal)
        let formatter = ValueFormatter(timeZone: clock.timeZone)
        let values = Dictionary(zip(ticket.columns, ticket.rows[0]), uniquingKeysWith: { a, _ in a })
        func text(_ name: String) -> String { TerminalText.clean(formatter.text(values[name] ?? .null, forCSV: false)) }
        var lines = ["ticket \(text(RecordField.id))  \(text(TicketField.kind)), \(text(TicketField.priority)), for customer \(text(RecordField.customer))"]
        var pairs: [(String, String)] = [
            ("status", text(TicketField.status)), ("channel", text(TicketField.channel)), ("owner", text(TicketField.owner)),
            ("text", text(TicketField.text)), ("opened", text(TicketField.openedAt)), ("responded", text(TicketField.respondedAt)),
            ("resolved", text(TicketField.resolvedAt)), ("closed", text(TicketField.closedAt)),
            ("respond by", text("respondBy")), ("resolve by", text("resolveBy")), ("sla", text("sla")),
            ("overdue", values["overdue"] == .boolean(true) ? "yes" : ""),
        ]
        let builtin = Set(Entity.tickets.builtinFields.map(\.name))
        for name in ticket.columns where !builtin.contains(name) && DerivedFields.named(name, of: .tickets) == nil {
            pairs.append((TerminalText.clean(name), text(name)))
        }
        let width = pairs.map { DisplayWidth.of($0.0) }.max() ?? 0
        for (k, v) in pairs where !v.isEmpty {
            lines.append("  " + DisplayWidth.pad(k, to: width, alignRight: false) + "  " + v)
        }
        if let timeline = related.first?.rows, !timeline.rows.isEmpty {
            let rendered = ResultRenderer(format: .table, timeZone: clock.timeZone).render(timeline)
            lines += ["", "timeline:"] + rendered.split(separator: "\n").dropLast().map { "  " + $0 }
        } else {
            lines += ["", "timeline: none (opened before tickets kept one)"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
