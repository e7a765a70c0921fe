import Foundation

/// What running one command produced.
public struct CommandOutcome {
    public enum Status: Int32 {
        case success = 0
        case runtimeError = 1
        case usageError = 2
    }

    /// For standard output.
    public var output = ""
    /// For standard error: diagnostics, warnings, timings.
    public var messages = ""
    public var status: Status = .success
    /// The errors and warnings the command produced, in the order they were shown, so
    /// that callers can ask which one happened, and where, without reading the wording.
    public var diagnostics: [Diagnostic] = []
    public var diagnosticIDs: [DiagnosticID] { diagnostics.map(\.id) }
    /// The last result the command showed, as shown (masked for a trainee): what a
    /// lesson compares with the expected answer.
    public var result: ResultSet?
    /// The script file the command came from, named in its diagnostics' positions.
    var sourceName: String?

    public init() {}

    /// Shows `diagnostic` on standard error and records its id.
    mutating func report(_ diagnostic: Diagnostic, source: String?, colour: Bool) {
        diagnostics.append(diagnostic)
        messages += DiagnosticFormatter(colour: colour).format(diagnostic, source: source, sourceName: sourceName)
    }
}

/// Runs commands against a store, through its `Backend`, with the session's settings
/// and clock. Both the script runner and the interactive shell go through here.
public final class Session {
    public let backend: any Backend
    public var settings: Settings
    public var clock: Clock
    /// Pinned by `--now` or `set now`; otherwise the clock follows the system time.
    public var pinnedNow: Int64?
    /// Asked while a long result is written out or a file imported; true stops it
    /// (Ctrl-C in the shell). A change is never stopped once it is being saved.
    public var isCancelled: () -> Bool = { false }
    /// Script parameters (`--param NAME=VALUE`): what `$NAME` stands for in a command.
    public var parameters: [String: String] = [:]
    /// What `let` defined in the current input: defaults that a `--param` of the same name
    /// overrides. The script runner empties them when a new input starts.
    public var definitions: [String: String] = [:]
    /// What `$NAME` stands for: a `let` default, unless `--param` gives NAME.
    public var parameterValues: [String: String] { definitions.merging(parameters) { _, given in given } }
    /// Runs `include "FILE"` (the script runner's work: reading files, the chain of includes);
    /// nil where nothing can be included.
    public var includeScript: ((_ path: String, _ span: SourceSpan) throws -> Void)?
    /// Told how far a campaign run has got (`CampaignRunner.progress`); the shell draws a
    /// bar with it on a terminal.
    public var campaignProgress: (@Sendable (Int, Int) -> Void)?
    /// The lesson being taken (`tutorial NAME`): while there is one, every line goes to it
    /// and runs on its sandbox, never on this session's store.
    public var lesson: LessonRun?
    /// Where lessons and training progress live.
    public var training = TrainingSetup()
    /// Told how far reading an import has got (`Importer.progress`); the shell draws a bar
    /// with it on a terminal.
    public var importProgress: (@Sendable (Int, Int) -> Void)?
    /// Told how far rendering an export has got (rows done, rows in all); the shell draws
    /// a bar on a terminal, as for an import.
    public var exportProgress: (@Sendable (Int, Int) -> Void)?
    /// `save` starts a snapshot written on another thread and returns at once (the
    /// interactive shell); else it returns once the snapshot is in place (scripts, whose
    /// next line may depend on it, and whose errors belong to the line).
    public var savesInBackground = false

    public init(backend: any Backend, settings: Settings, clock: Clock, pinnedNow: Int64? = nil) {
        self.backend = backend
        self.settings = settings
        self.clock = clock
        self.pinnedNow = pinnedNow
    }

    /// Parses and runs one command. `source` is the text the diagnostic's line numbers
    /// refer to (the script), and `firstLine` the line where the command starts in it.
    /// `sourceName` is the script's file name, shown before the line in diagnostics.
    public func run(_ text: String, firstLine: Int = 1, source: String? = nil, sourceName: String? = nil) -> CommandOutcome {
        if let lesson {
            let outcome = lesson.handle(text)
            if lesson.isFinished { self.lesson = nil }
            return outcome
        }
        if pinnedNow == nil { clock.now = Int64(Date().timeIntervalSince1970.rounded(.down)) }
        let started = DispatchTime.now().uptimeNanoseconds
        var outcome = CommandOutcome()
        outcome.sourceName = sourceName
        // Built only when a diagnostic is shown: line N of a long script would otherwise
        // cost N bytes on every command.
        func src() -> String { source ?? (firstLine == 1 ? text : String(repeating: "\n", count: firstLine - 1) + text) }
        // A read that failed between commands (completion) is not this command's.
        _ = backend.takeReadFailure()
        do {
            // Other processes sharing the store may have changed it since the last command.
            for w in try backend.catchUp() { outcome.report(shown(w), source: nil, colour: settings.colour) }
            let (spec, command) = try Parser.parseStatement(text, firstLine: firstLine, parameters: parameterValues)
            try backend.checkSupported(spec)
            try authorize(spec, command)
            if !settings.dryRun, command.writeLocking(spec) == .wholeCommand {
                // The one path every change takes: built and committed as the store's only
                // writer, against the store as it is on disk (docs/storage.md, "Sharing a store").
                try backend.withWriteLock { try execute(command, text: text, source: src, into: &outcome) }
                for w in try backend.catchUp() { outcome.report(shown(w), source: nil, colour: settings.colour) }
            } else {
                try execute(command, text: text, source: src, into: &outcome)
            }
            // An answer read in part is no answer: the failure instead, nothing printed.
            if let failure = backend.takeReadFailure() {
                outcome.output = ""
                outcome.result = nil
                throw failure
            }
        } catch let caught as Diagnostic {
            // A command that stopped on what a failed read left out stopped because of the read.
            let readFailure = backend.takeReadFailure()
            if readFailure != nil {
                outcome.output = ""
                outcome.result = nil
            }
            let d = readFailure ?? caught
            outcome.status = d.kind == .usage ? .usageError : .runtimeError
            outcome.report(shown(d), source: src(), colour: settings.colour)
        } catch let e as LessonFileError {
            // A broken lesson: shown against the lesson file's lines, not the command's.
            outcome.status = .usageError
            outcome.sourceName = e.sourceName
            outcome.report(e.diagnostic, source: e.source, colour: settings.colour)
        } catch {
            outcome.status = .runtimeError
            outcome.messages += "error: \(masksContacts ? Masking.text("\(error)") : "\(error)")\n"
        }
        if settings.timer {
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            outcome.messages += String(format: "time: %.3f ms\n", ms)
        }
        return outcome
    }

    // MARK: Dispatch

    private func execute(_ command: Command, text: String, source: () -> String, into outcome: inout CommandOutcome) throws {
        switch command {
        case .find(let q):
            var checked = try checker(q.entity.entity, inBin: q.deleted).check(q)
            checked.inBin = q.deleted
            try backend.checkSupported(checked)
            for w in checked.warnings { outcome.report(shown(w), source: source(), colour: settings.colour) }
            emit(backend.find(checked, clock: clock), into: &outcome)
        case .aggregate(let q):
            var checked = try checker(q.entity.entity, inBin: q.deleted).check(q)
            checked.inBin = q.deleted
            try backend.checkSupported(checked)
            for w in checked.warnings { outcome.report(shown(w), source: source(), colour: settings.colour) }
            var result = backend.aggregate(checked, clock: clock)
            result.isGrouped = checked.groupBy != nil
            emit(result, into: &outcome)
        case .report(let q):
            let request = try KPIRequest(q, schema: backend.schema(of: .customers), clock: clock)
            emit(KPIReport.run(request, backend: backend, clock: clock), into: &outcome)
        case .importData(let entity, let path, let options):
            try importFile(entity, path, options, text: text, source: source, into: &outcome)
        case .add, .update, .delete, .logContact, .logPurchase, .logSurvey, .doneTask, .openTicket, .ticketStep, .addPoints, .redeem:
            try requireWriteAccess()
            var builder = ChangeBuilder(backend: backend, clock: clock, user: settings.user, command: text)
            builder.isCancelled = isCancelled
            var changes = try builder.build(command)
            // The balance before the change, for the confirmation line.
            var pointsBalance: Int64?
            switch command {
            case .addPoints, .redeem:
                if case .string(let id)? = changes.changes.first?.after[RecordField.customer] { pointsBalance = builder.pointsBalance(of: id).points }
            default: break
            }
            try commit(&changes, of: command, into: &outcome, pointsBalance: pointsBalance)
        case .restore, .purge:
            try requireWriteAccess()
            let bin = BinCommands(backend: backend, clock: clock, user: settings.user, command: text)
            var (set, summary) = try {
                if case .restore(let id) = command { return try bin.restore(id) }
                if case .purge(let olderThan) = command { return try bin.purge(olderThan: olderThan) }
                preconditionFailure("only restore and purge come here")
            }()
            try commitOrPreview(&set, summary: summary, dryRun: settings.dryRun, into: &outcome)
        case .merge(_, _, let dryRunClause):
            try merge(command, dryRun: dryRunClause || settings.dryRun, text: text, into: &outcome)
        case .findDuplicates(let kinds, let limit):
            emit(DuplicateList.result(backend, kinds: kinds, limit: limit), into: &outcome)
        case .export(let entity, let condition, let path):
            try export(entity.entity, condition, path, into: &outcome)
        case .exportStore(let path):
            guard case .string(let directory, _) = path.kind else { throw Diagnostic.usage(.expectedDirectoryName, at: path.span) }
            note(try StoreTransfer(backend: backend, clock: clock).export(to: directory, span: path.span), into: &outcome)
        case .importStore(let path):
            guard case .string(let directory, _) = path.kind else { throw Diagnostic.usage(.expectedDirectoryName, at: path.span) }
            if !settings.dryRun { try requireWriteAccess() }
            var (set, summary) = try StoreTransfer(backend: backend, clock: clock).importSet(from: directory, user: settings.user, command: text, span: path.span)
            try commitOrPreview(&set, summary: summary, dryRun: settings.dryRun, into: &outcome)
        case .showCustomer(let id):
            var card = ProfileCard(backend: backend, clock: clock, timeZone: clock.timeZone)
            card.masksContacts = masksContacts
            if settings.format.isForReading {
                outcome.output += try card.render(id)
            } else {
                let (record, related) = try card.record(id)
                render(record: record, related: related, into: &outcome)
            }
        case .showTicket(let id):
            let card = TicketCard(backend: backend, clock: clock)
            if settings.format.isForReading {
                outcome.output += try card.render(id)
            } else {
                let (record, related) = try card.record(id)
                render(record: record, related: related, into: &outcome)
            }
        case .whyChurn(let id):
            let explanation = try ChurnExplanation(backend: backend, clock: clock).explain(id)
            note(explanation.headline, into: &outcome)
            emit(explanation.signals, into: &outcome)
        case .showFields(let entity):
            emit(fieldsResult(entity?.entity), into: &outcome)
        case .save:
            if savesInBackground, backend.location != nil, try backend.checkpointInBackground() {
                note("writing a snapshot of \(backend.count(.customers)) customers in the background", into: &outcome)
            } else {
                try backend.checkpoint(isCancelled: isCancelled)
                note("saved a snapshot of \(backend.count(.customers)) customers", into: &outcome)
            }
        case .initialize:
            note(try backend.initialize(), into: &outcome)
        case .check:
            guard let report = backend.check() else {
                note("the demo store lives in memory: there are no files to check", into: &outcome)
                return
            }
            outcome.output += report.description
            if !report.isSound { outcome.status = .runtimeError }
        case .backup(let path, let encrypted):
            guard case .string(let target, _) = path.kind else { throw Diagnostic.usage(.expectedDirectoryName, at: path.span) }
            // The key comes from the file RAPPORT_KEY_FILE names, never from the command's text.
            let key = encrypted ? try EncryptionKey.fromEnvironment() : nil
            note(try backend.backup(to: target, encryptedWith: key), into: &outcome)
        case .help(let topic):
            outcome.output += Help.text(topic: topic)
        case .recompute(let target, let dryRunClause):
            try recompute(target, dryRun: dryRunClause || settings.dryRun, text: text, into: &outcome)
        case .setting(let name, let value, let span):
            try applySetting(name, value, span, into: &outcome)
        case .showPolicy(let prefix, let span):
            emit(try PolicyCommands.table(backend.policy, prefix: prefix, span: span), into: &outcome)
        case .setPolicy(let key, let keySpan, let value, let valueSpan):
            try setPolicy(key, keySpan, value, valueSpan, text: text, into: &outcome)
        case .campaign(let block):
            try runCampaign(block, text: text, into: &outcome)
        case .deliver(let command, let dryRunClause):
            try deliver(command, dryRun: dryRunClause || settings.dryRun, text: text, into: &outcome)
        case .campaignHistory(let name):
            emit(try CampaignRunner(backend: backend, clock: clock, user: settings.user, command: text).history(name), into: &outcome)
        case .define(let name, _, let value):
            definitions[name] = value
        case .include(let path):
            guard case .string(let file, _) = path.kind else { throw Diagnostic.usage(.expectedQuotedFileName, at: path.span) }
            guard let includeScript else { throw Diagnostic.usage(.includeUnreadable, file, "include works in scripts and the shell", at: path.span) }
            try includeScript(file, path.span)
        case .saveSegment(let name, let replace, let entity, let condition, let conditionText):
            try saveSegment(name, replace: replace, entity.entity, condition, conditionText, text: text, into: &outcome)
        case .showSegments:
            emit(SegmentCommands.table(backend.segments), into: &outcome)
        case .deleteSegment(let name):
            try deleteSegment(name, text: text, into: &outcome)
        case .auditRecord(let id):
            emit(try auditOfRecord(id), into: &outcome)
        case .grant(let user, let role):
            try grant(user, role, text: text, into: &outcome)
        case .revoke(let user):
            try revoke(user, text: text, into: &outcome)
        case .tutorial(let target):
            switch try Tutorial(session: self).run(target) {
            case .table(let result): emit(result, into: &outcome)
            case .started(let text, let warnings, let lessonSource, let lessonName):
                outcome.output += text
                let commandSourceName = outcome.sourceName
                outcome.sourceName = lessonName
                for w in warnings { outcome.report(w, source: lessonSource, colour: settings.colour) }
                outcome.sourceName = commandSourceName
            }
        case .showGrants:
            let grants = backend.grants
            if grants.isEmpty, settings.format.isForReading {
                note("no grants: everyone who can open this store may take admin", into: &outcome)
            } else {
                emit(Grants.table(grants), into: &outcome)
            }
        }
    }

    // MARK: Grants

    private func grant(_ user: Literal, _ role: Role, text: String, into outcome: inout CommandOutcome) throws {
        try requireWriteAccess()
        let name = Session.userName(user)
        let changes = try Grants.grant(name, role, by: settings.osUser, in: backend.grants)
        guard !changes.isEmpty else {
            note("no change: \(name) is granted \(role.rawValue) already", into: &outcome)
            return
        }
        let summary = changes.map { "granted \($0.user) \($0.after!.rawValue)" + ($0.before.map { " (was \($0.rawValue))" } ?? "") }
            .joined(separator: "; ")
        try commitChecked(summary: summary, dryRunNote: "would have \(summary)", text: text, into: &outcome) {
            $0.grantChanges = changes
        }
    }

    private static func userName(_ literal: Literal) -> String {
        if case .string(let name, _) = literal.kind { return name }
        return literal.text
    }

    private func revoke(_ user: Literal, text: String, into outcome: inout CommandOutcome) throws {
        try requireWriteAccess()
        let name = Session.userName(user)
        let change = try Grants.revoke(name, in: backend.grants, at: user.span)
        let summary = "revoked \(name)'s grant (was \(change.before!.rawValue))"
        try commitChecked(summary: summary, dryRunNote: "would have \(summary)", text: text, into: &outcome) {
            $0.grantChanges = [change]
        }
    }

    /// A campaign run (docs/campaigns.md): the outbox reconciled with the committed
    /// messages, the whole run built and checked, committed as one change set, then its
    /// messages written to the outbox. A dry run lists the messages and changes nothing.
    private func runCampaign(_ block: CampaignBlock, text: String, into outcome: inout CommandOutcome) throws {
        let dryRun = settings.dryRun
        if !dryRun {
            try requireWriteAccess()
            if settings.role < CommandCatalogue.campaignRunRole {
                throw Diagnostic(.runtime, .roleRequired, ["campaign", CommandCatalogue.campaignRunRole.rawValue, settings.role.rawValue],
                                 notes: ["an agent may preview a campaign with --dry-run"])
            }
        }
        var runner = CampaignRunner(backend: backend, clock: clock, user: settings.user, command: text)
        runner.progress = campaignProgress
        runner.encodesJournalAhead = !dryRun
        let outbox = backend.outboxDirectory.map { Outbox(storeDirectory: $0, clock: clock) }
        func outboxStep<T>(_ body: () throws -> T) throws -> T {
            do { return try body() } catch { throw Diagnostic.runtime(.outboxNotWritten, "\(error)") }
        }
        // The outbox is complete through this message number before the run.
        var outboxMark: Outbox.Mark?
        if !dryRun, let outbox {
            outboxMark = try outboxStep { try runner.reconcile(outbox) }
        }
        if !dryRun { backend.expectLargeCommit() }
        var run = try runner.plan(block)
        if dryRun {
            if !run.messages.isEmpty || settings.format != .table { emit(run.preview, into: &outcome) }
            note(run.summary(dryRun: true), into: &outcome)
            return
        }
        // The outbox lines are made on another core while the run is committed: they read
        // only the messages, which the commit does not change.
        let lines = PreparedLines()
        let linesMade = DispatchGroup()
        if outbox != nil, outboxMark != nil, run.messages.count >= Outbox.linesWorthAThread {
            let messages = run.messages
            DispatchQueue.global().async(group: linesMade) { lines.byDay = outbox?.lines(of: messages) }
        }
        // The lines are appended (and fsynced) as soon as the journal holds the run, beside
        // the rest of its apply: from the run's messages only, the mark through their own
        // highest number, nothing read from the store being applied.
        let written = OutboxWrite()
        if let outbox, let mark = outboxMark, !run.messages.isEmpty {
            let messages = run.messages
            written.job = {
                linesMade.wait()
                // Numbered after the mark, so in no file yet: appended without reading the files.
                let files = try outbox.write(messages, fresh: true, prepared: lines.byDay)
                let through = max(mark.through, Outbox.highestNumber(of: messages))
                outbox.writeMark(Outbox.Mark(through: through, files: files.isEmpty ? mark.files : files))
            }
        }
        if !run.changes.isEmpty {
            do { try backend.commit(&run.changes, by: author, whenDurable: { written.run() }) } catch {
                linesMade.wait()
                throw error
            }
        } else {
            written.run()
        }
        note(run.summary(dryRun: false), into: &outcome)
        linesMade.wait()
        if let failure = written.failure { throw Diagnostic.runtime(.outboxNotWritten, "\(failure)") }
    }

    /// `deliver via "COMMAND"` (docs/campaigns.md, "Delivery"): each due message handed to
    /// COMMAND in id order, and its outcome committed (journalled, fsynced) before the next
    /// is handed over, so a crash costs at most one message handed over twice.
    private func deliver(_ command: Literal, dryRun: Bool, text: String, into outcome: inout CommandOutcome) throws {
        guard case .string(let commandText, _) = command.kind else { throw Diagnostic.usage(.deliveryCommandEmpty, at: command.span) }
        if !dryRun { try requireWriteAccess() }
        let delivery = Delivery(backend: backend, clock: clock)
        let due = delivery.due()
        if dryRun {
            if !due.ready.isEmpty || settings.format != .table { emit(Delivery.preview(due.ready), into: &outcome) }
            note(Delivery.summary(delivered: 0, failed: 0, due: due, notTried: 0, clock: clock, dryRun: true), into: &outcome)
            return
        }
        let timeout = backend.policy["delivery.timeout"]
        var delivered = 0, failures: [String] = [], tried = 0, skipped = 0
        for message in due.ready {
            // Ctrl-C stops between messages: the rest stay as they were.
            if isCancelled() { break }
            // One message at a time, claimed as it is now: a session sharing the store may
            // have delivered it meanwhile (or be handing it over), and then it is not handed over again.
            let handed = try backend.withDeliveryClaim(message.id) { (current) throws -> Delivery.Outcome? in
                guard let current, case .string(let status)? = current[MessageField.status], Delivery.undelivered.contains(status) else { return nil }
                tried += 1
                let result = DeliveryProcess.run(commandText, input: delivery.handOver(current) + [10], timeout: timeout)
                var changes = ChangeSet(at: clock.now, user: settings.user, command: text)
                changes.changes = [delivery.change(message.id, current, result)]
                try backend.commit(&changes, by: author)
                return result
            }
            guard let result = handed else { skipped += 1; continue }
            if case .failed(let reason) = result { failures.append("\(message.id): \(reason)") } else { delivered += 1 }
        }
        note(Delivery.summary(delivered: delivered, failed: failures.count, due: due, notTried: due.ready.count - tried - skipped, clock: clock, dryRun: false), into: &outcome)
        if let first = failures.first {
            throw Diagnostic.runtime(.messagesNotDelivered, "\(failures.count)", "\(tried)", first)
        }
    }

    /// One key checked, then committed as a change set like any change: journalled with who,
    /// when and the command, before and after.
    private func setPolicy(_ name: String, _ keySpan: SourceSpan, _ value: String, _ valueSpan: SourceSpan,
                           text: String, into outcome: inout CommandOutcome) throws {
        try requireWriteAccess()
        let (key, change) = try PolicyCommands.change(backend.policy, key: name, keySpan: keySpan, value: value, valueSpan: valueSpan)
        guard let change else {
            note("no change: policy \(key.name) is \(key.format(backend.policy.value(key))) already", into: &outcome)
            return
        }
        let summary = PolicyCommands.summary(key, change)
        try commitChecked(summary: summary, dryRunNote: "would set \(summary)", text: text, into: &outcome) {
            $0.policyChanges = [change]
        }
    }

    /// One change already checked (a policy key, a segment): under `--dry-run` only
    /// "dry run: `dryRunNote`" is said; otherwise it is committed as a change set of its own,
    /// then `summary` said.
    private func commitChecked(summary: String, dryRunNote: String, text: String, into outcome: inout CommandOutcome,
                               _ fill: (inout ChangeSet) -> Void) throws {
        if settings.dryRun {
            note("dry run: \(dryRunNote); nothing changed", into: &outcome)
            return
        }
        var changes = ChangeSet(at: clock.now, user: settings.user, command: text)
        fill(&changes)
        try backend.commit(&changes, by: author)
        note(summary, into: &outcome)
    }

    // MARK: Segments

    private func saveSegment(_ name: Literal, replace: Bool, _ entity: Entity, _ condition: Condition, _ conditionText: String,
                             text: String, into outcome: inout CommandOutcome) throws {
        try requireWriteAccess()
        guard case .string(let segmentName, _) = name.kind else { throw Diagnostic.usage(.expectedSegmentName, at: name.span) }
        guard let change = try SegmentCommands.save(name: segmentName, nameSpan: name.span, replace: replace, entity: entity,
                                                    condition: condition, text: conditionText, checker: checker(entity),
                                                    user: settings.user, at: Int64(Date().timeIntervalSince1970.rounded(.down))) else {
            note("no change: segment '\(segmentName)' is saved already with that condition", into: &outcome)
            return
        }
        let summary = "\(change.before == nil ? "saved" : "replaced") segment '\(change.name)': \(entity.rawValue) where \(conditionText)"
        try commitChecked(summary: summary, dryRunNote: "would have \(summary)", text: text, into: &outcome) {
            $0.segmentChanges = [change]
        }
    }

    private func deleteSegment(_ name: Literal, text: String, into outcome: inout CommandOutcome) throws {
        try requireWriteAccess()
        guard case .string(let segmentName, _) = name.kind else { throw Diagnostic.usage(.expectedSegmentName, at: name.span) }
        let segment = try SegmentCommands.segment(named: segmentName, in: backend.segments, at: name.span)
        let summary = "deleted segment '\(segment.name)'"
        try commitChecked(summary: summary, dryRunNote: "would have \(summary)", text: text, into: &outcome) {
            $0.segmentChanges = [SegmentChange(name: segment.name, before: segment, after: nil)]
        }
    }

    /// `audit ID`: the audit rows whose record is ID, exactly as recorded (a deleted or
    /// merged record's too), in the trail's order; an id no change names is an error.
    private func auditOfRecord(_ id: Literal) throws -> ResultSet {
        let recordID: String
        switch id.kind {
        case .string(let s, _): recordID = s
        default: recordID = id.text
        }
        let span = id.span
        let shown = ["at", "user", "role", "command", "entity", "field", "before", "after"]
        var q = FindQuery(entity: EntityName(entity: .audit, span: span))
        q.condition = .compare(FieldName(AuditField.record, span: span), .equal, Literal(kind: .string(recordID, quoted: true), span: span, text: recordID))
        q.show = ([AuditField.record] + shown).map { .field(FieldName($0, span: span)) }
        let found = backend.find(try checker(.audit).check(q), clock: clock)
        // Equality in a condition ignores case; the id asked for is matched exactly.
        let rows = found.rows.filter { $0[0] == .string(recordID) }.map { Array($0.dropFirst()) }
        guard !rows.isEmpty else { throw Diagnostic.runtime(.recordHasNoHistory, recordID, at: span) }
        return ResultSet(columns: shown, rows: rows)
    }

    /// The checker of queries on `entity`, with this store's schemas and the session's clock.
    /// `inBin`: of the deleted records, whose relations are to other deleted records.
    private func checker(_ entity: Entity, inBin: Bool = false) throws -> Checker {
        // The audit trail is read on the first query that names it, not at opening.
        if entity == .audit { try backend.loadAuditTrail() }
        let schemas: (Entity) -> EntitySchema = inBin ? backend.binSchema(of:) : backend.schema(of:)
        var checker = Checker(schema: schemas(entity), clock: clock, schemas: schemas)
        checker.segments = backend.segments
        return checker
    }

    /// Refuses a command above the session's role before it reads or changes anything.
    private func authorize(_ spec: CommandSpec, _ command: Command) throws {
        let needed = spec.leastRole(for: command)
        guard settings.role < needed else { return }
        var what = spec.word
        if CommandCatalogue.entityRole(command) == needed, needed > spec.leastRole { what += " " + Entity.audit.rawValue }
        if case .setting(let name, _, _) = command, let setting = SettingCatalogue.spec(named: name) { what += " " + setting.name }
        if case .setPolicy = command { what += " policy" }
        var notes: [String] = []
        if let roleNote = spec.roleNote, what == spec.word { notes.append("\(spec.word) needs \(spec.leastRole.rawValue) \(roleNote)") }
        throw Diagnostic(.runtime, .roleRequired, [what, needed.rawValue, settings.role.rawValue], notes: notes)
    }

    private func requireWriteAccess() throws {
        if backend.isReadOnly {
            throw Diagnostic.runtime(.readOnlyChangesRefused)
        }
    }

    private func commit(_ changes: inout ChangeSet, of command: Command, into outcome: inout CommandOutcome,
                        pointsBalance: Int64? = nil) throws {
        var unchangedMatches = 0
        if changes.isEmpty, case .update(let entity, let condition, _) = command {
            unchangedMatches = try matchCount(entity, condition)
        }
        let summary = ChangeBuilder.summary(changes, of: command, unchangedMatches: unchangedMatches, pointsBalance: pointsBalance)
        if settings.dryRun {
            note("dry run: would have \(summary); nothing changed", into: &outcome)
            return
        }
        if changes.isEmpty {
            switch command {
            case .update, .delete: note(summary, into: &outcome)
            default: note("nothing to change", into: &outcome)
            }
            return
        }
        try backend.commit(&changes, by: author)
        note(summary, into: &outcome)
    }

    /// How many records a condition matches (all when nil): asked only when an update
    /// changed none, to tell "none matched" from "they had these values already".
    private func matchCount(_ entity: EntityName, _ condition: Condition?) throws -> Int {
        var q = FindQuery(entity: entity)
        q.condition = condition
        let checked = try checker(entity.entity).check(q)
        try backend.checkSupported(checked)
        return backend.count(matching: checked, clock: clock)
    }

    /// A short confirmation: on standard output for tables, on standard error for
    /// machine formats, so their output stays parseable.
    private func note(_ text: String, into outcome: inout CommandOutcome) {
        let text = TerminalText.clean(text)
        if settings.format.isForReading { outcome.output += text + "\n" } else { outcome.messages += text + "\n" }
    }

    // MARK: Masking

    /// A trainee sees phones and emails masked (docs/roles.md, "Masking"): every result,
    /// card and error message leaves the session through `emit`, `render` or `shown`.
    private var masksContacts: Bool { settings.role == .trainee }

    /// A diagnostic as the session's role may see it: its arguments and data notes with
    /// phones and emails masked for a trainee. The source line is what they typed.
    private func shown(_ diagnostic: Diagnostic) -> Diagnostic {
        guard masksContacts else { return diagnostic }
        var d = diagnostic
        d.arguments = d.arguments.map(Masking.text)
        d.extraNotes = d.extraNotes.map(Masking.text)
        return d
    }

    /// A record and its related rows (the cards in csv and JSON) rendered in the session's format.
    private func render(record: ResultSet, related: [(key: String, rows: ResultSet)], into outcome: inout CommandOutcome) {
        let mask = masksContacts ? Masking.result : { $0 }
        outcome.output += ResultRenderer(format: settings.format, timeZone: clock.timeZone)
            .render(record: mask(record), related: related.map { ($0.key, mask($0.rows)) })
    }

    private func emit(_ result: ResultSet, into outcome: inout CommandOutcome) {
        let result = masksContacts ? Masking.result(result) : result
        outcome.result = result
        var renderer = ResultRenderer(format: settings.format, timeZone: clock.timeZone)
        renderer.colour = settings.colour
        renderer.isCancelled = isCancelled
        // getenv, not ProcessInfo's environment: that builds a dictionary of every variable
        // on each call, about a tenth of a lookup by id.
        if let columns = getenv("COLUMNS").flatMap({ Int(String(cString: $0)) }), columns > 0 { renderer.width = columns }
        guard let text = renderer.renderUnlessCancelled(result) else {
            outcome.messages += "cancelled\n"
            outcome.status = .runtimeError
            return
        }
        outcome.output += text
    }

    private func fieldsResult(_ entity: Entity?) -> ResultSet {
        var rows: [[Value]] = []
        for e in entity.map({ [$0] }) ?? Entity.allCases {
            for f in backend.schema(of: e).fields {
                rows.append([.string(e.rawValue), .string(f.name), .string(f.type.rawValue), .string(f.isCustom ? "custom" : "built-in"), .null])
            }
            for f in DerivedFields.of(e) {
                rows.append([.string(e.rawValue), .string(f.name), .string(f.type.rawValue), .string("derived"), .string(f.rule)])
            }
        }
        return ResultSet(columns: ["entity", "field", "type", "kind", "rule"], rows: rows)
    }

    // MARK: Import

    /// Commits an import (or, in a dry run, lists what it would do), then lists its
    /// warnings by line on standard error.
    private func importFile(_ entity: EntityName, _ path: Literal, _ options: ImportOptions, text: String,
                            source: () -> String, into outcome: inout CommandOutcome) throws {
        let dryRun = options.dryRun || settings.dryRun
        if !dryRun { try requireWriteAccess() }
        var builder = ChangeBuilder(backend: backend, clock: clock, user: settings.user, command: text)
        builder.isCancelled = isCancelled
        // Millions of small blocks and large arrays freed while more are made (`Allocator`, why).
        var plan = try Allocator.forBulkImport { () throws -> ImportPlan in
            var plan = try builder.importPlan(entity, path: path, options: options, dryRun: dryRun, progress: importProgress)
            if !dryRun, !plan.set.isEmpty { try backend.commit(&plan.set, by: author) }
            return plan
        }
        if dryRun {
            emit(plan.preview, into: &outcome)
            note(plan.dryRunSummary, into: &outcome)
        } else {
            note(plan.summary, into: &outcome)
        }
        for warning in plan.warnings(span: path.span) { outcome.report(warning, source: source(), colour: settings.colour) }
        // Two changes a row of a million-customer file: freed on another core, so that the
        // command's answer (and a one-shot process's exit) does not wait for it, and the
        // memory the import freed then given back, not kept by a session that goes on.
        if plan.set.changes.count >= Importer.rowsWorthSplitting {
            ReleasedAside.release(plan.set.changes, thenReturningMemory: true)
            plan.set.changes = []
        }
    }

    // MARK: Merge

    /// Built and checked like any change (the rollup included); a dry run says what would
    /// move and commits nothing.
    private func merge(_ command: Command, dryRun: Bool, text: String, into outcome: inout CommandOutcome) throws {
        if !dryRun { try requireWriteAccess() }
        var changes = try ChangeBuilder(backend: backend, clock: clock, user: settings.user, command: text).build(command)
        try commitOrPreview(&changes, summary: ChangeBuilder.summary(changes, of: command), dryRun: dryRun, into: &outcome)
    }

    /// Who this session's changes are recorded as (`Database.commit` adds the time).
    private var author: ChangeAuthor { ChangeAuthor(user: settings.user, role: settings.role, pinnedNow: pinnedNow) }

    /// A built change set: described in a dry run, else committed (when it changes anything);
    /// either way its summary is said.
    private func commitOrPreview(_ changes: inout ChangeSet, summary: String, dryRun: Bool, into outcome: inout CommandOutcome) throws {
        if dryRun {
            note("dry run: would have \(summary); nothing changed", into: &outcome)
            return
        }
        if !changes.isEmpty { try backend.commit(&changes, by: author) }
        note(summary, into: &outcome)
    }

    // MARK: Recompute

    /// Lists who moves, then commits one change set of their updates unless it is a dry run.
    private func recompute(_ target: RecomputeTarget, dryRun: Bool, text: String, into outcome: inout CommandOutcome) throws {
        if !dryRun { try requireWriteAccess() }
        let moves = Recompute(backend: backend, clock: clock).moves(target)
        if !moves.isEmpty, !dryRun {
            // Customer fields only: no record changes, so the rollup has nothing to add.
            var changes = Recompute.changeSet(moves, at: clock.now, user: settings.user, command: text)
            try backend.commit(&changes, by: author)
        }
        if !moves.isEmpty || settings.format != .table { emit(Recompute.result(moves), into: &outcome) }
        note(Recompute.summary(moves, target, dryRun: dryRun), into: &outcome)
    }

    // MARK: Export

    private func export(_ entity: Entity, _ condition: Condition?, _ path: Literal, into outcome: inout CommandOutcome) throws {
        guard case .string(let file, _) = path.kind else { throw Diagnostic.usage(.expectedFileName, at: path.span) }
        guard let format = InterchangeFormat(path: file) else {
            throw Diagnostic.usage(.unknownFileFormat, file, at: path.span)
        }
        var q = FindQuery(entity: EntityName(entity: entity, span: path.span))
        q.condition = condition
        q.showAll = true
        var checked = try checker(entity).check(q)
        // The stored fields only: an exported file imports back, and import refuses derived names.
        checked.columns.removeAll { $0.value.field?.isDerived ?? false }
        try backend.checkSupported(checked)
        let result = backend.find(checked, clock: clock)
        let total = result.rows.count
        exportProgress?(0, total)
        defer { exportProgress?(total, total) }
        let progress = exportProgress.map { report in { (done: Int) in report(done, total) } }
        guard let text = Exporter.text(result, format: format, timeZone: clock.timeZone, progress: progress, isCancelled: isCancelled) else {
            throw Diagnostic.runtime(.exportCancelled, file)
        }
        do {
            try FileSystem.writeAtomically(Array(text.utf8), to: file, mode: 0o600)
        } catch {
            throw Diagnostic.runtime(.cannotWriteFile, file, "\(error)")
        }
        note("exported \(result.rows.count) \(result.rows.count == 1 ? entity.singular : entity.rawValue) to \(file)", into: &outcome)
    }

    // MARK: Settings

    private func applySetting(_ name: String, _ value: String?, _ span: SourceSpan, into outcome: inout CommandOutcome) throws {
        if name == "show" {
            var rows: [[Value]] = SettingCatalogue.all.map { [.string($0.name), .string($0.current(self))] }
            rows += [
                [.string("timezone"), .string(clock.timeZone.identifier)],
                [.string("user"), .string(settings.user)],
                [.string("role"), .string(settings.role.rawValue)],
            ]
            emit(ResultSet(columns: ["setting", "value"], rows: rows), into: &outcome)
            return
        }
        guard let setting = SettingCatalogue.spec(named: name) else {
            throw Diagnostic.usage(.unknownSetting, name, at: span,
                                   suggestion: nearestName(to: name, among: SettingCatalogue.acceptedNames))
        }
        try setting.apply(self, value, span)
    }
}

private extension Command {
    enum WriteLocking { case none, wholeCommand, perStep }

    /// How the command holds the store's write lock: a changing command for the whole of
    /// it (built and committed as the only writer); `deliver` for each message, as it waits
    /// on another program for each; `save` and `backup` take it inside the backend.
    func writeLocking(_ spec: CommandSpec) -> WriteLocking {
        switch self {
        case .deliver: .perStep
        case .setPolicy, .saveSegment, .deleteSegment: .wholeCommand
        default: spec.changesData ? .wholeCommand : .none
        }
    }
}
