import Foundation
import RapportCore

/// The customer value fields on PostgreSQL, computed as `CustomerValue` computes them
/// (Domain/ValueRules.swift): the purchase facts of each live customer over the purchases
/// dated up to today, the RFM quintiles among the buyers, ltv from the 12-month spend.
/// One derived table for the statement, joined to the customers by `SQLTranslation.from`.
extension SQLTranslation {
    /// The column a value field is read from in the joined table.
    static func valueColumn(_ field: String) -> String { "rapport_" + field }

    /// The table a query reads: the entity's own (the bin's under the live name), with the
    /// columns joined that the query reads: value fields and balances of each row's customer
    /// (a customer's own, a record's by its `customer`), churn facts (the tickets' pauses).
    mutating func from(_ entity: Entity, inBin: Bool) -> String {
        let plain = PostgresBackend.from(entity, inBin: inBin)
        var columns: [String] = [], joins = ""
        joinChurnFacts(columns: &columns, joins: &joins)
        joinTicketPauses(columns: &columns, joins: &joins)
        let customer = entity == .customers ? "b.id" : "b.customer"
        if readsCustomerValues {
            columns += ["rfm", "rfmSegment"].map { "v.\(Self.quoted(Self.valueColumn($0)))" }
                + ["COALESCE(v.\(Self.quoted(Self.valueColumn("ltv"))), \(ltv("0::float8"))) AS \(Self.quoted(Self.valueColumn("ltv")))"]
            joins += " LEFT JOIN (\(customerValues())) v ON v.id = \(customer)"
        }
        if let slot = ledgerSlot {
            // A customer without ledger entries: balance 0, no next expiry.
            columns += ["COALESCE(l.points, 0)::bigint AS \(Self.quoted(Self.valueColumn(CustomerField.points)))",
                        "(date '1970-01-01' + l.next_day) AS \(Self.quoted(Self.valueColumn("nextPointsExpiry")))",
                        "COALESCE(l.next_points, 0)::bigint AS \(Self.quoted(Self.valueColumn("pointsExpiringNext")))"]
            joins += " LEFT JOIN unnest($\(slot + 1)::text[], $\(slot + 2)::bigint[], $\(slot + 3)::int[], $\(slot + 4)::bigint[])"
                + " AS l(id, points, next_day, next_points) ON l.id = \(customer)"
        }
        guard !columns.isEmpty else { return plain }
        return "(SELECT b.*, \(columns.joined(separator: ", ")) FROM \(source(entity)) b\(joins)) \(Self.table(entity))"
    }

    /// A ledger field once lots expire: a joined column (`from`, `joinedCustomerColumn`).
    mutating func ledgerColumn(_ name: String) throws -> String {
        let column = try joinedCustomerColumn(name)
        if ledgerSlot == nil {
            ledgerSlot = parameters.count
            for _ in 0..<4 { _ = parameter(nil) }
        }
        return column
    }

    /// The balances (`Loyalty.balance` of each customer with entries) as the four parameters.
    mutating func fillLedger(ids: [String], points: [Int64], nextDays: [Int32?], nextPoints: [Int64]) {
        guard let slot = ledgerSlot else { return }
        func literal(_ items: [String]) -> String { "{" + items.joined(separator: ",") + "}" }
        let days: [String] = nextDays.map { (d: Int32?) -> String in d.map { String($0) } ?? "NULL" }
        setParameter(slot, Self.arrayLiteral(ids))
        setParameter(slot + 1, literal(points.map { String($0) }))
        setParameter(slot + 2, literal(days))
        setParameter(slot + 3, literal(nextPoints.map { String($0) }))
    }

    /// `ValueRules.ltv` of a 12-month spend: the same float8 operations in the same order,
    /// rounded half away from zero as Swift's `rounded()` (PostgreSQL's round(float8) rounds
    /// half to even); `x - trunc(x)` is exact, so the half is seen exactly.
    private mutating func ltv(_ spend: String) -> String {
        let x = "(\(spend) * \(parameter("\(ValueRules.ltvFactor(policy))"))::float8 * 100::float8)"
        return "((trunc(\(x)) + CASE WHEN abs(\(x) - trunc(\(x))) >= 0.5 THEN sign(\(x)) ELSE 0 END) / 100::float8)"
    }

    /// The order the store added the records of the table read as `alias`: by id (the
    /// store's ids grow as it adds them), in the bin by the change set that deleted them first
    /// (the bin is a store of its own that receives records as they are deleted).
    func addedOrder(_ alias: String) -> String {
        (inBin ? "\(alias).\(Self.quoted(BinField.deletedIn)), " : "") + "\(alias).id COLLATE \"C\""
    }

    /// One row per customer with a purchase up to today: id, rfm, rfmSegment, ltv; in the
    /// bin, of the customers in the bin over the purchases in the bin, as the store's bin
    /// (a store of its own) ranks them.
    private mutating func customerValues() -> String {
        let todayDate = "(date '1970-01-01' + \(parameter(String(today.daysSinceEpoch)))::int)"
        let windowStart = "(date '1970-01-01' + \(parameter(String(Segmentation.windowStart(today: today).daysSinceEpoch)))::int)"
        // A missing (or NaN) amount adds 0. Summed in id order, as the store adds them in
        // the order they were added (`recompute` reads them so too), and + 0 at the end: the
        // store's sums start at +0, so a sum of negative zeros is +0 there.
        let amount = "COALESCE(NULLIF(p.amount, 'NaN'::float8), 0::float8)"
        let facts = "SELECT p.customer AS id, count(*) AS n, max(p.date) AS last,"
            + " sum(\(amount) ORDER BY \(addedOrder("p"))) + 0::float8 AS total,"
            + " sum(CASE WHEN p.date >= \(windowStart) THEN \(amount) ELSE 0::float8 END ORDER BY \(addedOrder("p"))) + 0::float8 AS recent"
            + " FROM \(source(.purchases)) p WHERE p.date <= \(todayDate)"
            + " AND p.customer IN (SELECT id FROM \(source(.customers))) GROUP BY p.customer"
        // `ValueRules.quintileScores`: b values below, e equal (itself counted), n buyers:
        // 1 + (10b + 5e) / 2n in integers.
        func score(_ v: String) -> String {
            "(1 + (10 * (rank() OVER (ORDER BY \(v)) - 1) + 5 * count(*) OVER (PARTITION BY \(v))) / (2 * count(*) OVER ()))::int"
        }
        let scores = "SELECT id, recent, \(score("last")) AS r, \(score("n")) AS f, \(score("total")) AS m FROM (\(facts)) facts"
        // The segment of each (R, F) cell from `ValueRules.rfmSegment`, as one array parameter.
        var cells: [String] = []
        for r in 1...5 { for f in 1...5 { cells.append(ValueRules.rfmSegment(recency: UInt8(r), frequency: UInt8(f))) } }
        let grid = parameter(Self.arrayLiteral(cells))
        return "SELECT id, r::text || f::text || m::text AS \(Self.quoted(Self.valueColumn("rfm"))),"
            + " (\(grid)::text[])[(r - 1) * 5 + f] AS \(Self.quoted(Self.valueColumn("rfmSegment"))),"
            + " \(ltv("recent")) AS \(Self.quoted(Self.valueColumn("ltv"))) FROM (\(scores)) scores"
    }
}

extension PostgresBackend {
    /// Whether any points lot of the live records (or of the bin's) expires: then the
    /// balances are FIFO over the ledger (`fillLedger`).
    func expiringLots(inBin: Bool) throws -> Bool {
        try connection.execute("SELECT EXISTS (SELECT 1 FROM \(Self.table(.points, inBin: inBin)) WHERE \(SQLTranslation.quoted(PointsField.expiresAt)) IS NOT NULL)",
                               failure: .postgresReadFailed).first?[0] == "t"
    }

    /// The points balances as `DerivedRules.ledgerBalances` computes them, for a translation
    /// that reads them once lots expire: the ledger of the live customers (in the bin: the
    /// bin's ledger of the customers in the bin) read in the order the store added it,
    /// each customer's `Loyalty.balance` as of today.
    func fillLedger(_ t: inout SQLTranslation, clock: Clock?) throws {
        guard t.ledgerSlot != nil, let clock else { return }
        let p = SQLTranslation.quoted
        let ledger = try connection.execute(
            "SELECT l.customer, l.\(p(RecordField.date)) - date '1970-01-01', l.\(p(PointsField.change)), l.\(p(PointsField.expiresAt)) - date '1970-01-01'"
                + " FROM \(t.source(.points)) l WHERE l.customer IN (SELECT id FROM \(t.source(.customers))) ORDER BY \(t.addedOrder("l"))",
            failure: .postgresReadFailed)
        var entries: [String: [Loyalty.Entry]] = [:], order: [String] = []
        func day(_ text: String?) -> Day? { text.flatMap { Int32($0) }.map { Day(daysSinceEpoch: $0) } }
        for row in ledger {
            guard let customer = row[0], let change = row[2].flatMap({ Double($0) }), change != 0 else { continue }
            // Read through a Double as the store reads the column: a change near Int64's bounds is kept at them.
            let points = change >= 9.2e18 ? Int64.max : change <= -9.2e18 ? Int64.min : Int64(change)
            if entries[customer] == nil { order.append(customer) }
            entries[customer, default: []].append(Loyalty.Entry(date: day(row[1]), change: points, expiresAt: day(row[3])))
        }
        var ids: [String] = [], points: [Int64] = [], nextDays: [Int32?] = [], nextPoints: [Int64] = []
        for customer in order {
            let balance = Loyalty.balance(of: entries[customer]!, today: clock.today)
            ids.append(customer)
            points.append(balance.points)
            // `DerivedRules.nextPointsExpiries`: at most the balance, none without one.
            let next = balance.points > 0 ? balance.nextExpiry : nil
            nextDays.append(next?.on.daysSinceEpoch)
            nextPoints.append(next.map { min($0.points, balance.points) } ?? 0)
        }
        t.fillLedger(ids: ids, points: points, nextDays: nextDays, nextPoints: nextPoints)
    }
}
