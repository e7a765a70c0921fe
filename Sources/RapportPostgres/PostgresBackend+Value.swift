import Foundation
import RapportCore

/// The customer value fields on PostgreSQL, computed as `CustomerValue` computes them
/// (Domain/ValueRules.swift): the purchase facts of each live customer over the purchases
/// dated up to today, the RFM quintiles among the buyers, ltv from the 12-month spend.
/// One derived table for the statement, joined to the customers by `SQLTranslation.from`.
extension SQLTranslation {
    /// The column a value field is read from in the joined table.
    static func valueColumn(_ field: String) -> String { "rapport_" + field }

    /// The table a query reads: the entity's own (the bin's under the live name), or the
    /// customers with their value columns joined when the query reads them.
    mutating func from(_ entity: Entity, inBin: Bool) -> String {
        let plain = PostgresBackend.from(entity, inBin: inBin)
        guard readsCustomerValues, entity == .customers, !inBin else { return plain }
        let columns = ["rfm", "rfmSegment"].map { "v.\(Self.quoted(Self.valueColumn($0)))" }
            + ["COALESCE(v.\(Self.quoted(Self.valueColumn("ltv"))), \(ltv("0::float8"))) AS \(Self.quoted(Self.valueColumn("ltv")))"]
        return "(SELECT b.*, \(columns.joined(separator: ", ")) FROM \(Self.table(.customers)) b LEFT JOIN (\(customerValues())) v ON v.id = b.id) \(Self.table(.customers))"
    }

    /// `ValueRules.ltv` of a 12-month spend: the same float8 operations in the same order,
    /// rounded half away from zero as Swift's `rounded()` (PostgreSQL's round(float8) rounds
    /// half to even); `x - trunc(x)` is exact, so the half is seen exactly.
    private mutating func ltv(_ spend: String) -> String {
        let x = "(\(spend) * \(parameter("\(ValueRules.ltvFactor(policy))"))::float8 * 100::float8)"
        return "((trunc(\(x)) + CASE WHEN abs(\(x) - trunc(\(x))) >= 0.5 THEN sign(\(x)) ELSE 0 END) / 100::float8)"
    }

    /// One row per customer with a purchase up to today: id, rfm, rfmSegment, ltv.
    private mutating func customerValues() -> String {
        let todayDate = "(date '1970-01-01' + \(parameter(String(today.daysSinceEpoch)))::int)"
        let windowStart = "(date '1970-01-01' + \(parameter(String(Segmentation.windowStart(today: today).daysSinceEpoch)))::int)"
        // A missing (or NaN) amount adds 0. Summed in id order, as the store adds them in
        // the order they were added (`recompute` reads them so too), and + 0 at the end: the
        // store's sums start at +0, so a sum of negative zeros is +0 there.
        let amount = "COALESCE(NULLIF(p.amount, 'NaN'::float8), 0::float8)"
        let facts = "SELECT p.customer AS id, count(*) AS n, max(p.date) AS last,"
            + " sum(\(amount) ORDER BY p.id COLLATE \"C\") + 0::float8 AS total,"
            + " sum(CASE WHEN p.date >= \(windowStart) THEN \(amount) ELSE 0::float8 END ORDER BY p.id COLLATE \"C\") + 0::float8 AS recent"
            + " FROM \(Self.table(.purchases)) p WHERE p.date <= \(todayDate)"
            + " AND p.customer IN (SELECT id FROM \(Self.table(.customers))) GROUP BY p.customer"
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
