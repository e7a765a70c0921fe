import Foundation
import RapportCore

/// churnRisk on PostgreSQL, as `ChurnRules.signals` and `ChurnThresholds.risk` decide it
/// (Domain/ChurnRules.swift): the customer's facts in correlated subqueries (so it reads
/// alike inside a relation), the policy's thresholds and weights as parameters, the weights
/// of the raised signals added in the rules' order from 0 (float8, as the store adds them).
extension SQLTranslation {
    mutating func churnRisk() -> String {
        let thresholds = ChurnThresholds(policy)
        let todayDate = "(date '1970-01-01' + \(parameter(String(today.daysSinceEpoch)))::int)"
        let id = "\(scope).id"
        func number(_ d: Double) -> String { "\(parameter("\(d)"))::float8" }
        func days(_ n: Int32) -> String { "\(parameter(String(n)))::int" }
        func weight(_ kind: ChurnSignal.Kind) -> String { number(thresholds.weights[kind] ?? 0) }

        // `PurchaseFacts` (count, first, last up to today), the latest two surveys up to
        // today by date then id (`SurveyScores`), the complaints opened up to today on the
        // local day of the clock's zone or never (`ChurnFacts.columns`).
        let purchases = "SELECT count(*) AS n, min(b.date) AS first, max(b.date) AS last FROM \(Self.table(.purchases)) b"
            + " WHERE b.customer = \(id) AND b.date <= \(todayDate)"
        let score = "v.\(Self.quoted(SurveyField.score))"
        let ranked = "SELECT \(score) AS score, v.date AS day, row_number() OVER (ORDER BY v.date DESC, v.id COLLATE \"C\" DESC) AS nth"
            + " FROM \(Self.table(.surveys)) v WHERE v.customer = \(id) AND v.date <= \(todayDate) AND \(score) IS NOT NULL"
        let surveys = "SELECT max(CASE WHEN nth = 1 THEN score END) AS latest, max(CASE WHEN nth = 2 THEN score END) AS previous,"
            + " max(CASE WHEN nth = 1 THEN day END) AS latest_day FROM (\(ranked)) ranked"
        let opened = localDay("k.\(Self.quoted(TicketField.openedAt))")
        let complaints = "SELECT count(CASE WHEN lower(COALESCE(k.status, '')) <> 'closed' THEN 1 END) AS open, max(\(opened)) AS latest_complaint"
            + " FROM \(Self.table(.tickets)) k WHERE k.customer = \(id) AND lower(k.kind) = 'complaint'"
            + " AND (k.\(Self.quoted(TicketField.openedAt)) IS NULL OR \(opened) <= \(todayDate))"
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
