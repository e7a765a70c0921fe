/// Reads `campaign "NAME"` ... `end` (or `campaign history ["NAME"]`) after the word
/// `campaign`, one clause per line. Each action is read by the parser of the command it
/// stands for (`log contact`, `add points`, `open ticket`, `update ... set`), with a
/// placeholder customer, so that its clauses and errors are those of the command.
struct CampaignParser {
    /// The clause words, for did-you-mean.
    static let clauseWords = ["target", "every", "when", "send", "log", "add", "open", "assign", "set", "end"]

    private let tokens: [Token]

    init(tokens: [Token]) { self.tokens = tokens }

    func parse() throws -> Command {
        guard let first = tokens.first, first.kind != .end else {
            throw Diagnostic.usage(.expectedToken, "the campaign's name in quotes, or history", "end of command", at: tokens.last?.span)
        }
        if first.isKeyword("history") { return try parseHistory() }
        guard case .string(let name) = first.kind else {
            throw Diagnostic.usage(.expectedToken, "the campaign's name in quotes", "'\(first.text)'", at: first.span,
                                   suggestion: first.keyword.flatMap { nearestName(to: $0, among: ["history"]) })
        }
        var block = CampaignBlock(name: name, nameSpan: first.span, target: nil, every: nil, everyText: nil, actions: [])
        var lines = Self.lines(Array(tokens.dropFirst().dropLast()))
        // The rest of the first line: nothing may follow the name.
        if let rest = lines.first, rest[0].span.start.line == first.span.start.line {
            throw Diagnostic.usage(.expectedToken, "the end of the line after the campaign's name", "'\(rest[0].text)'", at: rest[0].span)
        }
        guard let last = lines.last, last.count == 1, last[0].isKeyword("end") else {
            throw Diagnostic.usage(.campaignNeedsEnd, name, at: first.span)
        }
        lines.removeLast()
        var targetSeen = false
        for line in lines {
            let word = line[0]
            switch word.keyword {
            case "target":
                if targetSeen { throw Diagnostic.usage(.campaignClauseRepeated, "target", name, at: word.span) }
                targetSeen = true
                block.target = try parseTarget(line)
            case "every":
                if block.everyText != nil { throw Diagnostic.usage(.campaignClauseRepeated, "every", name, at: word.span) }
                var p = subParser(line.dropFirst(), after: word)
                let value = try p.parseValue()
                guard case .duration(let days) = value.kind, days > 0 else {
                    throw Diagnostic.usage(.expectedToken, "a length of time such as 365d or 4w", "'\(value.text)'", at: value.span)
                }
                try p.expectEnd()
                block.every = days
                block.everyText = value.text
            case "when": block.holidays.append(try parseWhen(line))
            case "send": block.actions.append(try parseSend(line))
            case "log": block.actions.append(.command(try placeholderCommand(line, second: "contact")))
            case "add": block.actions.append(.command(try placeholderCommand(line, second: "points")))
            case "open": block.actions.append(.command(try placeholderCommand(line, second: "ticket")))
            case "assign": block.actions.append(try parseAssign(line))
            case "set": block.actions.append(try parseSet(line))
            default:
                throw Diagnostic.usage(.unknownCampaignClause, word.text, at: word.span,
                                       suggestion: word.keyword.flatMap { nearestName(to: $0, among: Self.clauseWords) })
            }
        }
        guard targetSeen else { throw Diagnostic.usage(.campaignNeedsTarget, name, at: first.span) }
        guard !block.actions.isEmpty else { throw Diagnostic.usage(.campaignNeedsAction, name, at: first.span) }
        return .campaign(block)
    }

    private func parseHistory() throws -> Command {
        var p = subParser(tokens.dropFirst().dropLast(), after: tokens[0])
        var name: Literal?
        if case .string = p.currentKind { name = try p.parseValue() }
        try p.expectEnd()
        return .campaignHistory(name: name)
    }

    /// The tokens grouped by the line they start on.
    private static func lines(_ tokens: [Token]) -> [[Token]] {
        var lines: [[Token]] = []
        for t in tokens {
            if let l = lines.last?.first?.span.start.line, l == t.span.start.line { lines[lines.count - 1].append(t) } else { lines.append([t]) }
        }
        return lines
    }

    /// A parser over some of a line's tokens, ending where the line ends.
    private func subParser<S: Sequence>(_ tokens: S, after: Token) -> Parser where S.Element == Token {
        var list = Array(tokens)
        let last = list.last ?? after
        list.append(Token(kind: .end, span: SourceSpan(start: SourceLocation(line: last.span.start.line, column: last.span.start.column + last.span.length), length: 1), text: ""))
        return Parser(tokens: list)
    }

    /// `target customers where COND` or `target all customers`.
    private func parseTarget(_ line: [Token]) throws -> Condition? {
        if line.count > 1, line[1].isKeyword("segment") { return try parseTargetSegment(line) }
        var rest = line.dropFirst()
        let all = rest.first?.isKeyword("all") ?? false
        if all { rest = rest.dropFirst() }
        guard let entity = rest.first, entity.isKeyword("customers") || entity.isKeyword("customer") else {
            let t = rest.first ?? line[line.count - 1]
            throw Diagnostic.usage(.expectedToken, "customers", rest.first.map { "'\($0.text)'" } ?? "end of line", at: t.span,
                                   suggestion: t.keyword.flatMap { nearestName(to: $0, among: ["customers"]) })
        }
        rest = rest.dropFirst()
        if all {
            var p = subParser(rest, after: entity)
            try p.expectEnd()
            return nil
        }
        guard let whereToken = rest.first, whereToken.isKeyword("where") else {
            throw Diagnostic.usage(.expectedToken, "'where' (or: target all customers)", rest.first.map { "'\($0.text)'" } ?? "end of line",
                                   at: rest.first?.span ?? entity.span, suggestion: rest.first?.keyword.flatMap { nearestName(to: $0, among: ["where"]) })
        }
        var p = subParser(rest.dropFirst(), after: whereToken)
        let condition = try p.parseCondition()
        try p.expectEnd()
        return condition
    }

    /// `when holiday "NAME" within D`: the name checked now, so a misspelt holiday is an
    /// error before anything runs, whatever the day.
    private func parseWhen(_ line: [Token]) throws -> HolidayWindow {
        var p = subParser(line.dropFirst(), after: line[0])
        try p.expectKeyword("holiday")
        guard case .string = p.currentKind else {
            throw Diagnostic.usage(.expectedToken, "the holiday's name in quotes", p.currentDescription, at: p.currentSpan)
        }
        let nameLiteral = try p.parseValue()
        guard case .string(let name, _) = nameLiteral.kind else {
            throw Diagnostic.usage(.expectedToken, "the holiday's name in quotes", "'\(nameLiteral.text)'", at: nameLiteral.span)
        }
        let holiday = try Holidays.resolve(name, at: nameLiteral.span)
        try p.expectKeyword("within")
        let length = try p.parseValue()
        // A window of more than a year would hold nearly every day (and a huge one overflows the day count).
        guard case .duration(let days) = length.kind, (0...366).contains(days), days == days.rounded() else {
            throw Diagnostic.usage(.expectedToken, "a number of days up to 366d, such as 7d", "'\(length.text)'", at: length.span)
        }
        try p.expectEnd()
        return HolidayWindow(holiday: holiday, days: Int(days), span: nameLiteral.span)
    }

    /// `target segment "NAME"`: membership of the saved segment, checked at each run.
    private func parseTargetSegment(_ line: [Token]) throws -> Condition {
        var p = subParser(line.dropFirst(2), after: line[1])
        let name = try p.parseValue()
        guard case .string(let text, _) = name.kind else {
            throw Diagnostic.usage(.expectedSegmentName, at: name.span)
        }
        try p.expectEnd()
        return .inSegment(name: text, span: name.span)
    }

    /// `send CHANNEL|preferred "TEMPLATE"`.
    private func parseSend(_ line: [Token]) throws -> CampaignAction {
        var p = subParser(line.dropFirst(), after: line[0])
        let channelLiteral = try p.parseValue()
        guard case .string(let word, quoted: false) = channelLiteral.kind else {
            throw Diagnostic.usage(.expectedToken, "a channel (\(SendChannel.messageChannels.joined(separator: ", ")) or preferred)",
                                   "'\(channelLiteral.text)'", at: channelLiteral.span)
        }
        let channel = try SendChannel.resolve(word, at: channelLiteral.span)
        guard case .string = p.currentKind else {
            throw Diagnostic.usage(.expectedToken, "the message in quotes", p.currentDescription, at: p.currentSpan)
        }
        let template = try Template(try p.parseValue())
        try p.expectEnd()
        return .send(channel, template)
    }

    /// A line read as the command it stands for, a placeholder customer after its second word.
    private func placeholderCommand(_ line: [Token], second: String) throws -> Command {
        let word = line[0]
        guard line.count > 1, line[1].isKeyword(second) else {
            let t = line.count > 1 ? line[1] : word
            throw Diagnostic.usage(.expectedToken, "'\(second)'", line.count > 1 ? "'\(t.text)'" : "end of line", at: t.span,
                                   suggestion: t.keyword.flatMap { nearestName(to: $0, among: [second]) })
        }
        let placeholder = Token(kind: .string(""), span: word.span, text: "\"\"")
        var p = subParser([word, line[1], placeholder] + line.dropFirst(2), after: word)
        let command = try p.parseStatement().command
        try p.expectEnd()
        return command
    }

    /// `assign to OWNER|owner "TASK" [due D]`.
    private func parseAssign(_ line: [Token]) throws -> CampaignAction {
        var p = subParser(line.dropFirst(), after: line[0])
        try p.expectKeyword("to")
        let owner = try p.parseValue()
        let customersOwn: Bool = if case .string(let w, quoted: false) = owner.kind, w.lowercased() == "owner" { true } else { false }
        guard case .string = p.currentKind else {
            throw Diagnostic.usage(.expectedToken, "the task in quotes", p.currentDescription, at: p.currentSpan)
        }
        let text = try p.parseValue()
        var due: Literal?
        if p.acceptKeyword("due") { due = try p.parseValue() }
        try p.expectEnd()
        return .assign(owner: customersOwn ? nil : owner, text: text, due: due, span: line[0].span)
    }

    /// `set FIELD = VALUE, ...`, read by `update`'s parser.
    private func parseSet(_ line: [Token]) throws -> CampaignAction {
        let word = line[0]
        func synthetic(_ kind: Token.Kind, _ text: String) -> Token { Token(kind: kind, span: word.span, text: text) }
        let prefix = [synthetic(.word("update"), "update"), synthetic(.word("customers"), "customers"), synthetic(.word("where"), "where"),
                      synthetic(.word("id"), "id"), synthetic(.symbol("="), "="), synthetic(.string(""), "\"\"")]
        var p = subParser(prefix + line, after: word)
        guard case .update(_, _, let assignments) = try p.parseStatement().command else {
            throw Diagnostic.usage(.unknownCampaignClause, word.text, at: word.span)
        }
        try p.expectEnd()
        return .set(assignments, span: word.span)
    }
}

extension Parser {
    /// `campaign "NAME" ... end` or `campaign history ["NAME"]`, after the word `campaign`.
    mutating func parseCampaign() throws -> Command {
        try CampaignParser(tokens: takeRemainingTokens()).parse()
    }
}
