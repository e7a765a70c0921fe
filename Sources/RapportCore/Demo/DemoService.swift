import Foundation

/// The service side of the demo (issue 12, docs/service.md): tickets with the steps the
/// ticket commands would have taken, their timelines, and satisfaction surveys.
///
/// A ticket is planned as a list of steps with their instants, then cut at `asOf`: steps
/// after it have not happened yet, so tickets opened lately stop open, responded, pending
/// or resolved, and one whose answer is late is overdue. The ticket's fields are folded
/// from its steps by the status table of docs/service.md, and its targets come from the
/// policy through `ServiceTargets`, so most tickets meet them by construction and the
/// planned share misses one (some answered late, some resolved late).
enum DemoService {
    /// The latest instant the demo writes: 14 hours before today's midnight in UTC, the
    /// start of today in every time zone (UTC+14 is the earliest), so `--now TODAY` in any
    /// zone sees no step in its future.
    static func asOf(today: Int) -> Int64 { Int64(today) * 86400 - 14 * 3600 }

    /// One step of a ticket, as its timeline entry will show it.
    struct Step {
        var kind: String
        var at: Int64
        var by: String
        var channel: String?
        var text: String?
    }

    /// A planned ticket: what `open ticket` was given and the steps after it (opened first).
    struct Ticket {
        var kind: String
        var text: String
        var priority: String
        var channel: String
        var owner: String
        var steps: [Step]
        /// The score of the closing step, if it carried one.
        var score: Int?
        /// The note of the closing step.
        var closingNote: String?
    }

    /// The ticket's fields after its steps, by the status table of docs/service.md.
    struct State {
        var status = "open"
        var owner: String
        var respondedAt: Int64?
        var resolvedAt: Int64?
        var closedAt: Int64?
        /// The status after each step, in step order.
        var statuses: [String] = []

        init(_ ticket: Ticket) {
            owner = ticket.owner
            for step in ticket.steps { apply(step) }
        }

        mutating func apply(_ step: Step) {
            // Every step that speaks to the customer counts as the first response.
            func responded() { if respondedAt == nil { respondedAt = step.at } }
            switch step.kind {
            case "opened": status = "open"
            case "replied": status = "responded"; responded()
            case "waiting": status = "pending"; responded()
            case "resolved": status = "resolved"; resolvedAt = step.at; responded()
            case "closed":
                status = "closed"; closedAt = step.at
                if resolvedAt == nil { resolvedAt = step.at }
                responded()
            case "reopened": status = "open"; resolvedAt = nil; closedAt = nil
            case "assigned": owner = String(step.text?.dropFirst("to ".count) ?? Substring(owner))
            default: break
            }
            statuses.append(status)
        }
    }

    /// Channels tickets come in by, most by phone, few by text message.
    static let channels = [("phone", 35), ("wechat", 25), ("email", 22), ("visit", 10), ("sms", 8)]
    /// Shares of tickets whose first answer, resp. whose resolution, came after its target.
    static let lateAnswerShare = 0.08, lateResolutionShare = 0.07
    /// Shares of tickets left waiting on a customer who never answered, and forgotten after the first reply.
    static let neverAnsweredShare = 0.03, forgottenShare = 0.005

    /// Plans a ticket opened at `openedAt` (not after `asOf`) and cuts it at `asOf`.
    static func plan(kind: String, openedAt: Int64, owner: String, asOf: Int64, policy: Policy, rng: inout SplitMix64) -> Ticket {
        let channel = rng.weighted(channels)
        let priority = rng.pick(["low", "normal", "normal", "high", "urgent"])
        let text = rng.pick(DemoData.ticketTexts[kind]!)
        let respondWithin = ServiceTargets.responseTarget(channel: channel, policy: policy) ?? 86400
        let resolveWithin = ServiceTargets.resolutionTarget(priority: priority, policy: policy)
        var ticket = Ticket(kind: kind, text: text, priority: priority, channel: channel, owner: owner,
                            steps: [Step(kind: "opened", at: openedAt, by: owner, channel: channel, text: text)])
        var by = owner
        func seconds(_ target: Int64, _ low: Double, _ high: Double) -> Int64 {
            max(60, Int64(Double(target) * (low + (high - low) * rng.double())))
        }
        // Time the resolve clock ran (open or responded) and the last step's instant.
        var t = openedAt
        // Some tickets of the last two days wait in the queue, unanswered (overdue on a fast channel).
        if openedAt > asOf - 2 * 86400, rng.chance(0.3) { return ticket }
        let firstAnswer = rng.chance(lateAnswerShare) ? seconds(respondWithin, 1.2, 4) : seconds(respondWithin, 0.1, 0.9)
        t += firstAnswer
        var worked = firstAnswer
        let waits = rng.chance(0.2)
        if waits {
            ticket.steps.append(Step(kind: "waiting", at: t, by: by, text: rng.pick(DemoData.waitTexts)))
            if rng.chance(neverAnsweredShare / 0.2) { return cut(ticket, at: asOf) }
            // The customer answers; the reply sets the ticket responded and the clock runs again.
            t += Int64(rng.int(3600, 3 * 86400))
            ticket.steps.append(Step(kind: "replied", at: t, by: by, channel: channel, text: rng.pick(DemoData.replyTexts)))
        } else {
            ticket.steps.append(Step(kind: "replied", at: t, by: by, channel: channel, text: rng.pick(DemoData.replyTexts)))
        }
        if rng.chance(forgottenShare) { return cut(ticket, at: asOf) }
        if rng.chance(0.1) {
            let colleague = rng.pick(DemoData.owners)
            if colleague != by {
                let step = Int64(rng.int(60, 3600))
                t += step; worked += step
                ticket.steps.append(Step(kind: "assigned", at: t, by: by, text: "to \(colleague)"))
                by = colleague
            }
        }
        let resolution = rng.chance(lateResolutionShare) ? seconds(resolveWithin, 1.1, 2.5) : seconds(resolveWithin, 0.05, 0.9)
        t += max(600, resolution - worked)
        ticket.steps.append(Step(kind: "resolved", at: t, by: by, text: rng.pick(DemoData.resolveTexts)))
        t += Int64(rng.int(1800, 4 * 86400))
        close(&ticket, at: t, by: by, rng: &rng)
        // Now and then the problem comes back: reopened, answered and resolved again quickly.
        if rng.chance(0.04) {
            t += Int64(rng.int(86400, 10 * 86400))
            ticket.steps.append(Step(kind: "reopened", at: t, by: by, text: rng.pick(DemoData.reopenTexts)))
            t += Int64(rng.int(60, Int(respondWithin)))
            ticket.steps.append(Step(kind: "replied", at: t, by: by, channel: channel, text: rng.pick(DemoData.replyTexts)))
            t += Int64(rng.int(3600, 12 * 3600))
            ticket.steps.append(Step(kind: "resolved", at: t, by: by, text: rng.pick(DemoData.resolveTexts)))
            t += Int64(rng.int(3600, 2 * 86400))
            close(&ticket, at: t, by: by, rng: &rng)
        }
        return cut(ticket, at: asOf)
    }

    /// The closing step: a complaint closes only with a score (as `close` demands), other
    /// tickets sometimes carry one; the step's text is what `close` writes.
    static func close(_ ticket: inout Ticket, at: Int64, by: String, rng: inout SplitMix64) {
        let scored = ticket.kind == "complaint" || rng.chance(0.3)
        let note: String? = rng.chance(0.6) ? rng.pick(DemoData.closingNotes) : nil
        var text = note
        if scored {
            let score = rng.pick(ticket.steps.contains { $0.kind == "reopened" } ? DemoData.lapsingSatisfaction : DemoData.satisfaction)
            ticket.score = score
            ticket.closingNote = note
            text = TicketLifecycle.closingSurvey(ticket: "", customer: "", date: Day(daysSinceEpoch: 0), score: .integer(Int64(score)),
                                                 channel: nil, note: note).text
        } else {
            ticket.score = nil
            ticket.closingNote = nil
        }
        ticket.steps.append(Step(kind: "closed", at: at, by: by, text: text))
    }

    /// The ticket as it stands at `asOf`: the steps after it have not been taken yet.
    static func cut(_ ticket: Ticket, at asOf: Int64) -> Ticket {
        guard let last = ticket.steps.lastIndex(where: { $0.at <= asOf }), last < ticket.steps.count - 1 else { return ticket }
        var kept = ticket
        kept.steps.removeSubrange((last + 1)...)
        if !kept.steps.contains(where: { $0.kind == "closed" }) { kept.score = nil; kept.closingNote = nil }
        return kept
    }

    /// The survey a scored closing left, dated the day (UTC) of the closing step.
    static func closingSurvey(_ ticket: Ticket, id: String, customer: String) -> (day: Int, record: [String: Value])? {
        guard let score = ticket.score, let closed = ticket.steps.last(where: { $0.kind == "closed" }) else { return nil }
        let day = Int(LocalDays.floorDiv(closed.at, 86400))
        let survey = TicketLifecycle.closingSurvey(ticket: id, customer: customer, date: Day(daysSinceEpoch: Int32(day)),
                                                   score: .integer(Int64(score)), channel: .string(ticket.channel), note: ticket.closingNote)
        return (day, survey.survey)
    }

    /// Yearly satisfaction surveys of a customer who takes them: in most years since it
    /// joined, on a day of that year up to today.
    static func yearlySurveys(customer: String, from createdAt: Int, today: Int, scores: [Int], rng: inout SplitMix64) -> [(day: Int, record: [String: Value])] {
        var out: [(Int, [String: Value])] = []
        var start = createdAt
        while start <= today {
            let day = min(today, start + rng.int(30, 364))
            if rng.chance(0.75), day > createdAt {
                let score = rng.pick(scores)
                let nps = min(10, max(0, 2 * score + rng.int(-2, 1)))
                var survey: [String: Value] = [
                    RecordField.customer: .string(customer), RecordField.date: .date(Day(daysSinceEpoch: Int32(day))),
                    SurveyField.score: .integer(Int64(score)), SurveyField.nps: .integer(Int64(nps)),
                    SurveyField.channel: .string(rng.weighted(DemoData.surveyChannels)),
                ]
                if rng.chance(0.5) { survey[SurveyField.comment] = .string(rng.pick(score >= 4 ? DemoData.praise : DemoData.criticism)) }
                out.append((day, survey))
            }
            start += 365
        }
        return out
    }
}

extension DemoData {
    static let waitTexts = ["请提供订单号", "请发一张照片", "Could you send the order number?", "等待客户确认地址"]
    static let replyTexts = ["我们正在查", "已转给仓库处理", "We are looking into it", "已联系快递公司", "收到，谢谢"]
    static let resolveTexts = ["已补发", "已退款", "Replacement sent", "已解释清楚", "Refunded the double charge"]
    static let reopenTexts = ["问题又出现了", "Customer says it is not fixed", "补发的也坏了"]
    static let closingNotes = ["满意", "客户同意关闭", "thanks", "问题已解决"]
    static let surveyChannels = [("wechat", 40), ("email", 30), ("sms", 15), ("phone", 15)]
    static let praise = ["服务很好", "Fast delivery", "会推荐给朋友", "Friendly staff"]
    static let criticism = ["等太久了", "Hard to reach anyone", "质量一般", "Prices went up"]
}
