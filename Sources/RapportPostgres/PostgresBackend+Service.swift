import Foundation
import RapportCore

/// The ticket service targets on PostgreSQL (respondBy, resolveBy, overdue, sla), computed
/// as `ServiceTargets` rules them (Domain/ServiceTargets.swift), instants in seconds since
/// 1970 as bigint, the policy's targets and now as parameters. The pauses of the resolve
/// clock come from the timeline: for every ticket at once at the query's own level (joined),
/// from a correlated subquery over the ticket's own steps inside a relation or in the bin.
extension SQLTranslation {
    private func ticketColumn(_ name: String) -> String { "\(scope).\(Self.quoted(name))" }

    private func seconds(_ instant: String) -> String { "extract(epoch from \(instant))::bigint" }

    /// `ServiceTargets.responseTarget`: the channel's `response.CHANNEL` in seconds, NULL
    /// without a channel or a key for it.
    private mutating func responseTarget() -> String {
        let keys = PolicyCatalogue.all.filter { $0.name.hasPrefix("response.") }
        let cases = keys.map { key in
            "WHEN \(parameter(String(key.name.dropFirst("response.".count)))) THEN \(parameter(String(Int64(policy.value(key).rounded()))))::bigint"
        }
        return "(CASE lower(\(ticketColumn(TicketField.channel))) \(cases.joined(separator: " ")) END)"
    }

    /// `ServiceTargets.resolutionTarget`: `resolution.PRIORITY`, a missing or unknown priority normal.
    private mutating func resolutionTarget() -> String {
        let keys = PolicyCatalogue.all.filter { $0.name.hasPrefix("resolution.") }
        let cases = keys.map { key in
            "WHEN \(parameter(String(key.name.dropFirst("resolution.".count)))) THEN \(parameter(String(Int64(policy.value(key).rounded()))))::bigint"
        }
        let normal = ServiceTargets.resolutionTarget(priority: nil, policy: policy)
        return "(CASE lower(\(ticketColumn(TicketField.priority))) \(cases.joined(separator: " ")) ELSE \(parameter(String(normal)))::bigint END)"
    }

    /// `ServiceTargets.Pauses` over the ticket's timeline (steps with a time, in id order, as
    /// the store takes them in the order they were added) as a row (before, since): a pause
    /// starts at a step out of open/responded after a running one (or first), ends at the
    /// next running step, adding max(0, end - start); `since` is the start of the last
    /// pause when the last step leaves the clock stopped. At the query's own level a joined
    /// column of every ticket's pauses (`joinTicketPauses`), else a correlated subquery.
    private mutating func pauses() -> String {
        guard scope == Self.table(.tickets), !inBin else { return "(\(pausesQuery(of: "\(scope).id")))" }
        readsTicketPauses = true
        return "(SELECT COALESCE(\(scope).\(Self.quoted(Self.pausesColumn("before"))), 0)::bigint AS before,"
            + " \(scope).\(Self.quoted(Self.pausesColumn("since"))) AS since)"
    }

    private static func pausesColumn(_ name: String) -> String { "rapport_pauses_\(name)" }

    /// The pauses of the ticket whose id is `ticket`, or (nil) of every ticket with a
    /// timeline, its id as `ticket`: the same window functions partitioned by ticket.
    private func pausesQuery(of ticket: String?) -> String {
        let e = "e", status = "lower(\(e).\(Self.quoted(EventField.status)))"
        let ticketOfStep = "\(e).\(Self.quoted(EventField.ticket))"
        let runs = "(\(e).\(Self.quoted(EventField.status)) IS NULL OR \(status) IN ('open', 'responded'))"
        let key = ticket == nil ? "ticket, " : ""
        let partition = ticket == nil ? "PARTITION BY ticket " : ""
        let steps = "SELECT \(ticketOfStep) AS ticket, \(e).id, \(seconds("\(e).\(Self.quoted(EventField.at))")) AS at, \(runs) AS runs,"
            + " COALESCE(lag(\(runs)) OVER (\(ticket == nil ? "PARTITION BY \(ticketOfStep) " : "")ORDER BY \(e).id COLLATE \"C\"), true) AS ran"
            + " FROM \(source(.events)) \(e) WHERE \(e).\(Self.quoted(EventField.at)) IS NOT NULL"
            + (ticket.map { " AND \(ticketOfStep) = \($0)" } ?? "")
        let numbered = "SELECT ticket, id, at, runs, ran, count(CASE WHEN NOT runs AND ran THEN 1 END) OVER (\(partition)ORDER BY id COLLATE \"C\" ROWS UNBOUNDED PRECEDING) AS pause FROM (\(steps)) steps"
        let started = "SELECT ticket, id, at, runs, ran, max(CASE WHEN NOT runs AND ran THEN at END) OVER (PARTITION BY \(ticket == nil ? "ticket, " : "")pause) AS start FROM (\(numbered)) numbered"
        return "SELECT \(key)COALESCE(sum(CASE WHEN runs AND NOT ran THEN GREATEST(0, at - start) ELSE 0 END), 0)::bigint AS before,"
            + " (array_agg(CASE WHEN NOT runs THEN start END ORDER BY id COLLATE \"C\" DESC))[1] AS since FROM (\(started)) started"
            + (ticket == nil ? " GROUP BY ticket" : "")
    }

    /// The join of every ticket's pauses, for `from` (tickets as `b`) when the query read them.
    mutating func joinTicketPauses(columns: inout [String], joins: inout String) {
        guard readsTicketPauses else { return }
        columns += ["before", "since"].map { "tp.\($0) AS \(Self.quoted(Self.pausesColumn($0)))" }
        joins += " LEFT JOIN (\(pausesQuery(of: nil))) tp ON tp.ticket = b.id"
    }

    /// The ticket's facts as one row, for the rules below: opened, responded, done (resolved,
    /// else closed), status (lowercased), the two targets, before, since.
    private mutating func facts() -> String {
        "SELECT \(seconds(ticketColumn(TicketField.openedAt))) AS opened, \(seconds(ticketColumn(TicketField.respondedAt))) AS responded,"
            + " COALESCE(\(seconds(ticketColumn(TicketField.resolvedAt))), \(seconds(ticketColumn(TicketField.closedAt)))) AS done_at,"
            + " lower(\(ticketColumn(TicketField.status))) AS status, \(responseTarget()) AS response, \(resolutionTarget()) AS resolution,"
            + " p.before, p.since FROM \(pauses()) p"
    }

    /// The rule `f` over the ticket's facts, with `now` as a parameter; NULL (false for
    /// overdue) without openedAt.
    private mutating func overFacts(_ rule: (String) -> String, missing: String = "NULL") -> String {
        let now = "\(parameter(String(self.now)))::bigint"
        return "(SELECT CASE WHEN opened IS NULL THEN \(missing) ELSE \(rule(now)) END FROM (\(facts())) facts)"
    }

    private static let isDone = "COALESCE(status IN ('resolved', 'closed'), false)"
    private static let respondBy = "(opened + response)"
    private static func resolveBy(_ now: String) -> String {
        "(opened + resolution + before + CASE WHEN status = 'pending' AND since IS NOT NULL THEN GREATEST(0, \(now) - since) ELSE 0 END)"
    }

    /// The SQL of a service target field of the ticket in scope.
    mutating func serviceTarget(_ name: String) throws -> String {
        switch name {
        case "respondBy":
            return "CASE WHEN \(ticketColumn(TicketField.openedAt)) IS NULL THEN NULL ELSE to_timestamp(\(seconds(ticketColumn(TicketField.openedAt))) + \(responseTarget())) END"
        case "resolveBy":
            return "to_timestamp(\(overFacts { Self.resolveBy($0) }))"
        case "overdue":
            return overFacts({ now in
                "NOT \(Self.isDone) AND ((responded IS NULL AND \(Self.respondBy) IS NOT NULL AND \(now) > \(Self.respondBy)) OR \(now) > \(Self.resolveBy(now)))"
            }, missing: "false")
        case "sla":
            // States as codes, the worst one wins: met 0, unknown 1, due 2, breached 3
            // (`ServiceTargets.Ticket.sla`); no response target adds no state.
            return overFacts { now in
                let answered = "COALESCE(responded, CASE WHEN \(Self.isDone) THEN done_at END)"
                let response = "CASE WHEN \(Self.respondBy) IS NULL THEN NULL WHEN \(answered) IS NOT NULL THEN CASE WHEN \(answered) > \(Self.respondBy) THEN 3 ELSE 0 END"
                    + " WHEN \(Self.isDone) THEN 1 WHEN \(now) > \(Self.respondBy) THEN 3 ELSE 2 END"
                let stopped = "COALESCE(since, done_at)"
                let resolution = "CASE WHEN \(Self.isDone) THEN CASE WHEN \(stopped) IS NULL THEN 1 WHEN \(stopped) > \(Self.resolveBy(now)) THEN 3 ELSE 0 END"
                    + " WHEN \(now) > \(Self.resolveBy(now)) THEN 3 ELSE 2 END"
                return "CASE GREATEST(\(response), \(resolution)) WHEN 3 THEN 'breached' WHEN 2 THEN 'due' WHEN 0 THEN 'met' END"
            }
        default:
            throw Self.unsupported("the derived field '\(name)'")
        }
    }
}

extension PostgresBackend {
    /// Schema version 3: the timeline indexed by ticket, so the service targets' pauses
    /// (a correlated subquery per ticket) read the ticket's own steps, not the whole table.
    static func indexTimelines(_ connection: Connection) throws {
        try connection.execute("CREATE INDEX IF NOT EXISTS events_ticket ON \(SQLTranslation.table(.events)) (\(SQLTranslation.quoted(EventField.ticket)))")
    }
}
