/// Turns a changing command into a checked `ChangeSet`: every value is converted and
/// checked before anything changes, so a command applies fully or not at all.
public struct ChangeBuilder {
    public let backend: any Backend
    public let clock: Clock
    public let user: String
    public let command: String
    /// Asked during a long import; true abandons it before anything changed.
    public var isCancelled: () -> Bool = { false }
    /// Customers the caller has already read in one call, with at least
    /// `customerFieldsRead`: a campaign builds the same command for thousands of customers
    /// and must not look each one up again. An id missing here is looked up as usual.
    var knownCustomers: [String: [String: Value]] = [:]
    /// The customer fields the builders read from the customer a command names.
    static let customerFieldsRead = [CustomerField.owner, CustomerField.stage]

    public init(backend: any Backend, clock: Clock, user: String, command: String) {
        self.backend = backend
        self.clock = clock
        self.user = user
        self.command = command
    }

    var conversion: ValueConversion { ValueConversion(clock: clock) }

    /// The record changes of `command`, then the derived customer fields that follow from
    /// them (`CustomerRollup`, which every change path goes through).
    public func build(_ command: Command) throws -> ChangeSet {
        // An import reads, matches and rolls up its rows in `importPlan` (Interchange/ImportPlan.swift).
        if case .importData(let entity, let path, let options) = command {
            return try importPlan(entity, path: path, options: options, dryRun: false).set
        }
        var set = ChangeSet(at: clock.now, user: user, command: self.command)
        set.changes = try recordChanges(command)
        do {
            try CustomerRollup(backend: backend, today: clock.today).reconcile(&set)
        } catch let failure as CustomerRollup.Failure {
            let first = failure.problems[0]
            throw Diagnostic(first.kind, first.id, first.arguments, at: ChangeBuilder.span(of: command))
        }
        return set
    }

    /// The record changes of one command, before the rollup: `build` adds the rollup,
    /// and a campaign runs it once over the changes of all its customers.
    func recordChanges(_ command: Command) throws -> [RecordChange] {
        switch command {
        case .add(let entity, let assignments):
            if entity.entity != .points, let refusal = entity.entity.writtenOnlyBy { throw Diagnostic.usage(refusal, "add", at: entity.span) }
            return [try insert(entity, assignments)]
        case .update(let entity, let condition, let assignments):
            if let refusal = entity.entity.writtenOnlyBy { throw Diagnostic.usage(refusal, "update", at: entity.span) }
            return try update(entity.entity, condition, assignments)
        case .delete(let entity, let condition):
            if entity.entity == .audit { throw Diagnostic.usage(.auditTrailReadOnly, "delete", at: entity.span) }
            return try delete(entity.entity, condition)
        case .logContact(let customer, let channel, let note):
            return try logContact(customer, channel, note)
        case .logPurchase(let customer, let amount, let product):
            return try logPurchase(customer, amount, product)
        case .logSurvey(let customer, let score, let nps, let channel, let comment):
            return try logSurvey(customer, score: score, nps: nps, channel: channel, comment: comment)
        case .doneTask(let task, let channel, let note):
            return try doneTask(task, channel: channel, note: note)
        case .openTicket(let customer, let kind, let text, let priority, let channel, let owner):
            return try openTicket(customer, kind, text, priority, channel: channel, owner: owner)
        case .ticketStep(let step):
            return try ticketStep(step)
        case .addPoints(let customer, let points, let reason):
            return try ledgerEntry(customer, points, reason, redeeming: false)
        case .redeem(let customer, let points, let reason):
            return try ledgerEntry(customer, points, reason, redeeming: true)
        case .merge(let from, let into, _):
            return try merge(from, into: into)
        default:
            return []
        }
    }

    /// Where a problem the rollup finds points: the customer or the amount written in
    /// the command.
    static func span(of command: Command) -> SourceSpan? {
        switch command {
        case .add(_, let assignments), .update(_, _, let assignments):
            return assignments.first { $0.field.name.lowercased() == RecordField.customer.lowercased() }?.value.span
        case .logPurchase(_, let amount, _): return amount.span
        case .logSurvey(let customer, _, _, _, _): return customer.span
        case .doneTask(let task, _, _): return task.span
        case .logContact(let customer, _, _), .openTicket(let customer, _, _, _, _, _), .addPoints(let customer, _, _),
             .redeem(let customer, _, _): return customer.span
        case .ticketStep(let step): return step.ticket.span
        case .merge(_, let into, _): return into.span
        default: return nil
        }
    }

    /// "added customer C9", "updated 3 customers", "deleted 1 customer (C7) and 4 related
    /// records", ... An update or a delete always says how many records it touched, even
    /// none; `unchangedMatches` is how many an update matched that had the values already.
    /// `pointsBalance`: for `add points` and `redeem`, the customer's balance before the change.
    public static func summary(_ set: ChangeSet, of command: Command, unchangedMatches: Int = 0, pointsBalance: Int64? = nil) -> String {
        func records(_ n: Int, _ entity: Entity) -> String { "\(n) \(n == 1 ? entity.singular : entity.rawValue)" }
        func bulk(_ verb: String, _ entity: Entity, _ kind: RecordChange.Kind) -> String {
            let primary = set.changes.filter { $0.entity == entity && $0.kind == kind }
            var text = "\(verb) \(records(primary.count, entity))"
            if primary.count == 1 { text += " (\(primary[0].id))" }
            if primary.isEmpty {
                text += unchangedMatches > 0 ? ": the \(unchangedMatches) that matched already had these values" : ": none matched"
            }
            // Customers whose derived fields follow the change are not "related records".
            let related = set.changes.filter { $0.kind == .delete && $0.entity != entity }.count
            if related > 0 { text += " and \(related) related record\(related == 1 ? "" : "s")" }
            return text
        }
        switch command {
        case .update(let entity, _, _): return bulk("updated", entity.entity, .update)
        case .openTicket, .ticketStep: return TicketLifecycle.summary(set)
        case .logSurvey:
            guard let survey = set.changes.first(where: { $0.entity == .surveys && $0.kind == .insert }),
                  case .string(let customer)? = survey.after[RecordField.customer] else { break }
            var text = "logged survey \(survey.id) for customer \(customer)"
            if let c = set.changes.first(where: { $0.entity == .customers }), case .integer(let score)? = c.after[CustomerField.satisfaction] {
                text += ": satisfaction \(score)"
            }
            return text
        case .doneTask:
            guard let task = set.changes.first(where: { $0.entity == .tasks }) else { break }
            var text = "task \(task.id) done"
            if let contact = set.changes.first(where: { $0.entity == .contacts && $0.kind == .insert }),
               case .string(let channel)? = contact.after["channel"], case .string(let customer)? = contact.after[RecordField.customer] {
                text += "; logged contact \(contact.id) with customer \(customer) via \(channel)"
            }
            return text
        case .delete(let entity, _): return bulk("deleted", entity.entity, .delete)
        case .merge(let from, let into, _):
            // The ids as the builder resolved them: a string, or a bare number as written.
            func id(_ l: Literal) -> String { if case .string(let s, _) = l.kind { return s } else { return l.text } }
            return mergeSummary(set, from: id(from), into: id(into))
        case .addPoints, .redeem:
            guard let entry = set.changes.first(where: { $0.entity == .points && $0.kind == .insert }),
                  case .integer(let change)? = entry.after[PointsField.change],
                  case .string(let customer)? = entry.after[RecordField.customer] else { break }
            let verb = change < 0 ? "redeemed" : "added"
            var text = "\(verb) \(change.magnitude) point\(change.magnitude == 1 ? "" : "s") (\(entry.id)) for customer \(customer)"
            if let pointsBalance { text += ": balance \(pointsBalance + change)" }
            return text
        default: break
        }
        guard let first = set.changes.first else {
            return set.fieldAdditions.isEmpty ? "no change" : "added \(set.fieldAdditions.count) field(s)"
        }
        let primary = set.changes.filter { $0.entity == first.entity && $0.kind == first.kind }
        let verb: String
        switch first.kind {
        case .insert: verb = set.command.lowercased().hasPrefix("import") ? "imported" : "added"
        case .update: verb = "updated"
        case .delete: verb = "deleted"
        }
        var text: String
        if primary.count == 1 {
            text = "\(verb) \(first.entity.singular) \(first.id)"
        } else {
            text = "\(verb) \(primary.count) \(first.entity.rawValue)"
        }
        // Deletes went to `bulk` above; here one other change is the customer a log updated.
        let related = set.changes.filter { !($0.entity == first.entity && $0.kind == first.kind) }
        if related.count == 1, let c = related.first {
            text += " (\(c.entity.singular) \(c.id) \(c.kind == .update ? "updated" : "changed"))"
        }
        return text
    }

    // MARK: Add, update, delete

    private func field(_ name: FieldName, in entity: Entity) throws -> Field {
        let schema = backend.schema(of: entity)
        guard let f = schema.field(named: name.name) else {
            if let derived = DerivedFields.named(name.name, of: entity) {
                throw DerivedFields.writeRefusal(derived, at: name.span)
            }
            throw Diagnostic.usage(.unknownField, name.name, at: name.span,
                                   suggestion: nearestName(to: name.name, among: schema.fields.map(\.name)))
        }
        return f
    }

    private func insert(_ entity: EntityName, _ assignments: [Assignment]) throws -> RecordChange {
        var after: [String: Value] = [:]
        var seen = Set<String>()
        for a in assignments {
            let f = try field(a.field, in: entity.entity)
            guard seen.insert(f.name).inserted else {
                throw Diagnostic.usage(.fieldGivenTwice, f.name, at: a.field.span)
            }
            let v = try conversion.value(a.value, for: f, entity: entity.entity)
            if !v.isNull { after[f.name] = v }
        }
        let id: String
        if case .string(let given)? = after["id"] {
            if !backend.records(entity.entity, ids: [given], fields: []).isEmpty {
                let span = assignments.first { $0.field.name.lowercased() == "id" }?.value.span
                throw Diagnostic.runtime(.recordExists, entity.entity.singular, given, at: span)
            }
            id = given
        } else {
            id = IDGenerator.next(entity.entity, in: backend)
        }
        after["id"] = .string(id)
        if entity.entity == .customers, after[CustomerField.createdAt] == nil { after[CustomerField.createdAt] = .date(clock.today) }
        if entity.entity == .tasks, after[TaskField.status] == nil { after[TaskField.status] = .string("open") }
        return RecordChange(kind: .insert, entity: entity.entity, id: id, after: after)
    }

    /// The records a condition matches (all when nil), with `fields` of each (all when nil).
    private func matchingRecords(_ entity: Entity, _ condition: Condition?, fields: [String]?) throws -> [(id: String, record: [String: Value])] {
        var q = FindQuery(entity: EntityName(entity: entity, span: SourceSpan(start: .init(line: 1, column: 1), length: 1)))
        q.condition = condition
        var checker = Checker(schema: backend.schema(of: entity), clock: clock, schemas: backend.schema(of:))
        checker.segments = backend.segments
        let checked = try checker.check(q)
        try backend.checkSupported(checked)
        return backend.records(matching: checked, fields: fields, clock: clock)
    }

    private func update(_ entity: Entity, _ condition: Condition?, _ assignments: [Assignment]) throws -> [RecordChange] {
        let schema = backend.schema(of: entity)
        let checker = Checker(schema: schema, clock: clock)
        var values: [(Field, Value)] = []
        var computed: [(field: Field, value: TypedExpression, written: Expression)] = []
        for a in assignments {
            let f = try field(a.field, in: entity)
            if f.name == "id" { throw Diagnostic.usage(.idUnchangeable, at: a.field.span) }
            if entity == .customers, !f.isCustom, let records = CustomerField.keptFromRecords[f.name] {
                throw Diagnostic.usage(.derivedFieldReadOnly, f.name, records, at: a.field.span)
            }
            if let e = computedValue(a, checker) {
                computed.append((f, try checkedAssignment(e, to: f, checker), e))
            } else {
                values.append((f, try conversion.value(a.value, for: f, entity: entity)))
            }
        }
        var read = values.map { $0.0.name } + computed.map(\.field.name)
        for c in computed { read += Self.fields(of: c.value).map(\.name) }
        var changes: [RecordChange] = []
        for (id, record) in try matchingRecords(entity, condition, fields: Array(Set(read))) {
            var before: [String: Value] = [:], after: [String: Value] = [:]
            // Computed from the record as it was before this change.
            let assigned = try values + computed.map { c in (c.field, try Self.assignedValue(c.value, c.written, to: c.field, record: record, id: id, entity: entity)) }
            for (f, v) in assigned {
                let old = record[f.name] ?? .null
                if old != v { before[f.name] = old; after[f.name] = v }
            }
            if !after.isEmpty {
                changes.append(RecordChange(kind: .update, entity: entity, id: id, before: before, after: after))
            }
        }
        return changes
    }

    /// The expression an assignment computes per record: an expression, or a bare word
    /// that names a field of the entity (`set owner = city`). nil: a plain value.
    private func computedValue(_ a: Assignment, _ checker: Checker) -> Expression? {
        if let e = a.expression { return e }
        if case .string(let word, quoted: false) = a.value.kind, checker.existingField(FieldName(word, span: a.value.span)) != nil {
            return .field(FieldName(word, span: a.value.span))
        }
        return nil
    }

    /// Checks an assigned expression's type against the field before anything runs.
    private func checkedAssignment(_ e: Expression, to f: Field, _ checker: Checker) throws -> TypedExpression {
        let value = try checker.typed(e)
        let fits: Bool
        switch f.type {
        case .integer, .number: fits = value.kind == .number
        case .date: fits = value.kind == .date
        case .instant: fits = value.kind == .instant
        case .boolean: fits = value.kind == .boolean
        // Text and lists only copy another field of the same type.
        case .string, .list: fits = value.field?.type == f.type
        }
        guard fits else {
            let article = f.type == .integer || f.type == .instant ? "an" : "a"
            throw Diagnostic.usage(.expressionTypeForField, f.name, article, f.type.rawValue, e.name, Checker.describe(value.kind), at: e.span)
        }
        return value
    }

    private static func fields(of e: TypedExpression) -> [ResolvedField] {
        switch e {
        case .field(let f): return [f]
        case .constant: return []
        case .negate(let x): return fields(of: x)
        case .arithmetic(let a, _, let b, _): return fields(of: a) + fields(of: b)
        }
    }

    /// The value an expression gives one record, held to the same `RecordRules` as a
    /// written value (vocabularies, ranges, a purchase amount above 0).
    private static func assignedValue(_ e: TypedExpression, _ written: Expression, to f: Field, record: [String: Value], id: String, entity: Entity) throws -> Value {
        let value = try convertedValue(e, written, to: f, record: record, id: id, entity: entity)
        do { return try RecordRules.check(value, for: f, in: entity) } catch let violation as RuleViolation {
            throw Diagnostic(.runtime, violation.id, violation.arguments, at: written.span, suggestion: violation.suggestion)
        }
    }

    /// The value an expression gives one record, converted to the field's type. A
    /// missing result clears the field; an integer field refuses a fractional result.
    private static func convertedValue(_ e: TypedExpression, _ written: Expression, to f: Field, record: [String: Value], id: String, entity: Entity) throws -> Value {
        if let source = e.field, source.type == f.type { return record[source.name] ?? .null }
        let key = e.evaluate { TypedExpression.key(of: record[$0.name] ?? .null) }
        guard key.isFinite else { return .null }
        switch f.type {
        case .integer:
            guard key == key.rounded(), abs(key) < 9.2e18 else {
                throw Diagnostic.runtime(.computedNotWholeNumber, entity.singular, id, written.name, ValueFormatter.number(key), f.name,
                                         at: written.span)
            }
            return .integer(Int64(key))
        case .number: return .number(key)
        default:
            let value = e.value(ofKey: key)
            if value.isNull {
                throw Diagnostic.runtime(.computedValueOutOfRange, entity.singular, id, written.name, f.type.rawValue, f.name,
                                         at: written.span)
            }
            return value
        }
    }

    private func delete(_ entity: Entity, _ condition: Condition?) throws -> [RecordChange] {
        var changes: [RecordChange] = []
        var customerIDs: [String] = []
        for (id, record) in try matchingRecords(entity, condition, fields: nil) {
            changes.append(RecordChange(kind: .delete, entity: entity, id: id, before: record))
            if entity == .customers { customerIDs.append(id) }
        }
        // A deleted customer takes its contacts, purchases and tickets along.
        for related in [Entity.contacts, .purchases, .tickets, .points, .events, .surveys, .tasks, .messages, .touchpoints] where !customerIDs.isEmpty {
            for (id, record) in backend.records(related, ofCustomers: customerIDs, fields: nil) {
                changes.append(RecordChange(kind: .delete, entity: related, id: id, before: record))
            }
        }
        return changes
    }

    // MARK: Logging

    /// The customer a command names: its stored id and record.
    func customer(_ literal: Literal) throws -> (id: String, record: [String: Value]) {
        if case .string(let id, _) = literal.kind, let known = knownCustomers[id] { return (id, known) }
        return try namedRecord(.customers, literal, notAnID: .expectedCustomerID, unknown: .customerNotFound)
    }

    /// The record of `entity` a command names by id (a word, a quoted id or a number):
    /// its stored id and record; `notAnID` when the literal cannot be an id, `unknown`
    /// when no record has it.
    func namedRecord(_ entity: Entity, _ literal: Literal, notAnID: DiagnosticID, unknown: DiagnosticID) throws -> (id: String, record: [String: Value]) {
        let id: String
        switch literal.kind {
        case .string(let s, _): id = s
        case .integer: id = literal.text
        default: throw Diagnostic.usage(notAnID, literal.text, at: literal.span)
        }
        guard let record = backend.records(entity, ids: [id], fields: nil)[id] else {
            throw Diagnostic.runtime(unknown, id, at: literal.span)
        }
        return (id, record)
    }

    func text(_ literal: Literal, what: String) throws -> String {
        switch literal.kind {
        case .string(let s, _): return s
        case .integer, .number, .date: return literal.text
        default: throw Diagnostic.usage(.expectedValue, what, literal.text, at: literal.span)
        }
    }

    func word(_ literal: Literal, field: String, entity: Entity) throws -> String {
        guard case .string(let v) = try conversion.value(literal, for: Field(field, .string), entity: entity) else {
            throw Diagnostic.usage(.expectedWord, field, at: literal.span)
        }
        return v
    }

    private func logContact(_ customer: Literal, _ channel: Literal, _ note: Literal?) throws -> [RecordChange] {
        let customerID = try self.customer(customer).id
        let contact = try contactTemplate(channel, note)
        return [contact.insert(customer: customerID, id: IDGenerator.next(.contacts, in: backend))]
    }

    /// `log contact`'s record for any customer, checked once: a campaign stamps it with
    /// each customer and id instead of building the command again per customer.
    func contactTemplate(_ channel: Literal, _ note: Literal?) throws -> ContactTemplate {
        var contact: [String: Value] = [
            RecordField.date: .date(clock.today), "channel": .string(try word(channel, field: "channel", entity: .contacts)),
            "by": .string(user),
        ]
        if let note { contact["note"] = .string(try text(note, what: "a note in quotes")) }
        let names = contact.keys.sorted()
        return ContactTemplate(fields: FieldList(names + [RecordField.customer, RecordField.id]), values: names.map { contact[$0]! })
    }

    struct ContactTemplate {
        /// Every field but the customer and the id, which come last.
        let fields: FieldList
        let values: [Value]

        /// Positional: a campaign inserts one per customer acted on.
        func insert(customer: String, id: String) -> RecordChange {
            RecordChange(insert: .contacts, id: id, record: PositionalRecord(fields, values + [.string(customer), .string(id)]))
        }
    }

    /// A survey dated today; the customer's satisfaction follows in `CustomerRollup`.
    private func logSurvey(_ customer: Literal, score: Literal, nps: Literal?, channel: Literal?, comment: Literal?) throws -> [RecordChange] {
        let customerID = try self.customer(customer).id
        var survey: [String: Value] = [
            RecordField.customer: .string(customerID), RecordField.date: .date(clock.today),
            SurveyField.score: try conversion.value(score, for: Field(SurveyField.score, .integer), entity: .surveys),
        ]
        if let nps { survey[SurveyField.nps] = try conversion.value(nps, for: Field(SurveyField.nps, .integer), entity: .surveys) }
        if let channel { survey[SurveyField.channel] = .string(try word(channel, field: SurveyField.channel, entity: .surveys)) }
        if let comment { survey[SurveyField.comment] = .string(try text(comment, what: "a comment in quotes")) }
        return [surveyRecord(survey)]
    }

    /// Inserts a survey with the next id.
    func surveyRecord(_ fields: [String: Value]) -> RecordChange {
        var survey = fields
        let id = IDGenerator.next(.surveys, in: backend)
        survey[RecordField.id] = .string(id)
        return RecordChange(kind: .insert, entity: .surveys, id: id, after: survey)
    }

    /// `done TASK [via CHANNEL] ["NOTE"]`: the task done now; with a channel, the contact
    /// it was, logged in the same change set (its note: the note, or the task's text).
    private func doneTask(_ task: Literal, channel: Literal?, note: Literal?) throws -> [RecordChange] {
        let (id, record) = try namedRecord(.tasks, task, notAnID: .expectedTaskID, unknown: .taskNotFound)
        if case .string(let status)? = record[TaskField.status], status.lowercased() == "done" {
            let when = record[TaskField.doneAt].map { "at " + ValueFormatter(timeZone: clock.timeZone).text($0) } ?? "no time recorded"
            throw Diagnostic.runtime(.taskAlreadyDone, id, when, at: task.span)
        }
        let channelName = try channel.map { try word($0, field: "channel", entity: .contacts) }
        let noteText = try note.map { try text($0, what: "a note in quotes") }
        var before: [String: Value] = [TaskField.status: record[TaskField.status] ?? .null, TaskField.doneAt: record[TaskField.doneAt] ?? .null]
        var after: [String: Value] = [TaskField.status: .string("done"), TaskField.doneAt: .instant(clock.now)]
        if let noteText, !noteText.isEmpty {
            // The note joins the task's text, so the to-do list shows how it ended.
            let old = record[TaskField.text] ?? .null
            before[TaskField.text] = old
            if case .string(let s) = old, !s.isEmpty { after[TaskField.text] = .string(s + " — " + noteText) } else { after[TaskField.text] = .string(noteText) }
        }
        var changes = [RecordChange(kind: .update, entity: .tasks, id: id, before: before, after: after)]
        if let channelName {
            guard case .string(let customerID)? = record[RecordField.customer] else {
                throw Diagnostic.runtime(.customerRequired, Entity.tasks.singular, at: task.span)
            }
            var contact: [String: Value] = [
                RecordField.customer: .string(customerID), RecordField.date: .date(clock.today),
                "channel": .string(channelName), "by": .string(user),
            ]
            let taskText: String? = if case .string(let s)? = record[TaskField.text] { s } else { nil }
            if let contactNote = noteText ?? taskText, !contactNote.isEmpty { contact["note"] = .string(contactNote) }
            let contactID = IDGenerator.next(.contacts, in: backend)
            contact[RecordField.id] = .string(contactID)
            changes.append(RecordChange(kind: .insert, entity: .contacts, id: contactID, after: contact))
        }
        return changes
    }

    private func logPurchase(_ customer: Literal, _ amount: Literal, _ product: Literal?) throws -> [RecordChange] {
        let (customerID, customerRecord) = try self.customer(customer)
        let value: Double
        switch amount.kind {
        case .integer(let i): value = Double(i)
        case .number(let d): value = d
        default: throw Diagnostic.usage(.expectedAmount, amount.text, at: amount.span)
        }
        let cents: Double
        do { cents = try RecordRules.amount(value) } catch let violation as RuleViolation {
            throw Diagnostic(.usage, violation.id, violation.arguments, at: amount.span, suggestion: violation.suggestion)
        }
        var purchase: [String: Value] = ["customer": .string(customerID), "date": .date(clock.today), "amount": .number(cents)]
        if let product { purchase["product"] = .string(try text(product, what: "a product name in quotes")) }
        let id = IDGenerator.next(.purchases, in: backend)
        purchase["id"] = .string(id)
        var changes = [RecordChange(kind: .insert, entity: .purchases, id: id, after: purchase)]
        // A purchase makes the customer active; the figures follow in `CustomerRollup`.
        let stage = customerRecord[CustomerField.stage] ?? .null
        if stage != .string("active") {
            changes.append(RecordChange(kind: .update, entity: .customers, id: customerID,
                                        before: [CustomerField.stage: stage], after: [CustomerField.stage: .string("active")]))
        }
        return changes
    }

    // MARK: Points

    /// One entry on a customer's points ledger: an earned lot that expires after the
    /// policy's `points.expiry`, refused when the balance as of today could not hold it,
    /// or a redemption, refused when that balance is short.
    private func ledgerEntry(_ customer: Literal, _ points: Literal, _ reason: Literal, redeeming: Bool) throws -> [RecordChange] {
        let customerID = try self.customer(customer).id
        guard case .integer(let amount) = points.kind, amount > 0, amount <= Loyalty.maximumEntry else {
            throw Diagnostic.usage(.pointsNotPositive, points.text, at: points.span)
        }
        let why = try text(reason, what: "a reason in quotes")
        let today = clock.today
        var entry: [String: Value] = [
            RecordField.customer: .string(customerID), RecordField.date: .date(today),
            PointsField.change: .integer(redeeming ? -amount : amount), PointsField.reason: .string(why),
        ]
        let balance = pointsBalance(of: customerID).points
        if redeeming {
            guard balance >= amount else {
                throw Diagnostic.runtime(.pointsBalanceShort, customerID, String(balance), String(amount), at: points.span)
            }
        } else {
            guard !balance.addingReportingOverflow(amount).overflow else {
                throw Diagnostic.runtime(.pointsBalanceTooLarge, customerID, String(balance), String(amount), at: points.span)
            }
            entry[PointsField.expiresAt] = .date(Loyalty.expiry(earnedOn: today, policy: backend.policy))
        }
        let id = IDGenerator.next(.points, in: backend)
        entry[RecordField.id] = .string(id)
        return [RecordChange(kind: .insert, entity: .points, id: id, after: entry)]
    }

    /// A customer's points as of the clock's today, from the ledger.
    public func pointsBalance(of customerID: String) -> Loyalty.Balance {
        Self.pointsBalance(of: customerID, in: backend, today: clock.today)
    }

    /// A customer's points as of `today`: the ledger's entries of the customer, one call.
    public static func pointsBalance(of customerID: String, in backend: any Backend, today: Day) -> Loyalty.Balance {
        let fields = [RecordField.date, PointsField.change, PointsField.expiresAt]
        let entries = backend.records(.points, ofCustomers: [customerID], fields: fields).compactMap { _, r -> Loyalty.Entry? in
            guard case .integer(let change)? = r[PointsField.change] else { return nil }
            func day(_ name: String) -> Day? { if case .date(let d)? = r[name] { return d } else { return nil } }
            return Loyalty.Entry(date: day(RecordField.date), change: change, expiresAt: day(PointsField.expiresAt))
        }
        return Loyalty.balance(of: entries, today: today)
    }
}

/// Ids of the form PREFIX + zero-padded number (`C000123`), continuing from the highest
/// generated number the backend holds.
public enum IDGenerator {
    public static func width(_ entity: Entity) -> Int {
        switch entity {
        case .customers, .tickets: return 6
        case .contacts, .purchases, .points, .events, .surveys, .tasks, .messages, .touchpoints: return 7
        case .runs, .audit: return 6
        }
    }

    public static func id(_ entity: Entity, number: Int) -> String {
        // Written byte by byte: an import makes one per opening balance, a million times,
        // and the padding and joining of strings cost more than the rest of its insert.
        guard number >= 0 else {
            var digits = String(number)
            let width = IDGenerator.width(entity)
            if digits.count < width { digits = String(repeating: "0", count: width - digits.count) + digits }
            return entity.idPrefix + digits
        }
        var digitCount = 1
        var rest = number / 10
        while rest > 0 { digitCount += 1; rest /= 10 }
        let prefix = entity.idPrefix.utf8
        let length = prefix.count + max(digitCount, IDGenerator.width(entity))
        return String(unsafeUninitializedCapacity: length) { bytes in
            var at = 0
            for byte in prefix { bytes[at] = byte; at += 1 }
            var place = length - 1
            var left = number
            while place >= at {
                bytes[place] = UInt8(48 + left % 10)
                left /= 10
                place -= 1
            }
            return length
        }
    }

    /// The next free id of the entity.
    public static func next(_ entity: Entity, in backend: any Backend) -> String {
        id(entity, number: backend.highestGeneratedNumber(entity) + 1)
    }
}
