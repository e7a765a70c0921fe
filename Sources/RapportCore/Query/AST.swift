/// The syntax tree of commands. It names entities and fields as written and knows
/// nothing of how a store holds them, so any backend can run it.

/// A field as written in a command.
public struct FieldName: Sendable {
    public var name: String
    public var span: SourceSpan
    public init(_ name: String, span: SourceSpan) { self.name = name; self.span = span }
}

/// The clauses of `import` after its file.
public struct ImportOptions: Sendable {
    /// `update by email|phone|id`: rows matching a stored customer update it.
    public var updateBy: ImportKey?
    public var updateBySpan: SourceSpan?
    /// `map "COLUMN" to FIELD, ...`: columns named otherwise than our fields.
    public var columnMap: [(column: Literal, field: FieldName)] = []
    /// `using "MAPFILE"`: column names and value aliases from a file (docs/formats.md).
    public var mapFile: Literal?
    public var dryRun = false
    public init() {}
}

/// What an `import ... update by` matches rows with stored customers on.
public enum ImportKey: String, Sendable, CaseIterable {
    case email, phone, id
}

/// A literal value as written.
public struct Literal: Sendable {
    public enum Kind: Sendable, Equatable {
        case string(String, quoted: Bool)
        case integer(Int64)
        case number(Double)
        case date(Day)
        /// `today` (0) or `yesterday` (-1), resolved against the session's clock.
        case relativeDay(Int)
        case duration(days: Double)
        case null
        case boolean(Bool)
        /// `(vip, new)` in `add` and `set`, for list fields.
        case list([String])
    }
    public var kind: Kind
    public var span: SourceSpan
    public var text: String
}

/// `+ - * /` between two values.
public enum ArithmeticOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    /// `* /` bind tighter than `+ -`.
    var precedence: Int { self == .add || self == .subtract ? 1 : 2 }
}

/// A value computed from fields and literals: `totalSpent / purchaseCount`,
/// `today - 30d`. A bare word is a field here; the checker decides whether a word
/// standing alone on the right of a comparison is a field or text.
public indirect enum Expression: Sendable {
    case field(FieldName)
    case value(Literal)
    case negate(Expression, op: SourceSpan)
    case binary(Expression, ArithmeticOperator, Expression, op: SourceSpan)

    /// Where the expression starts, for a caret.
    public var span: SourceSpan {
        switch self {
        case .field(let f): return f.span
        case .value(let v): return v.span
        case .negate(_, let op): return op
        case .binary(let a, _, let b, _):
            let start = a.span, end = b.span
            guard start.start.line == end.start.line, end.start.column >= start.start.column else { return start }
            return SourceSpan(start: start.start, length: end.start.column + end.length - start.start.column)
        }
    }

    /// The expression as written with normalised spacing: a `show` column's name.
    public var name: String { text(parentOf: 0) }

    private func text(parentOf precedence: Int, rightOperand: Bool = false) -> String {
        switch self {
        case .field(let f): return f.name
        case .value(let v): return v.text
        case .negate(let e, _): return "-" + e.text(parentOf: 3)
        case .binary(let a, let op, let b, _):
            let inner = a.text(parentOf: op.precedence) + " \(op.rawValue) " + b.text(parentOf: op.precedence, rightOperand: true)
            // Parentheses only where they change the meaning.
            let needed = op.precedence < precedence || (rightOperand && op.precedence == precedence)
            return needed ? "(" + inner + ")" : inner
        }
    }
}

public enum ComparisonOperator: String, Sendable {
    case equal = "=", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
}

public enum TextOperator: String, Sendable {
    case contains, startsWith = "starts with", endsWith = "ends with"
}

public enum HasMode: String, Sendable { case one = "has", any = "has any", all = "has all" }

/// A `where` condition. `negated` is the operator's own `not` (`x not between 1 and 5`),
/// under which a missing value still never matches; `.not` is the logical one.
public indirect enum Condition: Sendable {
    case compare(FieldName, ComparisonOperator, Literal)
    /// A comparison where a side is more than a field or a single value: `EXPR OP EXPR`.
    case compareExpressions(Expression, ComparisonOperator, Expression)
    case member(FieldName, [Literal], negated: Bool)
    case between(FieldName, Literal, Literal, negated: Bool)
    case text(FieldName, TextOperator, Literal, negated: Bool)
    case has(FieldName, HasMode, [Literal], negated: Bool)
    case isNull(FieldName, negated: Bool)
    /// `keyword` is where the word `within` stands, for a refusal's caret.
    case within(FieldName, Literal, keyword: SourceSpan)
    /// A field standing alone (`where vip`): a boolean field that is true.
    case isTrue(FieldName)
    /// `any purchase(...)`, `no ticket(...)`, `count contact(...) >= 3`: a test of a
    /// customer's records, in a condition on customers.
    case relation(RelationCondition)
    /// `in segment "NAME"`: the saved segment's condition, looked up and checked when the
    /// query is checked (docs/segments-saved.md).
    case inSegment(name: String, span: SourceSpan)
    case and(Condition, Condition)
    case or(Condition, Condition)
    case not(Condition)
}

/// How a relation counts the customer's matching records.
public enum RelationQuantifier: Sendable {
    /// At least one.
    case any
    /// None.
    case no
    /// `count ENTITY(COND) OP N`; `count` is the value as written, an integer for the checker.
    case count(ComparisonOperator, Literal)
}

/// `any ENTITY(COND)`: `condition` is nil where no parentheses follow (`any purchase`).
public struct RelationCondition: Sendable {
    public var quantifier: RelationQuantifier
    public var entity: EntityName
    public var condition: Condition?
    /// Where `any`, `no` or `count` stands, for a refusal's caret.
    public var keyword: SourceSpan
}

public struct SortKey: Sendable {
    public var expression: Expression
    public var descending: Bool
}

public struct EntityName: Sendable {
    public var entity: Entity
    public var span: SourceSpan
}

/// `find ENTITY [where] [sort by] [limit [offset]] [show]`.
public struct FindQuery: Sendable {
    public var entity: EntityName
    /// `find deleted ENTITY`: the records in the bin.
    public var deleted = false
    public var condition: Condition?
    public var sort: [SortKey] = []
    public var limit: Int?
    public var offset: Int?
    /// nil: the entity's default fields; `showAll`: every field.
    public var show: [Expression]?
    public var showAll = false
}

public enum AggregateFunction: String, Sendable, CaseIterable { case count, sum, avg, min, max }

/// A calendar period a date or instant falls in, for `by month(F)` and the like.
public enum Period: String, Sendable, CaseIterable { case month, quarter, year, week, weekday }

/// `month` in `by month(date)`, as written; the checker resolves it to a `Period`.
public struct PeriodName: Sendable {
    public var name: String
    public var span: SourceSpan
}

/// `count ENTITY ...` or `sum|avg|min|max FIELD of ENTITY ... [by FIELD | by PERIOD(FIELD)]`.
public struct AggregateQuery: Sendable {
    public var function: AggregateFunction
    public var field: FieldName?
    public var entity: EntityName
    public var condition: Condition?
    public var groupBy: FieldName?
    /// Set when the groups are periods of `groupBy`.
    public var groupPeriod: PeriodName?
    /// `count deleted ENTITY`: the records in the bin.
    public var deleted = false
}

/// `report kpi [from DATE to DATE] [by FIELD | by month|quarter|week|year]`.
public struct ReportQuery: Sendable {
    /// The report's name as written (`kpi`), for carets.
    public var name: SourceSpan
    public var from: Literal?
    public var to: Literal?
    public var by: FieldName?
}

/// `FIELD: VALUE` in `add` or `FIELD = VALUE` in `update ... set`.
public struct Assignment: Sendable {
    public var field: FieldName
    public var value: Literal
    /// In `update ... set`, a value computed per record (`points - 100`); `value` is
    /// then only its first token, for carets.
    public var expression: Expression?

    public init(field: FieldName, value: Literal, expression: Expression? = nil) {
        self.field = field; self.value = value; self.expression = expression
    }
}

/// Any command Rapport understands.
public enum Command: Sendable {
    case find(FindQuery)
    case aggregate(AggregateQuery)
    case add(EntityName, [Assignment])
    case update(EntityName, Condition?, [Assignment])
    case delete(EntityName, Condition?)
    case logContact(customer: Literal, channel: Literal, note: Literal?)
    case logPurchase(customer: Literal, amount: Literal, product: Literal?)
    /// `log survey ID score 1..5 [nps 0..10] [via CHANNEL] ["COMMENT"]`.
    case logSurvey(customer: Literal, score: Literal, nps: Literal?, channel: Literal?, comment: Literal?)
    /// `done TASK [via CHANNEL] ["NOTE"]`: completes a task; with a channel, logs the contact too.
    case doneTask(task: Literal, channel: Literal?, note: Literal?)
    /// `open ticket ID KIND [via CHANNEL] "TEXT" [priority P] [owner NAME]`.
    case openTicket(customer: Literal, kind: Literal, text: Literal, priority: Literal?, channel: Literal? = nil, owner: Literal? = nil)
    /// `reply`, `assign`, `wait`, `resolve`, `close`, `reopen`: one step of a ticket's lifecycle.
    case ticketStep(TicketStep)
    /// `show ticket ID`: the ticket, its targets and its whole timeline.
    case showTicket(Literal)
    /// `add points ID N "REASON"`: an earned lot on the customer's points ledger.
    case addPoints(customer: Literal, points: Literal, reason: Literal)
    /// `redeem ID N "REASON"`: spends points from the ledger, refused when the balance is short.
    case redeem(customer: Literal, points: Literal, reason: Literal)
    /// `import ENTITY from "FILE" [update by KEY] [map "COLUMN" to FIELD, ...] [using "MAPFILE"] [--dry-run]`.
    case importData(EntityName, path: Literal, options: ImportOptions)
    case export(EntityName, Condition?, path: Literal)
    /// `export store to "DIR"`, `import store from "DIR"` (StoreTransfer).
    case exportStore(path: Literal)
    case importStore(path: Literal)
    case showCustomer(Literal)
    /// `why churn ID`: the signals behind one customer's churnRisk.
    case whyChurn(Literal)
    case showFields(EntityName?)
    case save
    /// Verifies the store's files: checksums, order of changes, readable snapshot.
    case check
    /// `init`: creates or migrates the backend's schema (a PostgreSQL database).
    case initialize
    /// Writes a consistent copy of the store into a new directory; `encrypted` seals each file.
    case backup(path: Literal, encrypted: Bool)
    case help(String?)
    /// Sets every customer's tier, grade or stage by the segmentation rules; `dryRun` only lists.
    case recompute(RecomputeTarget, dryRun: Bool)
    /// `deliver via "COMMAND" [--dry-run]`: hands each due message to COMMAND.
    case deliver(command: Literal, dryRun: Bool)
    case setting(name: String, value: String?, span: SourceSpan)
    /// `show policy [PREFIX]`: the store's business rules, those under PREFIX when given.
    case showPolicy(prefix: String?, span: SourceSpan)
    /// `set policy KEY = VALUE`; the key and the value are checked against the policy's
    /// catalogue when it runs. `value` is the value's text (quotes removed), `valueSpan` all of it.
    case setPolicy(key: String, keySpan: SourceSpan, value: String, valueSpan: SourceSpan)
    case report(ReportQuery)
    /// A `campaign "NAME" ... end` block (docs/campaigns.md), checked whole before it runs.
    case campaign(CampaignBlock)
    /// `campaign history ["NAME"]`: past runs with their counts.
    case campaignHistory(name: Literal?)
    /// `let NAME = VALUE`: defines `$NAME` for the rest of the input unless `--param` gives
    /// it; a `$NAME` in VALUE is already the value it stood for (`let b = $a`).
    case define(name: String, span: SourceSpan, value: String)
    /// `include "FILE"`: runs another script's commands in place (the script runner's work).
    case include(path: Literal)
    /// `save segment NAME [replace] as ENTITY where COND`; `conditionText` is the condition
    /// as stored, parameters replaced by their values.
    case saveSegment(name: Literal, replace: Bool, entity: EntityName, condition: Condition, conditionText: String)
    case showSegments
    case deleteSegment(name: Literal)
    /// `audit ID`: one record's changes from the audit trail, oldest first.
    case auditRecord(Literal)
    /// `grant USER ROLE`: the most the OS user USER may take in this store.
    case grant(user: Literal, role: Role)
    /// `revoke USER`: the user's grant removed.
    case revoke(user: Literal)
    /// `tutorial`, `tutorial NAME`, `tutorial "FILE"`, `tutorial report` (docs/training.md).
    case tutorial(TutorialTarget)
    /// `show grants`.
    case showGrants
    /// `restore ID`: a deleted record back from the bin, with what was deleted along with it.
    case restore(id: Literal)
    /// `purge [older than D]`: records removed from the bin for good.
    case purge(olderThan: Literal?)
    /// `find duplicates [by phone|email|name, ...] [limit N]`: groups of customers that look
    /// like one person (`Duplicates`); `limit` counts groups.
    case findDuplicates(kinds: [DuplicateKind], limit: Int?)
    /// `merge ID into ID [--dry-run]`: one customer's records moved to the kept one, then removed.
    case merge(from: Literal, into: Literal, dryRun: Bool)
}

/// The steps of a ticket's lifecycle after it is opened (docs/service.md).
public enum TicketAction: String, Sendable, CaseIterable {
    case reply, assign, wait, resolve, close, reopen
}

/// One step on a ticket: `reply T [via CHANNEL] "TEXT"`, `assign T to NAME`, `wait T "WHY"`,
/// `resolve T "TEXT"`, `close T [satisfaction N] ["NOTE"]`, `reopen T "WHY"`.
public struct TicketStep: Sendable {
    public var action: TicketAction
    public var ticket: Literal
    public var channel: Literal?
    public var text: Literal?
    public var owner: Literal?
    public var satisfaction: Literal?

    public init(action: TicketAction, ticket: Literal) {
        self.action = action
        self.ticket = ticket
    }
}
