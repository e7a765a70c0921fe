import Foundation

/// Runs a checked campaign block (docs/campaigns.md): finds its targets in one query,
/// skips those touched within `every` or without an address, and builds ONE change set
/// of every message, every action's records (through `ChangeBuilder`, the commands' own
/// builders), the touches and the run's record, which the rollup then completes once.
/// Nothing is committed here: the session commits, then writes the outbox.
public struct CampaignRunner {
    public let backend: any Backend
    public let clock: Clock
    public let user: String
    /// The block as typed, for the journal.
    public let command: String

    public init(backend: any Backend, clock: Clock, user: String, command: String) {
        self.backend = backend
        self.clock = clock
        self.user = user
        self.command = command
    }

    /// Reports how far a run's decisions have got: (customers decided, customers targeted),
    /// every `progressInterval` customers and once at the end. Nil: nobody is watching.
    public var progress: (@Sendable (Int, Int) -> Void)?
    public static let progressInterval = 1_000

    /// Set for a run that will be committed (not a preview): a large run's messages and
    /// contacts are written as journal text on another core while the rollup runs here
    /// (`Backend.encodeJournalAhead`).
    public var encodesJournalAhead = false

    /// The fields of every message a run inserts, in the order its records give them.
    static let messageFields = FieldList([RecordField.id, "campaign", RecordField.customer, "channel", "to", "text", "at", "status"])

    /// Why a targeted customer was skipped, in the order the summary lists them.
    public enum SkipReason: Hashable, Sendable {
        case touched(within: String?)
        /// A consent or cap rule (`Consent.decide`, `WeeklyCap`).
        case rule(RapportCore.SkipReason)

        static let noAddress = SkipReason.rule(.noAddress)

        var text: String {
            switch self {
            case .touched(let d?): return "touched within \(d)"
            case .touched(nil): return "touched before"
            case .rule(let reason): return reason.label
            }
        }
    }

    /// What a run does: its change set (not yet committed), the messages in it, the counts.
    public struct Run {
        public var block: CampaignBlock
        public var changes: ChangeSet
        /// The new messages: id and record, in id order.
        public var messages: [(id: String, record: PositionalRecord)]
        public var targeted = 0
        public var skips: [(reason: SkipReason, count: Int)] = []
        public var applied = 0
        /// Set when a `when holiday` clause kept the block from running today: why.
        public var notToday: String?
        public var skipped: Int { skips.reduce(0) { $0 + $1.count } }

        /// The one summary line of a run (docs/campaigns.md):
        /// `NAME: targeted 120, skipped 15 (touched within 365d: 10, no address: 5), sent 105`.
        public func summary(dryRun: Bool) -> String {
            if let notToday { return (dryRun ? "dry run: " : "") + "\(block.name): not today (\(notToday))" + (dryRun ? "; nothing changed" : "") }
            var text = "\(block.name): targeted \(targeted), skipped \(skipped)"
            if !skips.isEmpty { text += " (" + skips.map { "\($0.reason.text): \($0.count)" }.joined(separator: ", ") + ")" }
            if block.sends {
                text += dryRun ? ", would send \(messages.count)" : ", sent \(messages.count)"
            } else {
                text += dryRun ? ", would apply to \(applied)" : ", applied to \(applied)"
            }
            return dryRun ? "dry run: " + text + "; nothing changed" : text
        }

        /// The messages a dry run lists.
        public var preview: ResultSet {
            ResultSet(columns: ["customer", "channel", "to", "text"], rows: messages.map { m in
                ["customer", "channel", "to", "text"].map { m.record[$0] ?? .null }
            })
        }
    }

    /// The fields read of every target, as columns (`Backend.columns(matching:fields:clock:)`).
    final class Targets {
        let fields: [String]
        let columns: [[Value]]
        /// The columns `decide` reads, found once: a name looked up per customer is a
        /// linear search over a dozen names, 100,000s of times.
        let preferredChannel: Int?, optOut: Int?, email: Int?, phone: Int?

        init(fields: [String], columns: [[Value]]) {
            self.fields = fields
            self.columns = columns
            preferredChannel = fields.firstIndex(of: CustomerField.preferredChannel)
            optOut = fields.firstIndex(of: CustomerField.optOut)
            email = fields.firstIndex(of: CustomerField.email)
            phone = fields.firstIndex(of: CustomerField.phone)
        }

        /// One target's value in column `c` (nil: the column was not read), as `Target` gives it.
        func value(_ c: Int?, _ place: Int) -> Value? { c.map { columns[$0][place] } }

        /// One target's fields as `Backend.records` gives them (nulls left out).
        func dictionary(_ place: Int) -> [String: Value] {
            var record: [String: Value] = [:]
            for (c, name) in fields.enumerated() where !columns[c][place].isNull { record[name] = columns[c][place] }
            return record
        }
    }

    /// A send's template with each field's column in the targets found once per run:
    /// renders what `Template.render` renders of a `Target`, character for character.
    struct ResolvedTemplate {
        enum Part {
            case text(String)
            case field(column: Int?, format: Template.Format?)
        }
        let parts: [Part]
        /// The text's bytes and a guess for the fields: the string is sized once.
        let expectedBytes: Int

        init(_ template: Template, names: [String: String], targets: Targets) {
            parts = template.parts.map { part in
                switch part {
                case .text(let s): .text(s)
                case .field(let name, let format, _): .field(column: targets.fields.firstIndex(of: names[name] ?? name), format: format)
                }
            }
            expectedBytes = parts.reduce(0) { sum, part in
                if case .text(let s) = part { sum + s.utf8.count } else { sum + 16 }
            }
        }

        func render(_ targets: Targets, _ place: Int, _ formatter: ValueFormatter) -> String {
            var out = ""
            out.reserveCapacity(expectedBytes)
            for part in parts {
                switch part {
                case .text(let s): out += s
                case .field(let column, let format): out += Template.text(targets.value(column, place) ?? .null, format, formatter)
                }
            }
            return out
        }
    }

    /// One target, read by field name from the columns of all: no dictionary per customer.
    struct Target: NamedValues {
        let read: Targets
        let place: Int

        /// A linear search: a run reads a dozen fields.
        subscript(_ name: String) -> Value? {
            guard let c = read.fields.firstIndex(of: name) else { return nil }
            return read.columns[c][place]
        }
    }

    /// Checks the whole block against the store, then builds the run. Throws before
    /// anything is built when a template names an unknown field or an action's value is wrong.
    public func plan(_ block: CampaignBlock) throws -> Run {
        let fieldNames = try templateFieldNames(block)
        var builder = ChangeBuilder(backend: backend, clock: clock, user: user, command: command)
        try checkActions(block, builder)

        var query = FindQuery(entity: EntityName(entity: .customers, span: block.nameSpan))
        query.condition = block.target
        var checker = Checker(schema: backend.schema(of: .customers), clock: clock, schemas: backend.schema(of:))
        checker.segments = backend.segments
        let checked = try checker.check(query)
        try backend.checkSupported(checked)
        var run = Run(block: block, changes: ChangeSet(at: clock.now, user: user, command: command), messages: [])
        run.changes.campaignEvery = block.every ?? .infinity
        let holiday = holidayToday(block)
        if case .notToday(let why) = holiday {
            run.notToday = why
            return run
        }

        let read = Set(fieldNames.values).union([CustomerField.phone, CustomerField.email, CustomerField.owner,
                                                 CustomerField.preferredChannel, CustomerField.optOut]).union(ChangeBuilder.customerFieldsRead)
        let readFields = Array(read)
        let targetRead = backend.columns(matching: checked, fields: readFields, clock: clock)
        let targetIDs = targetRead.ids
        let targets = Targets(fields: readFields, columns: targetRead.columns)
        // `log contact` is built once and stamped per customer; the other commands' builders
        // find each customer in the records just read.
        var contactTemplates: [Int: ChangeBuilder.ContactTemplate] = [:]
        for (i, action) in block.actions.enumerated() {
            if case .command(.logContact(_, let channel, let note)) = action { contactTemplates[i] = try builder.contactTemplate(channel, note) }
        }
        if block.actions.enumerated().contains(where: { i, action in
            if case .command = action { contactTemplates[i] == nil } else { false }
        }) {
            builder.knownCustomers = Dictionary(targetIDs.indices.lazy.map { (targetIDs[$0], targets.dictionary($0)) }, uniquingKeysWith: { first, _ in first })
        }
        let touched = touchedCustomers(block)
        // Every message of the run is stamped outside the quiet hours; touches and the run
        // itself keep the time the run was made.
        let messageTime = QuietHours(policy: backend.policy).nextAllowed(after: clock.now, timeZone: clock.timeZone)
        let cap = WeeklyCap(policy: backend.policy)
        let recentMessages = block.sends && cap.cap > 0 ? recentMessageTimes(upTo: messageTime) : [:]

        run.targeted = targetIDs.count
        var skipCounts: [SkipReason: Int] = [:]
        var numbers = IDNumbers(backend: backend)
        // The customers acted on (places in the targets) and, per send, each one's route:
        // decided first, then their records built (`actions`), on two cores when large.
        var actedPlaces: [Int] = []
        var routes: [(channel: String, to: String)] = []
        let sendCount = block.actions.reduce(0) { if case .send = $1 { $0 + 1 } else { $0 } }
        var decided = 0
        progress?(0, targetIDs.count)
        for place in targetIDs.indices {
            let customerID = targetIDs[place]
            decided += 1
            if decided % Self.progressInterval == 0 { progress?(decided, targetIDs.count) }
            // A first run has touched nobody: no id hashed.
            if !touched.isEmpty, touched.contains(customerID) { skipCounts[.touched(within: block.everyText), default: 0] += 1; continue }
            // A customer any send of the block cannot reach gets none of its actions.
            var skip: RapportCore.SkipReason?
            let firstRoute = routes.count
            for case .send(let channel, _) in block.actions {
                switch Self.decide(channel, targets, place) {
                case .send(let c, let to): routes.append((c, to))
                case .skip(let reason): skip = reason
                }
                if skip != nil { break }
            }
            if skip == nil, sendCount > 0, cap.cap > 0, Self.overCap(cap, recentMessages[customerID] ?? [], sendCount, messageTime) {
                skip = .overWeeklyCap
            }
            if let skip {
                routes.removeSubrange(firstRoute...)
                skipCounts[.rule(skip), default: 0] += 1
                continue
            }
            actedPlaces.append(place)
        }
        progress?(targetIDs.count, targetIDs.count)
        let plan = ActedPlan(block: block, targets: targets, targetIDs: targetIDs, actedPlaces: actedPlaces, routes: routes,
                             sendCount: sendCount, fieldNames: fieldNames, contactTemplates: contactTemplates,
                             holidayValues: holiday.window.map { Self.holidayValues($0, today: clock.today) } ?? [:],
                             formatter: ValueFormatter(timeZone: clock.timeZone), at: .instant(clock.now), messageAt: .instant(messageTime))
        var journalPrefix: JournalPrefix?
        let built = try actions(plan, numbers: &numbers, builder: builder, journalPrefix: &journalPrefix)
        run.changes.changes = built.changes
        run.changes.journalPrefix = journalPrefix
        run.messages = built.messages
        let acted = actedPlaces.map { targetIDs[$0] }
        let campaign = Value.string(block.name)
        let at = Value.instant(clock.now)
        run.applied = acted.count
        run.skips = ([SkipReason.touched(within: block.everyText)] + RapportCore.SkipReason.allCases.filter { $0 != .touchedWithinEvery }.map(SkipReason.rule)).compactMap { r in skipCounts[r].map { (r, $0) } }
        // `set` once for all the customers acted on, as one `update` (its validation, one query).
        for case .set(let assignments, let span) in block.actions where !acted.isEmpty {
            let ids = acted.map { Literal(kind: .string($0, quoted: true), span: span, text: $0) }
            let update = Command.update(EntityName(entity: .customers, span: span), .member(FieldName(RecordField.id, span: span), ids, negated: false), assignments)
            run.changes.changes += try builder.recordChanges(update)
        }
        if !acted.isEmpty {
            let id = numbers.next(.runs)
            run.changes.changes.append(RecordChange(kind: .insert, entity: .runs, id: id, after: [
                RecordField.id: .string(id), "campaign": campaign, "at": at, "by": .string(user),
                "targeted": .integer(Int64(run.targeted)), "skipped": .integer(Int64(run.skipped)),
                "sent": .integer(Int64(run.messages.count)), "applied": .integer(Int64(run.applied)),
                "skips": .string(run.skips.map { "\($0.reason.text): \($0.count)" }.joined(separator: ", ")),
            ]))
        }
        do {
            try CustomerRollup(backend: backend, today: clock.today).reconcile(&run.changes)
        } catch let failure as CustomerRollup.Failure {
            let first = failure.problems[0]
            throw Diagnostic(first.kind, first.id, first.arguments, at: block.nameSpan)
        }
        return run
    }

    /// From how many customers acted on a run's records are built on two cores at once.
    /// A test sets it to compare the split with one thread.
    var customersWorthSplitting = 10_000

    /// What building the acted-on customers' records reads, shared read-only by the threads.
    final class ActedPlan: @unchecked Sendable {
        let block: CampaignBlock
        let targets: Targets
        let targetIDs: [String]
        /// Places in the targets of the customers acted on, in target order.
        let actedPlaces: [Int]
        /// `sendCount` routes per customer acted on, in the same order.
        let routes: [(channel: String, to: String)]
        let sendCount: Int
        let fieldNames: [String: String]
        let contactTemplates: [Int: ChangeBuilder.ContactTemplate]
        let holidayValues: [String: Value]
        let formatter: ValueFormatter
        let at: Value
        let messageAt: Value

        init(block: CampaignBlock, targets: Targets, targetIDs: [String], actedPlaces: [Int], routes: [(channel: String, to: String)],
             sendCount: Int, fieldNames: [String: String], contactTemplates: [Int: ChangeBuilder.ContactTemplate],
             holidayValues: [String: Value], formatter: ValueFormatter, at: Value, messageAt: Value) {
            self.block = block
            self.targets = targets
            self.targetIDs = targetIDs
            self.actedPlaces = actedPlaces
            self.routes = routes
            self.sendCount = sendCount
            self.fieldNames = fieldNames
            self.contactTemplates = contactTemplates
            self.holidayValues = holidayValues
            self.formatter = formatter
            self.at = at
            self.messageAt = messageAt
        }

        /// Whether every action is a send, a `log contact` (stamped from its template) or a
        /// `set` (after the loop): then each customer's records need no builder and a known
        /// number of new ids, so halves of the customers can be built apart.
        var splits: Bool {
            block.actions.indices.allSatisfy { i in
                switch block.actions[i] {
                case .send, .set: true
                case .command: contactTemplates[i] != nil
                case .assign: false
                }
            }
        }

        /// The new ids each customer acted on takes, by entity (for a plan that `splits`).
        var idsPerCustomer: [(Entity, Int)] {
            [(.messages, sendCount), (.contacts, contactTemplates.count), (.touchpoints, block.sends ? 0 : 1)]
        }
    }

    typealias Built = (changes: [RecordChange], messages: [(id: String, record: PositionalRecord)])

    /// The records of every customer acted on, in their order: on two threads when the plan
    /// splits and is large (the second half's ids numbered after the first's), the same
    /// changes, ids and order as one thread makes.
    /// `journalPrefix`: the built changes' journal text, started on another core when the
    /// build is split and `encodesJournalAhead`.
    private func actions(_ plan: ActedPlan, numbers: inout IDNumbers, builder: ChangeBuilder,
                         journalPrefix: inout JournalPrefix?) throws -> Built {
        let count = plan.actedPlaces.count
        guard plan.splits, count >= customersWorthSplitting, count >= 2, ProcessInfo.processInfo.activeProcessorCount > 1 else {
            return try actions(plan, 0..<count, numbers: &numbers, builder: builder)
        }
        let middle = count / 2
        // Every entity's next number is read from the backend here, on this thread.
        for (entity, _) in plan.idsPerCustomer { numbers.advance(entity, by: 0) }
        var second = numbers
        for (entity, perCustomer) in plan.idsPerCustomer { second.advance(entity, by: perCustomer * middle) }
        let halves = [HalfBuild(runner: self, builder: builder, plan: plan, range: 0..<middle, numbers: numbers),
                      HalfBuild(runner: self, builder: builder, plan: plan, range: middle..<count, numbers: second)]
        DispatchQueue.concurrentPerform(iterations: 2) { half in halves[half].build() }
        numbers = halves[1].numbers
        var first = try halves[0].result!.get()
        let rest = try halves[1].result!.get()
        if encodesJournalAhead { journalPrefix = backend.encodeJournalAhead([first.changes, rest.changes]) }
        // A new array for the set (the halves are read by the journal's writer meanwhile),
        // with room for what follows: the run's record and a customer's update each.
        var joined: [RecordChange] = []
        joined.reserveCapacity(first.changes.count + rest.changes.count + count + 1)
        joined += first.changes
        joined += rest.changes
        first.changes = joined
        first.messages += rest.messages
        return first
    }

    /// The records of the customers acted on at `range` of the plan's, in order.
    private func actions(_ plan: ActedPlan, _ range: Range<Int>, numbers: inout IDNumbers, builder: ChangeBuilder) throws -> Built {
        var built: Built = ([], [])
        built.changes.reserveCapacity(range.count * (plan.sendCount + plan.contactTemplates.count + (plan.block.sends ? 0 : 1)))
        built.messages.reserveCapacity(range.count * plan.sendCount)
        let campaign = Value.string(plan.block.name)
        let pending = Value.string("pending")
        // Each send's template by action index, its columns found once (not for a holiday's
        // values, which the targets do not hold).
        var resolved: [ResolvedTemplate?] = plan.block.actions.map { _ in nil }
        if plan.holidayValues.isEmpty {
            for (actionIndex, action) in plan.block.actions.enumerated() {
                if case .send(_, let template) = action { resolved[actionIndex] = ResolvedTemplate(template, names: plan.fieldNames, targets: plan.targets) }
            }
        }
        for k in range {
            let place = plan.actedPlaces[k]
            let customerID = plan.targetIDs[place]
            let record = Target(read: plan.targets, place: place)
            var sendIndex = k * plan.sendCount
            for (actionIndex, action) in plan.block.actions.enumerated() {
                switch action {
                case .send(_, let template):
                    let route = plan.routes[sendIndex]
                    sendIndex += 1
                    let id = numbers.next(.messages)
                    let text = if let resolved = resolved[actionIndex] { resolved.render(plan.targets, place, plan.formatter) } else {
                        template.render(plan.targets.dictionary(place).merging(plan.holidayValues) { _, holiday in holiday },
                                          names: plan.fieldNames, formatter: plan.formatter)
                    }
                    let message = PositionalRecord(Self.messageFields, [
                        .string(id), campaign, .string(customerID), .string(route.channel), .string(route.to), .string(text), plan.messageAt, pending,
                    ])
                    built.changes.append(RecordChange(insert: .messages, id: id, record: message))
                    built.messages.append((id, message))
                case .command(let written):
                    if let contact = plan.contactTemplates[actionIndex] {
                        built.changes.append(contact.insert(customer: customerID, id: numbers.next(.contacts)))
                    } else {
                        built.changes += numbers.renumbered(try builder.recordChanges(CampaignAction.command(written, forCustomer: customerID)))
                    }
                case .assign(let owner, let text, let due, let span):
                    let task = try taskCommand(customerID, record: record, owner: owner, text: text, due: due, span: span)
                    built.changes += numbers.renumbered(try builder.recordChanges(task))
                case .set:
                    break
                }
            }
            if !plan.block.sends {
                let id = numbers.next(.touchpoints)
                built.changes.append(RecordChange(kind: .insert, entity: .touchpoints, id: id, after: [
                    RecordField.id: .string(id), "campaign": campaign, RecordField.customer: .string(customerID), "at": plan.at,
                ]))
            }
        }
        return built
    }

    /// One half of a split build: what its thread reads, and where it leaves its ids and records.
    private final class HalfBuild: @unchecked Sendable {
        let runner: CampaignRunner
        let builder: ChangeBuilder
        let plan: ActedPlan
        let range: Range<Int>
        var numbers: IDNumbers
        var result: Result<Built, any Error>?

        init(runner: CampaignRunner, builder: ChangeBuilder, plan: ActedPlan, range: Range<Int>, numbers: IDNumbers) {
            self.runner = runner
            self.builder = builder
            self.plan = plan
            self.range = range
            self.numbers = numbers
        }

        func build() {
            result = Result { try runner.actions(plan, range, numbers: &numbers, builder: builder) }
        }
    }

    /// `decide` for one target, its fields read from the columns found once.
    static func decide(_ send: SendChannel, _ targets: Targets, _ place: Int) -> Consent.Decision {
        func string(_ c: Int?) -> String? { if case .string(let s)? = targets.value(c, place) { s } else { nil } }
        let optOut: [String] = if case .list(let items)? = targets.value(targets.optOut, place) { items } else { [] }
        return Consent.decide(send, preferredChannel: string(targets.preferredChannel), optOut: optOut,
                              email: string(targets.email), phone: string(targets.phone))
    }

    /// The channel and address of one send for one customer: the consent rules only.
    static func decide(_ send: SendChannel, _ record: some NamedValues) -> Consent.Decision {
        func string(_ field: String) -> String? { if case .string(let s)? = record[field] { s } else { nil } }
        let optOut: [String] = if case .list(let items)? = record[CustomerField.optOut] { items } else { [] }
        return Consent.decide(send, preferredChannel: string(CustomerField.preferredChannel), optOut: optOut,
                              email: string(CustomerField.email), phone: string(CustomerField.phone))
    }

    /// Whether the block's `count` messages at `instant` would pass the cap, its own
    /// earlier messages counting for the later ones.
    static func overCap(_ cap: WeeklyCap, _ earlier: [Int64], _ count: Int, _ instant: Int64) -> Bool {
        var times = earlier
        for _ in 0..<count {
            if cap.isReached(sentAt: times, sending: instant) { return true }
            times.append(instant)
        }
        return false
    }

    /// The times of every customer's messages, all campaigns, in the cap's window up to
    /// `instant`: one query per run, not one per customer.
    private func recentMessageTimes(upTo instant: Int64) -> [String: [Int64]] {
        var times: [String: [Int64]] = [:]
        for (_, record) in campaignRecords(.messages, named: nil, fields: [RecordField.customer, "at"]) {
            guard case .string(let customer)? = record[RecordField.customer], case .instant(let t)? = record["at"],
                  t > instant - WeeklyCap.window, t <= instant else { continue }
            times[customer, default: []].append(t)
        }
        return times
    }

    /// Whether the block runs today, given its `when holiday` lines.
    enum HolidayGate {
        case always
        case within(HolidayWindow)
        case notToday(String)

        var window: HolidayWindow? { if case .within(let w) = self { w } else { nil } }
    }

    /// The first `when` window that holds today (in the session's time zone), or why none does:
    /// "春节 is 2027-02-06, runs from 2027-01-30".
    func holidayToday(_ block: CampaignBlock) -> HolidayGate {
        guard !block.holidays.isEmpty else { return .always }
        let today = clock.today
        if let open = block.holidays.first(where: { Holidays.isWithin(today, $0.holiday, days: $0.days) }) { return .within(open) }
        return .notToday(block.holidays.map { window in
            let date = Self.nextOccurrence(of: window.holiday, onOrAfter: today)
            return "\(window.holiday.name) is \(date), runs from \(date.adding(days: -window.days))"
        }.joined(separator: "; "))
    }

    /// The holiday's first date on or after `day`.
    static func nextOccurrence(of holiday: Holiday, onOrAfter day: Day) -> Day {
        let year = day.parts.year
        for y in year...(year + 1) {
            if let date = holiday.date(in: y), date >= day { return date }
        }
        return holiday.date(in: year + 1) ?? day
    }

    /// The template fields a holiday campaign adds: `{holiday}` its name, `{holidayDate}` its day.
    static let holidayFields = ["holiday", "holidayDate"]

    static func holidayValues(_ window: HolidayWindow, today: Day) -> [String: Value] {
        ["holiday": .string(window.holiday.name), "holidayDate": .date(nextOccurrence(of: window.holiday, onOrAfter: today))]
    }

    /// Each template field as written, mapped to the stored or derived field it names.
    private func templateFieldNames(_ block: CampaignBlock) throws -> [String: String] {
        let schema = backend.schema(of: .customers)
        var names: [String: String] = [:]
        for case .send(_, let template) in block.actions {
            for (name, span) in template.fields {
                if let f = schema.field(named: name) { names[name] = f.name; continue }
                if let d = DerivedFields.named(name, of: .customers) { names[name] = d.name; continue }
                if !block.holidays.isEmpty, let h = Self.holidayFields.first(where: { $0.lowercased() == name.lowercased() }) { names[name] = h; continue }
                let known = schema.fields.map(\.name) + DerivedFields.of(.customers).map(\.name) + (block.holidays.isEmpty ? [] : Self.holidayFields)
                throw Diagnostic.usage(.unknownTemplateField, name, at: span, suggestion: nearestName(to: name, among: known))
            }
        }
        return names
    }

    /// The values an action holds that need no customer (channels, ticket kinds, due
    /// dates, the fields `set` writes), checked before any customer is looked at, so a
    /// wrong one is an error even when nobody is targeted.
    private func checkActions(_ block: CampaignBlock, _ builder: ChangeBuilder) throws {
        for action in block.actions {
            switch action {
            case .command(.logContact(_, let channel, _)):
                _ = try builder.word(channel, field: "channel", entity: .contacts)
            case .command(.openTicket(_, let kind, _, let priority, _, _)):
                _ = try builder.word(kind, field: TicketField.kind, entity: .tickets)
                if let priority { _ = try builder.word(priority, field: TicketField.priority, entity: .tickets) }
            case .assign(_, _, let due, _):
                if let due { _ = try dueDate(due) }
            case .set(let assignments, let span):
                _ = try builder.recordChanges(.update(EntityName(entity: .customers, span: span),
                                                      .member(FieldName(RecordField.id, span: span), [], negated: false), assignments))
            default: break
            }
        }
    }

    /// `assign to ...` for one customer: `add task` with the customer, the owner (the
    /// customer's own for `owner`), the text and the due date.
    private func taskCommand(_ customerID: String, record: some NamedValues, owner: Literal?, text: Literal, due: Literal?, span: SourceSpan) throws -> Command {
        func field(_ name: String, _ value: Literal) -> Assignment { Assignment(field: FieldName(name, span: span), value: value) }
        var assignments = [field(RecordField.customer, Literal(kind: .string(customerID, quoted: true), span: span, text: customerID)), field(TaskField.text, text)]
        if let owner {
            assignments.append(field(TaskField.owner, owner))
        } else if case .string(let name)? = record[CustomerField.owner] {
            assignments.append(field(TaskField.owner, Literal(kind: .string(name, quoted: true), span: span, text: name)))
        }
        if let due { assignments.append(field(TaskField.due, try dueDate(due))) }
        return .add(EntityName(entity: .tasks, span: span), assignments)
    }

    /// `due 3d`: three days from today; a date as it is.
    private func dueDate(_ literal: Literal) throws -> Literal {
        switch literal.kind {
        case .duration(let days):
            // Out of 0001-01-01...9999-12-31 before the day is counted: a huge length would overflow it.
            let today = clock.today, offset = days.rounded(.up)
            guard offset >= Double(RecordRules.earliestDay.daysSinceEpoch - today.daysSinceEpoch),
                  offset <= Double(RecordRules.latestDay.daysSinceEpoch - today.daysSinceEpoch) else {
                throw Diagnostic.usage(.dateOutOfRange, TaskField.due, at: literal.span)
            }
            let day = today.adding(days: Int(offset))
            return Literal(kind: .date(day), span: literal.span, text: day.description)
        case .date, .relativeDay: return literal
        default: throw Diagnostic.usage(.expectedToken, "a due date or a length of time such as 3d", "'\(literal.text)'", at: literal.span)
        }
    }

    /// The customers this campaign touched (a message or a touchpoint) less than `every`
    /// ago, or ever when the block has no `every`.
    private func touchedCustomers(_ block: CampaignBlock) -> Set<String> {
        // In seconds as a Double: `every 1e300d` (never again) has no Int64.
        let since: Double? = block.every.map { Double(clock.now) - $0 * 86_400 }
        var touched = Set<String>()
        for entity in [Entity.messages, .touchpoints] {
            for (_, record) in campaignRecords(entity, named: block.name, fields: [RecordField.customer, "at"]) {
                guard case .string(let customer)? = record[RecordField.customer] else { continue }
                if let since {
                    guard case .instant(let at)? = record["at"], Double(at) > since else { continue }
                }
                touched.insert(customer)
            }
        }
        return touched
    }

    /// Before a run: the outbox given every committed message it lacks, reading only the
    /// messages numbered after its mark when the mark holds (`Outbox.reconcile`).
    func reconcile(_ outbox: Outbox) throws -> Outbox.Mark {
        try outbox.reconcile(highest: backend.highestGeneratedNumber(.messages), newMessages: { numbers in
            let ids = numbers.map { IDGenerator.id(.messages, number: $0) }
            let found = backend.records(.messages, ids: ids, fields: nil)
            return ids.compactMap { id in found[id].map { (id: id, record: $0) } }
        }, allMessages: { campaignRecords(.messages, named: nil, fields: nil) })
    }

    /// The records of `entity` (messages, touchpoints, runs) of one campaign, or of all when `name` is nil.
    func campaignRecords(_ entity: Entity, named name: String?, fields: [String]?) -> [(id: String, record: [String: Value])] {
        let span = SourceSpan(start: SourceLocation(line: 1, column: 1), length: 1)
        var query = FindQuery(entity: EntityName(entity: entity, span: span))
        if let name { query.condition = .compare(FieldName("campaign", span: span), .equal, Literal(kind: .string(name, quoted: true), span: span, text: name)) }
        guard let checked = try? Checker(schema: backend.schema(of: entity), clock: clock).check(query) else { return [] }
        return backend.records(matching: checked, fields: fields, clock: clock)
    }

    /// `campaign history ["NAME"]`: the recorded runs, oldest first.
    public func history(_ name: Literal?) throws -> ResultSet {
        var query = FindQuery(entity: EntityName(entity: .runs, span: name?.span ?? SourceSpan(start: SourceLocation(line: 1, column: 1), length: 1)))
        if let name, case .string(let s, _) = name.kind {
            query.condition = .compare(FieldName("campaign", span: name.span), .equal, Literal(kind: .string(s, quoted: true), span: name.span, text: s))
        }
        query.sort = [SortKey(expression: .field(FieldName("at", span: query.entity.span)), descending: false)]
        return backend.find(try Checker(schema: backend.schema(of: .runs), clock: clock).check(query), clock: clock)
    }
}

/// New ids for one change set of many records: the backend's highest number only moves
/// at commit, so each id the builders generate (all the same "next") is renumbered here.
struct IDNumbers {
    let backend: any Backend
    private var next: [Entity: Int] = [:]

    init(backend: any Backend) { self.backend = backend }

    mutating func next(_ entity: Entity) -> String {
        let n = next[entity] ?? backend.highestGeneratedNumber(entity) + 1
        next[entity] = n + 1
        return IDGenerator.id(entity, number: n)
    }

    /// Passes over `count` numbers of `entity`, as that many `next` would.
    mutating func advance(_ entity: Entity, by count: Int) {
        next[entity] = (next[entity] ?? backend.highestGeneratedNumber(entity) + 1) + count
    }

    /// One command's changes with fresh ids for its inserts, and every mention of an
    /// inserted id (a timeline entry's ticket) following it.
    mutating func renumbered(_ changes: [RecordChange]) -> [RecordChange] {
        var mapping: [String: String] = [:]
        for change in changes where change.kind == .insert { mapping[change.id] = next(change.entity) }
        guard !mapping.isEmpty else { return changes }
        return changes.map { change in
            var c = change
            if c.kind == .insert, let id = mapping[c.id] { c.id = id }
            for (key, value) in c.after {
                if case .string(let s) = value, let id = mapping[s] { c.after[key] = .string(id) }
            }
            return c
        }
    }
}
