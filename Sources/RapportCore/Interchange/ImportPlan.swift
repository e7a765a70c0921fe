import Foundation

/// What an import would do, checked and rolled up, before it is committed: the change set,
/// the rows it adds, updates and refuses, and the warnings to list after the summary.
public struct ImportPlan {
    public var set: ChangeSet
    public var entity: Entity
    public var file: String
    var timeZone: TimeZone
    /// Set only by a dry run; an import that commits throws on any refused row instead.
    public var refused: [Importer.Problem] = []
    public var formatWarnings: [Importer.Problem] = []
    public var duplicateWarnings: [Importer.Problem] = []
    /// Rows that matched a record holding their values already.
    public var unchanged = 0
    /// The line each change came from.
    var lines: [Int] = []

    /// How many rows a dry run shows of each kind, and how many warnings are listed.
    static let previewRows = 5

    /// How many records of the entity it adds and updates, counted in place: a filtered
    /// copy of a million changes retains every reference in each.
    var addedCount: Int { count(.insert) }
    var updatedCount: Int { count(.update) }

    private func count(_ kind: RecordChange.Kind) -> Int {
        var n = 0
        for c in set.changes.indices where set.changes[c].entity == entity && set.changes[c].kind == kind { n += 1 }
        return n
    }

    /// "imported 5 customers", or "imported 5 customers: added 3, updated 2 (1 unchanged)".
    public var summary: String {
        let (added, updated) = (addedCount, updatedCount)
        func records(_ n: Int) -> String { "\(n) \(n == 1 ? entity.singular : entity.rawValue)" }
        if updated == 0 && unchanged == 0 {
            if added == 0 { return set.fieldAdditions.isEmpty ? "nothing to change" : "added \(set.fieldAdditions.count) field(s)" }
            return "imported \(records(added))"
        }
        var text = "imported \(records(added + updated)): added \(added), updated \(updated)"
        if unchanged > 0 { text += " (\(unchanged) matched and had these values already)" }
        return text
    }

    /// "dry run: would add 3 customers, update 2 and refuse 1; nothing changed".
    public var dryRunSummary: String {
        let (added, updated) = (addedCount, updatedCount)
        var text = "dry run: would add \(added) \(added == 1 ? entity.singular : entity.rawValue), update \(updated)"
        if unchanged > 0 { text += " (\(unchanged) more already up to date)" }
        text += " and refuse \(refused.count); nothing changed"
        return text
    }

    /// The first rows of each kind a dry run found, with their line numbers. `phone` and
    /// `email` are columns of their own so that masking reaches them.
    public var preview: ResultSet {
        var rows: [[Value]] = []
        func row(_ line: Int, _ action: String, _ change: RecordChange?, _ detail: String?) -> [Value] {
            func field(_ name: String) -> Value { change?.after[name] ?? .null }
            return [.integer(Int64(line)), .string(action), change.map { .string($0.id) } ?? .null,
                    field(CustomerField.name), field(CustomerField.phone), field(CustomerField.email), detail.map(Value.string) ?? .null]
        }
        for kind in [RecordChange.Kind.insert, .update] {
            var shown = 0
            for (change, line) in zip(set.changes, lines) where change.entity == entity && change.kind == kind && shown < Self.previewRows {
                shown += 1
                let formatter = ValueFormatter(timeZone: timeZone)
                func describe(_ value: Value?) -> String { value.map { $0.isNull ? "(empty)" : formatter.text($0) } ?? "(empty)" }
                let detail = kind == .update ? change.after.keys.sorted().map { name in
                    "\(name): \(describe(change.before[name])) → \(describe(change.after[name]))"
                }.joined(separator: "; ") : nil
                rows.append(row(line, kind == .insert ? "add" : "update", change, detail))
            }
        }
        for problem in refused.prefix(Self.previewRows) { rows.append(row(problem.line, "refuse", nil, problem.message)) }
        return ResultSet(columns: ["line", "action", "id", CustomerField.name, CustomerField.phone, CustomerField.email, "detail"], rows: rows)
    }

    /// The warnings shown after the summary: each row by line, capped with "and N more".
    public func warnings(span: SourceSpan?) -> [Diagnostic] {
        func warning(_ id: DiagnosticID, _ problems: [Importer.Problem]) -> Diagnostic? {
            guard !problems.isEmpty else { return nil }
            let rows = Set(problems.map(\.line)).count
            var notes = problems.prefix(Importer.reportedProblems).map { "line \($0.line): \($0.message)" }
            if problems.count > Importer.reportedProblems { notes.append("and \(problems.count - Importer.reportedProblems) more") }
            return Diagnostic(.warning, id, [file, String(rows)], at: span, notes: notes)
        }
        return [warning(.importFormatWarnings, formatWarnings), warning(.importDuplicateWarnings, duplicateWarnings)].compactMap { $0 }
    }
}

/// The map file of `import ... using "FILE"`: one rule a line, `#` starts a comment.
///
///     "First Name" to name        a column and the field it fills
///     tier "Gold Member" to gold  a value of a field and the value stored instead
public struct ImportMapFile {
    public var columns: [(column: String, field: String, line: Int)] = []
    public var aliases: [(field: String, value: String, word: String, line: Int)] = []

    public struct SyntaxError: Error { var line: Int; var message: String }

    public static func parse(_ text: String) throws -> ImportMapFile {
        var map = ImportMapFile()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            var rest = Substring(rawLine.trimmingCharacters(in: .whitespacesAndNewlines))
            if rest.isEmpty || rest.hasPrefix("#") { continue }
            func fail(_ message: String) -> SyntaxError { SyntaxError(line: line, message: message) }
            func quoted() throws -> String {
                guard rest.hasPrefix("\"") else { throw fail("expected a name in double quotes") }
                rest = rest.dropFirst()
                guard let end = rest.firstIndex(of: "\"") else { throw fail("the quote is not closed") }
                let text = String(rest[..<end])
                rest = rest[rest.index(after: end)...].drop { $0 == " " || $0 == "\t" }
                return text
            }
            func word() -> String {
                let w = rest.prefix { $0 != " " && $0 != "\t" && $0 != "\"" }
                rest = rest.dropFirst(w.count).drop { $0 == " " || $0 == "\t" }
                return String(w)
            }
            func expectTo() throws {
                guard word().lowercased() == "to" else { throw fail("expected 'to'") }
            }
            if rest.hasPrefix("\"") {
                let column = try quoted()
                try expectTo()
                let field = word()
                guard !field.isEmpty, rest.isEmpty else { throw fail("expected one field name after 'to'") }
                map.columns.append((column, field, line))
            } else {
                let field = word()
                let value = try quoted()
                try expectTo()
                let target = rest.hasPrefix("\"") ? try quoted() : word()
                guard !target.isEmpty, rest.isEmpty else { throw fail("expected one value after 'to'") }
                map.aliases.append((field, value, target, line))
            }
        }
        return map
    }
}

extension ChangeBuilder {
    /// Reads, maps, matches and checks an import, then rolls it up like every change set.
    /// Any refused row throws with every bad row by line, unless `dryRun`, which lists them.
    public func importPlan(_ entity: EntityName, path: Literal, options: ImportOptions, dryRun: Bool,
                           progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> ImportPlan {
        if let refusal = entity.entity.writtenOnlyBy { throw Diagnostic.usage(refusal, "import", at: entity.span) }
        guard case .string(let file, _) = path.kind else { throw Diagnostic.usage(.expectedQuotedFileName, at: path.span) }
        if options.updateBy != nil, entity.entity != .customers {
            throw Diagnostic.usage(.importUpdateByNeedsCustomers, entity.entity.rawValue, at: options.updateBySpan)
        }
        var importer = Importer(backend: backend, clock: clock)
        importer.isCancelled = isCancelled
        importer.progress = progress
        importer.updateBy = options.updateBy
        try configureMaps(&importer, entity.entity, options)

        var set = ChangeSet(at: clock.now, user: user, command: command)
        // Bad rows come back as problems; only a file that cannot be read at all throws here.
        var imported = try importer.read(file: file, into: entity.entity, span: path.span)
        set.fieldAdditions = imported.fieldAdditions
        // Moved, not shared: the rollup and the commit then change the set's array in place
        // instead of copying a million changes the first time they touch it.
        set.changes = imported.changes
        imported.changes = []
        var problems = imported.problems
        do {
            try CustomerRollup(backend: backend, today: clock.today).reconcile(&set)
        } catch let failure as CustomerRollup.Failure {
            problems += failure.problems.map {
                Importer.Problem(line: $0.changeIndex < imported.lines.count ? imported.lines[$0.changeIndex] : 1, message: $0.message)
            }
        }
        // Read after the rollup: the file's hash is worked out beside it (`Importer.Result.sha256`).
        set.importSource = ImportSource(file: file, sha256: imported.sha256)
        problems.sort { $0.line < $1.line }
        if !problems.isEmpty && !dryRun { throw Importer.failure(file: file, problems, span: path.span) }
        var plan = ImportPlan(set: set, entity: entity.entity, file: file, timeZone: clock.timeZone)
        plan.refused = problems
        plan.formatWarnings = imported.formatWarnings
        plan.duplicateWarnings = imported.duplicateWarnings
        plan.unchanged = imported.unchanged
        plan.lines = imported.lines
        return plan
    }

    /// The `map` clause and the `using` file, their target fields checked against the schema.
    private func configureMaps(_ importer: inout Importer, _ entity: Entity, _ options: ImportOptions) throws {
        let schema = backend.schema(of: entity)
        var names = schema.fields.map(\.name)
        if entity == .customers { names.append(CustomerField.points) }
        func target(_ name: String) -> String? {
            names.first { $0.lowercased() == name.lowercased() }
        }
        var columns: [String: String] = [:]
        if let mapFile = options.mapFile {
            guard case .string(let mapPath, _) = mapFile.kind else { throw Diagnostic.usage(.expectedQuotedFileName, at: mapFile.span) }
            let text: String
            do { text = String(decoding: try FileSystem.readFile(mapPath), as: UTF8.self) } catch {
                throw Diagnostic.runtime(.cannotReadFile, mapPath, "\(error)", at: mapFile.span)
            }
            func invalid(_ line: Int, _ message: String) -> Diagnostic {
                Diagnostic.usage(.importMapFileInvalid, mapPath, String(line), message, at: mapFile.span)
            }
            func unknown(_ name: String) -> String {
                let suggestion = nearestName(to: name, among: names).map { " (did you mean '\($0)'?)" } ?? ""
                return "unknown field '\(name)'\(suggestion)"
            }
            let map: ImportMapFile
            do { map = try ImportMapFile.parse(text) } catch let e as ImportMapFile.SyntaxError { throw invalid(e.line, e.message) }
            for rule in map.columns {
                guard let field = target(rule.field) else { throw invalid(rule.line, unknown(rule.field)) }
                columns[rule.column.lowercased()] = field
            }
            for alias in map.aliases {
                guard let field = schema.field(named: alias.field) else { throw invalid(alias.line, unknown(alias.field)) }
                // The word an alias stands for must itself be a value the field takes.
                do { _ = try RecordRules.check(.string(alias.word), for: field, in: entity) } catch let violation as RuleViolation {
                    let suggestion = violation.suggestion.map { " (did you mean '\($0)'?)" } ?? ""
                    throw invalid(alias.line, violation.message + suggestion)
                }
                importer.valueAliases[field.name.lowercased(), default: [:]][alias.value.lowercased()] = alias.word
            }
        }
        for (column, field) in options.columnMap {
            guard case .string(let name, _) = column.kind else { throw Diagnostic.usage(.expectedQuotedFileName, at: column.span) }
            guard let resolved = target(field.name) else {
                throw Diagnostic.usage(.unknownField, field.name, at: field.span, suggestion: nearestName(to: field.name, among: names))
            }
            columns[name.lowercased()] = resolved
        }
        importer.columnMap = columns
    }
}
