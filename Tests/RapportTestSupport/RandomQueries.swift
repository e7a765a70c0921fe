import Foundation

// Random customers, tickets and queries with their SQL for sqlite3: what the differential
// tests (RapportEndToEndTests/DifferentialTests, RapportPostgresTests) share.

// MARK: - Data

/// SplitMix64: the same seed gives the same customers and queries on every machine.
public struct SeededRandom {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    public mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
    public mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }
}

/// A cell of an answer, typed loosely enough to compare Rapport's JSON with sqlite3's text.
public enum Cell: Equatable, CustomStringConvertible {
    case null
    case number(Double)
    case text(String)

    public static func == (a: Cell, b: Cell) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.text(let x), .text(let y)): return x == y
        case (.number(let x), .number(let y)): return abs(x - y) <= 1e-6 + 1e-9 * max(abs(x), abs(y))
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .null: return "null"
        case .number(let n): return String(n)
        case .text(let s): return "\"\(s)\""
        }
    }
}

public enum ColumnKind { case text, number, date, tags }

public struct FieldInfo {
    public let name: String
    public let kind: ColumnKind
}

public enum CustomerFields {
    public static let strings = ["name", "email", "city", "owner", "tier", "grade", "stage"]
    /// Derived by Rapport; the oracle gets them precomputed (`SQLiteOracle.daysSince`).
    public static let derived = ["daysSinceContact", "daysSincePurchase"]
    public static let numbers = ["totalSpent", "purchaseCount", "points", "satisfaction"] + derived
    public static let dates = ["birthday", "createdAt", "lastContact", "lastPurchase"]
    public static let yearly = ["birthday", "createdAt"]
    /// A custom field imported from true/false values.
    public static let booleans = ["vip"]
    public static let groupable = ["tier", "grade", "stage", "city", "owner", "satisfaction", "vip", "daysSinceContact"]
    public static func kind(_ field: String) -> ColumnKind {
        if strings.contains(field) || field == "id" { return .text }
        if numbers.contains(field) || booleans.contains(field) { return .number }
        if dates.contains(field) { return .date }
        return .tags
    }
}

public struct Customer {
    public var id: String
    public var values: [String: Any] = [:]   // String, Double, Int, Bool, or [String] for tags; absent = missing

    public init(id: String, values: [String: Any] = [:]) {
        self.id = id
        self.values = values
    }

    public var jsonLine: String {
        var object: [String: Any] = ["id": id]
        for (k, v) in values { object[k] = v }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}

public enum CustomerGenerator {
    /// The day the generated data is relative to (`--now`).
    public static let today = "2026-11-01"
    public static let names = ["王芳", "李芳芳", "张伟", "芳", "陈静", "Anna", "anna", "ANNA Li", "Zoë", "Émile Roy",
                        "O'Brien", "Li Wei", "li wei", "Ma", "Zhang \"Zed\"", "黄超静"]
    public static let cities = ["上海", "北京", "深圳", "Berlin", "berlin", "BERLIN", "Paris", "São Paulo", "Zürich"]
    public static let owners = ["alice", "bob", "Bob", "陈经理"]
    public static let tiers = ["bronze", "silver", "gold", "Gold", "GOLD", "platinum"]
    public static let grades = ["A", "B", "C", "D", "a"]
    public static let stages = ["prospect", "active", "at-risk", "lost", "Active"]
    public static let tags = ["vip", "VIP", "wechat", "b2b", "newsletter", "老客户"]
    public static let birthdays = ["1992-02-29", "2000-02-29", "1990-11-01", "1985-11-08", "1985-11-09", "1970-10-31",
                            "1999-12-31", "2001-01-01", "1988-03-01", "1996-02-28"]
    /// Days before today: the boundaries of the durations the queries use.
    public static let ages = [0, 1, 2, 6, 7, 8, 13, 14, 15, 29, 30, 31, 89, 90, 91, 179, 180, 364, 365, 366, 400, 800]

    public static func customer(number: Int, random: inout SeededRandom) -> Customer {
        var c = Customer(id: String(format: "C%04d", (number * 7919) % 10000))
        func maybe(_ field: String, _ p: Double = 0.12, _ make: (inout SeededRandom) -> Any) {
            if !random.chance(p) { c.values[field] = make(&random) }
        }
        maybe("name", 0.03) { $0.pick(names) }
        maybe("email", 0.3) { r in "user\(r.int(0...50))@\(r.pick(["example.com", "Example.COM", "qq.com"]))" }
        maybe("city") { $0.pick(cities) }
        maybe("owner") { $0.pick(owners) }
        // Rapport stores vocabulary words in one spelling (import included), so the
        // oracle gets that spelling; queries below still write them in any case.
        maybe("tier") { $0.pick(tiers).lowercased() }
        maybe("grade") { $0.pick(grades).uppercased() }
        maybe("stage") { $0.pick(stages).lowercased() }
        maybe("birthday", 0.15) { r in r.chance(0.5) ? r.pick(birthdays) : day(ago: r.int(6000...25000)) }
        maybe("createdAt", 0.05) { r in day(ago: r.chance(0.5) ? r.pick(ages) + 365 * r.int(0...3) : r.int(0...3000)) }
        maybe("lastContact", 0.15) { r in day(ago: r.chance(0.6) ? r.pick(ages) : r.int(0...1000)) }
        maybe("lastPurchase", 0.25) { r in day(ago: r.int(0...1500)) }
        maybe("totalSpent", 0.1) { r in r.chance(0.3) ? r.pick([0.0, 5000.0, 5000.5, -75.0, 12345.67]) : Double(r.int(0...3_000_000)) / 100 }
        maybe("purchaseCount", 0.1) { r in r.int(0...40) }
        maybe("points", 0.1) { r in r.chance(0.2) ? r.pick([0, 10, 5000]) : r.int(0...99999) }
        maybe("satisfaction", 0.3) { r in r.int(1...5) }
        maybe("tags", 0.2) { r in
            var list: [String] = []
            for tag in tags where r.chance(0.25) { list.append(tag) }
            return list   // an empty list counts as missing
        }
        maybe("vip", 0.3) { r in r.chance(0.5) }
        return c
    }

    public static func day(ago days: Int) -> String {
        DayMath.string(DayMath.ordinal(CustomerGenerator.today) - days)
    }
}

/// Calendar arithmetic written for the test, independent of Rapport's own `Day`.
public enum DayMath {
    public static func ordinal(_ iso: String) -> Int {
        let parts = iso.split(separator: "-").map { Int($0)! }
        return ordinal(year: parts[0], month: parts[1], day: parts[2])
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public static func ordinal(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    public static func string(_ ordinal: Int) -> String {
        let z = ordinal + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    /// Days from today to the date's next yearly recurrence; 29 February falls on the 28th.
    public static func daysToRecurrence(of iso: String, today: String) -> Int {
        let parts = iso.split(separator: "-").map { Int($0)! }
        let now = ordinal(today)
        let year = Int(today.prefix(4))!
        for y in year...(year + 1) {
            let day = parts[1] == 2 && parts[2] == 29 && !isLeap(y) ? 28 : parts[2]
            let candidate = ordinal(year: y, month: parts[1], day: day)
            if candidate >= now { return candidate - now }
        }
        fatalError("no recurrence")
    }
}

// MARK: - Queries

public struct GeneratedQuery {
    public enum Shape { case ids, aggregate(columns: [ColumnKind]) }
    public var rapport: String
    public var sql: String
    public var shape: Shape

    public init(rapport: String, sql: String, shape: Shape) {
        self.rapport = rapport
        self.sql = sql
        self.shape = shape
    }
}

/// Tickets for relations and `customer.FIELD`: none for many customers, up to four for others.
public enum TicketGenerator {
    public static let kinds = ["inquiry", "complaint", "suggestion"]
    public static let statuses = ["open", "closed"]
    public static let priorities = ["low", "normal", "high", "urgent"]
    public static let owners = ["alice", "bob", "陈经理"]

    public static func tickets(of customers: [Customer], random r: inout SeededRandom) -> [Customer] {
        var out: [Customer] = []
        for c in customers where r.chance(0.6) {
            for _ in 0..<r.int(1...4) {
                var t = Customer(id: String(format: "T%05d", out.count + 1))
                t.values["customer"] = c.id
                t.values["kind"] = r.pick(kinds)
                t.values["text"] = "ticket"
                if r.chance(0.9) { t.values["status"] = r.pick(statuses) }
                if r.chance(0.85) { t.values["priority"] = r.pick(priorities) }
                if r.chance(0.7) { t.values["owner"] = r.pick(owners) }
                out.append(t)
            }
        }
        return out
    }

    /// A condition on tickets; its SQL reads the oracle's `tickets` table as `t`.
    public static func condition(depth: Int, random r: inout SeededRandom) -> Condition {
        if depth > 0, r.chance(0.4) {
            let a = condition(depth: depth - 1, random: &r), b = condition(depth: depth - 1, random: &r)
            return r.chance(0.5) ? Condition(rapport: "\(a.rapport) and \(b.rapport)", sql: "(\(a.sql) AND \(b.sql))")
                : Condition(rapport: "(\(a.rapport) or \(b.rapport))", sql: "(\(a.sql) OR \(b.sql))")
        }
        let (field, pool) = r.pick([("kind", kinds), ("status", statuses), ("priority", priorities), ("owner", owners)])
        let column = "t.t" + field
        switch r.int(0...4) {
        case 0: return Condition(rapport: "\(field) is null", sql: "\(column) IS NULL")
        case 1:
            let v = r.pick(pool)
            return Condition(rapport: "\(field) != \(Condition.quoted(v.uppercased()))", sql: Condition.wrap("lower(\(column)) != \(Condition.sqlText(v))"))
        case 2:
            let vs = [r.pick(pool), r.pick(pool)]
            return Condition(rapport: "\(field) in (\(vs.map(Condition.quoted).joined(separator: ", ")))",
                             sql: Condition.wrap("\(column) IN (\(vs.map(Condition.sqlText).joined(separator: ", ")))"))
        case 3:
            let inner = condition(depth: 0, random: &r)
            return Condition(rapport: "not (\(inner.rapport))", sql: "NOT (\(inner.sql))")
        default:
            let v = r.pick(pool)
            return Condition(rapport: "\(field) = \(Condition.quoted(v))", sql: Condition.wrap("\(column) = \(Condition.sqlText(v))"))
        }
    }

    /// `any|no|count ticket(COND)` on customers, as `EXISTS`, `NOT EXISTS` or a correlated count.
    public static func relation(random r: inout SeededRandom) -> Condition {
        let inner = r.chance(0.8) ? condition(depth: r.int(0...2), random: &r) : nil
        let entity = r.pick(["ticket", "tickets", "TICKET"])
        let rapportInner = inner.map { "(\($0.rapport))" } ?? ""
        let matching = "FROM tickets t WHERE t.tcustomer = customers.id" + (inner.map { " AND " + $0.sql } ?? "")
        switch r.int(0...2) {
        case 0: return Condition(rapport: "any \(entity)\(rapportInner)", sql: "EXISTS (SELECT 1 \(matching))")
        case 1: return Condition(rapport: "no \(entity)\(rapportInner)", sql: "NOT EXISTS (SELECT 1 \(matching))")
        default:
            let op = r.pick(["=", "!=", "<", "<=", ">", ">="]), n = r.int(0...3)
            return Condition(rapport: "count \(entity)\(rapportInner) \(op) \(n)",
                             sql: "(SELECT count(*) \(matching)) \(op == "=" ? "==" : op) \(n)")
        }
    }
}

public enum QueryGenerator {
    public static func query(random r: inout SeededRandom) -> GeneratedQuery {
        if r.chance(0.1) {
            // Tickets by their customer's fields (`customer.FIELD`), maybe with their own.
            var condition = Condition.random(depth: r.int(0...2), random: &r, customerPrefix: "customer.")
            if r.chance(0.4) {
                let own = TicketGenerator.condition(depth: 1, random: &r)
                condition = Condition(rapport: "\(own.rapport) and \(condition.rapport)", sql: "(\(own.sql) AND \(condition.sql))")
            }
            return GeneratedQuery(rapport: "find tickets where \(condition.rapport) show id",
                                  sql: "SELECT t.tid FROM tickets t JOIN customers ON customers.id = t.tcustomer WHERE \(condition.sql) ORDER BY t.tid",
                                  shape: .ids)
        }
        let condition = r.chance(0.9) ? Condition.random(depth: r.int(0...3), random: &r) : nil
        let whereRapport = condition.map { " where " + $0.rapport } ?? ""
        let whereSQL = condition.map { " WHERE " + $0.sql } ?? ""
        switch r.int(0...9) {
        case 0...5:
            var sortRapport: [String] = [], sortSQL: [String] = []
            for _ in 0..<r.int(0...2) {
                let descending = r.chance(0.5)
                if r.chance(0.2) {
                    // An expression as a sort key; x / 0 and missing operands sort last.
                    let e = r.chance(0.7) ? Arithmetic.random(depth: 2, random: &r) : Arithmetic.dateDifference(random: &r)
                    sortRapport.append(e.rapport + (descending ? " desc" : ""))
                    sortSQL.append("(\(e.sql)) IS NULL, (\(e.sql))\(descending ? " DESC" : "")")
                    continue
                }
                let field = r.pick(CustomerFields.strings + CustomerFields.numbers + CustomerFields.dates + CustomerFields.booleans)
                sortRapport.append(field + (descending ? " desc" : r.chance(0.5) ? " asc" : ""))
                sortSQL.append("\(field) IS NULL, \(field)\(descending ? " DESC" : "")")
            }
            var rapport = "find customers" + whereRapport
            var sql = "SELECT id FROM customers" + whereSQL + " ORDER BY "
                + (sortSQL + ["id"]).joined(separator: ", ")
            if !sortRapport.isEmpty { rapport += " sort by " + sortRapport.joined(separator: ", ") }
            if r.chance(0.4) {
                let limit = r.int(0...30)
                rapport += " limit \(limit)"
                sql += " LIMIT \(limit)"
                if r.chance(0.5) {
                    let offset = r.int(0...40)
                    rapport += " offset \(offset)"
                    sql += " OFFSET \(offset)"
                }
            }
            return GeneratedQuery(rapport: rapport + " show id", sql: sql, shape: .ids)
        case 6, 7:
            if r.chance(0.5) {
                return GeneratedQuery(rapport: "count customers" + whereRapport,
                                      sql: "SELECT count(*) FROM customers" + whereSQL,
                                      shape: .aggregate(columns: [.number]))
            }
            let group = Group.random(&r)
            return GeneratedQuery(
                rapport: "count customers" + whereRapport + " by " + group.rapport,
                sql: "SELECT \(group.sql), count(*) FROM customers\(whereSQL) GROUP BY 1 ORDER BY \(group.order)",
                shape: .aggregate(columns: [group.kind, .number]))
        default:
            let function = r.pick(["sum", "avg", "min", "max"])
            let field: String
            if function == "min" || function == "max" {
                field = r.pick(CustomerFields.numbers + CustomerFields.dates + ["name", "city"])
            } else {
                field = r.pick(CustomerFields.numbers)
            }
            let kind = CustomerFields.kind(field) == .number ? ColumnKind.number : .text
            let aggregate = "\(function)(\(field))"
            if r.chance(0.5) {
                return GeneratedQuery(rapport: "\(function) \(field) of customers" + whereRapport,
                                      sql: "SELECT \(aggregate) FROM customers" + whereSQL,
                                      shape: .aggregate(columns: [kind]))
            }
            let group = Group.random(&r)
            return GeneratedQuery(
                rapport: "\(function) \(field) of customers\(whereRapport) by \(group.rapport)",
                sql: "SELECT \(group.sql), \(aggregate) FROM customers\(whereSQL) GROUP BY 1 ORDER BY \(group.order)",
                shape: .aggregate(columns: [group.kind, kind]))
        }
    }
}

/// The `by` of an aggregate: a field, or a period of a date field, with its SQL.
public struct Group {
    public var rapport: String
    public var sql: String
    public var order: String
    public var kind: ColumnKind

    public static func random(_ r: inout SeededRandom) -> Group {
        guard r.chance(0.4) else {
            let field = r.pick(CustomerFields.groupable)
            return Group(rapport: field, sql: field, order: "\(field) IS NULL, \(field)", kind: CustomerFields.kind(field))
        }
        let field = r.pick(CustomerFields.dates)
        let period = r.pick(["month", "quarter", "year", "week", "weekday"])
        // Written in any case; the column is named in lower case.
        let written = r.chance(0.2) ? period.uppercased() : period
        // The ISO week's Thursday decides its year: SQLite 3.40 has no %V or %G.
        let thursday = "date(\(field), '-3 days', 'weekday 4')"
        let sql: String
        var sortKey: String?
        switch period {
        case "month": sql = "strftime('%Y-%m', \(field))"
        case "quarter": sql = "strftime('%Y', \(field)) || '-Q' || ((CAST(strftime('%m', \(field)) AS INTEGER) + 2) / 3)"
        case "year": sql = "strftime('%Y', \(field))"
        case "week": sql = "strftime('%Y', \(thursday)) || '-W' || printf('%02d', (strftime('%j', \(thursday)) - 1) / 7 + 1)"
        default:
            sql = "CASE strftime('%w', \(field)) WHEN '1' THEN 'Mon' WHEN '2' THEN 'Tue' WHEN '3' THEN 'Wed' WHEN '4' THEN 'Thu' "
                + "WHEN '5' THEN 'Fri' WHEN '6' THEN 'Sat' WHEN '0' THEN 'Sun' END"
            // Monday first, as Rapport orders weekdays.
            sortKey = "(CAST(strftime('%w', min(\(field))) AS INTEGER) + 6) % 7"
        }
        return Group(rapport: "\(written)(\(field))", sql: sql, order: "(\(sql)) IS NULL, \(sortKey ?? "(" + sql + ")")", kind: .text)
    }
}

/// A condition with its Rapport text and an SQL translation that follows the contract's
/// two-valued logic: each test is wrapped in `coalesce(..., 0)` so a missing field is false.
public struct Condition {
    public var rapport: String
    public var sql: String

    public init(rapport: String, sql: String) {
        self.rapport = rapport
        self.sql = sql
    }

    /// `customerPrefix`: the condition is on tickets and reads their customer's fields
    /// (`customer.tier`); no relations then, and no arithmetic.
    public static func random(depth: Int, random r: inout SeededRandom, customerPrefix: String = "") -> Condition {
        if depth == 0 || r.chance(0.35) { return atom(random: &r, customerPrefix: customerPrefix) }
        switch r.int(0...4) {
        case 0:
            let inner = random(depth: depth - 1, random: &r, customerPrefix: customerPrefix)
            return Condition(rapport: "not (\(inner.rapport))", sql: "NOT (\(inner.sql))")
        case 1, 2:
            let a = random(depth: depth - 1, random: &r, customerPrefix: customerPrefix), b = random(depth: depth - 1, random: &r, customerPrefix: customerPrefix)
            return Condition(rapport: "\(a.rapport) and \(b.rapport)", sql: "(\(a.sql) AND \(b.sql))")
        default:
            // An `or` is always parenthesized: inside it, an unparenthesized `and` checks that
            // `and` binds tighter (`x and y or z` is `(x and y) or z`).
            let a = random(depth: depth - 1, random: &r, customerPrefix: customerPrefix), b = random(depth: depth - 1, random: &r, customerPrefix: customerPrefix)
            return Condition(rapport: "(\(a.rapport) or \(b.rapport))", sql: "(\(a.sql) OR \(b.sql))")
        }
    }

    public static func atom(random r: inout SeededRandom, customerPrefix: String = "") -> Condition {
        if customerPrefix.isEmpty {
            if r.chance(0.12) { return TicketGenerator.relation(random: &r) }
            if r.chance(0.15) { return Arithmetic.comparison(random: &r) }
        }
        let field = r.pick(CustomerFields.strings + CustomerFields.numbers + CustomerFields.dates + CustomerFields.booleans + ["tags", "id"])
        let written = customerPrefix + (r.chance(0.2) ? field.lowercased() : field)   // field names ignore case
        if r.chance(0.08) {
            let negated = r.chance(0.5)
            let sql = field == "tags"
                ? "\(negated ? "" : "NOT ")EXISTS (SELECT 1 FROM tags t WHERE t.cid = customers.id)"
                : "\(field) IS \(negated ? "NOT " : "")NULL"
            return Condition(rapport: "\(written) is \(negated ? "not " : "")null", sql: sql)
        }
        switch CustomerFields.kind(field) {
        case .text: return stringAtom(field, written, random: &r)
        case .number where CustomerFields.booleans.contains(field): return booleanAtom(field, written, random: &r)
        case .number: return numberAtom(field, written, random: &r)
        case .date: return dateAtom(field, written, random: &r)
        case .tags: return tagsAtom(written, random: &r)
        }
    }

    public static func wrap(_ sql: String) -> String { "coalesce((\(sql)), 0)" }

    public static func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
    public static func sqlText(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

    public static func stringValue(_ field: String, random r: inout SeededRandom) -> String {
        let pool: [String]
        switch field {
        case "name": pool = CustomerGenerator.names + ["芳", "an", "ANNA", "Li", "zoë"]
        case "city": pool = CustomerGenerator.cities + ["SHANGHAI", "上"]
        case "owner": pool = CustomerGenerator.owners + ["BOB"]
        case "tier": pool = CustomerGenerator.tiers + ["diamond"]
        case "grade": pool = CustomerGenerator.grades + ["b"]
        case "stage": pool = CustomerGenerator.stages + ["AT-RISK"]
        case "id": pool = ["C0000", "C0001", "c0042", "C5000", "C9999", "C12"]
        default: pool = ["user1@example.com", "EXAMPLE", "qq.com", "user"]
        }
        return r.pick(pool)
    }

    public static func stringAtom(_ field: String, _ written: String, random r: inout SeededRandom) -> Condition {
        let v = stringValue(field, random: &r)
        let literal = v.allSatisfy({ $0.isASCII && $0.isLetter }) && r.chance(0.5) ? v : quoted(v)
        switch r.int(0...9) {
        case 0, 1:
            return Condition(rapport: "\(written) = \(literal)", sql: wrap("lower(\(field)) = lower(\(sqlText(v)))"))
        case 2:
            return Condition(rapport: "\(written) != \(literal)", sql: wrap("lower(\(field)) != lower(\(sqlText(v)))"))
        case 3:
            let op = r.pick(["<", "<=", ">", ">="])
            return Condition(rapport: "\(written) \(op) \(quoted(v))", sql: wrap("\(field) \(op) \(sqlText(v))"))
        case 4:
            let values = (0..<r.int(1...3)).map { _ in stringValue(field, random: &r) }
            let negated = r.chance(0.4)
            return Condition(
                rapport: "\(written) \(negated ? "not in" : "in") (\(values.map(quoted).joined(separator: ", ")))",
                sql: wrap("lower(\(field)) \(negated ? "NOT IN" : "IN") (\(values.map { "lower(\(sqlText($0)))" }.joined(separator: ", ")))"))
        case 5:
            let w = stringValue(field, random: &r)
            let (not, NOT) = negation(random: &r)
            return Condition(rapport: "\(written) \(not)between \(quoted(v)) and \(quoted(w))",
                             sql: wrap("\(field) \(NOT)BETWEEN \(sqlText(v)) AND \(sqlText(w))"))
        case 6, 7:
            let part = r.chance(0.5) ? String(v.prefix(r.int(1...2))) : v
            let (not, NOT) = negation(random: &r)
            return Condition(rapport: "\(written) \(not)contains \(quoted(part))",
                             sql: wrap("\(NOT)(instr(lower(\(field)), lower(\(sqlText(part)))) > 0)"))
        case 8:
            let part = String(v.prefix(r.int(1...3)))
            let (not, NOT) = negation(random: &r)
            return Condition(rapport: "\(written) \(not)starts with \(quoted(part))",
                             sql: wrap("\(NOT)(substr(lower(\(field)), 1, length(\(sqlText(part)))) = lower(\(sqlText(part))))"))
        default:
            let part = String(v.suffix(r.int(1...3)))
            let (not, NOT) = negation(random: &r)
            return Condition(rapport: "\(written) \(not)ends with \(quoted(part))",
                             sql: wrap("\(NOT)(length(\(field)) >= length(\(sqlText(part))) AND substr(lower(\(field)), -length(\(sqlText(part)))) = lower(\(sqlText(part))))"))
        }
    }

    /// An operator's own `not` a third of the time, in Rapport and in SQL. Under `coalesce`
    /// a missing field stays false either way, as the contract's null rule says.
    public static func negation(random r: inout SeededRandom) -> (rapport: String, sql: String) {
        r.chance(0.33) ? ("not ", "NOT ") : ("", "")
    }

    public static func booleanAtom(_ field: String, _ written: String, random r: inout SeededRandom) -> Condition {
        switch r.int(0...3) {
        case 0:
            return Condition(rapport: written, sql: wrap(field))
        case 1:
            let (word, bit) = r.pick([("true", 1), ("false", 0)])
            let op = r.pick(["=", "!="])
            return Condition(rapport: "\(written) \(op) \(word)", sql: wrap("\(field) \(op) \(bit)"))
        case 2:
            let (not, NOT) = negation(random: &r)
            return Condition(rapport: "\(written) \(not)in (true)", sql: wrap("\(field) \(NOT)IN (1)"))
        default:
            // Standing alone inside a larger condition: `vip and ...` / `not vip or ...`.
            let negated = r.chance(0.5)
            // `customer.vip or customer.points > 0` on tickets: the same prefix.
            let other = numberAtom("points", written.dropLast(field.count) + "points", random: &r)
            return Condition(rapport: "(\(negated ? "not " : "")\(written) or \(other.rapport))",
                             sql: "(\(negated ? "NOT " : "")\(wrap(field)) OR \(other.sql))")
        }
    }

    public static func numberValue(_ field: String, random r: inout SeededRandom) -> String {
        switch field {
        case "totalSpent": return r.pick(["0", "5000", "5000.5", "-75", "10000", "12345.67", "20000", "-1"])
        case "satisfaction": return r.pick(["1", "2", "3", "4", "5", "3.5"])
        case "points": return r.pick(["0", "10", "5000", "50000", "99999", "4.5"])
        case "daysSinceContact", "daysSincePurchase": return r.pick(["0", "1", "7", "30", "90", "91", "365", "400.5", "1000"])
        default: return r.pick(["0", "1", "5", "10", "20", "40"])
        }
    }

    public static func numberAtom(_ field: String, _ written: String, random r: inout SeededRandom) -> Condition {
        let v = numberValue(field, random: &r)
        switch r.int(0...7) {
        case 0...4:
            let op = r.pick(["=", "!=", "<", "<=", ">", ">="])
            return Condition(rapport: "\(written) \(op) \(v)", sql: wrap("\(field) \(op) \(v)"))
        case 5:
            let values = (0..<r.int(1...3)).map { _ in numberValue(field, random: &r) }
            let negated = r.chance(0.4)
            return Condition(rapport: "\(written) \(negated ? "not in" : "in") (\(values.joined(separator: ", ")))",
                             sql: wrap("\(field) \(negated ? "NOT IN" : "IN") (\(values.joined(separator: ", ")))"))
        default:
            let w = numberValue(field, random: &r)
            let (not, NOT) = negation(random: &r)
            return Condition(rapport: "\(written) \(not)between \(v) and \(w)", sql: wrap("\(field) \(NOT)BETWEEN \(v) AND \(w)"))
        }
    }

    /// A duration as Rapport writes it and its length in days.
    public static func duration(random r: inout SeededRandom) -> (text: String, days: Double) {
        switch r.int(0...5) {
        case 0: let n = r.pick([0, 1, 7, 30, 89, 90, 91, 180, 365]); return ("\(n)d", Double(n))
        case 1: let n = r.pick([12, 24, 36, 48]); return ("\(n)h", Double(n) / 24)
        case 2: let n = r.pick([1, 2, 4]); return ("\(n)w", Double(n * 7))
        case 3: let n = r.pick([1, 3, 6]); return ("\(n)mo", Double(n * 30))
        case 4: return ("1y", 365)
        default: let n = r.pick([7, 8, 14]); return ("\(n)d", Double(n))
        }
    }

    public static func dateAtom(_ field: String, _ written: String, random r: inout SeededRandom) -> Condition {
        let age = "(julianday('\(CustomerGenerator.today)') - julianday(\(field)))"
        if CustomerFields.yearly.contains(field) && r.chance(0.35) {
            let d = duration(random: &r)
            return Condition(rapport: "\(written) within \(d.text)", sql: wrap("\(field)_next <= \(d.days)"))
        }
        let op = r.pick(["=", "!=", "<", "<=", ">", ">="])
        switch r.int(0...5) {
        case 0, 1:
            let d = duration(random: &r)
            return Condition(rapport: "\(written) \(op) \(d.text)", sql: wrap("\(age) \(op) \(d.days)"))
        case 2:
            let d = duration(random: &r), e = duration(random: &r)
            let (not, NOT) = negation(random: &r)
            return Condition(rapport: "\(written) \(not)between \(d.text) and \(e.text)",
                             sql: wrap("\(age) \(NOT)BETWEEN \(d.days) AND \(e.days)"))
        case 3:
            let (word, value) = r.pick([("today", CustomerGenerator.today), ("yesterday", CustomerGenerator.day(ago: 1))])
            return Condition(rapport: "\(written) \(op) \(word)", sql: wrap("\(field) \(op) '\(value)'"))
        case 4:
            let a = CustomerGenerator.day(ago: r.pick(CustomerGenerator.ages))
            let b = CustomerGenerator.day(ago: r.int(0...3000))
            let (not, NOT) = negation(random: &r)
            return Condition(rapport: "\(written) \(not)between \(a) and \(b)", sql: wrap("\(field) \(NOT)BETWEEN '\(a)' AND '\(b)'"))
        default:
            let value = r.chance(0.5) ? r.pick(CustomerGenerator.birthdays) : CustomerGenerator.day(ago: r.pick(CustomerGenerator.ages))
            return Condition(rapport: "\(written) \(op) \(value)", sql: wrap("\(field) \(op) '\(value)'"))
        }
    }

    public static func tagsAtom(_ written: String, random r: inout SeededRandom) -> Condition {
        func exists(_ tag: String) -> String {
            "EXISTS (SELECT 1 FROM tags t WHERE t.cid = customers.id AND lower(t.tag) = lower(\(sqlText(tag))))"
        }
        let pool = CustomerGenerator.tags + ["Wechat", "none"]
        // `not has ...` holds on a customer with tags that fails the test; no tags never match.
        let negated = r.chance(0.3)
        func negate(_ sql: String) -> String {
            negated ? "(EXISTS (SELECT 1 FROM tags t WHERE t.cid = customers.id) AND NOT \(sql))" : sql
        }
        let not = negated ? "not " : ""
        switch r.int(0...2) {
        case 0:
            let tag = r.pick(pool)
            return Condition(rapport: "\(written) \(not)has \(quoted(tag))", sql: negate(exists(tag)))
        default:
            let any = r.chance(0.5)
            let tags = (0..<r.int(1...3)).map { _ in r.pick(pool) }
            return Condition(rapport: "\(written) \(not)has \(any ? "any" : "all") (\(tags.map(quoted).joined(separator: ", ")))",
                             sql: negate("(" + tags.map(exists).joined(separator: any ? " OR " : " AND ") + ")"))
        }
    }
}

/// Expressions for the generator: arithmetic on numbers (computed in SQL as reals, as
/// Rapport does, with SQLite's NULL for x / 0), fields against fields, and date
/// arithmetic through julianday.
public struct Arithmetic {
    public var rapport: String
    public var sql: String

    public static let constants = ["0", "1", "2", "3", "10", "100", "0.5", "-1", "-75", "4.5"]

    /// A numeric expression `depth` operators deep at most, fully parenthesized.
    public static func random(depth: Int, random r: inout SeededRandom) -> Arithmetic {
        if depth == 0 || r.chance(0.3) {
            if r.chance(0.75) {
                let field = r.pick(CustomerFields.numbers)
                return Arithmetic(rapport: r.chance(0.2) ? field.lowercased() : field, sql: "(\(field) * 1.0)")
            }
            // Never a bare integer in SQL: in ORDER BY that would name a column.
            let c = r.pick(constants)
            return Arithmetic(rapport: c, sql: "(\(c) * 1.0)")
        }
        if r.chance(0.1) {
            let inner = random(depth: depth - 1, random: &r)
            return Arithmetic(rapport: "-(\(inner.rapport))", sql: "(-\(inner.sql))")
        }
        let a = random(depth: depth - 1, random: &r), b = random(depth: depth - 1, random: &r)
        let op = r.pick(["+", "-", "*", "/"])
        return Arithmetic(rapport: "(\(a.rapport) \(op) \(b.rapport))", sql: "(\(a.sql) \(op) \(b.sql))")
    }

    /// `DATE - DATE` in days.
    public static func dateDifference(random r: inout SeededRandom) -> Arithmetic {
        let a = r.pick(CustomerFields.dates + ["today"]), b = r.pick(CustomerFields.dates)
        func julian(_ d: String) -> String { d == "today" ? "julianday('\(CustomerGenerator.today)')" : "julianday(\(d))" }
        return Arithmetic(rapport: "(\(a) - \(b))", sql: "(\(julian(a)) - \(julian(b)))")
    }

    public static func comparison(random r: inout SeededRandom) -> Condition {
        let op = r.pick(["=", "!=", "<", "<=", ">", ">="])
        switch r.int(0...5) {
        case 0, 1:
            let a = random(depth: r.int(1...3), random: &r)
            let rightSide = r.chance(0.5) ? random(depth: r.int(0...1), random: &r) : Arithmetic(rapport: r.pick(constants), sql: "")
            let sql = rightSide.sql.isEmpty ? "(\(rightSide.rapport))" : rightSide.sql
            return Condition(rapport: "\(a.rapport) \(op) \(rightSide.rapport)", sql: Condition.wrap("\(a.sql) \(op) \(sql)"))
        case 2:
            // Field against field: a bare word on the right that names a field is that field.
            let pair = r.pick([("points", "totalSpent"), ("purchaseCount", "satisfaction"), ("lastContact", "lastPurchase"),
                               ("createdAt", "lastContact"), ("birthday", "createdAt")])
            return Condition(rapport: "\(pair.0) \(op) \(pair.1)", sql: Condition.wrap("\(pair.0) \(op) \(pair.1)"))
        case 3:
            // Text against text: equality ignores case, ordering by code point.
            let pair = r.pick([("city", "owner"), ("tier", "grade"), ("name", "owner"), ("stage", "tier"), ("grade", "owner")])
            let sql = op == "=" || op == "!=" ? "lower(\(pair.0)) \(op) lower(\(pair.1))" : "\(pair.0) \(op) \(pair.1)"
            return Condition(rapport: "\(pair.0) \(op) \(pair.1)", sql: Condition.wrap(sql))
        case 4:
            let d = dateDifference(random: &r)
            let n = r.pick(["0", "1", "30", "90", "365", "-30", "400.5"])
            return Condition(rapport: "\(d.rapport) \(op) \(n)", sql: Condition.wrap("\(d.sql) \(op) \(n)"))
        default:
            // DATE ± DURATION against a date, or against a duration (an age).
            let field = r.pick(CustomerFields.dates)
            let d = Condition.duration(random: &r)
            let sign = r.pick(["+", "-"])
            let shifted = "(julianday(\(field)) \(sign) \(d.days))"
            switch r.int(0...2) {
            case 0:
                let other = r.pick(CustomerFields.dates)
                return Condition(rapport: "\(field) \(sign) \(d.text) \(op) \(other)", sql: Condition.wrap("\(shifted) \(op) julianday(\(other))"))
            case 1:
                let day = CustomerGenerator.day(ago: r.pick(CustomerGenerator.ages))
                return Condition(rapport: "\(field) \(sign) \(d.text) \(op) \(day)", sql: Condition.wrap("\(shifted) \(op) julianday('\(day)')"))
            default:
                let age = Condition.duration(random: &r)
                return Condition(rapport: "\(field) \(sign) \(d.text) \(op) \(age.text)",
                                 sql: Condition.wrap("(julianday('\(CustomerGenerator.today)') - \(shifted)) \(op) \(age.days)"))
            }
        }
    }
}

// MARK: - Answers

public enum SQLiteOracle {
    public static let separator = "\u{1F}"
    public static let nullMark = "\u{2205}NULL"

    /// The derived days since a date, as the oracle's column holds it: today minus the date.
    public static func daysSince(_ date: String?) -> String {
        date.map { String(DayMath.ordinal(CustomerGenerator.today) - DayMath.ordinal($0)) } ?? "NULL"
    }

    /// Loads the customers into an in-memory sqlite3 database and runs every query.
    public static func answers(customers: [Customer], tickets: [Customer], queries: [GeneratedQuery], directory: URL) throws -> [[[Cell]]] {
        var script = """
            CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT, email TEXT, city TEXT, owner TEXT, tier TEXT,
              grade TEXT, stage TEXT, birthday TEXT, birthday_next INTEGER, createdAt TEXT, createdAt_next INTEGER,
              lastContact TEXT, lastPurchase TEXT, totalSpent REAL, purchaseCount INTEGER, points INTEGER,
              satisfaction INTEGER, vip INTEGER, daysSinceContact INTEGER, daysSincePurchase INTEGER);
            CREATE TABLE tags (cid TEXT, tag TEXT);
            CREATE TABLE tickets (tid TEXT PRIMARY KEY, tcustomer TEXT, tkind TEXT, tstatus TEXT, tpriority TEXT, towner TEXT);
            BEGIN;

            """
        func literal(_ value: Any?) -> String {
            switch value {
            case let b as Bool: return b ? "1" : "0"
            case let s as String: return Condition.sqlText(s)
            case let d as Double: return String(d)
            case let i as Int: return String(i)
            default: return "NULL"
            }
        }
        for c in customers {
            let v = c.values
            let next = { (field: String) in (v[field] as? String).map { String(DayMath.daysToRecurrence(of: $0, today: CustomerGenerator.today)) } ?? "NULL" }
            let cells = [literal(c.id)] + ["name", "email", "city", "owner", "tier", "grade", "stage", "birthday"].map { literal(v[$0]) }
                + [next("birthday"), literal(v["createdAt"]), next("createdAt")]
                + ["lastContact", "lastPurchase", "totalSpent", "purchaseCount"].map { literal(v[$0]) }
                // An imported points column is an opening balance on the ledger: 0 when none.
                + [literal(v["points"] ?? 0)]
                + ["satisfaction", "vip"].map { literal(v[$0]) }
                + ["lastContact", "lastPurchase"].map { daysSince(v[$0] as? String) }
            script += "INSERT INTO customers VALUES (\(cells.joined(separator: ", ")));\n"
            for tag in v["tags"] as? [String] ?? [] {
                script += "INSERT INTO tags VALUES (\(literal(c.id)), \(literal(tag)));\n"
            }
        }
        for t in tickets {
            let cells = [literal(t.id)] + ["customer", "kind", "status", "priority", "owner"].map { literal(t.values[$0]) }
            script += "INSERT INTO tickets VALUES (\(cells.joined(separator: ", ")));\n"
        }
        // The relations' and tags' correlated subqueries look rows up by customer: indexed,
        // the oracle answers in a fraction of the time (the answers are the same).
        script += "CREATE INDEX tags_cid ON tags (cid);\nCREATE INDEX tickets_customer ON tickets (tcustomer);\n"
        script += "COMMIT;\n.mode list\n.separator \"\(separator)\"\n.nullvalue \"\(nullMark)\"\n"
        for (index, query) in queries.enumerated() {
            script += "SELECT '@@\(index)';\n\(query.sql);\n"
        }
        let output = try run(script, file: directory.appendingPathComponent("oracle.sql"))

        var answers = [[[Cell]]](repeating: [], count: queries.count)
        var current = -1
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("@@"), let n = Int(line.dropFirst(2)) { current = n; continue }
            guard current >= 0, !line.isEmpty else { continue }
            let raw = line.components(separatedBy: separator)
            let kinds: [ColumnKind]
            switch queries[current].shape {
            case .ids: kinds = [.text]
            case .aggregate(let columns): kinds = columns
            }
            answers[current].append(zip(raw, kinds).map { text, kind in
                if text == nullMark { return .null }
                if kind == .number, let n = Double(text) { return .number(n) }
                return .text(text)
            })
        }
        return answers
    }

    public struct OracleError: Error, CustomStringConvertible { var message: String; public var description: String { message } }

    /// Runs an SQL script (written to `file`, so a failure can be read afterwards) in an
    /// in-memory sqlite3 and returns its standard output.
    public static func run(_ script: String, file: URL) throws -> Data {
        try script.write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sqlite3", "-bail", ":memory:", ".read \(file.path)"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OracleError(message: "sqlite3 (install it with scripts/setup) failed: " + String(decoding: errors, as: UTF8.self))
        }
        return output
    }
}

public enum RapportAnswers {
    /// Splits `--format json` output, one array per query with one object per line, into rows.
    public static func parse(_ output: String, queries: [GeneratedQuery]) -> [[[Cell]]] {
        var answers: [[[Cell]]] = []
        var rows: [[Cell]] = []
        // Per answer, not per row: a find's hundreds of rows share its column names.
        var columns: [String] = []
        for line in output.split(separator: "\n") {
            if line == "[]" { answers.append([]); continue }
            if line == "[" {
                rows = []
                columns = answers.count < queries.count ? columnNames(queries[answers.count].rapport) : []
                continue
            }
            if line == "]" { answers.append(rows); continue }
            var text = String(line)
            if text.hasSuffix(",") { text.removeLast() }
            guard answers.count < queries.count,
                  let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { continue }
            rows.append(columns.map { cell(object[$0]) })
        }
        return answers
    }

    /// The JSON keys of a query's answer, in SQL column order.
    public static func columnNames(_ query: String) -> [String] {
        let words = query.split(separator: " ").map(String.init)
        let group = words.firstIndex(of: "by").flatMap { i in
            words[i - 1] == "sort" ? nil : (i + 1 < words.count ? words[i + 1] : nil)
        }.map { by in
            // `by WEEK(createdAt)` names its column `week(createdAt)`.
            by.firstIndex(of: "(").map { by[..<$0].lowercased() + by[$0...] } ?? by
        }
        if words[0] == "find" { return ["id"] }
        let value = words[0] == "count" ? "count" : "\(words[0])(\(words[1]))"
        return (group.map { [$0] } ?? []) + [value]
    }

    public static func cell(_ value: Any?) -> Cell {
        switch value {
        case nil, is NSNull: return .null
        case let s as String: return .text(s)
        case let n as NSNumber: return .number(n.doubleValue)
        case let b as Bool: return .number(b ? 1 : 0)
        default: return .text("\(value!)")
        }
    }
}
