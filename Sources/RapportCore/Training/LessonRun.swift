import Foundation

/// A lesson being taken: while the session holds one, every line the trainee types comes
/// here (`Session.run`), whether from the shell, a pipe or a script. `hint`, `skip`,
/// `back` and `quit` steer; anything else runs on the sandbox and is checked.
public final class LessonRun {
    public let lesson: Lesson
    /// The step the trainee is on, from 0; `lesson.steps.count` once finished.
    public private(set) var stepIndex: Int
    public private(set) var isFinished = false
    /// Told after every verdict and move, to save the trainee's progress.
    var record: (LessonRun) -> Void = { _ in }
    /// Attempts and hints per step, for `tutorial report`.
    var attempts: [Int]
    var hintsTaken: [Int]
    var skipped: Set<Int> = []

    private let timeZone: TimeZone
    private let user: String
    private var sandbox: Sandbox
    /// The commands that made the sandbox what it is, after the setup: each with the step
    /// it was accepted in, so `back` can drop a step's changes.
    private var accepted: [(step: Int, command: Lesson.LessonCommand)] = []
    /// The expected state of the current change step, found once per step.
    private var expectedState: [Entity: [String: [String: Value]]]?
    private var hintsShownThisVisit = 0
    /// What checking the lesson found doubtful but not wrong (an expected query with no
    /// rows), for the trainer: shown on standard error when the lesson starts.
    public private(set) var warnings: [Diagnostic] = []

    public var prompt: String { "lesson \(lesson.name) \(min(stepIndex + 1, lesson.steps.count))/\(lesson.steps.count)> " }

    /// Checks the lesson on a sandbox of its own (every expect block runs as it should),
    /// then opens the trainee's sandbox at `step`, with the expected changes of the
    /// steps before it applied.
    init(_ lesson: Lesson, timeZone: TimeZone, user: String, step: Int = 0) throws {
        let warnings = try Self.validate(lesson, timeZone: timeZone, user: user)
        self.warnings = warnings
        self.lesson = lesson
        self.timeZone = timeZone
        self.user = user
        self.stepIndex = min(max(step, 0), lesson.steps.count - 1)
        attempts = Array(repeating: 0, count: lesson.steps.count)
        hintsTaken = Array(repeating: 0, count: lesson.steps.count)
        for (i, s) in lesson.steps.enumerated().prefix(stepIndex) {
            if let check = s.check, check.kind == .change { accepted += check.commands.map { (i, $0) } }
        }
        sandbox = Self.rebuild(lesson, timeZone: timeZone, user: user, accepted: accepted.map(\.command))
    }

    private static func rebuild(_ lesson: Lesson, timeZone: TimeZone, user: String, accepted: [Lesson.LessonCommand]) -> Sandbox {
        Sandbox.build(lesson, timeZone: timeZone, user: user, replaying: lesson.setup + accepted).sandbox
    }

    // MARK: Checking the lesson

    /// Throws what makes the lesson unusable; returns the warnings.
    static func validate(_ lesson: Lesson, timeZone: TimeZone, user: String) throws -> [Diagnostic] {
        func broken(_ command: Lesson.LessonCommand, _ why: String, _ cause: Diagnostic?) -> Diagnostic {
            let line = lesson.source.split(separator: "\n", omittingEmptySubsequences: false)
            let text = command.line <= line.count ? String(line[command.line - 1]) : command.text
            let span = cause?.span ?? SourceSpan(start: SourceLocation(line: command.line, column: 1), length: max(1, text.count))
            return Diagnostic(.usage, .lessonExpectBroken, [why + (cause.map { ": " + $0.message } ?? "")], at: span)
        }
        let (sandbox, failure) = Sandbox.build(lesson, timeZone: timeZone, user: user, replaying: lesson.setup)
        if let failure { throw broken(failure.command, "(setup) must run", failure.outcome.diagnostics.first) }
        var warnings: [Diagnostic] = []
        for step in lesson.steps {
            guard let check = step.check else { continue }
            for command in check.commands {
                let before = sandbox.sequence
                let outcome = sandbox.run(command.text, line: command.line, lesson: lesson)
                switch check.kind {
                case .query:
                    if outcome.status != .success { throw broken(command, "must run", outcome.diagnostics.first) }
                    if outcome.result == nil || sandbox.sequence != before { throw broken(command, "must be a query (find, count, ...) that shows a result", nil) }
                    if outcome.result?.rows.isEmpty == true {
                        // Pointing at the whole command, as a broken block does.
                        warnings.append(Diagnostic(.warning, .lessonExpectEmpty, at: broken(command, "", nil).span))
                    }
                case .change:
                    if outcome.status != .success { throw broken(command, "must run", outcome.diagnostics.first) }
                    if sandbox.sequence == before { throw broken(command, "must change the sandbox, and it changes nothing", nil) }
                case .run:
                    if outcome.status != .success { throw broken(command, "must run", outcome.diagnostics.first) }
                case .error(let id):
                    if !outcome.diagnosticIDs.contains(id) {
                        let got = outcome.diagnosticIDs.first.map { "fails with \($0.rawValue) instead" } ?? "runs without error"
                        throw broken(command, "must fail with \(id.rawValue), and it \(got)", nil)
                    }
                }
            }
        }
        return warnings
    }

    // MARK: Taking the lesson

    /// The lesson's opening: its title and the first step (or the one resumed at).
    public func opening(resumed: Bool) -> String {
        var text = "lesson \(lesson.name): \(lesson.title)\n"
        if !lesson.summary.isEmpty { text += lesson.summary + "\n" }
        text += "A sandbox of \(lesson.demoSize) demo customers on \(dateText(lesson.now)); nothing you do here reaches your store.\n"
        text += "hint shows a hint, skip moves on, back goes a step back, quit leaves (your progress is kept).\n"
        if resumed { text += "resuming at step \(stepIndex + 1) of \(lesson.steps.count)\n" }
        return text + "\n" + stepText()
    }

    private func dateText(_ t: Int64) -> String { Clock(now: t, timeZone: timeZone).today.description }

    private func stepText() -> String {
        let step = lesson.steps[stepIndex]
        var text = "Step \(stepIndex + 1) of \(lesson.steps.count): \(step.title)\n"
        if !step.text.isEmpty { text += step.text + "\n" }
        if step.check == nil { text += "(press Enter to go on)\n" }
        return text
    }

    public func handle(_ input: String) -> CommandOutcome {
        var outcome = CommandOutcome()
        let text = input.split(separator: "\n", omittingEmptySubsequences: false).map(ScriptReader.withoutComment)
            .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        let step = lesson.steps[stepIndex]
        switch text.lowercased() {
        case "hint":
            if hintsShownThisVisit < step.hints.count {
                outcome.output += "hint: \(step.hints[hintsShownThisVisit])\n"
                hintsShownThisVisit += 1
                hintsTaken[stepIndex] += 1
                record(self)
            } else {
                outcome.output += step.hints.isEmpty ? "this step has no hints; skip moves on\n" : "no more hints; skip moves on\n"
            }
            return outcome
        case "skip":
            skipped.insert(stepIndex)
            if let check = step.check, check.kind == .change {
                // Later steps count on this change: make it as the lesson would.
                accepted += check.commands.map { (stepIndex, $0) }
                sandbox = Self.rebuild(lesson, timeZone: timeZone, user: user, accepted: accepted.map(\.command))
            }
            outcome.output += "skipped step \(stepIndex + 1)\n"
            advance(into: &outcome)
            return outcome
        case "back":
            guard stepIndex > 0 else { outcome.output += "this is the first step\n"; return outcome }
            stepIndex -= 1
            accepted.removeAll { $0.step >= stepIndex }
            sandbox = Self.rebuild(lesson, timeZone: timeZone, user: user, accepted: accepted.map(\.command))
            enterStep()
            outcome.output += "\n" + stepText()
            record(self)
            return outcome
        case "quit":
            isFinished = true
            record(self)
            outcome.output += "left lesson \(lesson.name) at step \(stepIndex + 1) of \(lesson.steps.count); tutorial \(lesson.name) resumes it\n"
            return outcome
        case "", "next":
            if step.check == nil { advance(into: &outcome) }
            return outcome
        default:
            break
        }
        guard let check = step.check else {
            // A reading step: the command runs, to try things out, and changes are kept out.
            // Said after it, so that an answer typed a step early is not taken for judged.
            runUnchecked(text, into: &outcome)
            outcome.output += "(step \(stepIndex + 1) is reading only, nothing to check: press Enter to go on)\n"
            return outcome
        }
        judge(text, against: check, into: &outcome)
        return outcome
    }

    private func enterStep() {
        expectedState = nil
        hintsShownThisVisit = 0
    }

    private func advance(into outcome: inout CommandOutcome) {
        stepIndex += 1
        enterStep()
        if stepIndex >= lesson.steps.count {
            isFinished = true
            outcome.output += "lesson \(lesson.name) complete\n"
        } else {
            outcome.output += "\n" + stepText()
        }
        record(self)
    }

    /// Runs a command that is not the step's answer; a change it made is undone, so the
    /// sandbox stays as the lesson expects.
    private func runUnchecked(_ text: String, into outcome: inout CommandOutcome) {
        let before = sandbox.sequence
        let ran = sandbox.run(text)
        outcome.output += ran.output
        outcome.messages += ran.messages
        outcome.diagnostics += ran.diagnostics
        if sandbox.sequence != before {
            undo()
            outcome.output += "(this step changes nothing: the change was undone)\n"
        }
    }

    private func undo() {
        sandbox = Self.rebuild(lesson, timeZone: timeZone, user: user, accepted: accepted.map(\.command))
    }

    private func pass(_ line: String, into outcome: inout CommandOutcome) {
        outcome.output += "✓ " + line + "\n"
        advance(into: &outcome)
    }

    private func fail(_ line: String, into outcome: inout CommandOutcome) {
        outcome.output += "✗ " + line + "\n"
        record(self)
    }

    private func judge(_ text: String, against check: Lesson.Check, into outcome: inout CommandOutcome) {
        let before = sandbox.sequence
        let ran = sandbox.run(text)
        outcome.output += ran.output
        outcome.messages += ran.messages
        outcome.diagnostics += ran.diagnostics
        let changed = sandbox.sequence != before
        attempts[stepIndex] += 1
        switch check.kind {
        case .error(let id):
            if ran.diagnosticIDs.contains(id) { return pass("that is the error this step is about (\(id.rawValue))", into: &outcome) }
            if changed { undo() }
            if let other = ran.diagnosticIDs.first {
                return fail("that is another error (\(other.rawValue)); this step asks for one that gives \(id.rawValue)", into: &outcome)
            }
            return fail("that ran without an error\(changed ? " (its change was undone)" : ""); this step asks for a command that fails with \(id.rawValue)", into: &outcome)
        case .run:
            if ran.status == .success {
                if changed { accepted.append((stepIndex, Lesson.LessonCommand(text: text, line: 0))) }
                return pass("done", into: &outcome)
            }
            return fail("that command failed; correct it and try again", into: &outcome)
        case .query:
            if changed {
                undo()
                return fail("this step asks for a query; the change was undone", into: &outcome)
            }
            guard ran.status == .success else { return fail("that command failed; correct it and try again", into: &outcome) }
            guard let mine = ran.result else { return fail("this step asks for a query that shows a result (find, count, ...)", into: &outcome) }
            judgeQuery(mine, text: text, check: check, into: &outcome)
        case .change:
            guard ran.status == .success else {
                return fail("that command failed; nothing changed", into: &outcome)
            }
            guard changed else {
                let word = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).first.map(String.init) ?? ""
                if CommandCatalogue.spec(named: word)?.changesData == true {
                    return fail("that changed nothing (the records it names already hold those values, or none matched); this step asks for a change", into: &outcome)
                }
                // A look around before the change: no verdict.
                attempts[stepIndex] -= 1
                return
            }
            judgeChange(text, check: check, into: &outcome)
        }
    }

    // MARK: Query steps

    private func judgeQuery(_ mine: ResultSet, text: String, check: Lesson.Check, into outcome: inout CommandOutcome) {
        let expectedText = check.commands[0].text
        let expected = sandbox.run(expectedText).result ?? ResultSet(columns: [])
        let expectedCommand = try? Parser.parse(expectedText)
        var ordered = false
        var expectedQuery: FindQuery?
        if case .find(let q)? = expectedCommand {
            expectedQuery = q
            ordered = !q.sort.isEmpty && q.limit != nil
        }
        guard let difference = ResultComparison.compare(trainee: mine, expected: expected, ordered: ordered) else {
            return pass("right: \(rowCount(mine.rows.count))", into: &outcome)
        }
        var myQuery: FindQuery?
        if case .find(let q)? = try? Parser.parse(text) { myQuery = q }
        switch difference {
        case .missingColumn(let name):
            fail("the answer shows \(name), and your result has no such column", into: &outcome)
        case .order:
            fail("the right rows, in another order: look at the sort", into: &outcome)
        case .tooMany(let extra, let found, let wanted):
            fail("too many rows: \(found) where the answer has \(wanted); " + whyExtra(extra[0], mine, expectedQuery, myQuery), into: &outcome)
        case .tooFew(let missing, let found, let wanted):
            fail("too few rows: \(found) where the answer has \(wanted); " + whyMissing(missing[0], expected, myQuery), into: &outcome)
        case .both where mine.rows.count == 1 && expected.rows.count == 1 && mine.columns.count == 1 && expected.columns.count == 1:
            // One number against one number (a count, a sum): rows and examples say nothing.
            let yours = ValueFormatter(timeZone: timeZone).text(mine.rows[0][0])
            fail("your answer is \(yours), and the step's answer is another value: look at the condition", into: &outcome)
        case .both(let extra, let missing, let found, let wanted):
            fail("other rows than the answer's (\(rowCount(found)), the answer has \(wanted)); " + whyExtra(extra[0], mine, expectedQuery, myQuery)
                 + "; " + whyMissing(missing[0], expected, myQuery), into: &outcome)
        }
    }

    private func rowCount(_ n: Int) -> String { n == 1 ? "1 row" : "\(n) rows" }

    private func rowName(_ row: [Value], in result: ResultSet) -> String {
        if let i = ResultComparison.idColumn(result) { return ValueFormatter(timeZone: timeZone).text(row[i]) }
        return "(" + row.map { ValueFormatter(timeZone: timeZone).text($0) }.joined(separator: ", ") + ")"
    }

    /// Why a row should not be there: the expected condition's atom it fails, with the
    /// row's value of that field, and whether the trainee's query looks at that field.
    private func whyExtra(_ row: [Value], _ mine: ResultSet, _ expected: FindQuery?, _ myQuery: FindQuery?) -> String {
        let name = rowName(row, in: mine)
        guard let expected, let condition = expected.condition, ResultComparison.idColumn(mine) != nil,
              let atom = ConditionAtoms.failing(condition, entity: expected.entity, id: name, session: sandbox.session),
              let field = ConditionAtoms.field(of: atom) else {
            return "for example \(name) should not be there"
        }
        let value = ConditionAtoms.value(of: field, entity: expected.entity.entity, id: name, session: sandbox.session)
        var text = "for example \(name) should not be there: its \(field) is \(value)"
        let considered = myQuery?.condition.map { ConditionAtoms.fields(in: $0) } ?? []
        if !considered.contains(field.lowercased()) { text += "; your query does not consider \(field)" }
        return text
    }

    /// Why a row is missing: the trainee's condition atom that leaves it out, if any.
    private func whyMissing(_ row: [Value], _ expected: ResultSet, _ myQuery: FindQuery?) -> String {
        let name = rowName(row, in: expected)
        guard let myQuery, let condition = myQuery.condition, ResultComparison.idColumn(expected) != nil,
              let atom = ConditionAtoms.failing(condition, entity: myQuery.entity, id: name, session: sandbox.session),
              let field = ConditionAtoms.field(of: atom) else {
            return "for example \(name) is missing"
        }
        let value = ConditionAtoms.value(of: field, entity: myQuery.entity.entity, id: name, session: sandbox.session)
        return "for example \(name) is missing: your condition on \(field) leaves it out (its \(field) is \(value))"
    }

    // MARK: Change steps

    private func judgeChange(_ text: String, check: Lesson.Check, into outcome: inout CommandOutcome) {
        if expectedState == nil {
            let reference = Self.rebuild(lesson, timeZone: timeZone, user: user, accepted: accepted.map(\.command) + check.commands)
            expectedState = reference.state()
        }
        let difference = StateDifference.first(trainee: sandbox.state(), expected: expectedState!, timeZone: timeZone)
        guard let difference else {
            accepted.append((stepIndex, Lesson.LessonCommand(text: text, line: 0)))
            return pass("the sandbox is as the step asks", into: &outcome)
        }
        undo()
        let formatter = ValueFormatter(timeZone: timeZone)
        func shown(_ v: Value) -> String { v.isNull ? "empty" : formatter.text(v) }
        let what: String
        switch difference.kind {
        case .missing: what = "\(difference.entity.singular) \(difference.id) should have been made, and was not"
        case .unexpected: what = "\(difference.entity.singular) \(difference.id) should not have been made"
        case .field(let field, let expected, let found):
            what = "\(difference.entity.singular) \(difference.id): its \(field) should be \(shown(expected)), and is \(shown(found))"
        }
        fail("not the change this step asks for: \(what); the sandbox is back as it was, try again", into: &outcome)
    }
}
