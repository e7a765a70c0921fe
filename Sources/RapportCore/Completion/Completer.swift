import Foundation

/// What Tab offers at the cursor: the words that may replace the one being typed.
public struct Completion: Equatable, Sendable {
    /// The character offset in the line where the word being completed starts. For a
    /// word begun with a quote (`"上`), the offset of that quote.
    public var replacementStart: Int
    /// Full words to put in place of `line[replacementStart..<cursor]`, sorted,
    /// de-duplicated. Values that need quotes come quoted (`"Hong Kong"`); a file name
    /// comes with its opening quote, and its closing one unless it is a directory.
    public var candidates: [String]

    public init(replacementStart: Int, candidates: [String]) {
        self.replacementStart = replacementStart
        self.candidates = candidates
    }
}

/// Tab completion that knows the command language, the store's schema (custom fields
/// included) and its data: command words, entities, fields, the operators a field's
/// type allows, low-cardinality values, customer ids, settings, help topics, lessons
/// and file names. Pure logic: the shell passes the line and the cursor.
///
/// Only the line the cursor is on is read as the command. When `line` holds earlier
/// lines too (a block being typed), a `campaign` line not yet closed by `end` makes
/// the block's clause words the ones offered at the start (and holiday names after
/// `when holiday`, template fields after `{` in a `send`).
///
/// Not for concurrent use with changes to the store, like the store itself. The store's
/// values and ids come through `Backend` as capped samples.
public struct Completer {
    public let backend: any Backend
    /// Asked only when a lesson name is to be completed: listing them parses every lesson.
    public let lessons: () -> [String]
    public let fileNames: (String) -> [String]
    /// The session's role: a trainee is offered no phone or email values (they would
    /// show what masking hides; masked, they would not match anything).
    public var role: Role = .admin

    /// A string or list field with more distinct values than this offers none.
    public static let maxDistinctValues = 200
    /// At most this many ids are offered, the first in order.
    public static let maxIDs = 100

    /// Words that start a command at the prompt: the catalogue's, without aliases.
    public static let commandWords = CommandCatalogue.all.map(\.word).sorted()
    /// Words that start a line inside a `campaign` block.
    public static let campaignWords = CampaignParser.clauseWords.sorted()
    /// Names `set` takes.
    public static let settingNames = SettingCatalogue.all.map(\.name).sorted()
    /// `set policy` and `show policy` take a key; it has dots (`resolution.urgent`).
    private static let policyKeys = Source.keywords(PolicyCatalogue.all.map(\.name))

    /// - Parameters:
    ///   - lessons: the tutorial's lesson names, for when `tutorial` is a command.
    ///   - fileNames: the paths that start with a prefix, directories ending in "/".
    public init(backend: any Backend, lessons: @escaping () -> [String] = { [] },
                fileNames: @escaping (String) -> [String] = Completer.listFiles) {
        self.backend = backend
        self.lessons = lessons
        self.fileNames = fileNames
    }

    public init(backend: any Backend, lessons: [String], fileNames: @escaping (String) -> [String] = Completer.listFiles) {
        self.init(backend: backend, lessons: { lessons }, fileNames: fileNames)
    }

    /// The completions for the word that ends at `cursor` (a Character offset into
    /// `line`; the end of the line when nil or out of range). Text after the cursor is
    /// ignored. Never fails: input it cannot follow gets no candidates.
    public func complete(_ line: String, cursor: Int? = nil) -> Completion {
        let chars = Array(line)
        let end = min(max(cursor ?? chars.count, 0), chars.count)
        var lineStart = end
        while lineStart > 0, chars[lineStart - 1] != "\n" { lineStart -= 1 }
        // In a comment nothing is offered; the comment ends where ScriptReader says.
        let typed = Substring(String(chars[lineStart..<end]))
        if ScriptReader.withoutComment(typed).count < typed.count { return Completion(replacementStart: end, candidates: []) }
        let inBlock = lineStart > 0 && Completer.insideCampaign(chars[0..<lineStart])

        // In a campaign block each line is a clause of its own; otherwise the lines
        // since the last block's `end` (an open parenthesis) start the same command.
        var pieces = Completer.tokenize(chars, from: inBlock ? lineStart : Completer.commandStart(chars[0..<lineStart]), to: end)
        var partial = Partial(text: "", quote: nil, start: end)
        if let last = pieces.last, last.end == end, last.kind != .symbol {
            partial = Partial(text: last.text, quote: last.kind == .string ? last.quote : nil, start: last.start)
            pieces.removeLast()
        }
        if inBlock, let fields = templateFields(pieces, partial) { return Completion(replacementStart: partial.start, candidates: fields) }
        let sources = context(pieces, inBlock: inBlock)
        return Completion(replacementStart: partial.start, candidates: candidates(from: sources, for: partial))
    }

    /// The files and directories whose path starts with `prefix` (ignoring case in the
    /// last component), directories with a trailing "/". Hidden entries only when the
    /// last component starts with ".".
    public static func listFiles(_ prefix: String) -> [String] {
        let directory: String, name: String
        if let slash = prefix.lastIndex(of: "/") {
            directory = String(prefix[...slash])
            name = String(prefix[prefix.index(after: slash)...])
        } else {
            directory = ""
            name = prefix
        }
        guard let entries = try? FileSystem.directoryEntries(directory.isEmpty ? "." : directory) else { return [] }
        let lowered = name.lowercased()
        var result: [String] = []
        for entry in entries where entry.lowercased().hasPrefix(lowered) {
            if entry.hasPrefix("."), !name.hasPrefix(".") { continue }
            let path = directory + entry
            result.append(FileSystem.isDirectory(directory.isEmpty ? "./" + entry : path) ? path + "/" : path)
        }
        return result.sorted()
    }

    // MARK: Tokens

    /// A token as far as completion cares; tolerant of anything half typed.
    struct Piece {
        enum Kind { case word, string, symbol }
        var kind: Kind
        /// The word as written, a string's content or a symbol (full-width forms mapped).
        var text: String
        var start: Int
        var end: Int
        var quote: Character = "\""

        var keyword: String? { kind == .word ? text.lowercased() : nil }
        func isSymbol(_ s: String) -> Bool { kind == .symbol && text == s }
    }

    struct Partial {
        var text: String
        /// The quote the word was begun with, if any.
        var quote: Character?
        var start: Int
    }

    static func tokenize(_ c: [Character], from lo: Int, to hi: Int) -> [Piece] {
        var pieces: [Piece] = []
        var i = lo
        func isQuote(_ ch: Character) -> Bool { ch == "\"" || ch == "“" || ch == "'" }
        func isSymbolStart(_ k: Int) -> Bool {
            let ch = c[k]
            if "=<>(),:*（），".contains(ch) { return true }
            return ch == "!" && k + 1 < hi && c[k + 1] == "="
        }
        while i < hi {
            let ch = c[i]
            if ch.isWhitespace { i += 1; continue }
            if ch == "#" {
                while i < hi, c[i] != "\n" { i += 1 }
                continue
            }
            if isQuote(ch) {
                let close: Character = ch == "“" ? "”" : ch
                var j = i + 1
                var s = ""
                while j < hi {
                    let d = c[j]
                    if d == close { j += 1; break }
                    if d == "\\", j + 1 < hi {
                        let e = c[j + 1]
                        switch e {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        case "\\", "\"", "'": s.append(e)
                        default: s.append("\\"); s.append(e)
                        }
                        j += 2
                        continue
                    }
                    s.append(d)
                    j += 1
                }
                pieces.append(Piece(kind: .string, text: s, start: i, end: j, quote: ch))
                i = j
                continue
            }
            if isSymbolStart(i) {
                if i + 1 < hi {
                    let two = String([ch, c[i + 1]])
                    if ["!=", "<=", ">=", "<>", "=="].contains(two) {
                        pieces.append(Piece(kind: .symbol, text: two == "<>" ? "!=" : two == "==" ? "=" : two, start: i, end: i + 2))
                        i += 2
                        continue
                    }
                }
                let mapped: String = ch == "（" ? "(" : ch == "）" ? ")" : ch == "，" ? "," : String(ch)
                pieces.append(Piece(kind: .symbol, text: mapped, start: i, end: i + 1))
                i += 1
                continue
            }
            var j = i
            while j < hi, !c[j].isWhitespace, !isQuote(c[j]), !isSymbolStart(j), c[j] != "#" { j += 1 }
            pieces.append(Piece(kind: .word, text: String(c[i..<j]), start: i, end: j))
            i = j
        }
        return pieces
    }

    /// Where the command being typed starts: after the last line that ends a block.
    static func commandStart(_ chars: ArraySlice<Character>) -> Int {
        var start = chars.startIndex
        var lineStart = chars.startIndex
        for i in chars.indices where chars[i] == "\n" {
            let words = chars[lineStart..<i].split(whereSeparator: { $0.isWhitespace })
            if words.count == 1, String(words[0]).lowercased() == "end" { start = i + 1 }
            lineStart = i + 1
        }
        return start
    }

    static func insideCampaign(_ chars: ArraySlice<Character>) -> Bool {
        var inside = false
        for line in String(chars).split(separator: "\n") {
            switch line.split(whereSeparator: { $0.isWhitespace }).first?.lowercased() {
            case "campaign": inside = true
            case "end": inside = false
            default: break
            }
        }
        return inside
    }

    // MARK: Where the cursor is

    /// `storable`: every stored field (what `add` takes); `settable`: those `update` may set.
    enum FieldFilter { case all, numeric, ordered, temporal, sortable, settable, storable }
    enum FileKind { case data, any, directory }

    /// Where candidates come from.
    enum Source {
        case keywords([String])
        case fields(Entity?, FieldFilter, exclude: Set<String>)
        case operators(FieldType?)
        case values(Entity, Field, exclude: Set<String>)
        case ids(Entity, exclude: Set<String>)
        /// The ids of deleted records, of any entity (`restore`).
        case binnedIDs
        case files(FileKind)
        /// Offered as they are, never quoted (lesson names).
        case names([String])
    }

    /// How a clause's tokens ended: candidates for the position after them (`more`), or
    /// the clause is complete and the next one may start at `next`, with `extra`
    /// candidates besides the next clauses' keywords when the tokens run out there.
    enum Step {
        case more([Source])
        case next(Int, extra: [Source])
        case fail
    }

    private static let entityWords = Source.keywords(Entity.allCases.map(\.rawValue))
    /// The entities `update` and `import` write: not the points ledger.
    private static let writableEntityWords = Source.keywords(Entity.allCases.filter { !$0.isWrittenByRules }.map(\.rawValue))

    func context(_ p: [Piece], inBlock: Bool) -> [Source] {
        guard let first = p.first else { return [.keywords(inBlock ? Completer.campaignWords : Completer.commandWords)] }
        guard let command = first.keyword else { return [] }
        let n = p.count
        func kw(_ k: Int) -> String? { k < n ? p[k].keyword : nil }
        func entity(_ k: Int) -> Entity? { kw(k).flatMap(Entity.init(word:)) }
        let customerIDs = Source.ids(.customers, exclude: [])
        // Names with a space are offered in quotes, as they must be typed.
        let segmentNames = Source.names(backend.segments.map { $0.name.contains(" ") ? Parser.quoted($0.name) : $0.name })

        // A campaign block's own clauses; everything else by the command's catalogue shape.
        let shape: CompletionShape
        switch command {
        case "target" where inBlock:
            if n == 1 { return [.keywords(["customers", "all", "segment"])] }
            if kw(1) == "segment" { return n == 2 ? [segmentNames] : [] }
            if kw(1) == "all" { return n == 2 ? [.keywords(["customers"])] : [] }
            shape = .entityThenClauses(["where"])
        case "send" where inBlock: return n == 1 ? [.keywords(SendChannel.messageChannels + ["preferred"])] : []
        case "when" where inBlock:
            switch n {
            case 1: return [.keywords(["holiday"])]
            case 2 where kw(1) == "holiday": return [.names(Holidays.names.map { Parser.quoted($0) })]
            case 3: return [.keywords(["within"])]
            default: return []
            }
        default:
            guard let spec = CommandCatalogue.spec(named: command) else { return [] }
            shape = spec.completion
        }

        switch shape {
        case .nothing:
            return []
        case .entityThenClauses(let clauses, let anyOrder, let orDeleted):
            if n == 1 {
                return [Completer.entityWords] + (orDeleted ? [.keywords(["deleted"])] : []) + (command == "find" ? [.keywords(["duplicates"])] : [])
            }
            if command == "find", kw(1) == "duplicates" { return duplicatesClauses(p) }
            // `find deleted ENTITY ...`, `count deleted ...`: the same clauses over the bin.
            let first = orDeleted && kw(1) == "deleted" && entity(1) == nil ? 2 : 1
            if n == first { return [Completer.entityWords] }
            guard let e = entity(first) else { return [] }
            return tail(p, from: first + 1, entity: e, clauses: clauses, anyOrder: anyOrder)
        case .fieldOfEntity(let numericOnly):
            let filter: FieldFilter = numericOnly ? .numeric : .ordered
            if n == 1 { return [.fields(nil, filter, exclude: [])] }
            if n == 2 { return p[1].kind == .word ? [.keywords(["of"])] : [] }
            guard kw(2) == "of" else { return [] }
            if n == 3 {
                let having = Entity.allCases.filter { e in
                    backend.schema(of: e).field(named: p[1].text).map { filter.accepts($0) } ?? false
                }
                return [.keywords((having.isEmpty ? Entity.allCases : having).map(\.rawValue))]
            }
            guard let e = entity(3) else { return [] }
            return tail(p, from: 4, entity: e, clauses: ["where", "by"])
        case .changeTarget(let afterTarget, let ledger):
            let entities = ledger ? Completer.entityWords : Completer.writableEntityWords
            if n == 1 { return [entities, .keywords(ledger ? ["all", "segment"] : ["all"])] }
            if ledger, kw(1) == "segment" { return n == 2 ? [segmentNames] : [] }
            if kw(1) == "all" {
                if n == 2 { return [entities] }
                guard let e = entity(2) else { return [] }
                return afterTarget.isEmpty ? [] : tail(p, from: 3, entity: e, clauses: afterTarget)
            }
            guard let e = entity(1) else { return [] }
            return tail(p, from: 2, entity: e, clauses: ["where"] + afterTarget)
        case .importFrom:
            if n == 1 { return [Completer.writableEntityWords] }
            guard let e = entity(1) else { return [] }
            if n == 2 { return [.keywords(["from"])] }
            guard kw(2) == "from" else { return [] }
            if n == 3 { return [.files(.data)] }
            return p[3].kind == .string ? importClauses(p, from: 4, entity: e) : []
        case .newRecord:
            if n == 1 { return [.keywords(Entity.allCases.map(\.singular))] }
            guard let e = entity(1) else { return [] }
            // `add points ID N "REASON"`: a customer, then the number and reason.
            if e == .points { return n == 2 ? [customerIDs] : [] }
            if case .more(let sources) = assignments(p, from: 2, entity: e, separator: ":", filter: .storable) { return sources }
            return []
        case .logEntry:
            if n == 1 { return [.keywords(["contact", "purchase", "survey"])] }
            switch kw(1) {
            case "contact":
                // In a campaign the customer is each targeted one: `log contact via sms "..."`.
                let via = inBlock ? 2 : 3
                if !inBlock, n == 2 { return [customerIDs] }
                if n == via { return [.keywords(["via"])] }
                if n == via + 1, kw(via) == "via" { return vocabulary("channel", of: .contacts) }
                return []
            case "purchase":
                if n == 2 { return [customerIDs] }
                if n == 3 { return [.keywords(["amount"])] }
                if n == 5, kw(3) == "amount" { return vocabulary("product", of: .purchases) }
                return []
            case "survey":
                if n == 2 { return [customerIDs] }
                if n == 3 { return [.keywords(["score"])] }
                if n >= 5, kw(n - 1) == "via" { return vocabulary("channel", of: .surveys) }
                if n >= 5, kw(n - 1) != "nps" { return [.keywords(["nps", "via"].filter { w in !p.dropFirst(4).contains { $0.keyword == w } })] }
                return []
            default:
                return []
            }
        case .ticket:
            if n == 1 { return [.keywords(["ticket"])] }
            guard kw(1) == "ticket" else { return [] }
            switch n {
            case 2: return [customerIDs]
            case 3: return vocabulary("kind", of: .tickets)
            case 4: return [.keywords(["via"])]
            default:
                switch kw(n - 1) {
                case "via": return vocabulary("channel", of: .tickets)
                case "priority": return vocabulary("priority", of: .tickets)
                case "owner": return []
                default: return n >= 5 ? [.keywords(["priority", "owner"])] : []
                }
            }
        case .ticketStep(let action):
            if n == 1 { return [.ids(.tickets, exclude: [])] }
            switch (action, n) {
            case (.reply, 2): return [.keywords(["via"])]
            case (.reply, 3): return kw(2) == "via" ? vocabulary("channel", of: .tickets) : []
            case (.assign, 2): return [.keywords(["to"])]
            case (.close, 2): return [.keywords(["satisfaction"])]
            default: return []
            }
        case .taskDone:
            if n == 1 { return [.ids(.tasks, exclude: [])] }
            if n == 2 { return [.keywords(["via"])] }
            return n == 3 && kw(2) == "via" ? vocabulary("channel", of: .contacts) : []
        case .showWhat:
            if n == 1 { return [.keywords(["customer", "ticket", "fields", "settings", "policy", "segments", "grants"])] }
            guard n == 2 else { return [] }
            switch kw(1) {
            case "customer", "customers": return [customerIDs]
            case "ticket", "tickets": return [.ids(.tickets, exclude: [])]
            case "fields", "schema": return [Completer.entityWords]
            case "policy": return [Completer.policyKeys]
            default: return []
            }
        case .saveSegment:
            if n == 1 { return [.keywords(["segment"])] }
            guard kw(1) == "segment", n > 2 else { return [] }
            let asAt = kw(3) == "replace" ? 4 : 3
            if n == 3 { return [.keywords(["replace", "as"])] }
            if n == asAt { return [.keywords(["as"])] }
            guard kw(asAt) == "as" else { return [] }
            if n == asAt + 1 { return [Completer.entityWords] }
            guard let e = entity(asAt + 1) else { return [] }
            return tail(p, from: asAt + 2, entity: e, clauses: ["where"])
        case .directoryAfterTo:
            if n == 1 { return [.keywords(["to"])] }
            if n == 3 && kw(1) == "to" { return [.keywords(["encrypted"])] }
            return n == 2 && kw(1) == "to" ? [.files(.directory)] : []
        case .wordThenOption(let words, let option):
            if n == 1 { return [.keywords(words)] }
            return n == 2 && kw(1).map({ words.contains($0.lowercased()) }) == true ? [.keywords([option])] : []
        case .helpTopic:
            return n == 1 ? [.keywords(Help.topicWords.filter { !$0.contains(" ") })] : []
        case .lesson:
            return n == 1 ? [.keywords(lessons() + ["report"])] : []
        case .setting:
            if n == 1 { return [.keywords(Completer.settingNames + ["policy"])] }
            if kw(1) == "policy" {
                if n == 2 { return [Completer.policyKeys] }
                return n == 3 ? [.keywords(["="])] : []
            }
            guard n == 2, let name = kw(1), let setting = SettingCatalogue.spec(named: name) else { return [] }
            return [.keywords(setting.values)]
        case .report:
            if n == 1 { return [.keywords(["kpi"])] }
            guard kw(1) == "kpi" else { return [] }
            switch kw(n - 1) {
            case "by":
                let textFields = backend.schema(of: .customers).fields.filter { $0.type == .string }.map(\.name)
                    + DerivedFields.of(.customers).filter { $0.type == .string }.map(\.name)
                return [.keywords(KPIReport.periods.map(\.rawValue)), .names(textFields.filter { $0 != "id" })]
            case "from", "to": return []
            default:
                let used = Set(p.compactMap(\.keyword))
                if used.contains("by") { return [] }
                if used.contains("from") && !used.contains("to") { return n >= 4 && kw(n - 2) == "from" ? [.keywords(["to"])] : [] }
                return [.keywords(used.contains("from") ? ["by"] : ["from", "by"])]
            }
        case .customerAfter(let words):
            guard n <= words.count + 1, (1..<n).allSatisfy({ kw($0) == words[$0 - 1] }) else { return [] }
            return n <= words.count ? [.keywords([words[n - 1]])] : [customerIDs]
        case .campaign:
            return n == 1 ? [.keywords(["history"])] : []
        case .anyRecordID:
            return n == 1 ? Entity.stored.map { .ids($0, exclude: []) } : []
        case .grant:
            if n == 1 { return [.names(grantedUsers(includingOSUser: true))] }
            return n == 2 ? [.keywords(Role.allCases.map(\.rawValue))] : []
        case .grantedUser:
            return n == 1 ? [.names(grantedUsers(includingOSUser: false))] : []
        case .binnedID:
            return n == 1 ? [.binnedIDs] : []
        case .customerIntoCustomer:
            switch n {
            case 1: return [customerIDs]
            case 2: return [.keywords(["into"])]
            case 3 where kw(2) == "into": return [Source.ids(.customers, exclude: [p[1].text.lowercased()])]
            case 4: return [.keywords(["--dry-run"])]
            default: return []
            }
        }
    }

    /// After `find duplicates`: `by` the kinds (then `limit`), or `limit`.
    private func duplicatesClauses(_ p: [Piece]) -> [Source] {
        let words = p.dropFirst(2).compactMap(\.keyword)
        if words.last == "by" || (words.contains("by") && p.last?.text == ",") {
            return [.keywords(DuplicateKind.allCases.map(\.rawValue).filter { !words.contains($0) })]
        }
        if words.last == "limit" { return [] }
        return [.keywords(["by", "limit"].filter { !words.contains($0) })]
    }

    /// The clauses after `import ENTITY from "FILE"`, each at most once and in any order, as
    /// Parser.parseImport reads them; `update by` only for customers (the others refuse it).
    private func importClauses(_ p: [Piece], from start: Int, entity e: Entity) -> [Source] {
        var used = Set<String>()
        var k = start
        while k < p.count {
            switch p[k].keyword {
            case "update":
                used.insert("update by")
                if k + 1 >= p.count { return [.keywords(["by"])] }
                guard p[k + 1].keyword == "by" else { return [] }
                if k + 2 >= p.count { return [.keywords(ImportKey.allCases.map(\.rawValue))] }
                guard p[k + 2].keyword.flatMap(ImportKey.init(rawValue:)) != nil else { return [] }
                k += 3
            case "map":
                used.insert("map")
                k += 1
                // `"COLUMN" to FIELD`, again after each comma; a column name is the file's, not ours to offer.
                while true {
                    guard k < p.count, p[k].kind == .string else { return [] }
                    if k + 1 >= p.count { return [.keywords(["to"])] }
                    guard p[k + 1].keyword == "to" else { return [] }
                    if k + 2 >= p.count { return [.fields(e, .storable, exclude: [])] }
                    k += 3
                    guard k < p.count, p[k].isSymbol(",") else { break }
                    k += 1
                }
            case "using":
                used.insert("using")
                if k + 1 >= p.count { return [.files(.any)] }
                guard p[k + 1].kind == .string else { return [] }
                k += 2
            case "--dry-run":
                used.insert("--dry-run")
                k += 1
            default:
                return []
            }
        }
        let clauses = (e == .customers ? ["update by"] : []) + ["map", "using", "--dry-run"]
        return [.keywords(clauses.filter { !used.contains($0) })]
    }

    /// The users with a grant (and the OS user at the keyboard), quoted when a name needs it.
    private func grantedUsers(includingOSUser: Bool) -> [String] {
        var users = Set(backend.grants.keys)
        if includingOSUser { users.insert(Settings.osUser) }
        return users.sorted().map { Completer.isBareWord($0) ? $0 : Parser.quoted($0) }
    }

    /// The values of a built-in field of another entity (channels, kinds, priorities, products).
    /// In a `send` line's message, after an unclosed `{`: the customer's fields (and the
    /// holiday's, and after `|` the formats), each candidate the whole message so far.
    private func templateFields(_ p: [Piece], _ partial: Partial) -> [String]? {
        guard p.first?.keyword == "send", p.count == 2, let quote = partial.quote,
              let open = partial.text.lastIndex(of: "{"), !partial.text[open...].contains("}") else { return nil }
        let before = String(quote) + partial.text[..<partial.text.index(after: open)]
        let typed = partial.text[partial.text.index(after: open)...]
        if let bar = typed.firstIndex(of: "|") {
            let prefix = typed[typed.index(after: bar)...].lowercased()
            return Template.Format.allCases.map(\.rawValue).filter { $0.hasPrefix(prefix) }.map { before + typed[...bar] + $0 + "}" }
        }
        let names = fieldNames(.customers, .all) + CampaignRunner.holidayFields
        return names.filter { $0.lowercased().hasPrefix(typed.lowercased()) }.sorted().map { before + $0 }
    }

    private func vocabulary(_ name: String, of e: Entity) -> [Source] {
        guard let f = backend.schema(of: e).field(named: name) else { return [] }
        return [.values(e, f, exclude: [])]
    }

    /// The clauses after `ENTITY`, each at most once: in the order given, or with
    /// `anyOrder` the first one first and the others in any order after it.
    private func tail(_ p: [Piece], from start: Int, entity e: Entity, clauses: [String], anyOrder: Bool = false) -> [Source] {
        var allowed = 0
        var used: Set<String> = []
        var k = start
        var extra: [Source] = []
        func shown(_ clause: String) -> String { clause == "sort" ? "sort by" : clause }
        func open() -> [String] { clauses[allowed...].filter { !used.contains($0) } }
        while true {
            if k >= p.count { return extra + [.keywords(open().map(shown))] }
            guard var word = p[k].keyword else { return [] }
            if word == "order" { word = "sort" }
            if word == "group", clauses.contains("by") {
                k += 1
                if k >= p.count { return [.keywords(["by"])] }
                guard p[k].keyword == "by" else { return [] }
                word = "by"
            }
            guard open().contains(word), let index = clauses.firstIndex(of: word) else { return [] }
            used.insert(word)
            allowed = anyOrder ? 1 : index + 1
            k += 1
            let step: Step
            switch word {
            case "where": step = condition(p, from: k, entity: e)
            case "sort": step = sort(p, from: k, entity: e)
            case "limit", "offset":
                step = k < p.count ? .next(k + 1, extra: []) : .more([])
            case "show": step = show(p, from: k, entity: e)
            case "by": step = groupKey(p, from: k, entity: e)
            case "set": step = assignments(p, from: k, entity: e, separator: "=", filter: .settable)
            case "to": step = k < p.count ? .next(k + 1, extra: []) : .more([.files(.any)])
            default: step = .fail
            }
            switch step {
            case .more(let sources): return sources
            case .fail: return []
            case .next(let j, let more):
                k = j
                extra = more
            }
        }
    }

    /// `FIELD` or `PERIOD(FIELD)` after `by`; inside the parentheses, date and instant fields.
    private func groupKey(_ p: [Piece], from k: Int, entity e: Entity) -> Step {
        if k >= p.count { return .more([.fields(e, .all, exclude: []), .keywords(Period.allCases.map(\.rawValue))]) }
        guard k + 1 < p.count, p[k + 1].isSymbol("(") else { return .next(k + 1, extra: []) }
        if k + 2 >= p.count { return .more([.fields(e, .temporal, exclude: [])]) }
        if k + 3 >= p.count { return .more([]) }
        return p[k + 3].isSymbol(")") ? .next(k + 4, extra: []) : .fail
    }

    private enum ValueUse { case equality, compare, text, within, betweenLow, betweenHigh }
    private enum ListUse { case member, has }

    private enum ConditionState {
        case operand, op, notIn, with, isNull(sawNot: Bool), hasNext, betweenAnd, done
        case value(ValueUse)
        /// After `any`, `no` or `count`: the record entity; then `(` or the rest.
        case relationEntity(counting: Bool)
        case relationAfterEntity(counting: Bool)
        /// After `count ENTITY(...)`: a comparison with a number.
        case relationCount
        case listOpen(ListUse)
        case listItem(ListUse)
        case listNext(ListUse)
    }

    private func condition(_ p: [Piece], from start: Int, entity outer: Entity) -> Step {
        // Inside a relation's parentheses (`any purchase(...)`), the inner entity's fields.
        var e = outer
        var schema = backend.schema(of: e)
        var relation: (entity: Entity, counting: Bool, depth: Int)?
        var state = ConditionState.operand
        var field: Field?
        var listed: Set<String> = []
        var depth = 0
        var k = start
        func isValue(_ t: Piece) -> Bool { t.kind != .symbol }
        /// A closing parenthesis: the end of a group, or of a relation's condition.
        func close() -> ConditionState {
            defer { depth -= 1 }
            guard let r = relation, r.depth == depth else { return .done }
            relation = nil
            e = outer
            schema = backend.schema(of: e)
            return r.counting ? .relationCount : .done
        }
        func isComparison(_ t: Piece) -> Bool { t.kind == .symbol && ["=", "!=", "<", "<=", ">", ">="].contains(t.text) }
        while k < p.count {
            let t = p[k]
            let w = t.keyword
            switch state {
            case .operand:
                if w == "not" { break }
                if e == .customers, relation == nil, let w, ["any", "no", "count"].contains(w),
                   k + 1 >= p.count || (p[k + 1].kind == .word && Entity(word: p[k + 1].text) != nil) {
                    state = .relationEntity(counting: w == "count")
                    break
                }
                if t.isSymbol("(") { depth += 1; break }
                guard t.kind == .word else { return .fail }
                field = schema.field(named: t.text) ?? DerivedFields.named(t.text, of: e).map { Field($0.name, $0.type) }
                state = .op
            case .op:
                // A boolean field may stand alone: `where vip and ...`.
                if field?.type == .boolean, w == "and" || w == "or" { state = .operand; break }
                if field?.type == .boolean, t.isSymbol(")"), depth > 0 { state = close(); break }
                if t.kind == .symbol {
                    switch t.text {
                    case "=", "!=": state = .value(.equality)
                    case "<", "<=", ">", ">=": state = .value(.compare)
                    default: return .fail
                    }
                    break
                }
                switch w {
                case "in": state = .listOpen(.member)
                case "not": state = .notIn
                case "between": state = .value(.betweenLow)
                case "contains", "like": state = .value(.text)
                case "starts", "ends": state = .with
                case "has": state = .hasNext
                case "is": state = .isNull(sawNot: false)
                case "within": state = .value(.within)
                default: return .fail
                }
            case .notIn:
                switch w {
                case "in": state = .listOpen(.member)
                case "between": state = .value(.betweenLow)
                case "contains", "like": state = .value(.text)
                case "starts", "ends": state = .with
                case "has": state = .hasNext
                default: return .fail
                }
            case .relationEntity(let counting):
                guard t.kind == .word, let inner = Entity(word: t.text), inner != .customers else { return .fail }
                relation = (inner, counting, depth + 1)
                state = .relationAfterEntity(counting: counting)
            case .relationAfterEntity(let counting):
                if t.isSymbol("("), let r = relation {
                    depth += 1
                    e = r.entity
                    schema = backend.schema(of: e)
                    state = .operand
                    break
                }
                relation = nil
                state = counting ? .relationCount : .done
                continue
            case .relationCount:
                guard isComparison(t) else { return .fail }
                field = Field("count", .integer)
                state = .value(.compare)
            case .with:
                guard w == "with" else { return .fail }
                state = .value(.text)
            case .isNull(let sawNot):
                if w == "not", !sawNot { state = .isNull(sawNot: true); break }
                guard w == "null" || w == "empty" || w == "missing" else { return .fail }
                state = .done
            case .hasNext:
                if w == "any" || w == "all" { state = .listOpen(.has); break }
                guard isValue(t) else { return .fail }
                state = .done
            case .value(let use):
                guard isValue(t) else { return .fail }
                state = use == .betweenLow ? .betweenAnd : .done
            case .betweenAnd:
                guard w == "and" else { return .fail }
                state = .value(.betweenHigh)
            case .listOpen(let use):
                guard t.isSymbol("(") else { return .fail }
                listed = []
                state = .listItem(use)
            case .listItem(let use):
                if t.isSymbol(")"), listed.isEmpty { state = .done; break }
                guard isValue(t) else { return .fail }
                listed.insert(t.text.lowercased())
                state = .listNext(use)
            case .listNext(let use):
                if t.isSymbol(",") { state = .listItem(use) } else if t.isSymbol(")") { state = .done } else { return .fail }
            case .done:
                if w == "and" || w == "or" { state = .operand; break }
                if t.isSymbol(")") {
                    guard depth > 0 else { return .fail }
                    state = close()
                    break
                }
                return depth == 0 ? .next(k, extra: []) : .fail
            }
            k += 1
        }

        switch state {
        case .operand:
            let relations = e == .customers && relation == nil ? ["any", "no", "count"] : []
            return .more([.fields(e, .all, exclude: []), .keywords(["not"] + relations)])
        case .relationEntity: return .more([.keywords(["contact", "purchase", "ticket"])])
        case .relationAfterEntity(let counting):
            if counting { return .more([]) }
            let joiners = Source.keywords(["and", "or"])
            return depth == 0 ? .next(p.count, extra: [joiners]) : .more([joiners])
        case .relationCount: return .more([])
        case .op:
            if let field, field.type.isTemporal, !Checker.allowsWithin(field, of: e) {
                return .more([.keywords(Completer.operators(for: field.type).filter { $0 != "within" })])
            }
            return .more([.operators(field?.type)])
        case .notIn:
            let negatable: [String]
            switch field?.type {
            case .string?: negatable = ["in", "between", "contains", "starts with", "ends with"]
            case .list?: negatable = ["has", "has any", "has all"]
            case nil: negatable = ["in", "between", "contains", "starts with", "ends with", "has"]
            default: negatable = ["in", "between"]
            }
            return .more([.keywords(negatable)])
        case .with: return .more([.keywords(["with"])])
        case .isNull(let sawNot): return .more([.keywords(sawNot ? ["null"] : ["null", "not null"])])
        case .betweenAnd: return .more([.keywords(["and"])])
        case .hasNext:
            guard let field, field.type == .list else { return .more([.keywords(["any", "all"])]) }
            return .more([.values(e, field, exclude: []), .keywords(["any", "all"])])
        case .value(let use):
            guard let field else { return .more([]) }
            switch (use, field.type) {
            case (.equality, .string): return .more(valueSources(e, field, exclude: []))
            case (.equality, .boolean): return .more([.keywords(["true", "false"])])
            case (.equality, .date), (.equality, .instant), (.compare, .date), (.compare, .instant),
                 (.betweenLow, .date), (.betweenLow, .instant), (.betweenHigh, .date), (.betweenHigh, .instant):
                return .more([.keywords(["today", "yesterday", "tomorrow"])])
            default: return .more([])
            }
        case .listOpen, .listNext: return .more([])
        case .listItem(let use):
            guard let field else { return .more([]) }
            switch (use, field.type) {
            case (.member, .string): return .more(valueSources(e, field, exclude: listed))
            case (.has, .list): return .more([.values(e, field, exclude: listed)])
            default: return .more([])
            }
        case .done:
            let joiners = Source.keywords(["and", "or"])
            return depth == 0 ? .next(p.count, extra: [joiners]) : .more([joiners])
        }
    }

    /// Ids for `id` and for the `customer` of contacts, purchases and tickets; else the
    /// field's values.
    private func valueSources(_ e: Entity, _ field: Field, exclude: Set<String>) -> [Source] {
        if !field.isCustom {
            if field.name == "id" { return [.ids(e, exclude: exclude)] }
            if field.name == "customer", e != .customers { return [.ids(.customers, exclude: exclude)] }
        }
        return [.values(e, field, exclude: exclude)]
    }

    private func sort(_ p: [Piece], from start: Int, entity e: Entity) -> Step {
        var k = start
        if k >= p.count { return .more([.keywords(["by"])]) }
        guard p[k].keyword == "by" else { return .fail }
        k += 1
        var used: Set<String> = []
        while true {
            if k >= p.count { return .more([.fields(e, .sortable, exclude: used)]) }
            guard p[k].kind == .word else { return .fail }
            used.insert(p[k].text.lowercased())
            k += 1
            if k >= p.count { return .next(k, extra: [.keywords(["asc", "desc"])]) }
            if let w = p[k].keyword, ["asc", "desc", "ascending", "descending"].contains(w) { k += 1 }
            if k < p.count, p[k].isSymbol(",") { k += 1; continue }
            return .next(k, extra: [])
        }
    }

    private func show(_ p: [Piece], from start: Int, entity e: Entity) -> Step {
        var k = start
        var used: Set<String> = []
        while true {
            if k >= p.count { return .more([.fields(e, .all, exclude: used)]) }
            if p[k].isSymbol("*") || p[k].keyword == "all" { return .next(k + 1, extra: []) }
            guard p[k].kind == .word else { return .fail }
            used.insert(p[k].text.lowercased())
            k += 1
            if k < p.count, p[k].isSymbol(",") { k += 1; continue }
            return .next(k, extra: [])
        }
    }

    /// `FIELD: VALUE, ...` in `add` and `FIELD = VALUE, ...` after `update ... set`.
    private func assignments(_ p: [Piece], from start: Int, entity e: Entity, separator: String, filter: FieldFilter) -> Step {
        let schema = backend.schema(of: e)
        var k = start
        var used: Set<String> = []
        while true {
            if k >= p.count { return .more([.fields(e, filter, exclude: used)]) }
            guard p[k].kind == .word else { return .fail }
            let field = schema.field(named: p[k].text)
            used.insert(p[k].text.lowercased())
            k += 1
            if k >= p.count { return .more([.keywords([separator])]) }
            guard p[k].isSymbol(":") || p[k].isSymbol("=") else { return .fail }
            k += 1
            if k >= p.count {
                guard let field else { return .more([]) }
                switch field.type {
                case .string, .list: return .more([.values(e, field, exclude: [])])
                case .boolean: return .more([.keywords(["true", "false"])])
                case .date, .instant: return .more([.keywords(["today", "yesterday", "tomorrow"])])
                default: return .more([])
                }
            }
            if p[k].isSymbol("(") {
                // A list: (vip, new)
                k += 1
                var listed: Set<String> = []
                while true {
                    if k >= p.count {
                        guard let field, field.type == .list else { return .more([]) }
                        return .more([.values(e, field, exclude: listed)])
                    }
                    if p[k].isSymbol(")") { k += 1; break }
                    guard p[k].kind != .symbol else { return .fail }
                    listed.insert(p[k].text.lowercased())
                    k += 1
                    if k >= p.count { return .more([]) }
                    if p[k].isSymbol(",") { k += 1 } else if !p[k].isSymbol(")") { return .fail }
                }
            } else {
                guard p[k].kind != .symbol else { return .fail }
                k += 1
            }
            if k >= p.count { return .more([]) }
            guard p[k].isSymbol(",") else { return .next(k, extra: []) }
            k += 1
        }
    }

    // MARK: Candidates

    private func candidates(from sources: [Source], for partial: Partial) -> [String] {
        let prefix = partial.text.lowercased()
        func matches(_ s: String) -> Bool { prefix.isEmpty || s.lowercased().hasPrefix(prefix) }
        var result = Set<String>()
        func addWords(_ words: [String]) {
            guard partial.quote == nil else { return }
            for w in words where matches(w) { result.insert(w) }
        }
        for source in sources {
            switch source {
            case .keywords(let words):
                addWords(words)
            case .names(let names):
                for name in names where matches(name) { result.insert(name) }
            case .fields(let e, let filter, let exclude):
                addWords(fieldNames(e, filter).filter { !exclude.contains($0.lowercased()) })
            case .operators(let type):
                addWords(Completer.operators(for: type))
            case .values(let e, let field, let exclude):
                for v in values(e, field) where !exclude.contains(v.lowercased()) && matches(v) {
                    result.insert(render(v, partial))
                }
            case .ids(let e, let exclude):
                for id in backend.ids(e, prefix: partial.text, limit: Completer.maxIDs) where !exclude.contains(id.lowercased()) {
                    result.insert(render(id, partial))
                }
            case .binnedIDs:
                for r in backend.binned(.idPrefix(partial.text, limit: Completer.maxIDs)) { result.insert(render(r.id, partial)) }
            case .files(let kind):
                let quote = partial.quote ?? "\""
                for path in fileNames(partial.text) where matches(path) {
                    let isDirectory = path.hasSuffix("/")
                    switch kind {
                    case .directory where !isDirectory: continue
                    case .data where !isDirectory:
                        let ext = Path.fileExtension(path).lowercased()
                        if !["jsonl", "json", "csv"].contains(ext) { continue }
                    default: break
                    }
                    let quoted = Completer.quoted(path, quote)
                    result.insert(isDirectory ? String(quoted.dropLast()) : quoted)
                }
            }
        }
        return result.sorted()
    }

    private func fieldNames(_ e: Entity?, _ filter: FieldFilter) -> [String] {
        var names: [String] = []
        var seen = Set<String>()
        for entity in e.map({ [$0] }) ?? Entity.allCases {
            for f in backend.schema(of: entity).fields where filter.accepts(f) && seen.insert(f.name.lowercased()).inserted {
                names.append(f.name)
            }
            // Derived fields read like stored ones but take no value.
            for d in DerivedFields.of(entity) where filter != .settable && filter != .storable && filter.accepts(Field(d.name, d.type)) && seen.insert(d.name.lowercased()).inserted {
                names.append(d.name)
            }
        }
        return names
    }

    static func operators(for type: FieldType?) -> [String] {
        let comparisons = ["=", "!=", "<", "<=", ">", ">="]
        let nulls = ["is null", "is not null"]
        let membership = ["in", "not in", "between", "not between"]
        let text = ["contains", "not contains", "starts with", "not starts with", "ends with", "not ends with"]
        let lists = ["has", "has any", "has all", "not has", "not has any", "not has all"]
        switch type {
        case .string: return comparisons + membership + text + nulls
        case .list: return lists + nulls
        case .integer, .number, .instant: return comparisons + membership + nulls
        case .date: return comparisons + membership + ["within"] + nulls
        case .boolean: return ["=", "!="] + nulls + ["and", "or"]
        case nil:
            return comparisons + membership + text + lists + ["within"] + nulls
        }
    }

    /// A value as it may be typed: bare when it reads back as the same word, else quoted
    /// (always quoted when the user began with a quote).
    private func render(_ value: String, _ partial: Partial) -> String {
        if let q = partial.quote { return Completer.quoted(value, q) }
        return Completer.isBareWord(value) ? value : Completer.quoted(value, "\"")
    }

    static func quoted(_ s: String, _ open: Character) -> String {
        let close: Character = open == "“" ? "”" : open
        var out = String(open)
        for c in s {
            if c == "\\" || c == close { out.append("\\") }
            out.append(c)
        }
        out.append(close)
        return out
    }

    /// Words the parser reads as something other than a plain word in a value's place.
    private static let reservedValueWords: Set<String> = ["today", "yesterday", "tomorrow", "null", "true", "false", "any", "all"]

    /// Whether the lexer reads `s` back as one bare word with the same text.
    static func isBareWord(_ s: String) -> Bool {
        let chars = Array(s)
        guard let first = chars.first, Lexer.isWordStart(first) else { return false }
        for i in 1..<chars.count {
            let c = chars[i]
            if Lexer.isWordPart(c) { continue }
            if c == "-", i + 1 < chars.count, Lexer.isWordPart(chars[i + 1]) { continue }
            return false
        }
        return !reservedValueWords.contains(s.lowercased())
    }

    // MARK: Values and ids from the store

    /// The closed vocabulary of a built-in field (tier, channel, ...), then the live
    /// values of a string or list field with few distinct values; case-insensitively
    /// distinct, the vocabulary's spelling first.
    func values(_ e: Entity, _ field: Field) -> [String] {
        if role == .trainee, Masking.isContactField(field.name) { return [] }
        var result: [String] = []
        var seen = Set<String>()
        if !field.isCustom, let vocabulary = Vocabulary.of(field.name, in: e) {
            for w in vocabulary.words where seen.insert(w.lowercased()).inserted { result.append(w) }
        }
        if let live = backend.distinctValues(e, field: field.name, limit: Completer.maxDistinctValues) {
            for v in live where seen.insert(v.lowercased()).inserted { result.append(v) }
        }
        return result
    }
}

extension Completer.FieldFilter {
    func accepts(_ f: Field) -> Bool {
        switch self {
        case .all: return true
        case .numeric: return f.type.isNumeric
        case .ordered: return f.type.isNumeric || f.type.isTemporal
        case .temporal: return f.type.isTemporal
        case .sortable: return f.type != .list
        case .settable: return f.name != "id" || f.isCustom
        case .storable: return true
        }
    }
}
