/// The text of `help` and `help TOPIC`.
///
/// One convention holds every page together: a line indented by exactly two spaces is an
/// example, a command a reader can type as it stands; it runs on the demo store
/// (`rapport --demo --now 2026-11-01`), and the end-to-end tests run every one of them.
/// Prose starts at column 0; syntax tables and quoted output are indented by four or more.
public enum Help {
    /// The groups of the topic list at the end of `help`. Each label is a topic too: its page
    /// is the topic of that name, or else a list of the group's pages with their summaries.
    public enum Group: String, CaseIterable, Sendable {
        case commands, operators, more
    }

    /// One page of help: its name, the other words that lead to it, and its text.
    public struct Topic: Sendable {
        public let name: String
        /// The words under which the topic list shows this page, by group; each leads here.
        public let listed: [Group: [String]]
        /// One line on the page of its group (`help commands`, `help more`).
        public let summary: String
        public let aliases: [String]
        public let body: String

        public init(name: String, listed: [Group: [String]], summary: String, aliases: [String], body: String) {
            self.name = name
            self.listed = listed
            self.summary = summary
            self.aliases = aliases
            self.body = body
        }

        /// The example commands on this page, in order.
        public var examples: [String] { Help.examples(in: body) }
    }

    /// The commands of a page's text: lines indented by exactly two spaces.
    public static func examples(in text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line in
            guard line.hasPrefix("  "), let third = line.dropFirst(2).first, !third.isWhitespace else { return nil }
            return String(line.dropFirst(2))
        }
    }

    /// `help`: the catalogue's commands by task, then the topic list.
    public static let overview: String = {
        var lines = [
            "Rapport keeps customers with their contacts, purchases and tickets. Commands by task:",
            "(lines indented by two spaces are commands to try; they run as shown on rapport --demo)",
            "",
        ]
        for task in CommandSpec.Task.allCases {
            lines.append(task.rawValue)
            var forms = CommandCatalogue.all.filter { $0.task == task }.compactMap(\.synopsis)
            if task == .settings { forms += SettingCatalogue.all.map { "set \($0.name) \($0.valueSyntax)" } + ["show settings", "show policy", "set policy KEY = VALUE"] }
            lines += packed(forms, indent: 4, width: 96)
            lines += overviewNotes[task] ?? []
        }
        return lines.joined(separator: "\n") + "\n\n" + topicList
    }()

    /// What the overview says of a task besides the commands' forms: examples and the shell's keys.
    private static let overviewNotes: [CommandSpec.Task: [String]] = [
        .finding: ["  find customers where tier = gold and lastContact > 90d", "  count customers by city"],
        .lookingAtOne: ["  show customer C000001"],
        .changing: [#"  log contact C000001 via phone "quarterly revisit""#],
        .shell: ["    Tab completes; Up/Down history; Ctrl-C drops the line; Ctrl-D leaves; an open ( continues"],
    ]

    /// Items on as few lines as fit `width`, four spaces apart.
    private static func packed(_ items: [String], indent: Int, width: Int) -> [String] {
        let margin = String(repeating: " ", count: indent)
        var lines: [String] = []
        var line = ""
        for item in items {
            if !line.isEmpty, margin.count + line.count + 4 + item.count > width {
                lines.append(margin + line)
                line = ""
            }
            line += (line.isEmpty ? "" : "    ") + item
        }
        if !line.isEmpty { lines.append(margin + line) }
        return lines
    }

    /// The names that `help TOPIC` knows, grouped as the overview lists them. Built from the
    /// topics' own `listed` words, so every word shown leads to a page.
    public static let topicList: String = {
        var lines = ["Topics: help TOPIC"]
        for group in Group.allCases {
            var line = "    " + group.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
            let indent = String(repeating: " ", count: line.count)
            var lineIsEmpty = true
            for word in listedWords(in: group) {
                // As wide as the commands' forms above (`packed`, 96).
                if line.count + word.count + 1 > 96, !lineIsEmpty {
                    lines.append(line)
                    line = indent
                    lineIsEmpty = true
                }
                line += (lineIsEmpty ? "" : " ") + word
                lineIsEmpty = false
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }()

    /// The words the topic list shows in `group`, in the order of `topics`.
    public static func listedWords(in group: Group) -> [String] {
        topics.flatMap { $0.listed[group] ?? [] }
    }

    /// The page of a group label that has no topic of its own: its pages, one line each.
    private static func groupPage(_ group: Group) -> Topic {
        let heading = switch group {
        case .commands: "The commands, one page each (help WORD). help operators and help more list the rest."
        case .operators: "The operators of a condition, one page each (help WORD)."
        case .more: "Subjects beyond single commands, one page each (help WORD)."
        }
        var lines = [heading]
        for topic in topics {
            guard let words = topic.listed[group] else { continue }
            let label = words.joined(separator: " ")
            lines.append("    " + label.padding(toLength: max(24, label.count + 2), withPad: " ", startingAt: 0) + topic.summary)
        }
        lines += ["", "  help \(group == .commands ? "find" : "dates")"]
        return Topic(name: group.rawValue, listed: [:], summary: heading, aliases: [], body: lines.joined(separator: "\n"))
    }

    /// Every page: the topics, then a page for each group label no topic is named after.
    public static let pages: [Topic] = {
        let named = Set(topics.flatMap { [$0.name] + $0.aliases })
        return topics + Group.allCases.filter { !named.contains($0.rawValue) }.map(groupPage)
    }()

    /// The pages, with each command's word listed under commands on its catalogue topic
    /// and its least role at the end.
    public static let topics: [Topic] = writtenTopics.map { topic in
        let specs = CommandCatalogue.all.filter { $0.helpTopic == topic.name }
        let listedElsewhere = Set(writtenTopics.flatMap { $0.listed.values.flatMap { $0 } })
        var listed = topic.listed
        let words = specs.map(\.word).filter { !listedElsewhere.contains($0) }
        if !words.isEmpty { listed[.commands] = words }
        var body = topic.body
        if let role = roleLine(specs) { body += "\n\n" + role }
        return Topic(name: topic.name, listed: listed, summary: topic.summary, aliases: topic.aliases, body: body)
    }

    /// "Least role: agent", from the catalogue; nil for a page of no command or of the shell's own.
    static func roleLine(_ specs: [CommandSpec]) -> String? {
        let specs = specs.filter { !$0.shellOnly }
        guard let first = specs.first else { return nil }
        if specs.allSatisfy({ $0.leastRole == first.leastRole }) {
            let notes = specs.compactMap(\.roleNote)
            return "Least role: \(first.leastRole.rawValue)" + (notes.isEmpty ? "" : " " + notes.joined(separator: "; ")) + " (help roles)."
        }
        return "Least roles: " + specs.map { "\($0.word) \($0.leastRole.rawValue)" }.joined(separator: ", ") + " (help roles)."
    }

    private static let writtenTopics: [Topic] = [
        Topic(name: "find", listed: [:],
              summary: "list the records that match a condition: sorted, limited, chosen fields",
              aliases: ["list", "sort", "order", "limit", "offset", "sort by"], body: """
        find ENTITY [where COND] [sort by FIELD [asc|desc], ...] [limit N [offset M]] [show FIELD, ...]
        Lists the customers, contacts, purchases or tickets (singular works too) that match COND;
        see help operators. Rows come in sort order, then by id; missing values sort last.
        Without show, customers show id, name, tier, city, lastContact; show * gives every field.

        Gold customers not contacted for more than 90 days:
          find customers where tier = gold and lastContact > 90d
        The ten biggest spenders in Shanghai or Beijing, then the next ten:
          find customers where city in (上海, 北京) sort by totalSpent desc limit 10 show name, totalSpent
          find customers where city in (上海, 北京) sort by totalSpent desc limit 10 offset 10
        Urgent tickets still open, one customer's purchases, every field of one customer:
          find tickets where status = open and priority = urgent
          find purchases where customer = C000001 sort by date desc
          find customers where id = C000005 show *
        """),
        Topic(name: "count", listed: [:],
              summary: "count records, or total, average, least, most of a field; by F groups",
              aliases: ["sum", "avg", "min", "max", "aggregate", "aggregates", "by", "group by"], body: """
        count ENTITY [where COND] [by FIELD]
        sum|avg|min|max FIELD of ENTITY [where COND] [by FIELD]
        Without by: one row (count, sum(FIELD), ...). With by: one row per value of FIELD, ordered
        by that value, the group of missing values last. Missing values are skipped, as in SQL;
        count customers by tags counts a customer once for each of their tags. by month(DATE) and
        quarter, year, week, weekday group dates by period (help periods).

          count customers where stage = at-risk
          count customers by tier
          sum totalSpent of customers by city
          avg satisfaction of customers where tier = platinum
          min birthday of customers
          max amount of purchases by product
          count tickets where status = open by priority
        """),
        Topic(name: "show", listed: [:],
              summary: "a customer's card (show customer ID), show fields, show settings",
              aliases: ["show customer", "profile", "card"], body: """
        show customer ID        a customer's card: fields, latest contacts and purchases, open tickets
        show fields [ENTITY]    every field with its type, custom fields included (help fields)
        show settings           the session's settings (help settings)

          show customer C000001
          show fields customers
          show settings
        """),
        Topic(name: "add", listed: [:],
              summary: "add one record, a customer for instance",
              aliases: ["insert", "new"], body: """
        add ENTITY FIELD: VALUE, ...
        Adds one record. Without an id a customer gets the next free one (C005001 on the demo
        store); createdAt defaults to today. tier, grade and stage take their fixed words, in any
        case (help fields). A list is written in parentheses.
        To record a contact, a purchase or a ticket, use log and open (help log, help open): they
        keep the customer's lastContact, totalSpent, points and so on in step.

          add customer name: "王芳", tier: gold, city: 上海, birthday: 1990-02-14
          add customer id: "C9", name: "Anna Schmidt", email: "anna@example.com", tags: (vip, newsletter)
          show customer C9
        """),
        Topic(name: "update", listed: [:],
              summary: "change fields of the matching records",
              aliases: ["change"], body: """
        update ENTITY where COND set FIELD = VALUE, ...
        update all ENTITY set FIELD = VALUE, ...
        Changes the matching records and says how many changed ("updated 3 customers").
        To change every record, say all: without where or all it is refused. null clears a
        field; a list is written in parentheses; ids cannot change. Try it first with
        set dry-run on (help settings).

          update customers where id = C000002 set tier = silver, owner = 李娜
          update customers where city = 苏州 and stage = at-risk set owner = 陈静
          update customers where id = C000011 set tags = (vip, 团购), email = null
          update tickets where id = T000024 set status = closed
        """),
        Topic(name: "delete", listed: [:],
              summary: "delete the matching records; a customer's own records go too",
              aliases: ["remove"], body: """
        delete ENTITY where COND
        delete all ENTITY
        Moves the matching records to the bin and says how many went. Deleting a customer takes
        their contacts, purchases, tickets, surveys, tasks, points and messages along ("deleted
        2 customers and 5 related records"). Until purged they can be restored (help bin).
        To delete every record, say all: without where or all it is refused.
        See first what would go, with a dry run:

          set dry-run on
          delete customers where stage = lost and lastContact > 2y
          set dry-run off
          delete customers where id = C000011
        """),
        Topic(name: "bin", listed: [:],
              summary: "deleted records: find deleted, restore ID, purge [older than D]",
              aliases: ["deleted", "find deleted", "undelete", "trash"], body: """
        find deleted ENTITY [where COND] ...     the records in the bin, queried like live ones
        count deleted ENTITY [where COND] [by F]
        restore ID                               a deleted record back, with what went along
        purge [older than D]                     empties the bin for good (all, or deleted over D ago)
        delete moves records to the bin, each with deletedAt (the session's clock), deletedBy
        (the user) and deletedIn (the change's number, as in the audit log). restore brings a
        customer back with the records deleted along with it, and the customer's lastContact,
        totalSpent, points and the like follow again. It is refused while another record has
        the id or, for a contact or purchase, while its customer is still in the bin. An id in
        the bin cannot be taken by add or import: restore or purge it first. Each restore and
        purge is one change, journalled and audited; --dry-run shows what would change.
        (A whole store comes back from a copy: help backup.)

          delete customers where id = C000009
          find deleted customers show id, name, deletedAt, deletedBy
          count deleted contacts where customer = C000009
          restore C000009
          purge older than 90d
        """),
        Topic(name: "log", listed: [:],
              summary: "log a contact or a purchase; the customer's fields follow",
              aliases: ["log contact", "log purchase"], body: """
        log contact ID via phone|visit|email|sms|wechat ["NOTE"]
        log purchase ID amount N ["PRODUCT"]
        A contact sets the customer's lastContact to today (via call means phone). A purchase,
        rounded to cents, adds to totalSpent and purchaseCount, earns points (help points),
        sets lastPurchase and makes the customer active.

          log contact C000001 via phone "quarterly revisit"
          log contact C000002 via wechat
          log purchase C000001 amount 1200 "茶具套装"
          show customer C000001
        """),
        Topic(name: "recompute", listed: [:],
              summary: "set every customer's tier, grade or stage by the policy; list who moved",
              aliases: ["tiers", "grades", "stages", "lostReason"], body: """
        recompute tiers|grades|stages [--dry-run]
        Applies one rule to every customer and lists each one that moves (id, name, field,
        from, to), then a summary line. --dry-run (or set dry-run on) lists the same and
        changes nothing. The thresholds are the store's policy (tier.*, grade.*, stage.*).
        tiers: the highest tier whose 12-month spend and purchase count are both reached,
        else bronze (12 months: the 365 days up to today). A purchase raises a tier at once;
        only recompute lowers one.
        grades: A, B, C by the policy's shares of the customers ranked by 12-month spend
        (equal spend, equal grade); the rest, and those without spend, D.
        stages: prospect (never bought), active, at-risk (no purchase for stage.atRisk), lost
        (for stage.lost). A customer becoming lost gets lostReason fault after a complaint,
        else natural, unless one is set; leaving lost clears it.

          recompute tiers --dry-run
          recompute stages
          count customers by tier
        """),
        Topic(name: "tickets", listed: [:],
              summary: "open a ticket and work it through to closed",
              aliases: ["ticket", "open ticket", "show ticket", "timeline", "service"] + DerivedFields.of(.tickets).map(\.name), body: """
        open ticket ID KIND [via CHANNEL] "TEXT" [priority P] [owner NAME]
        reply TICKET [via CHANNEL] "TEXT"      first reply: status responded
        assign TICKET to NAME
        wait TICKET "WHY"                      waiting on the customer: status pending
        resolve TICKET "TEXT"
        close TICKET [satisfaction 1..5] ["NOTE"]   a complaint needs the score
        reopen TICKET "WHY"                    back to open
        show ticket TICKET                     the ticket, its targets and its timeline
        KIND is inquiry, complaint or suggestion; P low, normal (default), high or urgent; the
        owner is the customer's unless given. Each command adds a step to the timeline (find
        events): when, who, kind, channel, status after it, text. respondBy = openedAt + the
        policy's response.CHANNEL; resolveBy = openedAt + resolution.PRIORITY, plus the time
        the ticket spent pending, or resolved before a reopen. overdue: not resolved and now is
        past a target not met; sla: met, due or breached (a breach stays one even if met late).

          open ticket C000001 complaint via phone "快递太慢了" priority high
          find tickets where overdue sort by resolveBy limit 5
          count tickets where openedAt <= 30d by sla
        """),
        Topic(name: "surveys", listed: [:],
              summary: "log a satisfaction survey; the latest is the customer's satisfaction",
              aliases: ["survey", "log survey", "satisfaction", "nps"], body: """
        log survey ID score 1..5 [nps 0..10] [via CHANNEL] ["COMMENT"]
        A survey (find surveys): id, customer, date (today), score, nps, channel, comment. The
        score of the customer's latest survey (by date; the same day: the one logged last) is
        its satisfaction, kept so by every change: logging, add, update, delete and import of
        surveys alike. close TICKET satisfaction N leaves a survey too. A latest survey lower
        than the one before, within churn.fallingWithin, is the falling satisfaction signal of
        churnRisk (why churn ID).

          log survey C000001 score 4 nps 8 via phone "满意"
          find surveys where customer = C000001 sort by date desc
          find customers where any survey(score >= 4) limit 5
          avg score of surveys by channel
        """),
        Topic(name: "audit", listed: [.more: ["audit"]],
              summary: "who changed what and when: audit ID, find audit",
              aliases: ["audit trail", "history of a record", "changes"], body: """
        audit ID        one record's changes, oldest first: when, who, what, before and after
        Every change is kept in the audit trail, a record's whole history: deleted and merged records
        too (the id as recorded), policy keys (audit KEY, in quotes) and saved segments (audit NAME).
        The entity audit holds it, one row per field a change changed, queried like any other:
        seq, at, user, role, command, entity, record, field, before, after. An insert has a row per
        stored field (before empty), a delete a row per field (after empty); before and after are
        text, as show prints the value (instants in UTC). It cannot be changed. Read on the first
        query that names it; a store with a long history takes a moment then (help roles: manager).

          log contact C000001 via phone "回访"
          audit C000001
          find audit where entity = customers and at <= 7d sort by seq desc limit 10
          count audit by user
          count audit where entity = contacts by field
        """),
        Topic(name: "tasks", listed: [:],
              summary: "a person's to-do list: add a task, mark it done",
              aliases: ["task", "done", "to-do", "todo", "add task"], body: """
        add task customer: ID, owner: NAME, text: "TEXT", due: DATE    status open
        done TASK [via CHANNEL] ["NOTE"]
        A task (find tasks): id, customer, owner, text, due, status (open or done), doneAt.
        done sets status done and doneAt now; a task done already is refused. With via CHANNEL
        it also logs the contact with the task's customer (the note, or the task's text), so
        lastContact moves; the note is added to the task's text.

          add task customer: C000001, owner: 李娜, text: "回访：新品试用", due: today
          find tasks where owner = 李娜 and due <= today and status = open
          done A0000002 via phone "客户满意"
          find tasks where status = done and customer.name is not null
        """),
        Topic(name: "points", listed: [.more: ["points"]],
              summary: "the loyalty points ledger: earn, redeem, expire",
              aliases: ["add points", "loyalty", "ledger"], body: """
        add points ID N "REASON"        N points earned (a whole number above 0)
        redeem ID N "REASON"            N points spent; refused when the balance is short
        Every change of a customer's points is an entry of the points ledger (find points): id,
        customer, date, change (+ earned, - redeemed), reason, expiresAt. A purchase earns
        floor(amount x points.perUnit) by itself, and changing or deleting it changes its entry.
        Earned points expire points.expiry after their date (policy, default 365d): on the
        expiresAt day they no longer count. A redemption spends the oldest valid points first.
        The customer's points field is the balance as of today, so --now shows it on any day;
        it cannot be set. The ledger is written only by these commands and purchases.

          add points C000001 100 "birthday gift"
          redeem C000001 50 "coupon"
          find points where customer = C000001 sort by date desc limit 5
          sum change of points by month(date)
        """),
        Topic(name: "deliver", listed: [:],
              summary: "hand the campaigns' messages to the program that sends them",
              aliases: ["delivery", "sent", "failed"], body: """
        deliver via "COMMAND" [--dry-run]
        Hands each message that is pending or failed, and whose time has come, to COMMAND (run by
        /bin/sh -c, so ./send-sms.sh or a pipeline), in id order: one JSON object on its standard
        input, the message's outbox line (id, campaign, customer, channel, to, text, at, status).
        Exit 0 marks it sent (sentAt); anything else, or no exit within policy delivery.timeout,
        marks it failed (attempts, lastError: the exit status and the first line of its standard
        error), and the next deliver tries it again. A message stamped later (quiet hours) waits.
        The command's standard output is not shown. One line sums up:
            delivered 12, failed 1, waiting 3 (the first at 2026-03-02T08:00:00+08:00)
        and any failure exits 1. Each outcome is saved before the next message is handed over; a
        crash between the command's exit and that save hands the message over again next time
        (at least once: a command that must never send twice can skip ids it has seen).
        --dry-run lists what would be handed over; count messages by status shows where things
        stand. Needs manager. For instance:
          deliver via "cat >> sent.jsonl" --dry-run
        """),
        Topic(name: "import", listed: [:],
              summary: "read a JSON Lines, JSON or CSV file, all or nothing",
              aliases: ["load", "csv file", "jsonl file"], body: """
        import ENTITY from "FILE"
        Reads JSON Lines (.jsonl), a JSON array (.json) or CSV with a header row (.csv), told by
        the extension, with the field names as keys. All or nothing: a bad row (a wrong value, an
        id already in the store) rejects the file with its line number, and nothing is stored.
        Unknown keys become custom fields, typed from their values (show fields lists them). In
        CSV, list items are separated by ';'.
        Clauses after the file, in any order:
        update by email|phone|id   a row matching a customer (email and phone in their normal
                                   form) updates it with its non-empty values; the rest are added
        map "COLUMN" to FIELD, ... a column named otherwise than the field it fills
        using "MAPFILE"            the same from a file, with value aliases: lines such as
                                   "Level" to tier    and    tier "Gold Member" to gold
        --dry-run                  lists what would be added, updated and refused; changes nothing
        An email that is not an address or a phone without digits is stored, and listed as a
        warning by line; so are rows sharing a phone or email with another customer.
        A whole store comes from export store: import store from "DIR" (help export).
        A round trip on the demo store (the delete moves them and their records to the bin, and an
        id in the bin is not taken again until purge empties it: help bin):

          export customers where city = 苏州 to "suzhou.csv"
          delete customers where city = 苏州
          purge
          import customers from "suzhou.csv"
          count customers where city = 苏州
        """),
        Topic(name: "export", listed: [:],
              summary: "write the matching records to a JSON Lines, JSON or CSV file",
              aliases: ["write", "export store", "import store", "move store"], body: """
        export ENTITY [where COND] to "FILE"
        Writes every field of the matching records as JSON Lines, a JSON array or CSV, by the
        file's extension (.jsonl, .json, .csv). import reads the same formats back. The file is
        replaced whole, never left half-written, and only you can read it.

          export customers where tier = gold to "gold.jsonl"
          export customers where tags has vip to "vip.csv"
          export tickets where status = open to "open-tickets.json"

        export store to "DIR"  (admin)
        Writes the whole store into DIR, a new or empty directory: one JSON Lines file per entity,
        the policy, and manifest.json with each file's record count and SHA-256 and the highest
        id numbers. import store from "DIR" (admin) fills an empty store (a new --data directory,
        or a database just made with init) from it, all or nothing, after checking every count
        and checksum: a damaged or unfinished DIR is refused. It moves a store between a
        directory and PostgreSQL (--db) either way: rapport --db URL -c init, then
        import store from "DIR" there. Not carried: the audit trail, saved segments, grants
        and the bin.

          export store to "moving"
        """),
        Topic(name: "backup", listed: [:],
              summary: "write a consistent copy of the store into a new directory",
              aliases: ["copy", "restore backup", "encrypted", "encryption", "encrypt"], body: """
        backup to "DIR" [encrypted]
        Writes a consistent copy of the store (a snapshot, and the audit trail so far) into DIR, a
        new or empty directory. rapport --data DIR opens the copy; rapport --check --data DIR
        verifies it.
        With encrypted, every file of the copy is encrypted (AES-256-GCM) with the key in the
        file that the environment variable RAPPORT_KEY_FILE names; the key is never typed in a
        command. The way back: RAPPORT_KEY_FILE=KEYFILE rapport --data NEWDIR --restore-from DIR
        decrypts and verifies the copy into NEWDIR. A whole store can be kept encrypted too:
        RAPPORT_KEY_FILE=KEYFILE rapport --data NEWDIR --encrypt makes one. See docs/encryption.md.

          backup to "rapport-backup"
        """),
        Topic(name: "check", listed: [:],
              summary: "verify the store's files; rapport --recover repairs them",
              aliases: ["verify", "recover", "fsck"], body: """
        check
        Verifies the store's files: checksums, the order of changes, a readable snapshot. It
        changes nothing. The demo store lives in memory, so there it has nothing to check.
        From outside: rapport --check [--data DIR] exits 1 on damage, and rapport --recover
        rebuilds a damaged store from its intact parts.

          check
        """),
        Topic(name: "init", listed: [:],
              summary: "create (or bring up to date) a PostgreSQL database's Rapport schema",
              aliases: ["postgres", "postgresql"], body: """
        init
        Creates Rapport's tables in the PostgreSQL database that rapport --db URL (or
        RAPPORT_DB) opened, or brings an older schema up to date. Running it again changes
        nothing. A store directory (--data) needs no init: it is made when first opened.
        See docs/postgres.md.
        """),
        Topic(name: "save", listed: [:],
              summary: "write a snapshot now, so the next start is quicker",
              aliases: ["checkpoint", "snapshot"], body: """
        save
        Writes a snapshot of the whole store now, so the next start reads it instead of replaying
        the journal. It is never needed to keep your work: every change is on disk when its
        command returns.

          save
        """),
        Topic(name: "scripts", listed: [:],
              summary: "script files: let, include, parameters, errors that name the file",
              aliases: ["script", "let", "include", "param", "--param", "parameters"], body: """
        let NAME = VALUE            $NAME stands for VALUE in the commands after it
        include "FILE"              runs FILE's commands here (FILE relative to this script)
        A script is one command per line; parentheses and campaign ... end blocks span lines,
        # starts a comment. VALUE is one word, number, date, duration or text in quotes, read as
        --param reads its value. A let is a default: rapport care.rapport --param window=14d
        wins over let window = 7d. Lets last to the end of the input they are in (a script with
        what it includes, one -c, standard input, the shell session). An included file shares
        the lets and parameters; a cycle of includes or a missing file is an error naming them.
        Errors name the file: error: unknown field 'lastcontct' at care.rapport:3:22.

          let window = 90d
          count customers where lastContact > $window
        """),
        Topic(name: "segments", listed: [.more: ["segments"]],
              summary: "saved conditions: save segment, in segment, show and delete segment",
              aliases: ["segment", "save segment", "show segments", "delete segment", "in segment"], body: """
        save segment NAME [replace] as ENTITY where COND    keeps COND under NAME
        ... in segment NAME                                 a condition: the segment's, checked now
        show segments                                       name, entity, condition, who, when
        delete segment NAME
        A segment keeps its condition, not its members: each use finds the records that match
        today. in segment NAME may stand wherever a condition may, with and, or and not, and
        right after the entity: find customers in segment "lapsing gold" and city = 上海.
        Saving a name that exists with another condition is refused unless replace is given;
        saving the same condition again changes nothing, so a script may save its segments on
        every run. Names ignore case. A segment whose condition no longer checks (a custom field
        gone) is an error naming the segment. Kept in the store, journalled and audited.

          save segment "lapsing gold" as customers where tier = gold and lastContact > 90d
          find customers in segment "lapsing gold" limit 5
          count customers in segment "lapsing gold" by city
          find customers where in segment "lapsing gold" and not city = 上海 limit 5
          show segments
          delete segment "lapsing gold"

        Least roles: show segments trainee, save segment manager, delete segment admin (help roles).
        """),
        Topic(name: "settings", listed: [.more: ["settings"]],
              summary: "set " + SettingCatalogue.all.map(\.name).joined(separator: ", ") + "; show settings",
              aliases: ["set", "setting", "options"] + SettingCatalogue.acceptedNames + ["show settings"], body: """
        set NAME VALUE changes a setting for this session; show settings lists them.
        \(settingLines)
        The time zone, user and role come from --timezone, --user and --role.
        The store's business rules (targets, points, tiers, churn) are its policy: help policy.

          set dry-run on
          update customers where stage = lost set owner = 张伟
          set dry-run off
          set timer on
          set now 2026-11-01
          set format csv
          show settings
          set format table
        """),
        Topic(name: "policy", listed: [.more: ["policy"]],
              summary: "the store's business rules: targets, revisits, points, tiers, churn",
              aliases: ["show policy", "set policy", "rules", "business rules"] + PolicyCatalogue.all.map(\.name), body: """
        show policy [PREFIX]        every rule with its value, default and meaning (those under PREFIX)
        set policy KEY = VALUE      changes one rule for everyone using this store
        The policy holds the numbers the business may tune: first response and resolution targets,
        revisit intervals, points, lifetime value, tier thresholds, grade shares, stages and churn
        signals. A change is checked (the key exists, the value is of its kind and in its range),
        journalled and audited like any change, and --dry-run shows it without making it.
        Durations take s, min, h, d, w, mo (30 days) or y (365 days); percentages 20 for 20 %.
        Every key, its default and what reads it: docs/policy.md.

          show policy
          show policy resolution
          set policy resolution.urgent = 12h
          set policy ltv.discountRate = 0.08

        Least roles: show policy trainee, set policy \(CommandCatalogue.policyRole.rawValue) (help roles).
        """),
        Topic(name: "report", listed: [:],
              summary: "key measures over a period: new and lost customers, churn, repeat buyers",
              aliases: ["kpi", "report kpi", "kpis"], body: """
        report kpi [from DATE to DATE] [by FIELD|month|quarter|week|year]
        The period is from DATE to DATE, both days included (store's time zone); without it,
        the 30 days ending today. The measures, each defined in docs/reports.md:
            newCustomers     customers created in the period
            lostCustomers    customers whose last purchase turned stage.lost old in the period
            churnRate        lost / customers active on the first day (bought within stage.lost), %
            repeatRate       buyers with 2+ purchases in the period among all its buyers, %
            avgSatisfaction  mean satisfaction of the period's buyers who have a rating
            ticketsOpened    tickets opened in the period
            targetsMet       of the period's tickets with a target met or breached, the share met (sla)
        by a text field of customers (tier, city, stage, ...): one row per value. by month,
        quarter, week or year: one row per period, and in a table a sparkline per measure.
        A rate with nobody to count is empty (null), never 0%. Tables print 12.5%; csv and json
        give the number 12.5.

          report kpi
          report kpi from 2026-01-01 to 2026-06-30 by month
          report kpi from 2026-01-01 to 2026-12-31 by tier
        """),
        Topic(name: "formats", listed: [.more: ["formats"]],
              summary: "how results print: table, csv, json, jsonl, chart",
              aliases: ["format", "output", "table", "csv", "json", "jsonl", "chart", "bar chart"], body: """
        Results print as a table (the default), csv, json, jsonl or chart: --format F, or set format F.
            table   aligned columns (Chinese characters take two cells), then (N rows)
            csv     RFC 4180: a header row, then one row per result; list items joined by ';'
            json    one array of objects
            jsonl   one object per line
            chart   a grouped count or sum (by F, by month(F)) as horizontal bars with a scale,
                    as wide as COLUMNS (else 80); any other result prints as the table does
        Dates print as YYYY-MM-DD, numbers without thousands separators, missing values as an
        empty CSV cell or JSON null. In csv and json modes, notes such as "updated 3 customers" go
        to standard error, so standard output stays parseable. export goes by the file's extension.

          set format csv
          find customers where city = 杭州 and tier = platinum show id, name, tags
          set format jsonl
          count customers by stage
          set format chart
          count customers by tier
          set format table
        """),
        Topic(name: "derived", listed: [.more: ["derived"]],
              summary: "read-only fields computed from the records and today",
              aliases: ["derived fields", "computed"] + DerivedFields.of(.customers).map(\.name).filter { $0 != "points" }, body: """
        Derived fields are computed from the records and today each time they are read, so they
        are right after every change and on every --now. They are queried, sorted, grouped and
        shown like stored fields, but never stored: set, add and import refuse their names.
        \(DerivedFields.all.map { "    \($0.entity.singular) \($0.name) (\($0.type.rawValue))\n        \($0.rule)" }.joined(separator: "\n"))
        show fields lists them as derived; show * and show NAME show them.

          find customers where daysSinceContact > 90 sort by daysSinceContact desc limit 5
          count customers by openTickets
          avg daysSinceContact of customers by tier
          find customers where contactCount = 0 show id, name, contactCount
        """),
        Topic(name: "value", listed: [.more: ["value"]],
              summary: "customer value: RFM, lifetime value, churn risk, why churn",
              aliases: ["rfm segments", "lifetime value", "churn"], body: """
        Derived customer fields (help derived), computed from the purchases, the policy and today.
        Only purchases dated up to today count; --now moves every one of them.
        ltv: the spend s of the last 365 days (today included) valued over the policy's horizon:
            ltv = sum for i = 1..ltv.horizon of ltv.margin x s / (1 + ltv.discountRate)^i
            (defaults 1.0, 0.10, 5 years: 3.79 x s); 0 without such spend.
        rfm: three digits, recency (last purchase date), frequency (number of purchases) and
            monetary (total spend), each 1-5 by quintile among the customers with a purchase,
            5 best. Equal values score the same (the quintile of their middle rank).
            Null for a customer who never bought.
        rfmSegment: the cell of the R and F scores:
            R\\F  1            2            3            4          5
            5    new          potential    potential    champions  champions
            4    new          potential    potential    loyal      loyal
            3    hibernating  hibernating  hibernating  loyal      loyal
            2    hibernating  hibernating  at risk      at risk    can't lose
            1    lost         lost         at risk      at risk    can't lose
        churnRisk: low, medium or high from the sum of the weights of these signals
        (policy churn.weight.*), medium from churn.medium, high from churn.high:
            lapse            purchases on 2 days or more, none for more than churn.gapFactor
                             times the customer's mean gap between purchases
            one-time buyer   purchases on one day only, more than churn.oneTimeAfter ago
            low satisfaction satisfaction at or below churn.lowSatisfaction
            complaint        a complaint not closed, or opened within churn.complaintWithin
            overdue revisit  today is after nextContactDue
        nextContactDue: last contact (or createdAt) + the grade's revisit interval, or the last
        purchase + revisit.afterPurchase when that purchase came after the last contact,
        whichever is earlier.
        why churn ID lists a customer's signals with their evidence and weight.

          count customers by rfmSegment
          find customers where churnRisk = high sort by ltv desc limit 10 show id, name, rfm, ltv, churnRisk
          why churn C000042
          avg ltv of customers by tier
          find customers where rfmSegment = "can't lose" sort by ltv desc limit 5 show id, name, rfm, ltv
          count customers where nextContactDue < today
        """),
        Topic(name: "relations", listed: [.more: ["relations"]],
              summary: "test a customer's records, or a record's customer",
              aliases: ["relation", "any", "no", "customer."], body: """
        In a condition on customers, test the customer's contacts, purchases or tickets:
            any ENTITY(COND)          at least one record matches (any ENTITY: has any)
            no ENTITY(COND)           none matches; a customer with no records has none
            count ENTITY(COND) OP N   how many match, compared with a whole number
        The entity may be singular or plural; COND is checked against its fields, and a
        relation cannot stand inside another. count ENTITY(COND) = 0 is no ENTITY(COND).
        In a condition on contacts, purchases or tickets, customer.FIELD reads the record's
        customer with any operator its type allows; a record whose customer is missing or
        unknown reads every customer field as missing.

          count customers where any purchase(product = 丝巾 and date <= 1y)
          find customers where no ticket(status != closed) and tier = gold limit 5
          find customers where count contact(date <= 90d) >= 3 show id, name, contactCount
          find tickets where customer.tier = gold and status = open limit 5
          count purchases where customer.daysSinceContact > 180
        """),
        Topic(name: "help", listed: [:],
              summary: "the commands by task; help TOPIC for one page",
              aliases: ["topics"], body: """
        help            the commands, by task, and the list of topics
        help TOPIC      a command, an operator, or: dates fields formats settings shell errors
        help commands   every command, one line each; help operators and help more: the rest
        Lines indented by two spaces are commands to type as they stand: they run on the demo
        store (rapport --demo). A misspelt topic or command gets the nearest one.

          help find
          help within
        """),
        Topic(name: "edit", listed: [:],
              summary: "open the last command in $EDITOR and run what you save (shell)",
              aliases: ["editor"], body: """
        edit
        In the interactive shell: opens the last command in $VISUAL or $EDITOR (else vi), or an
        empty file when there is none; what you save and quit with runs, one command a line.
        Handy for long queries over several lines. Scripts and -c have nothing to edit.
        """),
        Topic(name: "history", listed: [:],
              summary: "list the commands typed before (shell)",
              aliases: ["ctrl-r", "up"], body: """
        history
        In the interactive shell: history lists the last 20 commands (history 50: the last 50).
        Up and Down walk through them, Ctrl-R searches them. The latest 1000 are kept in
        $XDG_STATE_HOME/rapport/history (by default ~/.local/state/rapport/history), readable
        by you only; a command typed with a leading space is not kept, a repeat is kept once.
        """),
        Topic(name: "shell", listed: [.more: ["shell"]],
              summary: "the interactive shell: keys, history, start-up file, pager; scripts",
              aliases: ["interactive", "keys", "keyboard", "tab", "completion", "rc", "startup",
                                       "start-up", "multi-line", "multiline", "ctrl-c", "ctrl-d", "quit",
                                       "no_color"], body: """
        rapport with no -c and no script, on a terminal, starts the interactive shell.
            keys        Left/Right, Home/End (Ctrl-A/Ctrl-E) move; Up/Down and
                        Ctrl-R recall history, Tab completes commands, entities, fields and values
            Ctrl-C      drops the line being typed, or stops a long result or import; Ctrl-D
                        on an empty line (or exit, quit) leaves
            multi-line  a line with an open ( goes on to the next, at a ...> prompt
            history     $XDG_STATE_HOME/rapport/history (~/.local/state/rapport/history); a
                        command typed after a space is not kept; history lists it
            start-up    $XDG_CONFIG_HOME/rapport/rc (~/.config/rapport/rc) runs before the first
                        prompt, say set format csv; --no-rc skips it
            edit        opens the last command in $EDITOR and runs what you save
            pager       long results go through $PAGER, else less -RFX; set pager off
            colour      headers and errors, at a terminal; NO_COLOR=1 or set colour off turns it off
        Scripts: rapport FILE, rapport -f FILE, or - for standard input; one command a line, # starts
        a comment line, the first line may be #!/usr/bin/env rapport; --bail stops at an error.
        """),
        Topic(name: "errors", listed: [.more: ["errors", "exit"]],
              summary: "what an error message shows; exit statuses 0, 1 and 2",
              aliases: ["exit", "error", "exit codes", "exit status", "status codes", "bail"], body: """
        Errors go to standard error, results to standard output. A parse error names the line and
        column, shows the command with a caret under the fault, and suggests the nearest word:
            error: unknown field 'lastcontct' at 1:22
              find customers where lastcontct > 90d
                                   ^^^^^^^^^^
              did you mean 'lastContact'?
        Exit status of rapport -c, -f and scripts, over all their commands:
            0   every command succeeded
            1   a command failed at run time (no such customer, a file that cannot be read)
            2   a usage or parse error (an unknown word, a bad option); 2 wins over 1
        A script goes on after an error unless --bail stops it there.
        """),
        Topic(name: "tutorial", listed: [.more: ["tutorial"]],
              summary: "guided lessons on a sandbox of demo data, with checks and hints",
              aliases: ["tutorials", "lesson", "lessons", "training", "train", "learn"], body: """
        tutorial                  lists the lessons: new, in progress (step n of m) or done (date)
        tutorial NAME             starts a lesson, or resumes it where you left it (Tab completes NAME)
        tutorial "FILE"           runs a lesson file a trainer wrote (docs/training.md)
        tutorial report           who finished which lesson, when; attempts and hints per step
        A lesson runs on a sandbox: a fresh demo store of its own size on its own pinned date.
        Nothing you type in a lesson reaches your store. Each step teaches, then asks for a query,
        a change or an error; every line you type runs on the sandbox and is checked by its result
        (any query that gives the right rows passes). A line starting with ✓ passed, ✗ says what
        differs: too many rows and one that should not be there, too few and one missing, the
        record and field a change got wrong (the change is then undone).
        Inside a lesson the prompt says where you are (lesson first-queries 2/6>): hint shows the
        step's hints in turn, skip moves on, back goes a step back, quit leaves (progress is kept),
        Enter moves past a reading step.
        Progress: $XDG_STATE_HOME/rapport/training.json; with RAPPORT_TRAINING_DIR (a team
        directory), also there as USER.json, so a trainer's tutorial report lists every trainee
        (a manager or admin sees everyone, anyone else themself). Lessons never write the store.
        Piped input works the same: printf 'tutorial first-queries\n\n...' | rapport --demo -
        New here? Start with tutorial first-queries.
        Examples:
          tutorial
          tutorial report
        """),
        Topic(name: "roles", listed: [.more: ["roles"]],
              summary: "trainee, agent, manager, admin: who may run which command",
              aliases: ["role", "permissions"], body: rolesBody),
        Topic(name: "dates", listed: [.more: ["dates"]],
              summary: "dates, durations, today, ages in days, ticket times",
              aliases: ["date", "duration", "durations", "today", "yesterday", "tomorrow", "time",
                                       "times", "timezone", "age", "days"], body: """
        Dates: 2026-11-01, today, yesterday, tomorrow. Durations: 90d, 36h, 2w, 3mo (30 days), 1y
        (365 days); fractions work (1.5d). Today is the clock's day in the store's time zone
        (--timezone); --now or set now pins it.
        A date compared with a duration compares its age in days (> 90d: more than 90 days ago):
          find customers where lastContact > 90d
          find customers where lastContact <= 30d and tier = gold
        A date compared with a date compares the days:
          find customers where createdAt >= 2026-10-01
          find purchases where date = yesterday
          find customers where lastPurchase between 2026-01-01 and 2026-03-31
        Birthdays: within D holds when the next yearly recurrence is today or at most D ahead
        (help within):
          find customers where birthday within 7d show id, name, birthday
        Ticket times: openedAt = 2026-10-15 is every ticket opened that day in the store's time
        zone; openedAt > 24h, opened more than 24 hours ago:
          find tickets where openedAt > 24h and status = open
        """),
        Topic(name: "periods", listed: [.more: ["periods"]],
              summary: "group counts and totals by month, quarter, year, ISO week or weekday",
              aliases: ["period", "month", "quarter", "year", "week", "weekday"], body: """
        count ENTITY [where COND] by PERIOD(FIELD)
        sum|avg|min|max FIELD of ENTITY [where COND] by PERIOD(FIELD)
        PERIOD is month (2026-11), quarter (2026-Q4), year (2026), week (ISO 8601: weeks start on
        Monday and belong to the year of their Thursday, so 2027-01-01 is in 2026-W53) or weekday
        (Mon..Sun). FIELD is a date or a ticket time; times count in the store's time zone.
        The groups come in time order, weekdays Monday first, the group of missing dates last.
          count purchases by month(date)
          sum amount of purchases where date <= 1y by quarter(date)
          count tickets by weekday(openedAt)
          count tickets where status = open by week(openedAt)
          avg satisfaction of customers by year(createdAt)
        """),
        Topic(name: "expressions", listed: [.more: ["expressions"]],
              summary: "arithmetic and field against field, in where, sort by, show and set",
              aliases: ["expression", "arithmetic", "math", "compute", "field against field"], body: """
        Either side of a comparison may be a field or an expression: + - * / on numbers,
        DATE - DATE in days, DATE + DURATION and DATE - DURATION (mo 30 days, y 365). A bare word
        is a field where the entity has one (city = owner), else text (tier = gold); a quoted value
        is always a value. A missing operand makes the whole expression missing; x / 0 is missing.
        Expressions also work in sort by, in show (the column is named as written) and in
        update ... set, where each record's value is computed from the record itself.
          find customers where totalSpent / purchaseCount > 5000 show id, totalSpent / purchaseCount limit 5
          find customers where lastContact - createdAt > 1000 show id, lastContact - createdAt limit 5
          count customers where lastContact = lastPurchase
          find customers where birthday + 30y > today show id, name, birthday limit 5
          find customers sort by totalSpent / purchaseCount desc limit 3 show id, totalSpent, purchaseCount
          set dry-run on
          update customers where id = C000001 set satisfaction = 5 - 1
        """),
        Topic(name: "fields", listed: [.more: ["fields"]],
              summary: "the fields of every entity, with their types and fixed words",
              aliases: ["field", "schema", "show fields", "types", "custom fields"],
              body: fieldsBody),

        // Operators.
        Topic(name: "operators", listed: [:],
              summary: "every operator of a condition on one page",
              aliases: ["operator", "where", "conditions", "condition", "cond"], body: """
        Conditions follow where: FIELD OP VALUE, joined by and, or, not and parentheses.
            =  !=  <  <=  >  >=                  comparison; = and != ignore case on text (help =)
            in (a, b)  not in (a, b)             membership (help in)
            between A and B   not between ...    inclusive range, or outside it (help between)
            contains, starts with, ends with     text tests, ignoring case; each takes not:
                                                 not contains, not starts with ... (help contains)
            has V, has any (...), has all (...)  list fields such as tags; not has ... (help has)
            is null, is not null                 missing or present (help null)
            within 7d                            the next yearly recurrence is that close (help within)
            FIELD alone                          a true/false field is true: where vip, where not vip
            and, or, not, ( )                    and binds tighter than or (help and)
        Either side of a comparison may be an expression: + - * / on numbers (* / first,
        parentheses group), DATE - DATE in days, DATE + 30d and DATE - 1y are dates. A bare
        word that is a field of the entity is that field (city = owner); a missing operand or
        x / 0 is missing, so the comparison is false. sort by and show take expressions too.
        An operator's own not (x not between 1 and 5) never matches a missing value, as in SQL;
        not (x between 1 and 5) does (help and).
        Values: numbers, "strings" or bare words (gold, 上海, C000001), dates and durations (help dates).

          find customers where tags has vip and not (stage = lost) and city in (上海, 杭州)
          find customers where totalSpent / purchaseCount > 1000 sort by points - 100 desc limit 5
          find tickets where closedAt - openedAt > 2 show id, closedAt - openedAt limit 5
        """),
        Topic(name: "=", listed: [.operators: ["="]],
              summary: "comparison: = != < <= > >=",
              aliases: ["!=", "<", "<=", ">", ">=", "<>", "==", "comparison", "compare", "equals",
                                   "equal", "less", "greater"], body: """
        FIELD = VALUE   FIELD != VALUE   FIELD < VALUE   FIELD <= VALUE   FIELD > VALUE   FIELD >= VALUE
        On text, = and != ignore case; <, <=, >, >= compare by code point, case kept. Numbers
        compare with numbers, dates with dates or durations (help dates). A missing field never
        compares true: stage != lost leaves out customers with no stage (help null); and write
        x is null, not x = null.

          find customers where tier = GOLD and city != 上海 limit 5
          find customers where totalSpent >= 20000 sort by totalSpent desc
          find customers where satisfaction < 3 and tier = platinum
          find purchases where amount > 10000
        """),
        Topic(name: "in", listed: [.operators: ["in"]],
              summary: "membership: in (a, b), not in (a, b)",
              aliases: ["not in", "membership", "member"], body: """
        FIELD in (V, ...)     FIELD not in (V, ...)
        True when the field equals one of the values; text ignores case. Like !=, not in leaves out
        records where the field is missing.

          find customers where city in (上海, 北京, 深圳) and tier = platinum
          find customers where stage not in (lost, prospect) and tier = bronze limit 10
          count tickets where priority in (high, urgent) by status
        """),
        Topic(name: "between", listed: [.operators: ["between"]],
              summary: "an inclusive range: between A and B",
              aliases: ["range", "not between"], body: """
        FIELD between A and B     FIELD not between A and B
        Inclusive: A <= FIELD <= B, on numbers, dates and text (text by code point). not between
        is the outside of the range; a missing field matches neither.

          find customers where totalSpent between 5000 and 8000 limit 10
          find customers where points not between 100 and 5000 limit 10
          find customers where birthday between 1990-01-01 and 1999-12-31 and tier = gold
          count purchases where date between 2026-10-01 and 2026-10-31
        """),
        Topic(name: "contains", listed: [.operators: ["contains", "starts"]],
              summary: "text tests: contains, starts with, ends with",
              aliases: ["starts", "starts with", "ends", "ends with", "like", "substring", "text",
                        "search", "not contains", "not starts with", "not ends with"], body: """
        FIELD contains V     FIELD starts with V     FIELD ends with V
        Substring tests on text, ignoring case. For lists such as tags, use has (help has).
        Each takes not (name not contains 芳); a missing field matches neither way.

          find customers where name contains 芳
          find customers where name starts with 欧阳
          find customers where email ends with "@example.com" and tier = platinum
          find tickets where text contains 快递
          find contacts where note contains revisit limit 5
          find customers where email not ends with "@example.com" limit 5
        """),
        Topic(name: "has", listed: [.operators: ["has"]],
              summary: "list fields such as tags: has, has any, has all",
              aliases: ["has any", "has all", "tags", "lists", "not has"], body: """
        FIELD has V     FIELD has any (V, ...)     FIELD has all (V, ...)     FIELD not has ...
        Tests on list fields such as tags, ignoring case. A customer without tags matches none of
        them, with or without not: find those with tags is null.

          find customers where tags has vip
          find customers where tags has any (投诉过, 生日关怀) and stage = active
          find customers where tags has all (vip, referral)
          find customers where tags not has vip limit 10
          count customers by tags
        """),
        Topic(name: "null", listed: [.operators: ["null"]],
              summary: "missing or present: is null, is not null",
              aliases: ["is", "is null", "is not null", "not null", "missing", "empty", "nulls"], body: """
        FIELD is null     FIELD is not null
        A field may be missing: no email, no city, never contacted. A comparison with a missing
        field is false, so only is null finds it; a list with no items counts as missing.

          find customers where city is null
          count customers where email is null and phone is not null
          find customers where tags is null and stage = active limit 10
          find tickets where closedAt is null and priority = urgent
        """),
        Topic(name: "within", listed: [.operators: ["within"]],
              summary: "yearly dates such as birthdays: the next one at most D ahead",
              aliases: ["birthday", "birthdays", "anniversary", "recurrence"], body: """
        FIELD within D
        For yearly dates (birthday, createdAt, and custom date fields): true when the next
        recurrence of the day and month is today or at most D ahead. A 29 February date recurs
        on 28 February in other years. Past events (lastContact, a purchase's date) refuse it:
        for "in the last 30 days" write lastContact <= 30d.

          find customers where birthday within 7d show id, name, birthday, phone
          find customers where birthday within 7d and stage != lost
          count customers where createdAt within 30d and stage = active
        """),
        Topic(name: "and", listed: [.operators: ["and", "or", "not"]],
              summary: "and, or, not and parentheses",
              aliases: ["or", "not", "and/or/not", "logic", "(", ")", "parentheses", "precedence"], body: """
        COND and COND     COND or COND     not COND     ( COND )
        and binds tighter than or: a or b and c means a or (b and c); parentheses say otherwise.
        Logic is two-valued: not C holds exactly where C does not, so not (stage = lost) includes
        customers with no stage, while stage != lost does not.

          find customers where (tier = gold or tier = platinum) and lastContact > 180d
          find customers where tags has vip and not (stage = active)
          count customers where city = 上海 or city = 北京 and tier = platinum
        """),

        Topic(name: "campaign", listed: [.more: ["campaign"]],
              summary: "care campaigns: a block in a script, safe to run again and again",
              aliases: ["campaigns", "outbox", "messages", "touchpoints", "runs", "campaign history"], body: """
        A campaign is a block in a script (or one -c), checked whole before anything runs:
            campaign "birthday greetings"
              target customers where birthday within 7d and stage != lost
              every 365d
              send sms "生日快乐，{name|first}！您有 {points|number} 积分。"
              log contact via sms "birthday greeting"
            end
        One page per clause: help target, help every, help when, help send.
        target customers where COND    who (target all customers: everyone; target segment "NAME")
        every D                        skip a customer this campaign touched less than D ago;
                                       without every, a customer is touched once, ever
        when holiday "NAME" within D   run only from D before the holiday to the holiday itself
        send sms|email|phone|wechat|preferred "TEMPLATE"   one message per customer: messages and
                                       a line in the store's outbox/YYYY-MM-DD.jsonl
        log contact via CHANNEL "NOTE"    add points N "REASON"    open ticket KIND "TEXT" [priority P]
        assign to NAME|owner "TASK" [due D]   a task; owner is the customer's own owner
        set FIELD = VALUE, ...         as update would
        Templates: {field}, {lastPurchase|date}, {points|number} (1,234), {name|first} (the given name
        of a Latin name, the whole name of a Chinese one); {{ and }} are braces; a missing value is
        empty; an unknown field is an error before anything is sent.
        A customer the send cannot reach (opted out, no address) or over the weekly cap is skipped.
        Each run prints one line: NAME: targeted N, skipped N (REASON: N, ...), sent N.
        --dry-run (or set dry-run on) lists the messages it would write and changes nothing.
        Running a block takes manager; an agent may run it with --dry-run. Every run is recorded:
          campaign history
        and its messages are records like any other: count messages by campaign.
        """),
        Topic(name: "target", listed: [:],
              summary: "a campaign's target line: who the block is for",
              aliases: ["target segment", "target customers"], body: """
        target customers where COND   any condition find customers takes, derived fields included
        target all customers          everyone
        target segment "NAME"         the saved segment's members (save segment), found again at
                                      every run; an unknown name is an error before anything runs
        A block has one target line. Worked example (save it as thanks.rapport and run
        rapport --demo --now 2026-03-01T10:00 --dry-run thanks.rapport):
            campaign "thank platinum"
              target customers where tier = platinum and lastContact > 90d
              send preferred "{name|first}, thank you for being with us."
            end
        The same with a segment; test the condition first:
          count customers where tier = platinum and lastContact > 90d
        """),
        Topic(name: "every", listed: [:],
              summary: "a campaign's every line: how often a customer may be touched",
              aliases: ["every D"], body: """
        every D   skip a customer this campaign touched (a message, or a touchpoint when the block
                  sends nothing) less than D ago; D as in conditions: 365d, 4w, 12h.
        Without every, a campaign touches a customer once, ever: running it twice is safe.
        Worked example (rapport --demo --now 2026-03-01T10:00 --dry-run checkin.rapport):
            campaign "quarterly check-in"
              target customers where tier = gold
              every 90d
              send sms "{name|first}, how are we doing?"
            end
        The summary counts the skipped: touched within 90d: N. Past runs:
          campaign history
        """),
        Topic(name: "when", listed: [:],
              summary: "a campaign's when holiday line: runs only around a holiday",
              aliases: ["when holiday", "holiday", "holidays"], body: """
        when holiday "NAME" within D   the block runs only from D days before the holiday up to
                                       the holiday itself (today in the session's time zone);
                                       on other days it prints why and changes nothing:
                                       spring: not today (春节 is 2027-02-06, runs from 2027-01-30)
        Several when lines: the block runs when any of them holds.
        Holidays: 元旦 春节 元宵 清明 劳动节 端午 七夕 中秋 重阳 国庆 圣诞, or their English names
        (Spring Festival, Mid-Autumn Festival, ...); lunar dates from the Chinese calendar.
        In the template, {holiday} is the holiday's name and {holidayDate} its date.
        Worked example (rapport --demo --now 2027-01-30T10:00 --dry-run spring.rapport):
            campaign "spring greetings"
              target customers where tier in (gold, platinum)
              when holiday "春节" within 7d
              every 300d
              send preferred "{name|first}，{holiday}快乐！"
            end
        """),
        Topic(name: "send", listed: [:],
              summary: "a campaign's send line: a message per customer, consent, quiet hours",
              aliases: ["send preferred", "quiet hours", "weekly cap", "optout", "preferredchannel", "template", "templates"], body: """
        send sms|email|phone|wechat "TEMPLATE"   that channel (sms, phone, wechat go to the phone)
        send preferred "TEMPLATE"   the customer's preferredChannel, then sms, then email: the first
                                    the customer has an address for and has not opted out of
        Skipped, and counted by reason in the summary: opted out (optOut holds the channel or all),
        no address, over the weekly cap (policy campaign.weeklyCap messages in 7 days, all campaigns).
        A customer any send of the block cannot reach gets none of the block's actions.
        Quiet hours (policy campaign.quietHours.start and .end): a message is never stamped inside
        them; it waits for their end, and lands in that day's outbox file.
        Templates: {field}, {lastPurchase|date}, {points|number}, {name|first}; {{ and }} are braces.
        Worked example (rapport --demo --now 2026-03-01T22:30 --dry-run points.rapport: stamped 08:00):
            campaign "points reminder"
              target customers where points > 5000
              send preferred "{name|first}, you have {points|number} points."
            end
        See the rules in force:
          show policy campaign
        """),
        Topic(name: "merge", listed: [:],
              summary: "find duplicates, customers entered twice, and merge one into another",
              aliases: ["duplicates", "find duplicates", "duplicate", "dedupe"], body: """
        find duplicates [by phone|email|name, ...] [limit N]
        merge ID into ID [--dry-run]
        find duplicates lists groups of customers that look like one person: the same phone
        (written any way: 138 0013 8000 = +86 138-0013-8000), the same email (case ignored), or
        a near-identical name in the same city. Names compare without case, spaces, punctuation
        or (Latin) word order: Fang Wang = wang fang. A Latin name of 6 letters or more may also
        differ by one typo; Chinese names must match exactly (王芳 and 王方 are two people).
        Each row: group, reason, id, name, phone, email, city, createdAt; biggest groups first.
        merge moves every contact, purchase, ticket, survey, task, points entry and message of
        the first customer to the second, fills the second's empty fields from the first (tags
        and optOut united), recomputes its totals, and deletes the first: one change, audited.
        --dry-run (or set dry-run on) says what would move and changes nothing.

          find duplicates by email limit 3
          find duplicates by name limit 3
          merge C000045 into C000012 --dry-run
        """),
    ]

    /// The settings page's table, one line per catalogue entry.
    private static var settingLines: String {
        SettingCatalogue.all.map { setting in
            let values = setting.valueSyntax.split(separator: "|").joined(separator: " | ")
            return "    " + setting.name.padding(toLength: 11, withPad: " ", startingAt: 0) + values + ": " + setting.help
        }.joined(separator: "\n")
    }

    /// The roles page: the catalogue's commands by the least role that may run them.
    private static var rolesBody: String {
        var lines = [
            "A session runs as one role, least to most: trainee, agent, manager, admin. Each may do",
            "what those before it may; a command above the session's role is refused before it reads",
            "or changes anything, and exits with status 1.",
            "",
            "Grants: grant USER ROLE sets the most an OS user may take in this store; revoke USER",
            "removes it; show grants lists them. --role picks a role up to your grant (without it,",
            "the grant's role); asking for more exits with status 1. A store without grants gives",
            "everyone who can open it admin; once one exists, a user without a grant may take",
            "trainee only. The first grant also grants you admin; the last admin cannot be revoked.",
            "Only an admin may use --user (who changes are recorded as).",
            "",
            "A trainee sees phones and emails masked, 138****5678 and w***@example.com, in every",
            "format, on cards, in counts by phone and in error messages, and cannot export.",
            "",
        ]
        for role in Role.allCases {
            let words = CommandCatalogue.all.filter { !$0.shellOnly && $0.leastRole == role }.map(\.word)
            let settings = SettingCatalogue.all.filter { $0.leastRole == role && $0.leastRole > .trainee }.map { "set \($0.name)" }
            let updates = role == .manager ? ["update of anything but one customer by id"] : []
            let policy = role == CommandCatalogue.policyRole ? ["set policy"] : []
            let campaigns = role == CommandCatalogue.campaignRunRole ? ["running a campaign block"] : []
            let items = words + settings + updates + policy + campaigns
            // Wrapped under the first item, so the page keeps to 100 columns.
            var line = "    " + role.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
            for (index, item) in items.enumerated() {
                let piece = item + (index < items.count - 1 ? "," : "")
                if line.count + piece.count > 96 { lines.append(line); line = String(repeating: " ", count: 13) } else if index > 0 { line += " " }
                line += piece
            }
            lines.append(line)
        }
        lines += ["", "  show settings", "  show grants"]
        return lines.joined(separator: "\n")
    }

    // MARK: Fields

    /// Customer, contact, purchase and ticket field names lead to `help fields`.
    private static let fieldAliases: [String] = {
        var names: [String] = []
        for e in Entity.allCases {
            names += [e.rawValue, e.singular]
            for f in e.builtinFields where !names.contains(f.name.lowercased()) { names.append(f.name.lowercased()) }
        }
        return names
    }()

    private static let fieldsBody: String = {
        var lines = [
            "The built-in fields of each entity, with their types; names ignore case in commands.",
            "show fields ENTITY lists them with the custom fields that imports have added.",
        ]
        for e in Entity.allCases {
            lines.append(e.rawValue)
            var line = "   "
            let items = e.builtinFields.map { "\($0.name) \($0.type.rawValue)" }
            for (i, item) in items.enumerated() {
                let piece = " " + item + (i < items.count - 1 ? "," : "")
                if line.count + piece.count > 96 {
                    lines.append(line)
                    line = "   "
                }
                line += piece
            }
            lines.append(line)
        }
        lines += [
            "Fixed words: tier bronze|silver|gold|platinum, grade A|B|C|D, stage prospect|active|at-risk|lost;",
            "contact channel phone|visit|email|sms|wechat; ticket kind inquiry|complaint|suggestion,",
            "priority low|normal|high|urgent, status open|closed. A list is (a, b); an instant, a time.",
            "",
            "  show fields customers",
            "  find customers where satisfaction <= 2 and stage = active show id, name, satisfaction, owner",
        ]
        return lines.joined(separator: "\n")
    }()

    // MARK: Lookup

    /// The page for a topic word (any case, any alias), or nil.
    public static func topic(named name: String) -> Topic? {
        let key = normalize(name)
        if key.isEmpty { return nil }
        if let t = lookup[key] { return t }
        // "show customer C000001", "sort by totalSpent": the first word decides.
        let first = key.split(separator: " ").first.map(String.init) ?? key
        if let t = lookup[first] { return t }
        // An entity or a field name: the page of fields.
        if fieldAliases.contains(first) { return lookup["fields"] }
        return nil
    }

    /// Every word `help` knows, for suggestions and completion.
    public static let topicWords: [String] = {
        var seen = Set<String>()
        return pages.flatMap { [$0.name] + $0.aliases + $0.listed.values.flatMap { $0 } }.filter { seen.insert($0).inserted }
    }()

    /// Keyed in lower case, as `normalize` leaves what was typed (daysSinceContact).
    private static let lookup: [String: Topic] = {
        var table: [String: Topic] = [:]
        for t in pages {
            for word in [t.name] + t.aliases + t.listed.values.flatMap({ $0 }) where table[word.lowercased()] == nil {
                table[word.lowercased()] = t
            }
        }
        return table
    }()

    private static func normalize(_ text: String) -> String {
        var s = text.trimmingCharacters(in: .whitespaces)
        if s.count >= 2, let f = s.first, let l = s.last, "\"'“".contains(f), "\"'”".contains(l) {
            s = String(s.dropFirst().dropLast())
        }
        return s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ").lowercased()
    }

    public static func text(topic: String?) -> String {
        guard let topic, !normalize(topic).isEmpty else { return overview + "\n" }
        if let t = Help.topic(named: topic) { return t.body + "\n" }
        let key = normalize(topic)
        let first = key.split(separator: " ").first.map(String.init) ?? key
        let suggestion = nearestName(to: first, among: topicWords.filter { !$0.contains(" ") })
        var text = "no help on '\(topic)'"
        if let suggestion { text += "; did you mean '\(suggestion)'?" } else { text += ". Type help for the commands by task." }
        return text + "\n" + topicList + "\n"
    }
}
