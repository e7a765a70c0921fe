/// A checked `report kpi`: the days it covers and how its rows split.
public struct KPIRequest: Sendable, Equatable {
    public enum Split: Sendable, Equatable {
        case none
        case period(Period)
        case customerField(String)
    }
    public var range: DayRange
    public var split: Split

    /// Checks the written query against the customers' schema and today: both dates
    /// present and in order, `by` a period or a text field of customers.
    public init(_ q: ReportQuery, schema: EntitySchema, clock: Clock) throws {
        let today = clock.today
        var first = today.adding(days: 1 - KPIReport.defaultDays)
        var last = today
        if let from = q.from, let to = q.to {
            first = try KPIRequest.day(from, after: "from", today: today)
            last = try KPIRequest.day(to, after: "to", today: today)
            guard first <= last else {
                throw Diagnostic.usage(.reportPeriodReversed, first.description, last.description, at: from.span)
            }
        }
        range = DayRange(first: first.daysSinceEpoch, last: last.daysSinceEpoch)
        split = .none
        guard let by = q.by else { return }
        if let period = KPIReport.periods.first(where: { $0.rawValue == by.name.lowercased() }) {
            split = .period(period)
            return
        }
        let checker = Checker(schema: schema, clock: clock)
        let field: ResolvedField
        do {
            field = try checker.resolve(by)
        } catch var d as Diagnostic where d.id == .unknownField {
            d.suggestion = nearestName(to: by.name, among: KPIReport.periods.map(\.rawValue) + schema.fields.map(\.name)
                                       + DerivedFields.of(.customers).map(\.name))
            throw d
        }
        guard field.type == .string else {
            throw Diagnostic.usage(.reportGroupNeedsText, field.name, field.type.rawValue, at: by.span)
        }
        split = .customerField(field.name)
    }

    private static func day(_ v: Literal, after word: String, today: Day) throws -> Day {
        switch v.kind {
        case .date(let d): return d
        case .relativeDay(let k): return today.adding(days: k)
        case .string(let s, _): if let d = Day(iso: s) { return d }
        default: break
        }
        throw Diagnostic.usage(.reportNeedsDate, word, v.text, at: v.span)
    }
}

extension KPIReport {
    /// Runs a checked request against a backend: one call for the columns, one pass each.
    public static func run(_ request: KPIRequest, backend: any Backend, clock: Clock) -> ResultSet {
        let lostAfter = Int32(clamping: backend.policy.days("stage.lost"))
        let today = clock.today.daysSinceEpoch
        switch request.split {
        case .none:
            let columns = backend.kpiColumns(groupBy: nil, clock: clock)
            let rows = measure(columns, ranges: [request.range], grouped: false, lostAfter: lostAfter, today: today)
            return result(rows, labels: [], labelColumn: nil, range: request.range)
        case .period(let period):
            let columns = backend.kpiColumns(groupBy: nil, clock: clock)
            let buckets = buckets(request.range, by: period)
            let rows = measure(columns, ranges: buckets.map(\.days), grouped: false, lostAfter: lostAfter, today: today)
            var out = result(rows, labels: buckets.map { .string($0.label) }, labelColumn: period.rawValue, range: request.range)
            out.showsTrend = true
            return out
        case .customerField(let name):
            let columns = backend.kpiColumns(groupBy: name, clock: clock)
            let rows = measure(columns, ranges: [request.range], grouped: true, lostAfter: lostAfter, today: today)
            return result(rows, labels: columns.groupLabels, labelColumn: name, range: request.range)
        }
    }
}
