/// What Tab offers after a command's word: one shape per kind of command, read by the
/// completer. A new command whose clauses look like an existing one's reuses its shape.
public enum CompletionShape: Sendable, Equatable {
    /// Nothing after the word (save, check, the shell's own words).
    case nothing
    /// `ENTITY` then these clauses, each at most once: in this order, or with `anyOrder`
    /// the first (`where`) first and the others in any order after it. `orDeleted`: the
    /// entity may follow `deleted` (the bin: `find deleted customers`).
    case entityThenClauses([String], anyOrder: Bool = false, orDeleted: Bool = false)
    /// `FIELD of ENTITY [where] [by]`; numeric fields only, or anything ordered.
    case fieldOfEntity(numericOnly: Bool)
    /// `ENTITY where ...` or `all ENTITY`, then `afterTarget` (`set` for update). `ledger`:
    /// whether the points ledger is offered (delete removes entries; update may not write them).
    case changeTarget(afterTarget: [String], ledger: Bool)
    /// `ENTITY from "FILE"`, the points ledger not among them.
    case importFrom
    /// `ENTITY FIELD: VALUE, ...` with the singular entity names; `points ID` for the ledger.
    case newRecord
    /// `contact ID via CHANNEL` or `purchase ID amount N PRODUCT`.
    case logEntry
    /// `ticket ID KIND "TEXT" priority P`.
    case ticket
    /// A ticket id, then the step's clauses (`reply`, `assign`, `wait`, `resolve`, `close`, `reopen`).
    case ticketStep(TicketAction)
    /// A task id, then `via CHANNEL` (`done`).
    case taskDone
    /// `customer ID`, `fields ENTITY`, `settings`.
    case showWhat
    /// `to "DIR"`.
    case directoryAfterTo
    /// Nothing, or `segment NAME [replace] as ENTITY where COND` (`save`).
    case saveSegment
    /// A help topic.
    case helpTopic
    /// A lesson's name or `report` (`tutorial`).
    case lesson
    /// A setting's name, then its values.
    case setting
    /// One of `words`, then `option` (`recompute tiers --dry-run`).
    case wordThenOption([String], option: String)
    /// `kpi`, then `from DATE to DATE` and `by` a customer field or a period.
    case report
    /// These words in order, then a customer's id (`why churn ID`, `redeem ID`).
    case customerAfter([String])
    /// A customer's id, `into`, another customer's id (`merge`).
    case customerIntoCustomer
    /// `history` or a campaign's name; inside a block, its clause words.
    case campaign
    /// The id of a record of any entity (`audit ID`).
    case anyRecordID
    /// `USER ROLE`: a granted user (or the OS user), then a role (`grant`).
    case grant
    /// A granted user (`revoke`).
    case grantedUser
    /// The id of a record in the bin (`restore`).
    case binnedID
}

/// One command: everything the parser's dispatch, the completer, help and the role check
/// need to know of it. Its clauses are parsed by hand in `Parser`; `parseClauses` says which.
public struct CommandSpec: Sendable {
    /// The sections of help's overview, in order.
    public enum Task: String, CaseIterable, Sendable {
        case finding = "Finding customers"
        case lookingAtOne = "Looking at one customer"
        case changing = "Changing data"
        case files = "Files"
        case store = "The store"
        case settings = "Settings"
        case shell = "The shell"
    }

    public let word: String
    /// Other words that run the same command; never offered by Tab.
    public let aliases: [String]
    /// The command's form as help's overview shows it; nil when another entry's covers it.
    public let synopsis: String?
    public let task: Task
    /// The help page that explains it; `help WORD` leads there too.
    public let helpTopic: String
    /// The least role that may run it at all.
    public let leastRole: Role
    /// When the role needed depends on the clauses (`update` of one customer, `set now`),
    /// what help says about it.
    public let roleNote: String?
    let roleForCommand: (@Sendable (Command) -> Role)?
    /// Whether running it may change the store.
    public let changesData: Bool
    /// Handled by the interactive shell itself; elsewhere refused with a clear message.
    public let shellOnly: Bool
    let parseClauses: (@Sendable (inout Parser) throws -> Command)?
    public let completion: CompletionShape

    init(_ word: String, aliases: [String] = [], synopsis: String?, task: Task, help: String? = nil,
         role: Role, roleNote: String? = nil, roleFor: (@Sendable (Command) -> Role)? = nil,
         changesData: Bool = false, shellOnly: Bool = false, completion: CompletionShape,
         parse: (@Sendable (inout Parser) throws -> Command)?) {
        self.word = word
        self.aliases = aliases
        self.synopsis = synopsis
        self.task = task
        self.helpTopic = help ?? word
        self.leastRole = role
        self.roleNote = roleNote
        self.roleForCommand = roleFor
        self.changesData = changesData
        self.shellOnly = shellOnly
        self.completion = completion
        self.parseClauses = parse
    }

    /// The word and its aliases.
    public var words: [String] { [word] + aliases }

    /// The least role that may run this particular command (never below `leastRole`).
    public func leastRole(for command: Command) -> Role {
        max(leastRole, roleForCommand?(command) ?? leastRole, CommandCatalogue.entityRole(command))
    }
}

/// Every command Rapport knows, in the order help's overview shows them.
public enum CommandCatalogue {
    public static let all: [CommandSpec] = [
        CommandSpec("find", aliases: ["list"],
                    synopsis: "find ENTITY [where COND] [sort by FIELD [desc]] [limit N [offset M]] [show FIELD, ...]",
                    task: .finding, role: .trainee,
                    completion: .entityThenClauses(["where", "sort", "limit", "offset", "show"], anyOrder: true, orDeleted: true),
                    parse: { try $0.parseFindCommand() }),
        CommandSpec("count", synopsis: "count ENTITY [where COND] [by FIELD]", task: .finding, role: .trainee,
                    completion: .entityThenClauses(["where", "by"], orDeleted: true),
                    parse: { .aggregate(try $0.parseAggregate(.count)) }),
        CommandSpec("sum", synopsis: "sum|avg|min|max FIELD of ENTITY [where] [by]", task: .finding, help: "count",
                    role: .trainee, completion: .fieldOfEntity(numericOnly: true),
                    parse: { .aggregate(try $0.parseAggregate(.sum)) }),
        CommandSpec("avg", synopsis: nil, task: .finding, help: "count", role: .trainee,
                    completion: .fieldOfEntity(numericOnly: true),
                    parse: { .aggregate(try $0.parseAggregate(.avg)) }),
        CommandSpec("min", synopsis: nil, task: .finding, help: "count", role: .trainee,
                    completion: .fieldOfEntity(numericOnly: false),
                    parse: { .aggregate(try $0.parseAggregate(.min)) }),
        CommandSpec("max", synopsis: nil, task: .finding, help: "count", role: .trainee,
                    completion: .fieldOfEntity(numericOnly: false),
                    parse: { .aggregate(try $0.parseAggregate(.max)) }),
        CommandSpec("report", synopsis: "report kpi [from DATE to DATE] [by FIELD|month|quarter|week|year]",
                    task: .finding, role: .trainee, completion: .report, parse: { try $0.parseReport() }),
        CommandSpec("show", synopsis: "show customer ID: fields, latest contacts and purchases, open tickets; show fields",
                    task: .lookingAtOne, role: .trainee, completion: .showWhat,
                    parse: { try $0.parseShow() }),
        CommandSpec("why", synopsis: "why churn ID: the signals behind churnRisk    audit ID: a record's changes, oldest first",
                    task: .lookingAtOne, help: "value", role: .trainee, completion: .customerAfter(["churn"]),
                    parse: { try $0.parseWhy() }),
        CommandSpec("audit", synopsis: nil,
                    task: .lookingAtOne, role: auditRole, completion: .anyRecordID, parse: { try $0.parseAudit() }),
        CommandSpec("add", synopsis: "add ENTITY FIELD: VALUE, ...", task: .changing, role: .agent, changesData: true,
                    completion: .newRecord, parse: { try $0.parseAdd() }),
        CommandSpec("update", synopsis: "update ... set", task: .changing, role: .agent,
                    roleNote: "for one customer by id (where id = ID); manager for any other update",
                    roleFor: updateRole, changesData: true,
                    completion: .changeTarget(afterTarget: ["set"], ledger: false), parse: { try $0.parseUpdate() }),
        CommandSpec("delete", synopsis: "delete ... where", task: .changing, role: .admin, changesData: true,
                    completion: .changeTarget(afterTarget: [], ledger: true), parse: { try $0.parseDelete() }),
        CommandSpec("merge", synopsis: "merge ID into ID",
                    task: .changing, role: .admin, changesData: true,
                    completion: .customerIntoCustomer, parse: { try $0.parseMerge() }),
        CommandSpec("log", synopsis: "log contact, log purchase, log survey, done TASK", task: .changing, role: .agent, changesData: true,
                    completion: .logEntry, parse: { try $0.parseLog() }),
        CommandSpec("done", synopsis: nil, task: .changing, help: "tasks", role: .agent,
                    changesData: true, completion: .taskDone, parse: { try $0.parseDone() }),
        CommandSpec("open", synopsis: "open ticket, reply, assign, wait, resolve, close, reopen",
                    task: .changing, help: "tickets", role: .agent, changesData: true,
                    completion: .ticket, parse: { try $0.parseOpenTicket() }),
        CommandSpec("reply", synopsis: nil, task: .changing, help: "tickets", role: .agent, changesData: true,
                    completion: .ticketStep(.reply), parse: { try $0.parseTicketStep(.reply) }),
        CommandSpec("assign", synopsis: nil, task: .changing, help: "tickets", role: .agent, changesData: true,
                    completion: .ticketStep(.assign), parse: { try $0.parseTicketStep(.assign) }),
        CommandSpec("wait", synopsis: nil, task: .changing, help: "tickets", role: .agent, changesData: true,
                    completion: .ticketStep(.wait), parse: { try $0.parseTicketStep(.wait) }),
        CommandSpec("resolve", synopsis: nil, task: .changing, help: "tickets", role: .agent, changesData: true,
                    completion: .ticketStep(.resolve), parse: { try $0.parseTicketStep(.resolve) }),
        CommandSpec("close", synopsis: nil, task: .changing, help: "tickets", role: .agent, changesData: true,
                    completion: .ticketStep(.close), parse: { try $0.parseTicketStep(.close) }),
        CommandSpec("reopen", synopsis: nil, task: .changing, help: "tickets", role: .agent, changesData: true,
                    completion: .ticketStep(.reopen), parse: { try $0.parseTicketStep(.reopen) }),
        CommandSpec("recompute", synopsis: "recompute tiers|grades|stages [--dry-run]",
                    task: .changing, role: .manager, changesData: true,
                    completion: .wordThenOption(RecomputeTarget.allCases.map(\.rawValue), option: "--dry-run"),
                    parse: { try $0.parseRecompute() }),
        CommandSpec("redeem", synopsis: #"add points ID N "WHY"    redeem ID N "WHY""#,
                    task: .changing, help: "points", role: .agent, changesData: true,
                    completion: .customerAfter([]), parse: { try $0.parseRedeem() }),
        CommandSpec("campaign", synopsis: #"campaign "NAME" ... end    campaign history ["NAME"]    deliver via "COMMAND""#,
                    task: .changing, role: .agent,
                    roleNote: "for campaign history and a --dry-run; manager to run a block",
                    changesData: true, completion: .campaign, parse: { try $0.parseCampaign() }),
        CommandSpec("deliver", synopsis: nil,
                    task: .changing, role: campaignRunRole, changesData: true,
                    completion: .nothing, parse: { try $0.parseDeliver() }),
        CommandSpec("import", synopsis: #"import ENTITY from "FILE"    import store from "DIR""#, task: .files, role: .admin, changesData: true,
                    completion: .importFrom, parse: { try $0.parseImport() }),
        CommandSpec("export", synopsis: #"export ENTITY [where COND] to "FILE"    export store to "DIR""#, task: .files, role: .manager,
                    roleNote: "(export store: admin)", roleFor: exportRole,
                    completion: .entityThenClauses(["where", "to"]), parse: { try $0.parseExport() }),
        CommandSpec("backup", synopsis: #"backup to "DIR""#, task: .files, role: .admin,
                    completion: .directoryAfterTo, parse: { try $0.parseBackup() }),
        CommandSpec("save", aliases: ["checkpoint"], synopsis: "save: a snapshot now    check: the files    grant USER ROLE, revoke USER    restore ID, purge", task: .store, role: .manager,
                    completion: .saveSegment, parse: { try $0.parseSave() }),
        CommandSpec("grant", synopsis: nil,
                    task: .store, help: "roles", role: grantsRole, changesData: true,
                    completion: .grant, parse: { try $0.parseGrant() }),
        CommandSpec("revoke", synopsis: nil, task: .store, help: "roles", role: grantsRole, changesData: true,
                    completion: .grantedUser, parse: { try $0.parseRevoke() }),
        CommandSpec("init", synopsis: nil, task: .store, role: .admin,
                    changesData: true, completion: .nothing, parse: { _ in .initialize }),
        CommandSpec("check", synopsis: nil, task: .store, role: .trainee,
                    completion: .nothing, parse: { _ in .check }),
        // Deleted records wait in the bin until restored or purged (help bin).
        CommandSpec("restore", synopsis: nil, task: .store, help: "bin", role: .admin,
                    changesData: true, completion: .binnedID, parse: { try $0.parseRestore() }),
        CommandSpec("purge", synopsis: nil, task: .store, help: "bin", role: .admin, changesData: true,
                    completion: .wordThenOption(["older"], option: "than"), parse: { try $0.parsePurge() }),
        CommandSpec("set", synopsis: nil, task: .settings, help: "settings", role: .trainee,
                    roleNote: "(set now: \(SettingCatalogue.spec(named: "now")!.leastRole.rawValue); set policy: \(policyRole.rawValue))",
                    roleFor: settingRole, completion: .setting, parse: { try $0.parseSet() }),
        CommandSpec("let", synopsis: "let NAME = VALUE",
                    task: .settings, help: "scripts", role: .trainee, completion: .nothing, parse: { try $0.parseLet() }),
        CommandSpec("include", synopsis: #"include "FILE""#,
                    task: .settings, help: "scripts", role: .trainee, completion: .nothing, parse: { try $0.parseInclude() }),
        CommandSpec("tutorial", synopsis: "tutorial [NAME | \"FILE\" | report]", task: .shell, role: .trainee,
                    completion: .lesson, parse: { try $0.parseTutorial() }),
        CommandSpec("help", synopsis: "help [TOPIC]", task: .shell, role: .trainee,
                    completion: .helpTopic, parse: { try $0.parseHelp() }),
        CommandSpec("edit", synopsis: "edit opens $EDITOR", task: .shell, role: .trainee, shellOnly: true,
                    completion: .nothing, parse: nil),
        CommandSpec("history", synopsis: "history lists commands", task: .shell, role: .trainee, shellOnly: true,
                    completion: .nothing, parse: nil),
        CommandSpec("exit", aliases: ["quit"], synopsis: nil, task: .shell, help: "shell", role: .trainee,
                    shellOnly: true, completion: .nothing, parse: nil),
    ]

    /// The entry for a command word or alias, in any case.
    public static func spec(named word: String) -> CommandSpec? { byWord[word.lowercased()] }

    /// Every word and alias that runs a command outside the shell.
    public static var runnableWords: [String] { all.filter { !$0.shellOnly }.flatMap(\.words) }

    private static let byWord: [String: CommandSpec] = {
        var table: [String: CommandSpec] = [:]
        for spec in all {
            for word in spec.words {
                precondition(table[word] == nil, "'\(word)' names two commands")
                table[word] = spec
            }
        }
        return table
    }()

    /// `export store` carries every record, the audit trail's owner data included: an admin's, as `backup` is.
    private static func exportRole(_ command: Command) -> Role {
        if case .exportStore = command { return .admin }
        return .manager
    }

    /// Changing one customer named by id is an agent's daily work; anything wider, a manager's.
    private static func updateRole(_ command: Command) -> Role {
        guard case .update(let entity, let condition?, _) = command, entity.entity == .customers,
              case .compare(let field, .equal, let value) = condition, field.name.lowercased() == "id" else { return .manager }
        if case .list = value.kind { return .manager }
        return .agent
    }

    /// The audit trail holds every field's old values, deleted records' too: a manager's
    /// to read (docs/roles.md), whichever command names it.
    public static let auditRole = Role.manager

    /// The least role the entity a command names asks for, whatever the command.
    static func entityRole(_ command: Command) -> Role {
        let entity: Entity?
        switch command {
        case .find(let q): entity = q.entity.entity
        case .aggregate(let q): entity = q.entity.entity
        case .export(let e, _, _), .add(let e, _), .update(let e, _, _), .delete(let e, _), .importData(let e, _, _): entity = e.entity
        case .saveSegment(_, _, let e, _, _): entity = e.entity
        default: entity = nil
        }
        return entity == .audit ? auditRole : .trainee
    }

    /// Running a campaign that sends or changes data is a manager's (contract section 11);
    /// an agent may preview one with --dry-run, which the session checks when it runs.
    public static let campaignRunRole = Role.manager

    /// The store's business rules are the admin's (contract section 11).
    static let policyRole = Role.admin

    /// Who may take which role is the admin's (contract section 11).
    public static let grantsRole = Role.admin

    private static func settingRole(_ command: Command) -> Role {
        if case .setPolicy = command { return policyRole }
        guard case .setting(let name, _, _) = command, let spec = SettingCatalogue.spec(named: name) else { return .trainee }
        return spec.leastRole
    }
}
