/// The service targets of a ticket (contract section 9, docs/service.md): when the first
/// response and the resolution are due, whether a target is overdue, and the ticket's SLA
/// state. Pure rules over numbers; the whole-column passes over a store's tickets are at
/// the end.
public enum ServiceTargets {
    /// The states of `sla`. A breach stays a breach after the ticket is answered.
    public enum SLA: String, CaseIterable, Sendable {
        case met, due, breached
    }

    /// Statuses in which the resolve clock runs; in the others it is paused (waiting on
    /// the customer) or stopped (resolved, closed).
    public static func clockRuns(_ status: String?) -> Bool {
        guard let s = status?.lowercased() else { return true }
        return s == "open" || s == "responded"
    }

    /// A ticket that is resolved or closed.
    public static func isDone(_ status: String?) -> Bool {
        let s = status?.lowercased()
        return s == "resolved" || s == "closed"
    }

    /// The first-response target of a channel in seconds; nil when the ticket has no
    /// channel (no response target) or the policy has no key for it.
    public static func responseTarget(channel: String?, policy: Policy) -> Int64? {
        guard let channel, let key = PolicyCatalogue.key(named: "response." + channel) else { return nil }
        return Int64(policy.value(key).rounded())
    }

    /// The resolution target of a priority in seconds; a missing or unknown priority is normal.
    public static func resolutionTarget(priority: String?, policy: Policy) -> Int64 {
        let key = priority.flatMap { PolicyCatalogue.key(named: "resolution." + $0) } ?? PolicyCatalogue.key(named: "resolution.normal")!
        return Int64(policy.value(key).rounded())
    }

    /// What the rules need to know of one ticket, instants in seconds since 1970.
    public struct Ticket: Sendable, Equatable {
        public var openedAt: Int64
        public var respondedAt: Int64?
        /// resolvedAt, else closedAt: when the ticket was done (nil when it is not, or an
        /// old ticket closed without a time).
        public var doneAt: Int64?
        public var status: String?
        public var responseTarget: Int64?
        public var resolutionTarget: Int64
        /// Seconds the resolve clock stood still in pauses that have ended.
        public var pausedBefore: Int64 = 0
        /// When the current pause began (the step to pending, resolved or closed), if any.
        public var pausedSince: Int64?

        public init(openedAt: Int64, respondedAt: Int64? = nil, doneAt: Int64? = nil, status: String?,
                    responseTarget: Int64?, resolutionTarget: Int64, pausedBefore: Int64 = 0, pausedSince: Int64? = nil) {
            self.openedAt = openedAt
            self.respondedAt = respondedAt
            self.doneAt = doneAt
            self.status = status
            self.responseTarget = responseTarget
            self.resolutionTarget = resolutionTarget
            self.pausedBefore = pausedBefore
            self.pausedSince = pausedSince
        }

        public var respondBy: Int64? { responseTarget.map { openedAt + $0 } }

        /// The resolution target's instant: opening + target + the time the clock stood
        /// still; while pending, the pause so far counts too, so the instant moves with now.
        public func resolveBy(now: Int64) -> Int64 {
            var by = openedAt + resolutionTarget + pausedBefore
            if status?.lowercased() == "pending", let since = pausedSince { by += max(0, now - since) }
            return by
        }

        /// When the resolve clock stopped for good: the start of the pause that the
        /// resolution began (a ticket resolved while pending), else the resolution itself.
        var stoppedAt: Int64? { pausedSince ?? doneAt }

        /// A target passed and not met: no first response after respondBy, or not
        /// resolved after resolveBy. A ticket resolved or closed is never overdue.
        public func isOverdue(now: Int64) -> Bool {
            if ServiceTargets.isDone(status) { return false }
            if respondedAt == nil, let by = respondBy, now > by { return true }
            return now > resolveBy(now: now)
        }

        /// breached when a target was missed (even if met late), due while a target is
        /// still running, met when both were met; nil for an old ticket done without times.
        public func sla(now: Int64) -> SLA? {
            let done = ServiceTargets.isDone(status)
            var states: [SLA?] = []
            if let by = respondBy {
                if let answered = respondedAt ?? (done ? doneAt : nil) { states.append(answered > by ? .breached : .met) }
                else if done { states.append(nil) }
                else { states.append(now > by ? .breached : .due) }
            }
            let resolveBy = self.resolveBy(now: now)
            if done {
                states.append(stoppedAt.map { $0 > resolveBy ? .breached : .met })
            } else {
                states.append(now > resolveBy ? .breached : .due)
            }
            if states.contains(.breached) { return .breached }
            if states.contains(.due) { return .due }
            if states.contains(where: { $0 == nil }) { return nil }
            return .met
        }
    }

    /// Pauses of the resolve clock from a ticket's timeline, steps in the order they were
    /// taken: a pause begins at a step that leaves the ticket pending, resolved or closed
    /// and ends at the next step that sets it open or responded again.
    public struct Pauses: Sendable, Equatable {
        public var before: Int64 = 0
        public var since: Int64?
        public init(before: Int64 = 0, since: Int64? = nil) { self.before = before; self.since = since }

        public mutating func step(at: Int64, status: String?) {
            if ServiceTargets.clockRuns(status) {
                if let since { before += max(0, at - since) }
                since = nil
            } else if since == nil {
                since = at
            }
        }
    }

    // MARK: Whole columns

    /// The tickets as the rules see them, row by row (nil for a row without openedAt), and
    /// the pauses from the timeline: computed once per store change, shared by the four
    /// derived fields.
    static func tickets(_ inputs: any DerivedInputs) -> [Ticket?] {
        inputs.shared("serviceTargets.tickets") {
            let policy = inputs.policy
            let opened = inputs.instants(TicketField.openedAt), responded = inputs.instants(TicketField.respondedAt)
            let resolved = inputs.instants(TicketField.resolvedAt), closed = inputs.instants(TicketField.closedAt)
            let status = inputs.strings(TicketField.status), channel = inputs.strings(TicketField.channel)
            let priority = inputs.strings(TicketField.priority)
            let responseTargets = channel.strings.map { responseTarget(channel: $0.isEmpty ? nil : $0, policy: policy) }
            let resolutionTargets = priority.strings.map { resolutionTarget(priority: $0.isEmpty ? nil : $0, policy: policy) }
            var pauses = [Pauses](repeating: Pauses(), count: inputs.rowCount)
            let steps = inputs.linkedRows(of: .events, by: EventField.ticket, instant: EventField.at, text: EventField.status)
            for i in steps.rows.indices where steps.rows[i] >= 0 && Int(steps.rows[i]) < pauses.count {
                guard steps.instants[i] != NullSentinel.instant else { continue }
                pauses[Int(steps.rows[i])].step(at: steps.instants[i], status: steps.texts[Int(steps.codes[i])])
            }
            func instant(_ v: Int64) -> Int64? { v == NullSentinel.instant ? nil : v }
            return (0..<inputs.rowCount).map { r -> Ticket? in
                guard let openedAt = instant(opened[r]) else { return nil }
                let s = status.codes[r] == 0 ? nil : status.strings[Int(status.codes[r])]
                return Ticket(openedAt: openedAt, respondedAt: instant(responded[r]), doneAt: instant(resolved[r]) ?? instant(closed[r]),
                              status: s, responseTarget: responseTargets[Int(channel.codes[r])],
                              resolutionTarget: resolutionTargets[Int(priority.codes[r])],
                              pausedBefore: pauses[r].before, pausedSince: pauses[r].since)
            }
        }
    }

    public static func respondByColumn(_ inputs: any DerivedInputs) -> Column {
        .instant(TypedColumn(tickets(inputs).map { $0?.respondBy ?? NullSentinel.instant }))
    }

    public static func resolveByColumn(_ inputs: any DerivedInputs) -> Column {
        let now = inputs.now
        return .instant(TypedColumn(tickets(inputs).map { $0?.resolveBy(now: now) ?? NullSentinel.instant }))
    }

    public static func overdueColumn(_ inputs: any DerivedInputs) -> Column {
        let now = inputs.now
        return .boolean(TypedColumn(tickets(inputs).map { ($0?.isOverdue(now: now) ?? false) ? 1 : 0 }))
    }

    public static func slaColumn(_ inputs: any DerivedInputs) -> Column {
        let now = inputs.now
        let states = SLA.allCases
        return CustomerValue.stringColumn([""] + states.map(\.rawValue), codes: tickets(inputs).map { t in
            guard let state = t?.sla(now: now) else { return 0 }
            return UInt8(states.firstIndex(of: state)! + 1)
        })
    }
}
