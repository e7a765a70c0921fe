import Foundation
import RapportCore

/// Checked queries as parameterised SQL, matching the in-memory executor's semantics
/// (Store/QueryExecutor.swift): text equality ignoring case, ordering by code point
/// (COLLATE "C"), a missing value failing every test but `is null` (also under `not`),
/// nulls last in either direction, ties by id. What is not translated yet throws
/// `notYetOnPostgres`, checked before anything runs (`PostgresBackend.checkSupported`).
struct SQLTranslation {
    /// The values, `$1` onwards, as text.
    private(set) var parameters: [String?] = []
    /// The clock's today: what derived fields and `within` are relative to.
    var today: Day
    /// The clock's instant: what the ticket service targets are relative to.
    var now: Int64 = 0
    /// The clock's zone: the local day of an instant (`localDay`).
    var timeZone = TimeZone(identifier: "UTC")!
    /// The table fields are read from: the query's own, or a relation's inside its subquery.
    private(set) var scope: String
    private var subqueries = 0
    /// The translation reads the points balance as the ledger's sum, exact only while no
    /// lot expires: `PostgresBackend.checkSupported` asks the database before it runs.
    private(set) var readsPointsBalance = false
    /// The store's policy: the thresholds derived fields read, sent as parameters.
    var policy = Policy()
    /// Whether the query reads the bin: every table it reads, relations and derived fields
    /// included, is then the bin's (`source`).
    var inBin = false
    /// A points lot expires: the balances are computed in Swift (`PostgresBackend.fillLedger`)
    /// and joined (`from`), not summed in SQL.
    var ledgerExpires = false
    /// The first of the four parameters that carry those balances, once read.
    var ledgerSlot: Int?
    /// The query reads rfm, rfmSegment or ltv: `from` joins their columns, computed once
    /// for the whole store (`PostgresBackend+Value.swift`), to each row's customer.
    private(set) var readsCustomerValues = false
    /// The query reads churnRisk or nextContactDue at its own level: `from` joins each
    /// customer's facts, aggregated once for the statement (`PostgresBackend+Churn.swift`).
    var churnFactsRead = Set<ChurnFacts>()
    /// The query reads a service target at its own level: `from` joins each ticket's
    /// pauses, computed once for the statement (`PostgresBackend+Service.swift`).
    var readsTicketPauses = false

    init(entity: Entity, today: Day) {
        self.today = today
        self.entity = entity
        scope = Self.table(entity)
    }

    /// The entity the statement reads at its own level.
    let entity: Entity
    /// The aliases whose scope is a customer: `customer.FIELD`'s subqueries. Each is the
    /// customer of the statement's own row (a record's customer, or inside a relation on
    /// customers the customer whose records it counts), so it reads the columns `from`
    /// joins to that row (`joinedCustomerColumn`).
    private var customerAliases: Set<String> = []
    /// The aliases of relations on the records of the statement's own customer.
    private var relationsOnOwnRow: Set<String> = []

    /// A column `from` joins to the statement's own row for its customer (value fields,
    /// points balances): read at the own level of customers, or in a `customer.FIELD`
    /// subquery of that row's customer. Anywhere else (no such form today) refused.
    mutating func joinedCustomerColumn(_ name: String) throws -> String {
        let column = Self.quoted(Self.valueColumn(name))
        if entity == .customers, scope == Self.table(.customers) { return "\(scope).\(column)" }
        guard customerAliases.contains(scope) else { throw Self.unsupported("the derived field '\(name)' here") }
        return "\(Self.table(entity)).\(column)"
    }

    static func table(_ entity: Entity) -> String { quoted(entity.rawValue) }

    /// The table the statement reads an entity's records from: the live one, or in the bin
    /// the bin's, so that relations and derived fields there see the bin's records only, as
    /// the store's bin (a store of its own) does.
    func source(_ entity: Entity) -> String { PostgresBackend.table(entity, inBin: inBin) }
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// Sets a value reserved earlier (`parameter(nil)`), once what it carries is known.
    mutating func setParameter(_ index: Int, _ text: String?) { parameters[index] = text }

    /// Adds a value; its placeholder.
    mutating func parameter(_ text: String?) -> String {
        parameters.append(text)
        return "$\(parameters.count)"
    }

    static func unsupported(_ what: String) -> Diagnostic { Diagnostic.runtime(.notYetOnPostgres, what) }

    // MARK: Conditions

    mutating func condition(_ p: RapportCore.Predicate) throws -> String {
        switch p {
        case .and(let a, let b): return "(\(try condition(a)) AND \(try condition(b)))"
        case .or(let a, let b): return "(\(try condition(a)) OR \(try condition(b)))"
        // A missing value fails a test either way: NULL made false before NOT turns it.
        case .not(let a): return "NOT COALESCE(\(try condition(a)), false)"
        case .isNull(let f, let negated):
            return "\(try column(f)) IS \(negated ? "NOT " : "")NULL"
        case .compareKey(let f, let op, let k):
            if Self.boundsWithinADay(f, [k]) { return "\(try key(.field(f))) \(Self.sql(op)) \(parameter(Self.number(k)))::float8" }
            return "\(try column(f)) \(Self.sql(op)) \(try key(k, for: f))"
        case .memberKey(let f, let keys, let negated):
            guard !keys.isEmpty else { return negated ? "\(try column(f)) IS NOT NULL" : "false" }
            if Self.boundsWithinADay(f, keys) {
                let list = keys.map { "\(parameter(Self.number($0)))::float8" }.joined(separator: ", ")
                return "\(try key(.field(f))) \(negated ? "NOT IN" : "IN") (\(list))"
            }
            let list = try keys.map { try key($0, for: f) }.joined(separator: ", ")
            return "\(try column(f)) \(negated ? "NOT IN" : "IN") (\(list))"
        case .betweenKey(let f, let low, let high, let negated):
            if Self.boundsWithinADay(f, [low, high]) {
                return "\(try key(.field(f))) \(negated ? "NOT BETWEEN" : "BETWEEN") \(parameter(Self.number(low)))::float8 AND \(parameter(Self.number(high)))::float8"
            }
            return "\(try column(f)) \(negated ? "NOT BETWEEN" : "BETWEEN") \(try key(low, for: f)) AND \(try key(high, for: f))"
        case .compareString(let f, let op, let s):
            let c = try column(f, type: .string)
            switch op {
            case .equal, .notEqual: return "lower(\(c)) \(Self.sql(op)) lower(\(parameter(s)))"
            default: return "\(c) COLLATE \"C\" \(Self.sql(op)) \(parameter(s))"
            }
        case .memberString(let f, let values, let negated):
            let c = try column(f, type: .string)
            guard !values.isEmpty else { return negated ? "\(c) IS NOT NULL" : "false" }
            let list = values.map { "lower(\(parameter($0)))" }.joined(separator: ", ")
            return "lower(\(c)) \(negated ? "NOT IN" : "IN") (\(list))"
        case .betweenString(let f, let low, let high, let negated):
            let c = try column(f, type: .string)
            return "\(c) COLLATE \"C\" \(negated ? "NOT BETWEEN" : "BETWEEN") \(parameter(low)) AND \(parameter(high))"
        case .text(let f, let op, let s, let negated):
            let c = "lower(\(try column(f, type: .string)))", needle = "lower(\(parameter(s)))"
            let test: String
            switch op {
            case .contains: test = "strpos(\(c), \(needle)) > 0"
            case .startsWith: test = "starts_with(\(c), \(needle))"
            case .endsWith: test = "right(\(c), char_length(\(needle))) = \(needle)"
            }
            return negated ? "NOT (\(test))" : test
        case .has(let f, let mode, let values, let negated):
            let c = try column(f, type: .list)
            let items = "ARRAY(SELECT lower(i) FROM unnest(\(c)) i)"
            let wanted = "ARRAY(SELECT lower(w) FROM unnest(\(parameter(Self.arrayLiteral(values)))::text[]) w)"
            let test = mode == .all ? "\(items) @> \(wanted)" : "\(items) && \(wanted)"
            // An empty or missing list matches neither way, as in the store.
            return "(cardinality(\(c)) > 0 AND \(negated ? "NOT " : "")(\(test)))"
        case .within(let f, let days):
            // The (month, day)s whose next recurrence falls in the window, as the executor
            // tabulates them (29 February recurs on the 28th in other years).
            let c = try column(f, type: .date)
            var pairs: [String] = []
            for m in 1...12 {
                for d in 1...Day.daysIn(month: m, year: 2000) {
                    let next = Day(year: 2000, month: m, day: d)!.nextRecurrence(onOrAfter: today)
                    if Double(next.daysSinceEpoch - today.daysSinceEpoch) <= days { pairs.append(String(m * 32 + d)) }
                }
            }
            guard !pairs.isEmpty else { return "false" }
            return "(extract(month from \(c)) * 32 + extract(day from \(c)))::int = ANY(\(parameter("{" + pairs.joined(separator: ",") + "}"))::int[])"
        case .compareValues(let a, let op, let b):
            return "\(try key(a)) \(Self.sql(op)) \(try key(b))"
        case .compareFields(let f, let op, let g):
            let a = try column(f, type: .string), b = try column(g, type: .string)
            switch op {
            case .equal, .notEqual: return "lower(\(a)) \(Self.sql(op)) lower(\(b))"
            default: return "\(a) COLLATE \"C\" \(Self.sql(op)) \(b) COLLATE \"C\""
            }
        case .relation(let entity, let inner, let op, let n):
            guard Self.relatedEntities.contains(entity) else { throw Self.unsupported("a relation to \(entity.rawValue)") }
            let owner = "\(scope).id"
            let ownCustomers = self.entity == .customers && scope == Self.table(.customers)
            let related = try within(entity) { t, alias in
                if ownCustomers { t.relationsOnOwnRow.insert(alias) }
                return "FROM \(t.source(entity)) \(alias) WHERE \(alias).customer = \(owner)" + (try inner.map { " AND " + (try t.condition($0)) } ?? "")
            }
            // Whether any record matches, as EXISTS: the server stops at the first one.
            switch (op, n) {
            case (.greater, 0), (.greaterOrEqual, 1), (.notEqual, 0): return "EXISTS (SELECT 1 \(related))"
            case (.equal, 0), (.less, 1), (.lessOrEqual, 0): return "NOT EXISTS (SELECT 1 \(related))"
            default: return "(SELECT count(*) \(related))::float8 \(Self.sql(op)) \(parameter(Self.number(n)))::float8"
            }
        case .ofCustomer(let p):
            let link = "\(scope).customer"
            // No such customer: the test as on a record whose every field is missing.
            let linksOwnRow = scope == Self.table(entity) || relationsOnOwnRow.contains(scope)
            let test = try within(.customers) { t, alias in
                if linksOwnRow { t.customerAliases.insert(alias) }
                return "SELECT COALESCE(\(try t.condition(p)), false) FROM \(t.source(.customers)) \(alias) WHERE \(alias).id = \(link)"
            }
            return "COALESCE((\(test)), \(p.holdsWhereAllMissing))"
        }
    }

    /// The entities whose records name their customer: what relations count.
    static let relatedEntities: Set<Entity> = Set(Entity.stored.filter(\.belongsToACustomer))

    /// Translates a subquery on `entity` under an alias of its own, read as the scope.
    private mutating func within(_ entity: Entity, _ body: (inout SQLTranslation, String) throws -> String) throws -> String {
        subqueries += 1
        let alias = "r\(subqueries)"
        let outer = scope
        scope = alias
        defer { scope = outer }
        return try body(&self, alias)
    }

    /// A field's value in its column type: a stored column of the scope, or a derived
    /// field's rule as SQL over stored columns (`derived`).
    mutating func column(_ f: ResolvedField, type: FieldType? = nil) throws -> String {
        if let type, f.type != type { throw Self.unsupported("this test on the \(f.type.rawValue) field '\(f.name)'") }
        if f.isDerived { return try derived(f) }
        return "\(scope).\(Self.quoted(f.name))"
    }

    /// The derived fields computed in SQL exactly as `DerivedFields` rules them.
    private mutating func derived(_ f: ResolvedField) throws -> String {
        switch f.name {
        case "daysSinceContact", "daysSincePurchase":
            let stored = f.name == "daysSinceContact" ? CustomerField.lastContact : CustomerField.lastPurchase
            return "(\(parameter(String(today.daysSinceEpoch)))::bigint - (\(scope).\(Self.quoted(stored)) - date '1970-01-01'))"
        case "contactCount":
            return "(SELECT count(*) FROM \(source(.contacts)) c WHERE c.customer = \(scope).id)"
        case CustomerField.points, "nextPointsExpiry", "pointsExpiringNext":
            readsPointsBalance = true
            if ledgerExpires { return try ledgerColumn(f.name) }
            // Without expiring lots no lot has a next expiry,
            if f.name == "nextPointsExpiry" { return "NULL::date" }
            if f.name == "pointsExpiringNext" { return "0::bigint" }
            // and `Loyalty.balance` is the sum of the entries dated today or before
            // (undated ones too): FIFO and debts cancel out.
            let p = "p", points = source(.points)
            return "COALESCE((SELECT sum(\(p).\(Self.quoted(PointsField.change))) FROM \(points) \(p) WHERE \(p).customer = \(scope).id"
                + " AND (\(p).\(Self.quoted(RecordField.date)) IS NULL OR \(p).\(Self.quoted(RecordField.date)) <= (date '1970-01-01' + \(parameter(String(today.daysSinceEpoch)))::int))), 0)::bigint"
        case "nextContactDue":
            return nextContactDue()
        case "churnRisk":
            return churnRisk()
        case "rfm", "rfmSegment", "ltv":
            // Ranked over every customer: one join for the statement (`from`).
            readsCustomerValues = true
            return try joinedCustomerColumn(f.name)
        case "respondBy", "resolveBy", "overdue", "sla":
            return try serviceTarget(f.name)
        case "openTickets":
            // Open unless the status is closed in any case; a missing status counts.
            return "(SELECT count(*) FROM \(source(.tickets)) t WHERE t.customer = \(scope).id AND lower(COALESCE(t.status, '')) <> 'closed')"
        default:
            throw Self.unsupported("the derived field '\(f.name)'")
        }
    }

    /// `ValueRules.nextContactDue` of the customer in scope.
    mutating func nextContactDue() -> String {
        // `ValueRules.nextContactDue`: (lastContact or createdAt) + the grade's revisit
        // interval, or sooner the last purchase (up to today) + revisit.afterPurchase
        // when it is later than the last contact. LEAST skips a null as the rule does.
        let grade = "upper(\(scope).\(Self.quoted(CustomerField.grade)))"
        let revisit = "CASE " + ["A", "B", "C", "D"].map { g in
            "WHEN \(grade) = '\(g)' THEN \(parameter(String(ValueRules.revisitDays(grade: g, policy: policy))))::int"
        }.joined(separator: " ") + " ELSE \(parameter(String(ValueRules.revisitDays(grade: nil, policy: policy))))::int END"
        let lastContact = "\(scope).\(Self.quoted(CustomerField.lastContact))"
        let base = "COALESCE(\(lastContact), \(scope).\(Self.quoted(CustomerField.createdAt)))"
        let lastPurchase = joinsChurnFacts ? churnFact(.purchases, "last")
            : "(SELECT max(b.date) FROM \(source(.purchases)) b WHERE b.customer = \(scope).id AND b.date <= (date '1970-01-01' + \(parameter(String(today.daysSinceEpoch)))::int))"
        let afterPurchase = "\(parameter(String(Int32(clamping: policy.days("revisit.afterPurchase")))))::int"
        return "(SELECT CASE WHEN lp IS NOT NULL AND (\(lastContact) IS NULL OR lp > \(lastContact)) THEN LEAST(\(base) + \(revisit), lp + \(afterPurchase))"
            + " ELSE \(base) + \(revisit) END FROM (SELECT \(lastPurchase) AS lp) due)"
    }

    /// The local day of an instant column in the clock's zone, as `LocalDays` counts it. A
    /// zone Foundation names by its offset (GMT+0800) PostgreSQL would read the POSIX way
    /// (west of Greenwich), or not at all: it goes as its offset.
    mutating func localDay(_ c: String) -> String {
        if timeZone.identifier.range(of: #"^(GMT|UTC)[+-]"#, options: .regularExpression) != nil {
            return "(date '1970-01-01' + floor((extract(epoch from \(c)) + \(parameter(String(timeZone.secondsFromGMT())))::int) / 86400)::int)"
        }
        return "(\(c) AT TIME ZONE \(parameter(timeZone.identifier)))::date"
    }

    // MARK: Expressions

    /// An expression's key as float8, NULL where missing: what `TypedExpression.evaluate`
    /// computes (days for dates, seconds for instants, 0/1 for booleans, x / 0 missing).
    mutating func key(_ e: TypedExpression) throws -> String {
        switch e {
        case .field(let f):
            let c = try column(f)
            switch f.type {
            case .integer, .number: return "\(c)::float8"
            case .date: return "(\(c) - date '1970-01-01')::float8"
            case .instant: return "extract(epoch from \(c))::float8"
            case .boolean: return "\(c)::int::float8"
            case .string, .list: return "NULL::float8"
            }
        case .constant(let c, _): return "\(parameter(Self.number(c)))::float8"
        case .negate(let a): return "(-\(try key(a)))"
        case .arithmetic(let a, let op, let b, _):
            let x = try key(a), y = try key(b)
            switch op {
            case .add: return "(\(x) + \(y))"
            case .subtract: return "(\(x) - \(y))"
            case .multiply: return "(\(x) * \(y))"
            case .divide: return "(\(x) / NULLIF(\(y), 0))"
            }
        }
    }

    /// A comparison key as a value of the field's column type.
    private mutating func key(_ k: Double, for f: ResolvedField) throws -> String {
        switch f.type {
        case .integer, .number: return "\(parameter(Self.number(k)))::float8"
        case .date:
            // Whole days compare as dates, so an index on the column serves.
            if k == k.rounded(.down), abs(k) < 10_000_000 { return "(date '1970-01-01' + \(parameter(String(Int(k))))::int)" }
            throw Self.unsupported("a day bound beyond the calendar on '\(f.name)'")
        case .instant: return "to_timestamp(\(parameter(Self.number(k)))::float8)"
        case .boolean: return k == 0 ? "false" : k == 1 ? "true" : "NULL"
        case .string, .list: throw Self.unsupported("this comparison on the \(f.type.rawValue) field '\(f.name)'")
        }
    }

    /// A date compared with a bound inside a day (`lastContact > 12h`) or beyond the
    /// calendar: compared as days since 1970 in float8, as the store compares keys (no index).
    static func boundsWithinADay(_ f: ResolvedField, _ keys: [Double]) -> Bool {
        f.type == .date && keys.contains { $0 != $0.rounded(.down) || abs($0) >= 10_000_000 }
    }

    static func number(_ d: Double) -> String {
        guard d.isFinite else { return d.isNaN ? "NaN" : d > 0 ? "Infinity" : "-Infinity" }
        return d == d.rounded(.down) && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
    }

    static func sql(_ op: ComparisonOperator) -> String {
        switch op {
        case .equal: return "="
        case .notEqual: return "<>"
        case .less: return "<"
        case .lessOrEqual: return "<="
        case .greater: return ">"
        case .greaterOrEqual: return ">="
        }
    }

    /// A text[] literal: every item double-quoted, `"` and `\` escaped.
    static func arrayLiteral(_ items: [String]) -> String {
        "{" + items.map(arrayElement).joined(separator: ",") + "}"
    }

    /// The same with missing values: nil as an unquoted NULL (a quoted "NULL" is that text).
    static func arrayLiteral(_ items: [String?]) -> String {
        "{" + items.map { $0.map(arrayElement) ?? "NULL" }.joined(separator: ",") + "}"
    }

    private static func arrayElement(_ item: String) -> String {
        "\"" + item.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    // MARK: Reading values

    /// The select-list expression that reads a field as text `value(_:_:)` parses.
    static func reader(_ f: Field) -> String { reader(quoted(f.name), f.type) }

    /// The same for a field of the scope, stored or derived.
    mutating func reader(_ f: ResolvedField) throws -> String { Self.reader(try column(f), f.type) }

    static func reader(_ c: String, _ type: FieldType) -> String {
        switch type {
        case .date: return "(\(c) - date '1970-01-01')"
        case .instant: return "extract(epoch from \(c))::bigint"
        case .list: return "array_to_json(\(c))::text"
        case .number: return "\(c)::float8"
        case .string, .integer, .boolean: return c
        }
    }

    static func value(_ text: String?, _ type: FieldType) -> Value {
        guard let text else { return .null }
        switch type {
        case .string: return .string(text)
        case .integer: return Int64(text).map(Value.integer) ?? .null
        case .number: return Double(text).map(Value.number) ?? .null
        case .date: return Int32(text).map { .date(Day(daysSinceEpoch: $0)) } ?? .null
        case .instant: return Int64(text).map(Value.instant) ?? .null
        case .boolean: return .boolean(text == "t")
        case .list:
            guard let items = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] else { return .null }
            return .list(items)
        }
    }

    /// A value as the parameter text its column type reads, with the cast to write beside it.
    static func parameterText(_ v: Value) -> String? {
        switch v {
        case .null: return nil
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .number(let d): return "\(d)"
        case .date(let d): return String(d.daysSinceEpoch)
        case .instant(let t): return String(t)
        case .boolean(let b): return b ? "true" : "false"
        case .list(let items): return items.isEmpty ? nil : arrayLiteral(items)
        }
    }

    /// The SQL that turns the parameter text of `parameterText` into a value of the column.
    static func written(_ placeholder: String, _ type: FieldType) -> String {
        switch type {
        case .string: return "\(placeholder)::text"
        case .integer: return "\(placeholder)::bigint"
        case .number: return "\(placeholder)::float8"
        case .date: return "(date '1970-01-01' + \(placeholder)::int)"
        case .instant: return "to_timestamp(\(placeholder)::bigint)"
        case .boolean: return "\(placeholder)::boolean"
        case .list: return "\(placeholder)::text[]"
        }
    }

    static func columnType(_ type: FieldType) -> String {
        switch type {
        case .string: return "text"
        case .integer: return "bigint"
        case .number: return "double precision"
        case .date: return "date"
        case .instant: return "timestamptz"
        case .boolean: return "boolean"
        case .list: return "text[]"
        }
    }
}
