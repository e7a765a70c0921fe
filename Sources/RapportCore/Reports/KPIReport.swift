/// `report kpi`: the care team's key measures over a period, as pure functions over whole
/// columns (one pass per table). Each measure's exact definition is in docs/reports.md.

/// The columns a KPI report reads, aligned by position: one entry per live customer, and
/// for each purchase and ticket the position of its customer among those (-1 unknown).
/// Days are days since 1970 in the store's time zone, `NullSentinel.date` for none.
public struct KPIColumns: Sendable {
    public var customerCreated: [Int32]
    /// The customer's satisfaction, NaN when not rated.
    public var customerSatisfaction: [Double]
    /// The customer's group (an index into `groupLabels`) when grouping by a customer field.
    public var customerGroup: [Int32]
    public var groupLabels: [Value]
    public var purchaseOwner: [Int32]
    public var purchaseDay: [Int32]
    public var ticketOwner: [Int32]
    public var ticketOpenedDay: [Int32]
    /// Each ticket's `sla` as the report counts it: 1 met, 2 breached, 0 due or no target.
    public var ticketSLA: [UInt8] = []

    public init(customerCreated: [Int32] = [], customerSatisfaction: [Double] = [], customerGroup: [Int32] = [],
                groupLabels: [Value] = [], purchaseOwner: [Int32] = [], purchaseDay: [Int32] = [],
                ticketOwner: [Int32] = [], ticketOpenedDay: [Int32] = []) {
        self.customerCreated = customerCreated
        self.customerSatisfaction = customerSatisfaction
        self.customerGroup = customerGroup
        self.groupLabels = groupLabels
        self.purchaseOwner = purchaseOwner
        self.purchaseDay = purchaseDay
        self.ticketOwner = ticketOwner
        self.ticketOpenedDay = ticketOpenedDay
    }
}

/// One row of the report: the period or group it covers and its measures.
public struct KPIRow: Sendable, Equatable {
    public var newCustomers = 0
    public var lostCustomers = 0
    /// Customers active on the period's first day (a purchase in the `stage.lost` days before it).
    public var activeAtStart = 0
    public var buyers = 0
    public var repeatBuyers = 0
    public var satisfactionSum = 0.0
    public var satisfactionCount = 0
    public var ticketsOpened = 0
    /// Of the tickets opened, those whose targets were met, and those that breached one.
    public var ticketsMet = 0
    public var ticketsBreached = 0

    public init() {}

    /// lost / active at the start, in percent; nil when nobody was active.
    public var churnRate: Double? { KPIReport.percent(lostCustomers, of: activeAtStart) }
    /// Buyers with two or more purchases in the period among all buyers in it, in percent.
    public var repeatRate: Double? { KPIReport.percent(repeatBuyers, of: buyers) }
    /// Tickets that met their targets among those met or breached, in percent (tickets
    /// still due, or without a target, are not counted); nil when there are none.
    public var targetsMet: Double? { KPIReport.percent(ticketsMet, of: ticketsMet + ticketsBreached) }
    /// Mean satisfaction of the period's buyers who have a rating; nil when none has.
    public var avgSatisfaction: Double? {
        satisfactionCount == 0 ? nil : KPIReport.oneDecimal(satisfactionSum / Double(satisfactionCount))
    }
}

/// An inclusive range of days.
public struct DayRange: Sendable, Equatable {
    public var first: Int32
    public var last: Int32
    public init(first: Int32, last: Int32) { self.first = first; self.last = last }
    public func contains(_ day: Int32) -> Bool { day >= first && day <= last }
}

public enum KPIReport {
    /// The measures, in column order.
    public static let measureNames = ["newCustomers", "lostCustomers", "churnRate", "repeatRate",
                                      "avgSatisfaction", "ticketsOpened", "targetsMet"]
    /// The measures given in percent.
    public static let percentMeasures: Set<String> = ["churnRate", "repeatRate", "targetsMet"]
    /// The calendar periods `by` accepts (weekday is no period of time).
    public static let periods: [Period] = [.month, .quarter, .week, .year]

    /// The default period: the 30 days ending today.
    public static let defaultDays = 30

    static func oneDecimal(_ x: Double) -> Double { (x * 10).rounded() / 10 }

    /// part / whole in percent with one decimal; nil when whole is 0 (no rate, not 0%).
    public static func percent(_ part: Int, of whole: Int) -> Double? {
        whole == 0 ? nil : oneDecimal(Double(part) * 100 / Double(whole))
    }

    /// The consecutive calendar periods that meet `range`, each cut to the range.
    public static func buckets(_ range: DayRange, by period: Period) -> [(label: String, days: DayRange)] {
        var out: [(String, DayRange)] = []
        var day = range.first
        while day <= range.last {
            let key = period.key(ofDay: day)
            var end = day
            while end < range.last && period.key(ofDay: end + 1) == key { end += 1 }
            out.append((period.label(ofKey: key), DayRange(first: day, last: end)))
            day = end + 1
        }
        return out
    }

    /// The measures for each range in `ranges` (periods), over every customer, or with
    /// `grouped` one row per customer group over `ranges[0]`. `lostAfter` is `stage.lost`
    /// in days; `today` caps when a lapse can have happened.
    public static func measure(_ c: KPIColumns, ranges: [DayRange], grouped: Bool, lostAfter: Int32, today: Int32) -> [KPIRow] {
        let rowCount = grouped ? c.groupLabels.count : ranges.count
        var rows = [KPIRow](repeating: KPIRow(), count: rowCount)
        guard let whole = ranges.first.map({ DayRange(first: $0.first, last: ranges.last!.last) }) else { return rows }
        // Which row a day (or a customer's group) falls in; -1 outside the range.
        let firstDay = whole.first
        var rowOfDay = [Int32](repeating: 0, count: Int(whole.last - whole.first) + 1)
        for (i, r) in ranges.enumerated() { for d in r.first...r.last { rowOfDay[Int(d - firstDay)] = Int32(i) } }
        func row(day: Int32, customer: Int) -> Int {
            guard day != NullSentinel.date, whole.contains(day) else { return -1 }
            if grouped { return customer >= 0 && customer < c.customerGroup.count ? Int(c.customerGroup[customer]) : -1 }
            return Int(rowOfDay[Int(day - firstDay)])
        }

        for (customer, day) in c.customerCreated.enumerated() {
            let r = row(day: day, customer: customer)
            if r >= 0 { rows[r].newCustomers += 1 }
        }
        for (i, day) in c.ticketOpenedDay.enumerated() {
            let r = row(day: day, customer: Int(c.ticketOwner[i]))
            guard r >= 0 else { continue }
            rows[r].ticketsOpened += 1
            switch i < c.ticketSLA.count ? c.ticketSLA[i] : 0 {
            case 1: rows[r].ticketsMet += 1
            case 2: rows[r].ticketsBreached += 1
            default: break
            }
        }

        // Each customer's purchase days, together (a counting sort by customer), then sorted.
        let customers = c.customerCreated.count
        var start = [Int](repeating: 0, count: customers + 1)
        for owner in c.purchaseOwner where owner >= 0 && Int(owner) < customers { start[Int(owner) + 1] += 1 }
        for i in 0..<customers { start[i + 1] += start[i] }
        var fill = start
        var days = [Int32](repeating: 0, count: start[customers])
        for (i, owner) in c.purchaseOwner.enumerated() where owner >= 0 && Int(owner) < customers {
            let day = c.purchaseDay[i]
            guard day != NullSentinel.date else { continue }
            days[fill[Int(owner)]] = day
            fill[Int(owner)] += 1
        }
        var purchasesInRow = [Int](repeating: 0, count: rowCount)
        var touched: [Int] = []
        for customer in 0..<customers {
            let from = start[customer], to = fill[customer]
            guard from < to else { continue }
            days[from..<to].sort()
            // Lapses: a purchase not followed by another within `lostAfter` days, once that has passed.
            for k in from..<to {
                let lapse = days[k] + lostAfter
                if k + 1 < to && days[k + 1] <= lapse { continue }
                if lapse > today { continue }
                let r = row(day: lapse, customer: customer)
                if r >= 0 { rows[r].lostCustomers += 1 }
            }
            // Active at a period's start: a purchase in the `lostAfter` days before it.
            if grouped {
                let g = customer < c.customerGroup.count ? Int(c.customerGroup[customer]) : -1
                if g >= 0, isActive(days[from..<to], on: whole.first, lostAfter: lostAfter) { rows[g].activeAtStart += 1 }
            } else {
                for (i, r) in ranges.enumerated() where isActive(days[from..<to], on: r.first, lostAfter: lostAfter) {
                    rows[i].activeAtStart += 1
                }
            }
            // Buyers and repeat buyers per row.
            for k in from..<to {
                let r = row(day: days[k], customer: customer)
                guard r >= 0 else { continue }
                if purchasesInRow[r] == 0 { touched.append(r) }
                purchasesInRow[r] += 1
            }
            let satisfaction = customer < c.customerSatisfaction.count ? c.customerSatisfaction[customer] : .nan
            for r in touched {
                rows[r].buyers += 1
                if purchasesInRow[r] >= 2 { rows[r].repeatBuyers += 1 }
                if !satisfaction.isNaN {
                    rows[r].satisfactionSum += satisfaction
                    rows[r].satisfactionCount += 1
                }
                purchasesInRow[r] = 0
            }
            touched.removeAll(keepingCapacity: true)
        }
        return rows
    }

    /// Whether sorted purchase days hold one in the `lostAfter` days before `day`.
    static func isActive(_ sorted: ArraySlice<Int32>, on day: Int32, lostAfter: Int32) -> Bool {
        for d in sorted.reversed() where d < day { return d >= day - lostAfter }
        return false
    }

    /// The report as a result: the group or period column (or `from` and `to`), then the measures.
    public static func result(_ rows: [KPIRow], labels: [Value], labelColumn: String?, range: DayRange) -> ResultSet {
        var columns = labelColumn.map { [$0] } ?? ["from", "to"]
        columns += measureNames
        var out = ResultSet(columns: columns)
        for (i, row) in rows.enumerated() {
            var values: [Value] = labelColumn != nil
                ? [labels[i]]
                : [.date(Day(daysSinceEpoch: range.first)), .date(Day(daysSinceEpoch: range.last))]
            values += [.integer(Int64(row.newCustomers)), .integer(Int64(row.lostCustomers)),
                       number(row.churnRate), number(row.repeatRate), number(row.avgSatisfaction),
                       .integer(Int64(row.ticketsOpened)), number(row.targetsMet)]
            out.rows.append(values)
        }
        out.percentColumns = Set(columns.indices.filter { percentMeasures.contains(columns[$0]) })
        return out
    }

    private static func number(_ x: Double?) -> Value { x.map { .number($0) } ?? .null }
}
