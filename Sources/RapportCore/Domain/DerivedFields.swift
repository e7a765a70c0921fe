/// What a derived field's rule may read, a whole column at a time. The engine answers
/// from its columns; the rules never look up another table row by row.
public protocol DerivedInputs {
    /// Today in the store's time zone.
    var today: Day { get }
    /// The clock's instant; only rules of fields marked `readsNow` may read it (the cache
    /// keys on it for those alone).
    var now: Int64 { get }
    /// The store's business rules (thresholds, rates, intervals).
    var policy: Policy { get }
    /// How many rows the entity has (dead rows included: results align with row positions).
    var rowCount: Int { get }
    /// The entity's own date column, days since 1970, `NullSentinel.date` for none.
    func dates(_ field: String) -> [Int32]
    /// For each live record of `related` whose `field` passes `keep` (tested once per
    /// distinct value; nil for a missing value), the row of its customer, or -1 when the
    /// customer is unknown. One pass over the related table.
    func ownerRows(of related: Entity, where field: String?, keep: (String?) -> Bool) -> [Int32]
    /// The entity's own integer column, `NullSentinel.integer` for none.
    func integers(_ field: String) -> [Int64]
    /// The entity's own instant column, `NullSentinel.instant` for none.
    func instants(_ field: String) -> [Int64]
    /// For each live record of `related`, in the order they were added, whose `link` field
    /// names a record of this entity by id: that record's row (-1 when unknown), its
    /// `instant` field and its `text` field as a code into `texts` (0 for none). One pass.
    func linkedRows(of related: Entity, by link: String, instant: String, text: String) -> LinkedRows
    /// The entity's own string column as codes into `strings` (code 0, and `strings[0]`, for none),
    /// so a rule tests each distinct value once.
    func strings(_ field: String) -> (codes: [UInt32], strings: [String])
    /// For each live record of `related` whose `field` passes `keep`: its customer's row
    /// (-1 when unknown), the record's `number` (NaN for none), its `day` field as days
    /// (an instant counted in the store's time zone; `NullSentinel.date` for none) and
    /// whether its `flag` field passes `flagTest`. Arrays not asked for are empty. One pass.
    func relatedRows(of related: Entity, where field: String?, keep: (String?) -> Bool,
                     number: String?, day: String?, flag: String?, flagTest: (String?) -> Bool) -> RelatedRows
    /// A value computed once per store change and today, shared by the rules of several
    /// fields (the purchase aggregates behind rfm, ltv and churnRisk).
    func shared<T>(_ key: String, _ make: () -> T) -> T
}

/// Records of a related entity, aligned: see `DerivedInputs.relatedRows`.
public struct RelatedRows: Sendable {
    public var owners: [Int32] = []
    public var numbers: [Double] = []
    public var days: [Int32] = []
    public var flags: [Bool] = []
    public init() {}
}

/// Records of another entity linked to this one's rows: see `DerivedInputs.linkedRows`.
public struct LinkedRows: Sendable {
    public var rows: [Int32] = []
    public var instants: [Int64] = []
    public var codes: [UInt32] = []
    public var texts: [String] = [""]
    public init() {}
}

/// A read-only field computed from the records and today, queried like a stored one.
/// Never written to the snapshot or the journal.
public struct DerivedField: Sendable {
    public let name: String
    public let entity: Entity
    public let type: FieldType
    /// The exact rule in one line, for docs, `help derived` and `show fields`.
    public let rule: String
    /// Whether the rule reads the clock's instant, not only today: its cached column is
    /// then kept only while now stays the same.
    public var readsNow: Bool = false
    /// The whole column, aligned with the entity's rows.
    public let compute: @Sendable (any DerivedInputs) -> Column
}

/// The one registry of derived fields: the checker, the engine, `show fields`, help and
/// the write refusals all read it. To add a field, add an entry here (and its rule in
/// docs/language.md).
public enum DerivedFields {
    public static let all: [DerivedField] = [
        DerivedField(name: "daysSinceContact", entity: .customers, type: .integer,
                     rule: "today - lastContact in days (store's time zone); null when never contacted",
                     compute: { .integer(TypedColumn(DerivedRules.daysSince($0.dates(CustomerField.lastContact), today: $0.today))) }),
        DerivedField(name: "daysSincePurchase", entity: .customers, type: .integer,
                     rule: "today - lastPurchase in days (store's time zone); null when never bought",
                     compute: { .integer(TypedColumn(DerivedRules.daysSince($0.dates(CustomerField.lastPurchase), today: $0.today))) }),
        DerivedField(name: "contactCount", entity: .customers, type: .integer,
                     rule: "number of the customer's contacts; 0 when none",
                     compute: { .integer(TypedColumn(DerivedRules.countPerRow($0.ownerRows(of: .contacts, where: nil, keep: { _ in true }), rowCount: $0.rowCount))) }),
        DerivedField(name: "openTickets", entity: .customers, type: .integer,
                     rule: "number of the customer's tickets whose status is not closed; 0 when none",
                     compute: { .integer(TypedColumn(DerivedRules.countPerRow($0.ownerRows(of: .tickets, where: "status", keep: DerivedRules.isOpenTicketStatus), rowCount: $0.rowCount))) }),
        DerivedField(name: CustomerField.points, entity: .customers, type: .integer,
                     rule: "unexpired balance of the customer's points ledger (add points, redeem); 0 when none",
                     compute: { .integer(TypedColumn(DerivedRules.pointsBalances($0))) }),
        DerivedField(name: "nextPointsExpiry", entity: .customers, type: .date,
                     rule: "the day the next unexpired points lot lapses (help loyalty); null when none",
                     compute: { .date(TypedColumn(DerivedRules.nextPointsExpiries($0).map { $0?.on.daysSinceEpoch ?? NullSentinel.date })) }),
        DerivedField(name: "pointsExpiringNext", entity: .customers, type: .integer,
                     rule: "the points lapsing on nextPointsExpiry, at most the balance; 0 when none",
                     compute: { .integer(TypedColumn(DerivedRules.nextPointsExpiries($0).map { $0?.points ?? 0 })) }),
        DerivedField(name: "nextContactDue", entity: .customers, type: .date,
                     rule: "min((lastContact or createdAt) + revisit.GRADE, later purchase + revisit.afterPurchase)",
                     compute: { .date(TypedColumn(CustomerValue.nextContactDue($0))) }),
        DerivedField(name: "rfm", entity: .customers, type: .string,
                     rule: "R (last purchase), F (count), M (total spend): 1-5 by quintile among buyers; else null",
                     compute: { CustomerValue.rfmColumn($0) }),
        DerivedField(name: "rfmSegment", entity: .customers, type: .string,
                     rule: "the cell of R and F: champions, loyal, potential, new, at risk, ... (help value)",
                     compute: { CustomerValue.rfmSegmentColumn($0) }),
        DerivedField(name: "ltv", entity: .customers, type: .number,
                     rule: "ltv.margin x 365-day spend x sum 1/(1 + ltv.discountRate)^i, i = 1..ltv.horizon; 0 none",
                     compute: { .number(TypedColumn(CustomerValue.ltv($0))) }),
        DerivedField(name: "churnRisk", entity: .customers, type: .string,
                     rule: "low, medium, high: sum of churn signal weights vs churn.medium, churn.high (why churn)",
                     compute: { CustomerValue.churnRiskColumn($0) }),
        DerivedField(name: "respondBy", entity: .tickets, type: .instant,
                     rule: "openedAt + response.CHANNEL; null when the ticket has no channel",
                     compute: { ServiceTargets.respondByColumn($0) }),
        DerivedField(name: "resolveBy", entity: .tickets, type: .instant,
                     rule: "openedAt + resolution.PRIORITY + time pending, resolved or closed before a reopen",
                     readsNow: true, compute: { ServiceTargets.resolveByColumn($0) }),
        DerivedField(name: "overdue", entity: .tickets, type: .boolean,
                     rule: "not resolved or closed, and now is past respondBy (no reply yet) or resolveBy",
                     readsNow: true, compute: { ServiceTargets.overdueColumn($0) }),
        DerivedField(name: "sla", entity: .tickets, type: .string,
                     rule: "breached: a target missed, even if met late; due: a target running; met: both met",
                     readsNow: true, compute: { ServiceTargets.slaColumn($0) }),
    ]

    /// The entity's derived fields, in display order.
    public static func of(_ entity: Entity) -> [DerivedField] { all.filter { $0.entity == entity } }

    /// The derived field of `entity` named `name`, in any case.
    public static func named(_ name: String, of entity: Entity) -> DerivedField? {
        byLowercasedName[name.lowercased()]?.first { $0.entity == entity }
    }

    /// Whether `name` (any case) is a derived field of any entity: no custom field may take it.
    public static func isDerivedName(_ name: String) -> Bool {
        byLowercasedName[name.lowercased()] != nil
    }

    /// Every word of a query is looked up here (`id = C000123` asks about `C000123`):
    /// lowercasing the registry's names on each call was a twentieth of a lookup by id.
    private static let byLowercasedName: [String: [DerivedField]] = Dictionary(grouping: all) { $0.name.lowercased() }

    /// The refusal of a write to a derived field, naming its rule, wherever one is attempted.
    public static func writeRefusal(_ field: DerivedField, at span: SourceSpan? = nil) -> Diagnostic {
        Diagnostic.usage(.derivedFieldCannotBeSet, field.name, field.rule, at: span)
    }
}

/// The pure rules behind the derived fields, over whole columns.
public enum DerivedRules {
    /// Days from each date to today; null stays null. A date after today gives a negative count.
    public static func daysSince(_ dates: [Int32], today: Day) -> [Int64] {
        let t = Int64(today.daysSinceEpoch)
        return dates.map { $0 == NullSentinel.date ? NullSentinel.integer : t - Int64($0) }
    }

    /// How many times each row appears among `owners` (-1 ignored); 0 for a row never named.
    public static func countPerRow(_ owners: [Int32], rowCount: Int) -> [Int64] {
        var counts = [Int64](repeating: 0, count: rowCount)
        for r in owners where r >= 0 && Int(r) < rowCount { counts[Int(r)] += 1 }
        return counts
    }

    /// Each customer's points balance as of today (`Loyalty.balance`), one pass over the ledger.
    public static func pointsBalances(_ inputs: any DerivedInputs) -> [Int64] {
        ledgerBalances(inputs).map(\.points)
    }

    /// Each customer's next expiring lot as of today: its day and the points it takes away,
    /// never more than the balance (a debt is paid before a lot's points are lost).
    public static func nextPointsExpiries(_ inputs: any DerivedInputs) -> [(points: Int64, on: Day)?] {
        ledgerBalances(inputs).map { balance in
            guard let next = balance.nextExpiry, balance.points > 0 else { return nil }
            return (min(next.points, balance.points), next.on)
        }
    }

    /// Each customer's `Loyalty.Balance` as of today, computed once per store change and
    /// shared by `points`, `nextPointsExpiry` and `pointsExpiringNext`.
    static func ledgerBalances(_ inputs: any DerivedInputs) -> [Loyalty.Balance] {
        inputs.shared("ledgerBalances") { computeLedgerBalances(inputs) }
    }

    private static func computeLedgerBalances(_ inputs: any DerivedInputs) -> [Loyalty.Balance] {
        let earned = inputs.relatedRows(of: .points, where: nil, keep: { _ in true }, number: PointsField.change,
                                        day: RecordField.date, flag: nil, flagTest: { _ in false })
        let expiries = inputs.relatedRows(of: .points, where: nil, keep: { _ in true }, number: nil,
                                          day: PointsField.expiresAt, flag: nil, flagTest: { _ in false }).days
        var entries = [[Loyalty.Entry]](repeating: [], count: inputs.rowCount)
        for i in earned.owners.indices where earned.owners[i] >= 0 && Int(earned.owners[i]) < inputs.rowCount {
            let change = earned.numbers[i]
            guard !change.isNaN, change != 0 else { continue }
            // Read through a Double: a stored change near Int64's bounds is kept at them.
            let points = change >= 9.2e18 ? Int64.max : change <= -9.2e18 ? Int64.min : Int64(change)
            func day(_ d: Int32) -> Day? { d == NullSentinel.date ? nil : Day(daysSinceEpoch: d) }
            entries[Int(earned.owners[i])].append(Loyalty.Entry(date: day(earned.days[i]), change: points, expiresAt: day(expiries[i])))
        }
        return entries.map { $0.isEmpty ? Loyalty.Balance(points: 0) : Loyalty.balance(of: $0, today: inputs.today) }
    }

    /// A ticket counts as open unless its status is `closed` (any case); a missing status counts.
    public static func isOpenTicketStatus(_ status: String?) -> Bool {
        status?.lowercased() != "closed"
    }
}
