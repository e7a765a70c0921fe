import Foundation
import RapportCore

/// churnRisk on PostgreSQL, as `ChurnRules.signals` and `ChurnThresholds.risk` decide it
/// (Domain/ChurnRules.swift), the policy's thresholds and weights as parameters, the weights
/// of the raised signals added in the rules' order from 0 (float8, as the store adds them).
/// The customer's facts (purchases, surveys, complaints) are, at the query's own level,
/// columns of a join (`from`): each fact aggregated once per customer over its whole table,
/// not a subquery per customer. Inside a relation or in the bin, correlated subqueries of
/// the same facts.
extension SQLTranslation {
    /// The groups of facts a query reads, each one derived table joined by customer.
    enum ChurnFacts: CaseIterable {
        /// `PurchaseFacts`: count, first and last date up to today.
        case purchases
        /// `SurveyScores`: the latest two scores up to today, by date then id.
        case surveys
        /// `ChurnFacts.columns`: open complaints, the local day of the latest opened up to today (or never).
        case complaints

        var alias: String {
            switch self {
            case .purchases: return "cp"
            case .surveys: return "cs"
            case .complaints: return "cc"
            }
        }

        /// The derived table's columns, each joined as `rapport_<group>_<column>`.
        var columns: [String] {
            switch self {
            case .purchases: return ["n", "first", "last"]
            case .surveys: return ["latest", "previous", "latest_day"]
            case .complaints: return ["open", "latest_complaint"]
            }
        }

        func joinedName(_ column: String) -> String { "rapport_\(self)_\(column)" }
    }

    /// Whether the facts come joined: at the query's own level on the live customers.
    var joinsChurnFacts: Bool { scope == Self.table(.customers) && !inBin }

    /// A joined fact column of the customer in scope (`joinsChurnFacts` only).
    mutating func churnFact(_ group: ChurnFacts, _ column: String) -> String {
        churnFactsRead.insert(group)
        return "\(scope).\(Self.quoted(group.joinedName(column)))"
    }

    /// The customer's facts of `group` as one row: a selection of the joined columns, or
    /// a correlated subquery on the customer's own records.
    private mutating func facts(_ group: ChurnFacts) -> String {
        if joinsChurnFacts {
            return "SELECT " + group.columns.map { "\(churnFact(group, $0)) AS \($0)" }.joined(separator: ", ")
        }
        return factsQuery(group, of: "\(scope).id")
    }

    /// The facts of `group` per customer (`customer` nil: grouped by customer for every
    /// customer, the key column `customer`), or of the one customer whose id is `customer`.
    private mutating func factsQuery(_ group: ChurnFacts, of customer: String?) -> String {
        let todayDate = "(date '1970-01-01' + \(parameter(String(today.daysSinceEpoch)))::int)"
        func owner(_ alias: String) -> String { customer.map { " AND \(alias).customer = \($0)" } ?? "" }
        let key = customer == nil ? "customer, " : ""
        let grouped = customer == nil ? " GROUP BY customer" : ""
        switch group {
        case .purchases:
            return "SELECT \(key)count(*) AS n, min(b.date) AS first, max(b.date) AS last FROM \(source(.purchases)) b"
                + " WHERE b.date <= \(todayDate)\(owner("b"))\(grouped)"
        case .surveys:
            let score = "v.\(Self.quoted(SurveyField.score))"
            let partition = customer == nil ? "PARTITION BY v.customer " : ""
            let ranked = "SELECT v.customer, \(score) AS score, v.date AS day, row_number() OVER (\(partition)ORDER BY v.date DESC, v.id COLLATE \"C\" DESC) AS nth"
                + " FROM \(source(.surveys)) v WHERE v.date <= \(todayDate) AND \(score) IS NOT NULL\(owner("v"))"
            return "SELECT \(key)max(CASE WHEN nth = 1 THEN score END) AS latest, max(CASE WHEN nth = 2 THEN score END) AS previous,"
                + " max(CASE WHEN nth = 1 THEN day END) AS latest_day FROM (\(ranked)) ranked WHERE nth <= 2\(grouped)"
        case .complaints:
            let opened = localDay("k.\(Self.quoted(TicketField.openedAt))")
            return "SELECT \(key)count(CASE WHEN lower(COALESCE(k.status, '')) <> 'closed' THEN 1 END) AS open, max(\(opened)) AS latest_complaint"
                + " FROM \(source(.tickets)) k WHERE lower(k.kind) = 'complaint'"
                + " AND (k.\(Self.quoted(TicketField.openedAt)) IS NULL OR \(opened) <= \(todayDate))\(owner("k"))\(grouped)"
        }
    }

    /// The joins of the fact groups the query read, for `from` (customers as `b`). A
    /// customer without records of a group gets NULLs, which raise no signal, as the
    /// empty aggregates of the correlated form do not.
    mutating func joinChurnFacts(columns: inout [String], joins: inout String) {
        for group in ChurnFacts.allCases where churnFactsRead.contains(group) {
            columns += group.columns.map { "\(group.alias).\($0) AS \(Self.quoted(group.joinedName($0)))" }
            joins += " LEFT JOIN (\(factsQuery(group, of: nil))) \(group.alias) ON \(group.alias).customer = b.id"
        }
    }

    mutating func churnRisk() -> String {
        let thresholds = ChurnThresholds(policy)
        let todayDate = "(date '1970-01-01' + \(parameter(String(today.daysSinceEpoch)))::int)"
        func number(_ d: Double) -> String { "\(parameter("\(d)"))::float8" }
        func days(_ n: Int32) -> String { "\(parameter(String(n)))::int" }
        func weight(_ kind: ChurnSignal.Kind) -> String { number(thresholds.weights[kind] ?? 0) }

        let purchases = facts(.purchases), surveys = facts(.surveys), complaints = facts(.complaints)
        let satisfaction = "\(scope).\(Self.quoted(CustomerField.satisfaction))"
        let due = nextContactDue()

        let silent = "(\(todayDate) - p.last)"
        let signals: [(ChurnSignal.Kind, String)] = [
            (.lapse, "p.n >= 2 AND p.last > p.first AND \(silent)::float8 > \(number(thresholds.gapFactor)) * ((p.last - p.first)::float8 / (p.n - 1)::float8)"),
            (.oneTimeBuyer, "p.n >= 1 AND p.first = p.last AND \(silent) > \(days(thresholds.oneTimeAfterDays))"),
            (.lowSatisfaction, "\(satisfaction) IS NOT NULL AND \(satisfaction) <= \(parameter(String(thresholds.lowSatisfaction)))::bigint"),
            (.fallingSatisfaction, "s.latest < s.previous AND \(todayDate) - s.latest_day <= \(days(thresholds.fallingWithinDays))"),
            (.complaint, "c.open > 0 OR (c.latest_complaint IS NOT NULL AND \(todayDate) - c.latest_complaint <= \(days(thresholds.complaintWithinDays)))"),
            (.overdueRevisit, "d.due IS NOT NULL AND \(todayDate) > d.due"),
        ]
        let sum = signals.reduce("0::float8") { sum, signal in
            "(\(sum) + CASE WHEN COALESCE(\(signal.1), false) THEN \(weight(signal.0)) ELSE 0::float8 END)"
        }
        let risk = "CASE WHEN score >= \(number(thresholds.high)) THEN \(parameter(ChurnRisk.high.rawValue))"
            + " WHEN score >= \(number(thresholds.medium)) THEN \(parameter(ChurnRisk.medium.rawValue)) ELSE \(parameter(ChurnRisk.low.rawValue)) END"
        return "(SELECT \(risk) FROM (SELECT \(sum) AS score FROM (\(purchases)) p, (\(surveys)) s, (\(complaints)) c, (SELECT \(due) AS due) d) churn)"
    }
}
