/// The ticket lifecycle (contract section 9, docs/service.md): `open ticket` and the steps
/// after it. Each command is one change set: the ticket's new values, one timeline entry
/// (entity `events`) and, for `close ... satisfaction N`, a survey (which the rollup makes
/// the customer's satisfaction).
/// Statuses: open → responded (first reply) → resolved → closed; pending while waiting on
/// the customer; reopen goes back to open.
extension ChangeBuilder {
    func openTicket(_ customer: Literal, _ kind: Literal, _ textLiteral: Literal, _ priority: Literal?,
                    channel: Literal?, owner: Literal?) throws -> [RecordChange] {
        let (customerID, customerRecord) = try self.customer(customer)
        let text = try self.text(textLiteral, what: "the ticket's text in quotes")
        var ticket: [String: Value] = [
            RecordField.customer: .string(customerID),
            TicketField.kind: .string(try word(kind, field: TicketField.kind, entity: .tickets)),
            TicketField.text: .string(text),
            TicketField.priority: .string(try priority.map { try word($0, field: TicketField.priority, entity: .tickets) } ?? "normal"),
            TicketField.status: .string("open"),
            TicketField.openedAt: .instant(clock.now),
        ]
        let channelName = try channel.map { try word($0, field: TicketField.channel, entity: .tickets) }
        if let channelName { ticket[TicketField.channel] = .string(channelName) }
        let ownerValue = try owner.map { Value.string(try self.text($0, what: "the owner's name")) } ?? customerRecord[CustomerField.owner] ?? .null
        if !ownerValue.isNull { ticket[TicketField.owner] = ownerValue }
        let id = IDGenerator.next(.tickets, in: backend)
        ticket[RecordField.id] = .string(id)
        return [RecordChange(kind: .insert, entity: .tickets, id: id, after: ticket),
                timelineEntry(ticket: id, customer: customerID, kind: "opened", status: "open", channel: channelName, text: text)]
    }

    func ticketStep(_ step: TicketStep) throws -> [RecordChange] {
        let (id, record) = try ticket(step.ticket)
        guard case .string(let customerID)? = record[RecordField.customer] else {
            throw Diagnostic.runtime(.customerRequired, Entity.tickets.singular, at: step.ticket.span)
        }
        let status = record[TicketField.status].flatMap { if case .string(let s) = $0 { s.lowercased() } else { nil } } ?? "open"
        let now = Value.instant(clock.now)
        var after: [String: Value] = [:]
        var surveyChange: RecordChange?
        var text = try step.text.map { try self.text($0, what: "a note in quotes") }
        var channel: String?
        func refuse(_ what: String, _ advice: String) -> Diagnostic {
            Diagnostic.runtime(.ticketStepRefused, id, status, what, advice, at: step.ticket.span)
        }
        let reopenFirst = "reopen \(id) \"WHY\" first, or open a new ticket"
        let working = ["open", "responded", "pending"].contains(status)
        // Every step that speaks to the customer counts as the first response.
        func responded() { if record[TicketField.respondedAt] == nil { after[TicketField.respondedAt] = now } }
        let kind: String
        switch step.action {
        case .reply:
            guard working else { throw refuse("replied to", reopenFirst) }
            channel = try step.channel.map { try word($0, field: TicketField.channel, entity: .tickets) }
            after[TicketField.status] = .string("responded")
            responded()
            kind = "replied"
        case .assign:
            guard status != "closed" else { throw refuse("assigned", reopenFirst) }
            guard let owner = step.owner else { throw Diagnostic.usage(.expectedValue, "the new owner's name", "", at: step.ticket.span) }
            let name = try self.text(owner, what: "the new owner's name")
            after[TicketField.owner] = .string(name)
            text = "to \(name)"
            kind = "assigned"
        case .wait:
            guard status != "pending" else { throw refuse("put on hold again", "it waits on the customer already: reply \(id) when they answer, or resolve it") }
            guard working else { throw refuse("put on hold", reopenFirst) }
            after[TicketField.status] = .string("pending")
            responded()
            kind = "waiting"
        case .resolve:
            guard working else { throw refuse("resolved", status == "resolved" ? "it is resolved already: close \(id) when the customer agrees" : reopenFirst) }
            after[TicketField.status] = .string("resolved")
            after[TicketField.resolvedAt] = now
            responded()
            kind = "resolved"
        case .close:
            guard status != "closed" else { throw refuse("closed again", "reopen \(id) \"WHY\" to work on it again") }
            let score = try step.satisfaction.map { literal -> Value in
                try conversion.value(literal, for: Field(CustomerField.satisfaction, .integer), entity: .customers)
            }
            if score == nil, case .string(let k)? = record[TicketField.kind], k.lowercased() == "complaint" {
                throw Diagnostic.runtime(.complaintNeedsSatisfaction, id, at: step.ticket.span)
            }
            after[TicketField.status] = .string("closed")
            after[TicketField.closedAt] = now
            if record[TicketField.resolvedAt] == nil { after[TicketField.resolvedAt] = now }
            responded()
            if let score {
                let closing = TicketLifecycle.closingSurvey(ticket: id, customer: customerID, date: clock.today, score: score,
                                                            channel: record[TicketField.channel], note: text)
                text = closing.text ?? text
                // The score is a survey like any other; the rollup makes it the customer's satisfaction.
                surveyChange = surveyRecord(closing.survey)
            }
            kind = "closed"
        case .reopen:
            guard status == "resolved" || status == "closed" else {
                throw refuse("reopened", "only a resolved or closed ticket can be reopened")
            }
            after[TicketField.status] = .string("open")
            after[TicketField.resolvedAt] = .null
            after[TicketField.closedAt] = .null
            kind = "reopened"
        }
        var before: [String: Value] = [:]
        for (field, value) in after {
            let old = record[field] ?? .null
            if old == value { after[field] = nil } else { before[field] = old }
        }
        let newStatus: String
        if case .string(let s)? = after[TicketField.status] { newStatus = s } else { newStatus = status }
        var changes: [RecordChange] = []
        if !after.isEmpty { changes.append(RecordChange(kind: .update, entity: .tickets, id: id, before: before, after: after)) }
        changes.append(timelineEntry(ticket: id, customer: customerID, kind: kind, status: newStatus, channel: channel, text: text))
        if let surveyChange { changes.append(surveyChange) }
        return changes
    }

    /// The ticket a command names: its stored id and record.
    private func ticket(_ literal: Literal) throws -> (id: String, record: [String: Value]) {
        try namedRecord(.tickets, literal, notAnID: .expectedTicketID, unknown: .ticketNotFound)
    }

    /// One step on a ticket's timeline: when, who, what, the status after it.
    private func timelineEntry(ticket: String, customer: String, kind: String, status: String, channel: String?, text: String?) -> RecordChange {
        var entry = TicketLifecycle.timelineRecord(ticket: ticket, customer: customer, at: clock.now, by: user, kind: kind,
                                                   status: status, channel: channel, text: text)
        let id = IDGenerator.next(.events, in: backend)
        entry[RecordField.id] = .string(id)
        return RecordChange(kind: .insert, entity: .events, id: id, after: entry)
    }
}

public enum TicketLifecycle {
    /// A timeline entry's fields but its id, as the commands write them (the demo uses it too).
    static func timelineRecord(ticket: String, customer: String, at: Int64, by user: String, kind: String, status: String,
                               channel: String?, text: String?) -> [String: Value] {
        var entry: [String: Value] = [
            EventField.ticket: .string(ticket), RecordField.customer: .string(customer), EventField.at: .instant(at),
            EventField.by: .string(user), EventField.kind: .string(kind), EventField.status: .string(status),
        ]
        if let channel { entry[EventField.channel] = .string(channel) }
        if let text, !text.isEmpty { entry[EventField.text] = .string(text) }
        return entry
    }

    /// The survey (but its id) that `close TICKET satisfaction N ["NOTE"]` leaves, and the
    /// text of its timeline entry (`satisfaction 4: NOTE`; nil for a score that is no integer).
    static func closingSurvey(ticket: String, customer: String, date: Day, score: Value, channel: Value?,
                              note: String?) -> (survey: [String: Value], text: String?) {
        var survey: [String: Value] = [
            RecordField.customer: .string(customer), RecordField.date: .date(date), SurveyField.score: score,
            SurveyField.comment: .string("ticket \(ticket)" + (note.map { $0.isEmpty ? "" : ": " + $0 } ?? "")),
        ]
        if let channel, !channel.isNull { survey[SurveyField.channel] = channel }
        var text: String?
        if case .integer(let n) = score { text = "satisfaction \(n)" + (note.map { ": " + $0 } ?? "") }
        return (survey, text)
    }

    /// "opened ticket T000003 for customer C000001", "ticket T000003 replied: status responded",
    /// "ticket T000003 closed: status closed; customer C000001 satisfaction 4".
    static func summary(_ set: ChangeSet) -> String {
        guard let entry = set.changes.first(where: { $0.entity == .events && $0.kind == .insert }),
              case .string(let ticket)? = entry.after[EventField.ticket], case .string(let kind)? = entry.after[EventField.kind],
              case .string(let status)? = entry.after[EventField.status], case .string(let customer)? = entry.after[RecordField.customer]
        else { return set.changes.isEmpty ? "no change" : "changed \(set.changes.count) records" }
        if kind == "opened" { return "opened ticket \(ticket) for customer \(customer)" }
        var text = "ticket \(ticket) \(kind): status \(status)"
        if kind == "assigned", case .string(let words)? = entry.after[EventField.text] { text = "ticket \(ticket) assigned \(words)" }
        if let c = set.changes.first(where: { $0.entity == .customers }), case .integer(let score)? = c.after[CustomerField.satisfaction] {
            text += "; customer \(c.id) satisfaction \(score)"
        }
        return text
    }
}
