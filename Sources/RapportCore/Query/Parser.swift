/// Turns a command's text into a `Command`, or a `Diagnostic` that points at the fault.
public struct Parser {
    private var tokens: [Token]
    private var position = 0

    /// Words that start a command outside the shell (aliases not included).
    public static let commandWords = CommandCatalogue.all.filter { !$0.shellOnly }.map(\.word)

    /// Words the interactive shell handles itself; elsewhere they get a clear refusal.
    public static let shellOnlyWords = CommandCatalogue.all.filter(\.shellOnly).flatMap(\.words)

    public init(tokens: [Token]) { self.tokens = tokens }

    /// Parses one command; `firstLine` is the line the text starts on in its script,
    /// `parameters` the values `$NAME` stands for.
    public static func parse(_ text: String, firstLine: Int = 1, parameters: [String: String] = [:]) throws -> Command {
        try parseStatement(text, firstLine: firstLine, parameters: parameters).command
    }

    /// Parses one command and says which catalogue entry it is, for the role check.
    public static func parseStatement(_ text: String, firstLine: Int = 1, parameters: [String: String] = [:]) throws -> (spec: CommandSpec, command: Command) {
        var parser = Parser(tokens: try Lexer.tokenize(text, firstLine: firstLine, parameters: parameters))
        let statement = try parser.parseStatement()
        try parser.expectEnd()
        return statement
    }

    /// A condition alone (a saved segment's), as it would follow `where`.
    public static func parseCondition(_ text: String) throws -> Condition {
        var parser = Parser(tokens: try Lexer.tokenize(text))
        let condition = try parser.parseCondition()
        try parser.expectEnd()
        return condition
    }

    // MARK: Token helpers

    private var current: Token { tokens[position] }
    private func peek(_ k: Int = 1) -> Token { tokens[min(position + k, tokens.count - 1)] }
    private mutating func advance() -> Token { let t = tokens[position]; if position < tokens.count - 1 { position += 1 }; return t }

    private mutating func accept(_ keyword: String) -> Bool {
        if current.isKeyword(keyword) { _ = advance(); return true }
        return false
    }

    private mutating func acceptSymbol(_ s: String) -> Bool {
        if current.isSymbol(s) { _ = advance(); return true }
        return false
    }

    private func describe(_ t: Token) -> String {
        t.kind == .end ? "end of command" : "'\(t.text)'"
    }

    private func unexpected(expected: String, suggestionFrom candidates: [String] = []) -> Diagnostic {
        let t = current
        var suggestion: String?
        if case .word(let w) = t.kind { suggestion = nearestName(to: w, among: candidates) }
        return Diagnostic.usage(.expectedToken, expected, describe(t), at: t.span, suggestion: suggestion)
    }

    private mutating func expect(_ keyword: String) throws {
        guard accept(keyword) else { throw unexpected(expected: "'\(keyword)'", suggestionFrom: [keyword]) }
    }

    private mutating func expectSymbol(_ s: String) throws {
        guard acceptSymbol(s) else { throw unexpected(expected: "'\(s)'") }
    }

    mutating func expectEnd() throws {
        guard current.kind == .end else {
            var d = unexpected(expected: "end of command", suggestionFrom: ["where", "sort", "limit", "offset", "show", "by", "and", "or"])
            if current.keyword == "where" {
                d.extraNotes.append("where comes right after the entity: find customers where ... sort by ... limit ... show ...")
            }
            throw d
        }
    }

    // MARK: Commands

    mutating func parseCommand() throws -> Command { try parseStatement().command }

    /// The command word picks the catalogue entry, whose clause parser reads the rest.
    mutating func parseStatement() throws -> (spec: CommandSpec, command: Command) {
        let t = current
        guard let word = t.keyword else {
            if t.kind == .end { throw Diagnostic.usage(.emptyCommand, at: t.span) }
            throw unexpected(expected: "a command such as find, count or help")
        }
        guard let spec = CommandCatalogue.spec(named: word) else {
            throw Diagnostic.usage(.unknownCommand, t.text, at: t.span,
                                   suggestion: nearestName(to: word, among: CommandCatalogue.all.flatMap(\.words)))
        }
        guard !spec.shellOnly, let parseClauses = spec.parseClauses else {
            throw Diagnostic.usage(.shellOnlyCommand, word, at: t.span)
        }
        _ = advance()
        return (spec, try parseClauses(&self))
    }

    /// The tokens from here to the end (the end token included), consumed: for a clause
    /// parser that reads lines of its own (`CampaignParser`).
    var currentKind: Token.Kind { current.kind }
    var currentSpan: SourceSpan { current.span }
    var currentDescription: String { describe(current) }
    mutating func acceptKeyword(_ keyword: String) -> Bool { accept(keyword) }
    mutating func expectKeyword(_ keyword: String) throws { try expect(keyword) }

    mutating func takeRemainingTokens() -> [Token] {
        let rest = Array(tokens[position...])
        position = tokens.count - 1
        return rest
    }

    /// `import ENTITY from "FILE" [update by email|phone|id] [map "COLUMN" to FIELD, ...]
    /// [using "MAPFILE"] [--dry-run]`, the clauses in any order, each once.
    mutating func parseImport() throws -> Command {
        if current.isKeyword("store"), peek().isKeyword("from") {
            _ = advance(); _ = advance()
            return .importStore(path: try parseString(what: "a directory name in quotes"))
        }
        let entity = try parseEntity()
        try expect("from")
        let path = try parseString(what: "a file name in quotes")
        var options = ImportOptions()
        var seen = Set<String>()
        while current.kind != .end {
            let clauseToken = current
            let clause: String
            if accept("update") {
                clause = "update by"
                try expect("by")
                let keys = ImportKey.allCases.map(\.rawValue)
                guard let word = current.keyword, let key = ImportKey(rawValue: word.lowercased()) else {
                    throw unexpected(expected: "email, phone or id", suggestionFrom: keys)
                }
                options.updateBySpan = advance().span
                options.updateBy = key
            } else if accept("map") {
                clause = "map"
                repeat {
                    let column = try parseString(what: "a column name in quotes")
                    try expect("to")
                    options.columnMap.append((column, try parseFieldName()))
                } while acceptSymbol(",")
            } else if accept("using") {
                clause = "using"
                options.mapFile = try parseString(what: "a map file name in quotes")
            } else if current.isSymbol("-"), peek().isSymbol("-"), peek(2).isKeyword("dry-run") {
                clause = "--dry-run"
                _ = advance(); _ = advance(); _ = advance()
                options.dryRun = true
            } else {
                throw unexpected(expected: "update by, map, using, --dry-run or end of command",
                                 suggestionFrom: ["update", "map", "using"])
            }
            guard seen.insert(clause).inserted else {
                throw Diagnostic.usage(.expectedToken, "end of command or another clause", "a second '\(clause)'", at: clauseToken.span)
            }
        }
        return .importData(entity, path: path, options: options)
    }

    mutating func parseExport() throws -> Command {
        if current.isKeyword("store"), peek().isKeyword("to") {
            _ = advance(); _ = advance()
            return .exportStore(path: try parseString(what: "a directory name in quotes"))
        }
        let entity = try parseEntity()
        var condition: Condition?
        if accept("where") { condition = try parseCondition() }
        try expect("to")
        return .export(entity, condition, path: try parseString(what: "a file name in quotes"))
    }

    /// `restore ID`
    mutating func parseRestore() throws -> Command {
        guard current.kind != .end else { throw unexpected(expected: "the id of a deleted record") }
        return .restore(id: try parseValue())
    }

    /// `purge [older than D]`
    mutating func parsePurge() throws -> Command {
        guard accept("older") else { return .purge(olderThan: nil) }
        try expect("than")
        return .purge(olderThan: try parseValue())
    }

    mutating func parseBackup() throws -> Command {
        try expect("to")
        let path = try parseString(what: "a directory name in quotes")
        return .backup(path: path, encrypted: accept("encrypted"))
    }

    /// `recompute tiers|grades|stages [--dry-run]`
    mutating func parseRecompute() throws -> Command {
        let words = RecomputeTarget.allCases.map(\.rawValue)
        guard let word = current.keyword, let target = RecomputeTarget(rawValue: word.lowercased()) else {
            throw unexpected(expected: "tiers, grades or stages", suggestionFrom: words)
        }
        _ = advance()
        var dryRun = false
        if current.isSymbol("-"), peek().isSymbol("-"), peek(2).isKeyword("dry-run") {
            _ = advance(); _ = advance(); _ = advance()
            dryRun = true
        } else if accept("dry-run") {
            dryRun = true
        }
        return .recompute(target, dryRun: dryRun)
    }

    /// `deliver via "COMMAND" [--dry-run]`
    mutating func parseDeliver() throws -> Command {
        try expect("via")
        let command = try parseString(what: "the delivery command in quotes")
        if case .string(let text, _) = command.kind, text.trimmingCharacters(in: .whitespaces).isEmpty {
            throw Diagnostic.usage(.deliveryCommandEmpty, at: command.span)
        }
        var dryRun = false
        if current.isSymbol("-"), peek().isSymbol("-"), peek(2).isKeyword("dry-run") {
            _ = advance(); _ = advance(); _ = advance()
            dryRun = true
        }
        return .deliver(command: command, dryRun: dryRun)
    }

    // MARK: Scripts and segments

    /// `in segment NAME`, where a condition may start.
    private var startsSegmentTest: Bool { current.isKeyword("in") && peek().isKeyword("segment") }

    /// A segment's name: in quotes, or a bare word.
    private mutating func parseSegmentName() throws -> Literal {
        switch current.kind {
        case .string, .word: return try parseValue()
        default: throw Diagnostic.usage(.expectedSegmentName, at: current.span)
        }
    }

    /// `save` alone writes a snapshot; `save segment NAME [replace] as ENTITY where COND`
    /// keeps a condition under a name.
    mutating func parseSave() throws -> Command {
        guard accept("segment") else { return .save }
        let name = try parseSegmentName()
        let replace = accept("replace")
        try expect("as")
        let entity = try parseEntity()
        try expect("where")
        let start = position
        let condition = try parseCondition()
        return .saveSegment(name: name, replace: replace, entity: entity, condition: condition,
                            conditionText: sourceText(tokens[start..<position]))
    }

    /// Tokens written back as text that reads as the same tokens: strings quoted again and
    /// parameters replaced by what they stood for, so the text needs no `--param` later.
    private func sourceText(_ slice: ArraySlice<Token>) -> String {
        slice.map(Parser.writtenBack).joined(separator: " ")
    }

    /// One token as text that reads back as it: a string quoted again, a `$NAME` as the
    /// value it stood for, anything else as written.
    private static func writtenBack(_ t: Token) -> String {
        switch t.kind {
        case .string(let s): return quoted(s)
        case .word(let w) where t.text.hasPrefix("$"): return w
        case .integer(let i) where t.text.hasPrefix("$"): return String(i)
        case .number(let d) where t.text.hasPrefix("$"): return String(d)
        case .date(let d) where t.text.hasPrefix("$"): return d.description
        case .duration(let days) where t.text.hasPrefix("$"): return "\(days)d"
        default: return t.text
        }
    }

    /// Text in double quotes, `\` and `"` escaped, as the Lexer reads it back.
    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `let NAME = VALUE`: one value, as `--param` takes it (a negative number too).
    mutating func parseLet() throws -> Command {
        let nameToken = current
        guard case .word(let name) = nameToken.kind, Lexer.isParameterName(name) else {
            throw Diagnostic.usage(.expectedLetName, at: nameToken.span)
        }
        _ = advance()
        try expectSymbol("=")
        let t = current
        var sign = ""
        if t.isSymbol("-") { sign = "-"; _ = advance() }
        let v = current
        let value: String
        switch v.kind {
        case .string(let s) where sign.isEmpty: value = s
        case .word(let w) where sign.isEmpty: value = w
        // `$NAME` as the value it stands for, so `let b = -$a` is a number too.
        case .integer, .number, .duration: value = sign + Parser.writtenBack(v)
        case .date where sign.isEmpty: value = Parser.writtenBack(v)
        default: throw unexpected(expected: "a value: a word, a number, a date, a duration or text in quotes")
        }
        _ = advance()
        return .define(name: name, span: nameToken.span, value: value)
    }

    mutating func parseInclude() throws -> Command {
        .include(path: try parseString(what: "a script file name in quotes"))
    }

    mutating func parseHelp() throws -> Command {
        var topic: [String] = []
        while current.kind != .end { topic.append(advance().text) }
        return .help(topic.isEmpty ? nil : topic.joined(separator: " "))
    }

    mutating func parseSet() throws -> Command {
        if current.isKeyword("policy") {
            _ = advance()
            return try parseSetPolicy()
        }
        let nameToken = current
        guard let name = nameToken.keyword else { throw unexpected(expected: "a setting name") }
        _ = advance()
        var words: [String] = []
        while current.kind != .end { words.append(advance().text) }
        return .setting(name: name, value: words.isEmpty ? nil : words.joined(separator: " "), span: nameToken.span)
    }

    /// `set policy KEY = VALUE`. The value is every token up to the end, read back as
    /// written (`24h`, `0.1`, `"3 min"`, `24 hours`), so each form `PolicyKey.parse` reads works.
    private mutating func parseSetPolicy() throws -> Command {
        let keyToken = current
        let key: String
        switch keyToken.kind {
        case .word(let w), .string(let w), .quotedName(let w): key = w
        default: throw unexpected(expected: "a policy key such as resolution.urgent (show policy lists them)")
        }
        _ = advance()
        try expectSymbol("=")
        let first = current
        guard first.kind != .end else { throw unexpected(expected: "a value after '='") }
        var value = ""
        var last = first
        while current.kind != .end {
            let token = advance()
            // Tokens written together stay together (`21:00`, not `21 : 00`).
            let touching = token.span.start.line == last.span.start.line
                && token.span.start.column == last.span.start.column + last.span.length
            if !value.isEmpty, !touching { value += " " }
            last = token
            if case .string(let s) = last.kind { value += s } else { value += last.text }
        }
        var valueSpan = first.span
        if last.span.start.line == first.span.start.line {
            valueSpan.length = last.span.start.column + last.span.length - first.span.start.column
        }
        return .setPolicy(key: key, keySpan: keyToken.span, value: value, valueSpan: valueSpan)
    }

    private mutating func parseEntity() throws -> EntityName {
        let t = current
        guard case .word(let w) = t.kind, let e = Entity(word: w) else {
            var suggestion: String?
            if case .word(let w) = t.kind {
                suggestion = nearestName(to: w, among: Entity.allCases.map(\.rawValue))
                throw Diagnostic.usage(.unknownEntity, w, at: t.span, suggestion: suggestion)
            }
            throw unexpected(expected: "customers, contacts, purchases, tickets or points")
        }
        _ = advance()
        return EntityName(entity: e, span: t.span)
    }

    private mutating func parseFieldName() throws -> FieldName {
        let t = current
        let name: String
        switch t.kind {
        case .word(let w), .quotedName(let w): name = w
        default: throw unexpected(expected: "a field name")
        }
        _ = advance()
        return FieldName(name, span: t.span)
    }

    mutating func parseFind() throws -> FindQuery {
        let deleted = acceptDeleted()
        var q = FindQuery(entity: try parseEntity())
        q.deleted = deleted
        if accept("where") || startsSegmentTest { q.condition = try parseCondition() }
        // After the condition, sort, limit and show may come in any order, each once.
        var seen = Set<String>()
        func once(_ clause: String, at token: Token) throws {
            guard seen.insert(clause).inserted else { throw Diagnostic.usage(.fieldGivenTwice, clause, at: token.span) }
        }
        while true {
            let t = current
            if accept("sort") || accept("order") {
                try once("sort by", at: t)
                try expect("by")
                repeat {
                    let e = try parseExpression()
                    var desc = false
                    if accept("desc") || accept("descending") { desc = true } else { _ = accept("asc") || accept("ascending") }
                    q.sort.append(SortKey(expression: e, descending: desc))
                } while acceptSymbol(",")
            } else if accept("limit") {
                try once("limit", at: t)
                q.limit = try parseCount(what: "limit")
                if accept("offset") { try once("offset", at: tokens[position - 1]); q.offset = try parseCount(what: "offset") }
            } else if accept("offset") {
                try once("offset", at: t)
                q.offset = try parseCount(what: "offset")
            } else if accept("show") {
                try once("show", at: t)
                if acceptSymbol("*") || accept("all") {
                    q.showAll = true
                } else {
                    var columns: [Expression] = []
                    repeat { columns.append(try parseExpression()) } while acceptSymbol(",")
                    q.show = columns
                }
            } else {
                break
            }
        }
        return q
    }

    /// `deleted` before an entity: the query reads the bin. No entity is named `deleted`.
    private mutating func acceptDeleted() -> Bool {
        guard current.isKeyword("deleted"), Entity(word: "deleted") == nil else { return false }
        if case .word = peek().kind { return accept("deleted") }
        return false
    }

    private mutating func parseCount(what: String) throws -> Int {
        let t = current
        guard case .integer(let n) = t.kind else { throw unexpected(expected: "a whole number after '\(what)'") }
        guard n >= 0, n <= Int64(Int32.max) else {
            throw Diagnostic.usage(.limitOutOfRange, what, String(Int32.max), at: t.span)
        }
        _ = advance()
        return Int(n)
    }

    mutating func parseAggregate(_ function: AggregateFunction) throws -> AggregateQuery {
        var field: FieldName?
        if function != .count {
            field = try parseFieldName()
            try expect("of")
        }
        let deleted = acceptDeleted()
        var q = AggregateQuery(function: function, field: field, entity: try parseEntity())
        q.deleted = deleted
        if accept("where") || startsSegmentTest { q.condition = try parseCondition() }
        if accept("by") || (accept("group") && accept("by")) {
            // `by month(date)`: a word followed by `(` calls a period function.
            if case .word(let name) = current.kind, peek().isSymbol("(") {
                q.groupPeriod = PeriodName(name: name, span: advance().span)
                _ = advance()
                q.groupBy = try parseFieldName()
                try expectSymbol(")")
            } else {
                q.groupBy = try parseFieldName()
            }
        }
        return q
    }

    mutating func parseReport() throws -> Command {
        guard current.isKeyword("kpi") else { throw unexpected(expected: "a report name (kpi)", suggestionFrom: ["kpi"]) }
        var q = ReportQuery(name: advance().span)
        if accept("from") {
            q.from = try parseValue()
            try expect("to")
            q.to = try parseValue()
        }
        if accept("by") { q.by = try parseFieldName() }
        return .report(q)
    }

    mutating func parseAdd() throws -> Command {
        let entity = try parseEntity()
        // The ledger is written only by its rules: `add points ID N "REASON"`.
        if entity.entity == .points {
            let (customer, points, reason) = try parsePointsClauses()
            return .addPoints(customer: customer, points: points, reason: reason)
        }
        var assignments: [Assignment] = []
        repeat {
            if current.kind == .end, !assignments.isEmpty { break }
            let f = try parseFieldName()
            guard acceptSymbol(":") || acceptSymbol("=") else { throw unexpected(expected: "':' after the field name") }
            assignments.append(Assignment(field: f, value: try parseAssignedValue()))
        } while acceptSymbol(",")
        return .add(entity, assignments)
    }

    mutating func parseUpdate() throws -> Command {
        let target = try parseBulkTarget(verb: "update", rest: " set ...")
        try expect("set")
        var assignments: [Assignment] = []
        repeat {
            let f = try parseFieldName()
            guard acceptSymbol("=") || acceptSymbol(":") else { throw unexpected(expected: "'=' after the field name") }
            if current.isSymbol("(") {
                assignments.append(Assignment(field: f, value: try parseAssignedValue()))
                continue
            }
            let first = current
            switch try parseExpression() {
            case .value(let literal):
                assignments.append(Assignment(field: f, value: literal))
            case .field(let name) where first.kind == .word(name.name):
                // A bare word: the change builder decides whether it names a field.
                assignments.append(Assignment(field: f, value: Literal(kind: .string(name.name, quoted: false), span: name.span, text: name.name)))
            case let e:
                assignments.append(Assignment(field: f, value: Literal(kind: .string(first.text, quoted: false), span: e.span, text: e.name), expression: e))
            }
        } while acceptSymbol(",")
        return .update(target.entity, target.condition, assignments)
    }

    mutating func parseDelete() throws -> Command {
        if accept("segment") { return .deleteSegment(name: try parseSegmentName()) }
        let target = try parseBulkTarget(verb: "delete", rest: "")
        return .delete(target.entity, target.condition)
    }

    /// `ENTITY where COND` or `all ENTITY`: a change to every record must say so, so
    /// that a forgotten where cannot rewrite or delete them all. nil condition: all.
    private mutating func parseBulkTarget(verb: String, rest: String) throws -> (entity: EntityName, condition: Condition?) {
        if accept("all") { return (try parseEntity(), nil) }
        let entity = try parseEntity()
        guard accept("where") else {
            let name = entity.entity.rawValue
            throw Diagnostic.usage(.conditionRequired, verb, name, rest, at: current.span)
        }
        return (entity, try parseCondition())
    }

    mutating func parseLog() throws -> Command {
        guard accept("contact") else {
            if accept("purchase") {
                let customer = try parseValue()
                try expect("amount")
                let amount = try parseValue()
                var product: Literal?
                if current.kind != .end { product = try parseValue() }
                return .logPurchase(customer: customer, amount: amount, product: product)
            }
            if accept("survey") { return try parseSurveyClauses() }
            throw unexpected(expected: "'contact', 'purchase' or 'survey'", suggestionFrom: ["contact", "purchase", "survey"])
        }
        let customer = try parseValue()
        try expect("via")
        let channel = try parseValue()
        var note: Literal?
        if current.kind != .end { note = try parseValue() }
        return .logContact(customer: customer, channel: channel, note: note)
    }

    /// `ID score N [nps N] [via CHANNEL] ["COMMENT"]` after `log survey`.
    private mutating func parseSurveyClauses() throws -> Command {
        guard current.kind != .end else { throw unexpected(expected: "a customer id") }
        let customer = try parseValue()
        try expect("score")
        guard current.kind != .end else { throw unexpected(expected: "a score from 1 to 5") }
        let score = try parseValue()
        var nps: Literal?, channel: Literal?, comment: Literal?
        while current.kind != .end {
            if nps == nil, comment == nil, accept("nps") { nps = try parseValue() }
            else if channel == nil, comment == nil, accept("via") { channel = try parseValue() }
            else if comment == nil, case .string = current.kind { comment = try parseValue() }
            else { throw unexpected(expected: "'nps', 'via' or a comment in quotes", suggestionFrom: ["nps", "via"]) }
        }
        return .logSurvey(customer: customer, score: score, nps: nps, channel: channel, comment: comment)
    }

    /// `done TASK [via CHANNEL] ["NOTE"]`.
    mutating func parseDone() throws -> Command {
        guard current.kind != .end else { throw unexpected(expected: "a task id") }
        let task = try parseValue()
        var channel: Literal?, note: Literal?
        if accept("via") { channel = try parseValue() }
        if current.kind != .end {
            guard case .string = current.kind else {
                throw unexpected(expected: channel == nil ? "'via' or a note in quotes" : "a note in quotes",
                                 suggestionFrom: channel == nil ? ["via"] : [])
            }
            note = try parseValue()
        }
        return .doneTask(task: task, channel: channel, note: note)
    }

    mutating func parseRedeem() throws -> Command {
        let (customer, points, reason) = try parsePointsClauses()
        return .redeem(customer: customer, points: points, reason: reason)
    }

    /// `ID N "REASON"` of `add points` and `redeem`.
    private mutating func parsePointsClauses() throws -> (Literal, Literal, Literal) {
        let customer = try parseValue()
        let points = try parseValue()
        guard current.kind != .end else { throw unexpected(expected: "a reason in quotes") }
        return (customer, points, try parseValue())
    }

    mutating func parseOpenTicket() throws -> Command {
        try expect("ticket")
        let customer = try parseValue()
        let kind = try parseValue()
        var channel: Literal?
        if accept("via") { channel = try parseValue() }
        let text = try parseValue()
        var priority: Literal?, owner: Literal?
        while current.kind != .end {
            if priority == nil, accept("priority") { priority = try parseValue() }
            else if owner == nil, accept("owner") { owner = try parseValue() }
            else { throw unexpected(expected: "'priority' or 'owner'", suggestionFrom: ["priority", "owner"]) }
        }
        return .openTicket(customer: customer, kind: kind, text: text, priority: priority, channel: channel, owner: owner)
    }

    /// The clauses of a ticket step after its word (`TicketStep`); the word was read.
    mutating func parseTicketStep(_ action: TicketAction) throws -> Command {
        guard current.kind != .end else { throw unexpected(expected: "a ticket id") }
        var step = TicketStep(action: action, ticket: try parseValue())
        func requiredText(_ what: String) throws -> Literal {
            guard case .string = current.kind else { throw unexpected(expected: what) }
            return try parseValue()
        }
        switch action {
        case .reply:
            if accept("via") { step.channel = try parseValue() }
            step.text = try requiredText("the reply in quotes")
        case .assign:
            try expect("to")
            guard current.kind != .end else { throw unexpected(expected: "the new owner's name") }
            step.owner = try parseValue()
        case .wait: step.text = try requiredText("what the customer is asked for, in quotes")
        case .resolve: step.text = try requiredText("how it was resolved, in quotes")
        case .reopen: step.text = try requiredText("why it is reopened, in quotes")
        case .close:
            if accept("satisfaction") { step.satisfaction = try parseValue() }
            if current.kind != .end { step.text = try requiredText("a note in quotes") }
        }
        return .ticketStep(step)
    }

    mutating func parseAudit() throws -> Command {
        .auditRecord(try parseRecordID("a record's id"))
    }

    mutating func parseWhy() throws -> Command {
        try expect("churn")
        return .whyChurn(try parseRecordID("a customer id"))
    }

    /// The id a command names (`show customer ID`, `why churn ID`): a missing one is said
    /// as what was expected, not as "a value".
    mutating func parseRecordID(_ what: String) throws -> Literal {
        guard current.kind != .end else { throw unexpected(expected: what) }
        return try parseValue()
    }

    /// `find ...`: a query, or `find duplicates` (docs/data-quality.md).
    mutating func parseFindCommand() throws -> Command {
        if accept("duplicates") || accept("duplicate") { return try parseFindDuplicates() }
        return .find(try parseFind())
    }

    /// `[by phone|email|name, ...] [limit N]` after `find duplicates`.
    private mutating func parseFindDuplicates() throws -> Command {
        var kinds: [DuplicateKind] = []
        var limit: Int?
        let words = DuplicateKind.allCases.map(\.rawValue)
        while current.kind != .end {
            let t = current
            if kinds.isEmpty, accept("by") {
                repeat {
                    guard let word = current.keyword, let kind = DuplicateKind(rawValue: word.lowercased()) else {
                        throw unexpected(expected: "phone, email or name", suggestionFrom: words)
                    }
                    _ = advance()
                    if !kinds.contains(kind) { kinds.append(kind) }
                } while acceptSymbol(",") || accept("and")
            } else if limit == nil, accept("limit") {
                limit = try parseCount(what: "limit")
            } else if accept("by") || accept("limit") {
                throw Diagnostic.usage(.fieldGivenTwice, t.text.lowercased(), at: t.span)
            } else {
                throw unexpected(expected: "'by phone|email|name' or 'limit N'", suggestionFrom: ["by", "limit"])
            }
        }
        return .findDuplicates(kinds: kinds.isEmpty ? DuplicateKind.allCases : kinds, limit: limit)
    }

    /// `merge ID into ID [--dry-run]`.
    mutating func parseMerge() throws -> Command {
        let from = try parseRecordID("the id of the customer to merge")
        try expect("into")
        let into = try parseRecordID("the id of the customer to keep")
        var dryRun = false
        if current.isSymbol("-"), peek().isSymbol("-"), peek(2).isKeyword("dry-run") {
            _ = advance(); _ = advance(); _ = advance()
            dryRun = true
        }
        return .merge(from: from, into: into, dryRun: dryRun)
    }

    mutating func parseShow() throws -> Command {
        if accept("segments") { return .showSegments }
        if accept("grants") { return .showGrants }
        if accept("customer") || accept("customers") { return .showCustomer(try parseRecordID("a customer id")) }
        if accept("ticket") || accept("tickets") { return .showTicket(try parseRecordID("a ticket id")) }
        if accept("fields") || accept("schema") {
            if current.kind == .end { return .showFields(nil) }
            return .showFields(try parseEntity())
        }
        if current.isKeyword("settings") { _ = advance(); return .setting(name: "show", value: nil, span: current.span) }
        if accept("policy") {
            let t = current
            guard case .word(let prefix) = t.kind else {
                if t.kind == .end { return .showPolicy(prefix: nil, span: t.span) }
                throw unexpected(expected: "a policy key or its first part, such as resolution")
            }
            _ = advance()
            return .showPolicy(prefix: prefix, span: t.span)
        }
        throw unexpected(expected: "'customer ID', 'ticket ID', 'fields', 'settings', 'policy', 'segments' or 'grants'",
                         suggestionFrom: ["customer", "ticket", "fields", "settings", "policy", "segments", "grants"])
    }

    /// `grant USER ROLE`
    mutating func parseGrant() throws -> Command {
        let user = try parseUserName()
        let words = Role.allCases.map(\.rawValue)
        guard let word = current.keyword, let role = Role(rawValue: word.lowercased()) else {
            throw unexpected(expected: "a role: \(words.joined(separator: ", "))", suggestionFrom: words)
        }
        _ = advance()
        return .grant(user: user, role: role)
    }

    /// `revoke USER`
    mutating func parseRevoke() throws -> Command { .revoke(user: try parseUserName()) }

    mutating func parseTutorial() throws -> Command {
        let first = current
        if first.kind == .end { return .tutorial(.list) }
        if case .string(let path) = first.kind {
            _ = advance()
            guard current.kind == .end else { throw unexpected(expected: "the end of the command") }
            return .tutorial(.file(path, first.span))
        }
        // A lesson name may hold hyphens, which the lexer splits off: take the words as typed.
        var name = ""
        var last = first
        while current.kind != .end { last = advance(); name += last.text }
        if name.lowercased() == "report" { return .tutorial(.report) }
        let length = last.span.start.line == first.span.start.line
            ? last.span.start.column + last.span.length - first.span.start.column : first.span.length
        return .tutorial(.named(name, SourceSpan(start: first.span.start, length: length)))
    }

    /// An OS user's name: a word, or quoted when it has other characters.
    private mutating func parseUserName() throws -> Literal {
        let t = current
        switch t.kind {
        case .word(let name), .string(let name):
            _ = advance()
            return Literal(kind: .string(name, quoted: true), span: t.span, text: t.text)
        default:
            throw unexpected(expected: "an OS user's name")
        }
    }

    private mutating func parseString(what: String) throws -> Literal {
        let t = current
        guard case .string(let s) = t.kind else { throw unexpected(expected: what) }
        _ = advance()
        return Literal(kind: .string(s, quoted: true), span: t.span, text: t.text)
    }

    // MARK: Conditions

    /// The deepest a condition's tree may be (a chain of N terms joined by `and` or `or`
    /// is N deep), as SQLite limits an expression's depth: checking and running a
    /// condition recurse through its tree, and a deeper one could overflow the stack.
    public static let maximumConditionDepth = 1000

    mutating func parseCondition() throws -> Condition { try parseOr().condition }

    private typealias Parsed = (condition: Condition, depth: Int)

    /// The depth of a node over a subtree `depth` deep, within the limit.
    private func deeper(_ depth: Int, at span: SourceSpan) throws -> Int {
        guard depth < Parser.maximumConditionDepth else {
            throw Diagnostic.usage(.conditionTooLong, String(Parser.maximumConditionDepth), at: span)
        }
        return depth + 1
    }

    private mutating func parseOr() throws -> Parsed {
        var left = try parseAnd()
        while current.isKeyword("or") {
            let op = advance()
            let right = try parseAnd()
            left = (.or(left.condition, right.condition), try deeper(max(left.depth, right.depth), at: op.span))
        }
        return left
    }

    private mutating func parseAnd() throws -> Parsed {
        var left = try parseNot()
        while current.isKeyword("and") {
            let op = advance()
            let right = try parseNot()
            left = (.and(left.condition, right.condition), try deeper(max(left.depth, right.depth), at: op.span))
        }
        return left
    }

    private var depth = 0

    private mutating func parseNot() throws -> Parsed {
        if current.isKeyword("not") {
            let op = advance()
            depth += 1
            defer { depth -= 1 }
            guard depth < 200 else { throw Diagnostic.usage(.conditionTooDeep, at: current.span) }
            let inner = try parseNot()
            return (.not(inner.condition), try deeper(inner.depth, at: op.span))
        }
        if let relation = try parseRelation() { return relation }
        if startsSegmentTest {
            _ = advance(); _ = advance()
            let name = try parseSegmentName()
            guard case .string(let text, _) = name.kind else { throw Diagnostic.usage(.expectedSegmentName, at: name.span) }
            return (.inSegment(name: text, span: name.span), 1)
        }
        if current.isSymbol("("), let comparison = try parenthesizedComparison() {
            return (comparison, 1)
        }
        if current.isSymbol("(") { return try parseParenthesizedCondition().inner }
        return (try parsePredicate(), 1)
    }

    /// `( CONDITION )`, from the opening parenthesis on; `open` is where it stands.
    private mutating func parseParenthesizedCondition() throws -> (inner: Parsed, open: SourceSpan) {
        let open = advance()
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw Diagnostic.usage(.conditionTooDeep, at: open.span) }
        let inner = try parseOr()
        guard acceptSymbol(")") else {
            throw Diagnostic.usage(.unclosedParenthesis, "\(open.span.start.line):\(open.span.start.column)", describe(current), at: current.span)
        }
        return (inner, open.span)
    }

    /// `any ENTITY[(COND)]`, `no ENTITY[(COND)]`, `count ENTITY[(COND)] OP N`, or nil
    /// when the word after `any`, `no` or `count` names no entity (a field may be called
    /// `count`). The checker decides which entities may stand there.
    private mutating func parseRelation() throws -> Parsed? {
        guard let word = current.keyword, ["any", "no", "count"].contains(word),
              case .word(let name) = peek().kind, let entity = Entity(word: name) else { return nil }
        let keyword = advance().span
        let entityName = EntityName(entity: entity, span: advance().span)
        var condition: Condition?
        var depth = 1
        if current.isSymbol("(") {
            let (inner, open) = try parseParenthesizedCondition()
            condition = inner.condition
            depth = try deeper(inner.depth, at: open)
        }
        let quantifier: RelationQuantifier
        switch word {
        case "any": quantifier = .any
        case "no": quantifier = .no
        default:
            guard case .symbol(let s) = current.kind, let op = ComparisonOperator(rawValue: s) else {
                throw unexpected(expected: "a comparison with a number after 'count \(name)(...)', such as >= 3")
            }
            _ = advance()
            quantifier = .count(op, try parseValue())
        }
        return (.relation(RelationCondition(quantifier: quantifier, entity: entityName, condition: condition, keyword: keyword)), depth)
    }

    private static let operatorWords = ["in", "not", "between", "contains", "starts", "ends", "has", "is", "within"]

    /// Words that may follow a complete condition: after one of them, a field standing
    /// alone (`where vip and ...`) is a boolean test, not a missing operator.
    private static let conditionFollowers = ["and", "or", "sort", "limit", "offset", "show", "by", "set", "to"]

    /// At an opening parenthesis: a comparison whose left side is a parenthesized
    /// expression (`(a + b) / 2 > 5`), or nil when the parenthesis groups conditions
    /// (`(tier = gold or vip)`). Decided by reading ahead: an expression, then a
    /// comparison operator.
    private mutating func parenthesizedComparison() throws -> Condition? {
        let start = position, savedTokens = tokens
        let left: Expression
        do { left = try parseExpression() } catch { position = start; tokens = savedTokens; return nil }
        guard case .symbol(let s) = current.kind, let op = ComparisonOperator(rawValue: s) else {
            position = start; tokens = savedTokens
            return nil
        }
        _ = advance()
        return .compareExpressions(left, op, try parseExpression())
    }

    private mutating func parsePredicate() throws -> Condition {
        let start = current
        let left = try parseExpression()
        let t = current
        if case .symbol(let s) = t.kind, let op = ComparisonOperator(rawValue: s) {
            _ = advance()
            let valueToken = current
            let right = try parseExpression()
            // `FIELD OP VALUE` keeps its own form, which the checker turns into an
            // index-answerable test; a bare word on the right may still name a field.
            if case .field(let field) = left {
                if case .value(let literal) = right { return .compare(field, op, literal) }
                if case .field(let name) = right, valueToken.kind == .word(name.name) {
                    return .compare(field, op, Literal(kind: .string(name.name, quoted: false), span: name.span, text: name.name))
                }
            }
            return .compareExpressions(left, op, right)
        }
        guard case .field(let field) = left else {
            throw unexpected(expected: "a comparison operator (=, !=, <, <=, >, >=) after '\(left.name)'")
        }
        if start.isSymbol("(") || start.isSymbol("-") {
            throw unexpected(expected: "a comparison operator (=, !=, <, <=, >, >=)")
        }
        if t.kind == .end || t.isSymbol(")") || Parser.conditionFollowers.contains(where: { t.isKeyword($0) }) {
            return .isTrue(field)
        }
        guard let word = t.keyword else {
            throw unexpected(expected: "an operator (=, !=, <, >, in, contains, has, is null, within ...)")
        }
        switch word {
        case "not":
            _ = advance()
            guard let negatedWord = current.keyword, ["in", "between", "contains", "like", "starts", "ends", "has"].contains(negatedWord) else {
                throw unexpected(expected: "'in', 'between', 'contains', 'starts with', 'ends with' or 'has' after 'not'",
                                 suggestionFrom: ["in", "between", "contains", "starts", "ends", "has"])
            }
            return try parseOperator(negatedWord, field: field, negated: true)
        case "in", "between", "contains", "like", "starts", "ends", "has":
            return try parseOperator(word, field: field, negated: false)
        case "is":
            _ = advance()
            let negated = accept("not")
            guard accept("null") || accept("empty") || accept("missing") else { throw unexpected(expected: "'null'") }
            return .isNull(field, negated: negated)
        case "within":
            let keyword = advance().span
            return .within(field, try parseValue(), keyword: keyword)
        default:
            throw Diagnostic.usage(.unknownOperator, t.text, at: t.span,
                                   suggestion: nearestName(to: word, among: Parser.operatorWords))
        }
    }

    /// The operators that take a `not` of their own, from the operator word on.
    private mutating func parseOperator(_ word: String, field: FieldName, negated: Bool) throws -> Condition {
        _ = advance()
        switch word {
        case "in": return .member(field, try parseList(), negated: negated)
        case "between":
            let low = try parseValue()
            try expect("and")
            return .between(field, low, try parseValue(), negated: negated)
        case "starts": try expect("with"); return .text(field, .startsWith, try parseValue(), negated: negated)
        case "ends": try expect("with"); return .text(field, .endsWith, try parseValue(), negated: negated)
        case "has":
            if accept("any") { return .has(field, .any, try parseList(), negated: negated) }
            if accept("all") { return .has(field, .all, try parseList(), negated: negated) }
            return .has(field, .one, [try parseValue()], negated: negated)
        default: return .text(field, .contains, try parseValue(), negated: negated)
        }
    }

    private mutating func parseList() throws -> [Literal] {
        try expectSymbol("(")
        var items: [Literal] = []
        if acceptSymbol(")") { return items }
        repeat { items.append(try parseValue()) } while acceptSymbol(",")
        try expectSymbol(")")
        return items
    }

    /// A value, or in `add` and `set` a parenthesized list of values.
    private mutating func parseAssignedValue() throws -> Literal {
        guard current.isSymbol("(") else { return try parseValue() }
        let open = current
        let items = try parseList()
        let end = tokens[max(position - 1, 0)].span
        let length = end.start.line == open.span.start.line ? end.start.column + end.length - open.span.start.column : 1
        let strings = items.map { item -> String in
            if case .string(let s, _) = item.kind { return s }
            return item.text
        }
        return Literal(kind: .list(strings), span: SourceSpan(start: open.span.start, length: length),
                       text: "(" + items.map(\.text).joined(separator: ", ") + ")")
    }

    // MARK: Expressions

    /// How deeply an expression may nest (operators and parentheses), so that checking
    /// and evaluating it cannot overflow the stack.
    public static let maximumExpressionDepth = 100

    private var expressionDepth = 0

    /// `TERM (+|- TERM)*`, where a term is `FACTOR (*|/ FACTOR)*`: left-associative.
    mutating func parseExpression() throws -> Expression {
        try parseBinary(precedence: 1)
    }

    private mutating func parseBinary(precedence: Int) throws -> Expression {
        var left = precedence == 1 ? try parseBinary(precedence: 2) : try parseFactor()
        var operands = 1
        while let (op, opSpan) = arithmeticOperator(precedence: precedence) {
            let right = precedence == 1 ? try parseBinary(precedence: 2) : try parseFactor()
            operands += 1
            guard operands <= Parser.maximumExpressionDepth else {
                throw Diagnostic.usage(.expressionTooLong, String(Parser.maximumExpressionDepth), at: opSpan)
            }
            left = .binary(left, op, right, op: opSpan)
        }
        return left
    }

    /// The operator at the current token if it binds at `precedence`, consumed. A signed
    /// number right after an operand (`points -100`) is an operator and its number.
    private mutating func arithmeticOperator(precedence: Int) -> (ArithmeticOperator, SourceSpan)? {
        let t = current
        if case .symbol(let s) = t.kind, let op = ArithmeticOperator(rawValue: s), op.precedence == precedence {
            _ = advance()
            return (op, t.span)
        }
        guard precedence == 1, let sign = t.text.first, sign == "-" || sign == "+" else { return nil }
        let magnitude: Token.Kind
        switch t.kind {
        case .integer(let i) where i != .min: magnitude = .integer(abs(i))
        case .number(let d): magnitude = .number(abs(d))
        case .duration(let days): magnitude = .duration(days: abs(days))
        default: return nil
        }
        let opSpan = SourceSpan(start: t.span.start, length: 1)
        let rest = SourceSpan(start: SourceLocation(line: t.span.start.line, column: t.span.start.column + 1), length: max(1, t.span.length - 1))
        tokens[position] = Token(kind: magnitude, span: rest, text: String(t.text.dropFirst()))
        return (sign == "-" ? .subtract : .add, opSpan)
    }

    private mutating func parseFactor() throws -> Expression {
        let t = current
        expressionDepth += 1
        defer { expressionDepth -= 1 }
        guard expressionDepth <= Parser.maximumExpressionDepth else {
            throw Diagnostic.usage(.expressionTooDeep, at: t.span)
        }
        if t.isSymbol("-") {
            _ = advance()
            return .negate(try parseFactor(), op: t.span)
        }
        if t.isSymbol("(") {
            _ = advance()
            let inner = try parseExpression()
            guard acceptSymbol(")") else {
                throw Diagnostic.usage(.unclosedParenthesis, "\(t.span.start.line):\(t.span.start.column)", describe(current), at: current.span)
            }
            return inner
        }
        switch t.kind {
        case .quotedName(let name):
            _ = advance()
            return .field(FieldName(name, span: t.span))
        case .word(let w) where !Parser.valueWords.contains(w.lowercased()):
            _ = advance()
            return .field(FieldName(w, span: t.span))
        default:
            return .value(try parseValue())
        }
    }

    /// Words that are values wherever they stand.
    private static let valueWords: Set<String> = ["today", "yesterday", "tomorrow", "null", "true", "false"]

    mutating func parseValue() throws -> Literal {
        let t = current
        let kind: Literal.Kind
        switch t.kind {
        case .string(let s): kind = .string(s, quoted: true)
        case .integer(let i): kind = .integer(i)
        case .number(let d): kind = .number(d)
        case .date(let d): kind = .date(d)
        case .duration(let days): kind = .duration(days: days)
        case .word(let w):
            switch w.lowercased() {
            case "today": kind = .relativeDay(0)
            case "yesterday": kind = .relativeDay(-1)
            case "tomorrow": kind = .relativeDay(1)
            case "null": kind = .null
            case "true": kind = .boolean(true)
            case "false": kind = .boolean(false)
            default: kind = .string(w, quoted: false)
            }
        default:
            throw unexpected(expected: "a value")
        }
        _ = advance()
        return Literal(kind: kind, span: t.span, text: t.text)
    }
}
