import Foundation

/// Deterministic demo data: customers with the contacts, purchases and tickets that
/// explain their fields (lastContact is the latest contact's date, totalSpent the sum
/// of their purchases, and so on). Same size, day and seed: same data; customer n is the
/// same whatever the size (one random stream, drawn customer by customer).
///
/// Each customer is of one `Kind`, which shapes its purchase history: a regular buys on a
/// personal rhythm up to today, a lapsing customer had one and stopped, a seasonal one
/// buys in the same weeks every year, a one-time buyer bought once, a prospect never.
/// Nothing is dated after today. `tier`, `stage` and `lostReason` follow the segmentation
/// rules on the customer's own history; `grade` ranks the whole store, so `DemoLoader`
/// sets it (and re-applies all of them through the same rules as `recompute`).
public struct DemoGenerator {
    public let size: Int
    public let today: Day
    public let seed: UInt64
    public let policy: Policy

    public init(size: Int = 5000, today: Day, seed: UInt64 = 20261124, policy: Policy = .defaults) {
        self.size = size
        self.today = today
        self.seed = seed
        self.policy = policy
    }

    /// The kinds of purchase history, with their shares of the customers.
    public enum Kind: String, CaseIterable, Sendable {
        case regular, lapsing, seasonal, oneTime, prospect

        public var share: Double {
            switch self {
            case .regular: return 0.40
            case .lapsing: return 0.18
            case .seasonal: return 0.12
            case .oneTime: return 0.20
            case .prospect: return 0.10
            }
        }
    }

    /// The oldest customer joined this many days before today.
    static let historyDays = 6 * 365

    /// One customer's history, before it becomes records.
    struct History {
        var kind: Kind
        var createdAt: Int
        /// Purchase days, ascending, none after today.
        var purchaseDays: [Int] = []
        /// For a lapsing customer, the day its rhythm stopped.
        var stoppedOn: Int?
        /// For a customer with a rhythm, its usual gap in days.
        var usualGap: Double?
        /// The least personal purchase level (hand-picked customers).
        var levelFloor = 0.0
    }

    /// Emits every record aligned with its entity's `builtinFields`: each customer,
    /// then its contacts, purchases, tickets with their timelines, and surveys.
    public func generate(into sink: (Entity, [Value]) throws -> Void) rethrows {
        var rng = SplitMix64(seed: seed)
        // Consent draws come from a stream of their own, so adding them shifted none of the older data.
        var consentRng = SplitMix64(seed: seed ^ 0xC0_5E17_0000_0000)
        var contactNumber = 0, purchaseNumber = 0, ticketNumber = 0, eventNumber = 0, surveyNumber = 0
        let idWidth = max(6, String(size).count)
        let todayNumber = Int(today.daysSinceEpoch)
        for n in 1...max(size, 1) where size > 0 {
            let id = "C" + DemoGenerator.padded(n, idWidth)
            let latin = rng.chance(0.25)
            let name: String
            let email: Value
            if latin {
                let first = rng.pick(DemoData.latinFirst), last = rng.pick(DemoData.latinLast)
                name = first + " " + last
                email = rng.chance(0.9) ? .string("\(first.lowercased()).\(last.lowercased().filter { $0.isLetter })@example.com") : .null
            } else {
                let surname = rng.weighted(DemoData.surnames)
                let given = rng.chance(0.04) ? "芳" : (rng.chance(0.5) ? rng.pick(DemoData.given) : rng.pick(DemoData.given) + rng.pick(DemoData.given))
                name = surname.0 + given
                email = rng.chance(0.7) ? .string("\(surname.1)\(rng.int(10, 9999))@example.cn") : .null
            }
            let phone: Value = rng.chance(0.05) ? .null : .string(rng.chance(0.9) ? "1\(rng.pick(["38", "39", "58", "86", "50"]))\(rng.int(10_000_000, 99_999_999))" : "+65 \(rng.int(8000_0000, 9999_9999))")
            var city: Value = rng.chance(0.02) || n == 7 ? .null : .string(rng.weighted(DemoData.cities))
            let owner = rng.pick(DemoData.owners)

            var history = DemoGenerator.history(of: DemoGenerator.kind(rng.double()), today: todayNumber, rng: &rng)
            // Hand-picked: C000001 is a top customer in 上海 on any day (examples find one even in a small store).
            if n == 1 {
                city = .string("上海")
                history = History(kind: .regular, createdAt: todayNumber - 400, purchaseDays: DemoGenerator.rhythm(gap: 20, from: todayNumber - 400, through: todayNumber, rng: &rng),
                                  usualGap: 20, levelFloor: 5000)
            }
            let purchases = DemoGenerator.purchases(history, rng: &rng)
            let contactDays = DemoGenerator.contactDays(history, today: todayNumber, rng: &rng)
            let tickets = DemoGenerator.tickets(history, owner: owner, today: todayNumber, policy: policy, rng: &rng)

            var windowSpend = 0.0, windowCount = 0, totalCents: Int64 = 0
            for (day, cents, _) in purchases {
                totalCents += cents
                if Segmentation.inWindow(Day(daysSinceEpoch: Int32(day)), today: today) { windowSpend += Double(cents) / 100; windowCount += 1 }
            }
            let tier = Segmentation.tier(spend: windowSpend, purchases: windowCount, policy: policy)
            let lastPurchase = history.purchaseDays.last.map { Day(daysSinceEpoch: Int32($0)) }
            let stage = Segmentation.stage(lastPurchase: lastPurchase, today: today, policy: policy)
            let lostReason = Segmentation.lostReason(stage: stage, current: nil, hasComplaint: tickets.contains { $0.kind == "complaint" })

            let birthday: Value
            if rng.chance(0.05) {
                birthday = .null
            } else if n % 97 == 0 {
                birthday = .date(Day(year: [1960, 1972, 1984, 1988, 1996, 2000][n % 6], month: 2, day: 29)!)
            } else if n % 50 == 3 {
                // A birthday in the coming week, so `birthday within 7d` has answers.
                let d = today.adding(days: n % 7).parts
                birthday = .date(Day(year: rng.int(1950, 2006), month: d.month, day: min(d.day, 28))!)
            } else {
                let month = rng.int(1, 12)
                birthday = .date(Day(year: rng.int(1950, 2006), month: month, day: rng.int(1, Day.daysIn(month: month, year: 2001)))!)
            }
            var tags: [String] = []
            for _ in 0..<rng.int(0, 3) {
                let t = rng.pick(DemoData.tags)
                if !tags.contains(t) { tags.append(t) }
            }
            if tier == "platinum", !tags.contains("vip") { tags.insert("vip", at: 0) }
            if n == 11 { tags = [] }
            // Customers who are drifting away rate the service lower.
            let scores = history.kind == .lapsing ? DemoData.lapsingSatisfaction : DemoData.satisfaction
            var satisfaction: Value = rng.chance(0.2) ? .null : .integer(Int64(rng.pick(scores)))
            // The surveys: the scores tickets were closed with and, for some, a yearly survey.
            // Ids follow the dates, so the latest by date (the higher id on a tie) is the
            // last, and its score is the satisfaction, as `CustomerRollup` keeps it.
            var surveys: [(day: Int, record: [String: Value])] = []
            for (offset, ticket) in tickets.enumerated() {
                let ticketID = "T" + DemoGenerator.padded(ticketNumber + offset + 1, 6)
                if let survey = DemoService.closingSurvey(ticket, id: ticketID, customer: id) { surveys.append(survey) }
            }
            if history.kind != .prospect, rng.chance(0.3) {
                surveys += DemoService.yearlySurveys(customer: id, from: history.createdAt, today: todayNumber, scores: scores, rng: &rng)
            }
            surveys.sort { $0.day < $1.day }
            if let latest = surveys.last { satisfaction = latest.record[SurveyField.score] ?? satisfaction }

            func date(_ day: Int) -> Value { .date(Day(daysSinceEpoch: Int32(day))) }
            let customer: [Value] = [
                .string(id), .string(name), email, phone, city, .string(owner),
                .string(tier), .null, .string(stage), birthday,
                date(history.createdAt),
                contactDays.last.map(date) ?? .null,
                purchases.last.map { date($0.0) } ?? .null,
                .number(Double(totalCents) / 100), .integer(Int64(purchases.count)),
                satisfaction, tags.isEmpty ? .null : .list(tags), lostReason.map(Value.string) ?? .null,
            ] + DemoGenerator.consent(hasEmail: email != .null, rng: &consentRng)
            try sink(.customers, customer)
            for day in contactDays {
                contactNumber += 1
                try sink(.contacts, [
                    .string("K" + DemoGenerator.padded(contactNumber, 7)), .string(id), date(day),
                    .string(rng.pick(["phone", "visit", "email", "sms", "wechat"])), .string(rng.pick(DemoData.notes)), .string(owner),
                ])
            }
            for (day, cents, product) in purchases {
                purchaseNumber += 1
                try sink(.purchases, [
                    .string("P" + DemoGenerator.padded(purchaseNumber, 7)), .string(id), date(day),
                    .number(Double(cents) / 100), .string(product),
                ])
            }
            for ticket in tickets {
                ticketNumber += 1
                let ticketID = "T" + DemoGenerator.padded(ticketNumber, 6)
                let state = DemoService.State(ticket)
                func instant(_ at: Int64?) -> Value { at.map(Value.instant) ?? .null }
                try sink(.tickets, [
                    .string(ticketID), .string(id), .string(ticket.kind), .string(ticket.text), .string(ticket.priority),
                    .string(state.status), .instant(ticket.steps[0].at), instant(state.closedAt), .string(state.owner),
                    .string(ticket.channel), instant(state.respondedAt), instant(state.resolvedAt),
                ])
                for (step, status) in zip(ticket.steps, state.statuses) {
                    eventNumber += 1
                    var entry = TicketLifecycle.timelineRecord(ticket: ticketID, customer: id, at: step.at, by: step.by, kind: step.kind,
                                                               status: status, channel: step.channel, text: step.text)
                    entry[RecordField.id] = .string(IDGenerator.id(.events, number: eventNumber))
                    try sink(.events, DemoGenerator.eventFields.map { entry[$0] ?? .null })
                }
            }
            for survey in surveys {
                surveyNumber += 1
                var record = survey.record
                record[RecordField.id] = .string(IDGenerator.id(.surveys, number: surveyNumber))
                try sink(.surveys, DemoGenerator.surveyFields.map { record[$0] ?? .null })
            }
        }
    }

    /// A customer's `preferredChannel` and `optOut`: most prefer WeChat or SMS, some have no
    /// preference, a few refused a channel or everything (so campaigns meet opt-outs). Always
    /// two draws, so customer n's consent is the same whatever the size.
    static func consent(hasEmail: Bool, rng: inout SplitMix64) -> [Value] {
        let preferenceRoll = rng.double(), optOutRoll = rng.double()
        var preferred: Value = .null
        var rest = preferenceRoll
        for (channel, share) in DemoData.preferredChannels {
            if rest < share { preferred = .string(channel); break }
            rest -= share
        }
        // Nobody prefers a channel they cannot be reached on: without an email, WeChat instead.
        if preferred == .string("email"), !hasEmail { preferred = .string("wechat") }
        var optOut: Value = .null
        rest = optOutRoll
        for (items, share) in DemoData.optOuts {
            if rest < share { optOut = .list(items); break }
            rest -= share
        }
        return [preferred, optOut]
    }

    /// The kind a roll in 0..<1 falls on, by the kinds' shares.
    static func kind(_ roll: Double) -> Kind {
        var rest = roll
        for kind in Kind.allCases {
            if rest < kind.share { return kind }
            rest -= kind.share
        }
        return .prospect
    }

    // MARK: Purchase histories, one per kind

    static func history(of kind: Kind, today: Int, rng: inout SplitMix64) -> History {
        let oldest = today - historyDays
        switch kind {
        case .regular: return regular(today: today, oldest: oldest, rng: &rng)
        case .lapsing: return lapsing(today: today, oldest: oldest, rng: &rng)
        case .seasonal: return seasonal(today: today, rng: &rng)
        case .oneTime:
            let createdAt = today - rng.int(1, historyDays)
            return History(kind: .oneTime, createdAt: createdAt, purchaseDays: [min(today, createdAt + rng.int(0, 30))])
        case .prospect:
            return History(kind: .prospect, createdAt: today - rng.int(1, historyDays))
        }
    }

    /// A personal rhythm: a usual gap of 15 to 120 days (more short gaps than long),
    /// kept up from the customer's first weeks to today.
    static func regular(today: Int, oldest: Int, rng: inout SplitMix64) -> History {
        let gap = rng.logUniform(15, 120)
        let createdAt = max(oldest, today - Int(Double(rng.int(3, 10)) * gap) - rng.int(0, Int(gap)))
        return History(kind: .regular, createdAt: createdAt, purchaseDays: rhythm(gap: gap, from: createdAt, through: today, rng: &rng), usualGap: gap)
    }

    /// A rhythm like a regular's that stopped two months to two years ago.
    static func lapsing(today: Int, oldest: Int, rng: inout SplitMix64) -> History {
        let gap = rng.logUniform(15, 120)
        let stoppedOn = today - rng.int(60, 730)
        let createdAt = max(oldest, stoppedOn - Int(Double(rng.int(3, 9)) * gap) - rng.int(0, Int(gap)))
        return History(kind: .lapsing, createdAt: createdAt, purchaseDays: rhythm(gap: gap, from: createdAt, through: max(createdAt, stoppedOn), rng: &rng),
                       stoppedOn: stoppedOn, usualGap: gap)
    }

    /// Purchases every `gap` days give or take a quarter, the first within a gap of `start`.
    static func rhythm(gap: Double, from start: Int, through end: Int, rng: inout SplitMix64) -> [Int] {
        var days: [Int] = []
        var day = Double(start) + rng.double() * gap
        while Int(day) <= end {
            days.append(Int(day))
            day += max(1, gap * (0.75 + 0.5 * rng.double()))
        }
        return days
    }

    /// The weeks a seasonal customer buys in, as (month, first day, last day): the run-up
    /// to the Spring Festival, and November's shopping festival.
    static let seasons = [(1, 5, 31), (11, 1, 15)]

    /// Purchases in most seasons since the customer joined, one or sometimes two.
    static func seasonal(today: Int, rng: inout SplitMix64) -> History {
        let createdAt = today - rng.int(365, historyDays)
        let firstYear = Day(daysSinceEpoch: Int32(createdAt)).parts.year, lastYear = Day(daysSinceEpoch: Int32(today)).parts.year
        var days: [Int] = []
        for year in firstYear...lastYear {
            for (month, first, last) in seasons where rng.chance(0.8) {
                for _ in 0..<(rng.chance(0.3) ? 2 : 1) {
                    let day = Int(Day(year: year, month: month, day: rng.int(first, last))!.daysSinceEpoch)
                    if day >= createdAt, day <= today { days.append(day) }
                }
            }
        }
        days.sort()
        return History(kind: .seasonal, createdAt: createdAt, purchaseDays: days)
    }

    /// Amounts around a personal level (log-normal), mostly of the customer's favourite
    /// product. The level is higher for customers who come often (the best customers
    /// are both) and for seasonal gifts.
    static func purchases(_ history: History, rng: inout SplitMix64) -> [(Int, Int64, String)] {
        let days = history.purchaseDays
        guard !days.isEmpty else { return [] }
        let often = history.usualGap.map { 60 / $0 } ?? 1
        let drawn = exp(log(400.0) + 1.2 * rng.gaussian()) * often * (history.kind == .seasonal ? 1.5 : 1)
        let level = max(history.levelFloor, drawn)
        let favourite = rng.pick(DemoData.products)
        return days.map { day in
            let cents = max(500, Int64((level * exp(0.4 * rng.gaussian()) * 100).rounded()))
            return (day, cents, rng.chance(0.6) ? favourite : rng.pick(DemoData.products))
        }
    }

    /// Contacts: some follow-up calls after purchases, a few at any time, and a win-back
    /// attempt after a lapsing customer stopped; ascending, none after today.
    static func contactDays(_ history: History, today: Int, rng: inout SplitMix64) -> [Int] {
        var days: [Int] = []
        for day in history.purchaseDays where rng.chance(0.25) { days.append(min(today, day + rng.int(1, 14))) }
        for _ in 0..<rng.int(history.kind == .prospect ? 0 : 1, 3) { days.append(rng.int(history.createdAt, today)) }
        if let stoppedOn = history.stoppedOn, stoppedOn < today, rng.chance(0.5) { days.append(rng.int(stoppedOn + 1, today)) }
        days.sort()
        return days
    }

    static let eventFields = Entity.events.builtinFields.map(\.name)
    static let surveyFields = Entity.surveys.builtinFields.map(\.name)

    /// Tickets: far more often, and mostly complaints, from customers who are lapsing,
    /// raised in the months before they stopped; others within the past year, one in ten
    /// in the past week (so some are still being worked on). Each with its steps up to
    /// `DemoService.asOf`.
    static func tickets(_ history: History, owner: String, today: Int, policy: Policy, rng: inout SplitMix64) -> [DemoService.Ticket] {
        let lapsing = history.kind == .lapsing
        guard rng.chance(lapsing ? 0.45 : 0.12) else { return [] }
        let asOf = DemoService.asOf(today: today)
        return (0..<rng.int(1, 2)).map { _ in
            let kind = lapsing ? rng.weighted([("complaint", 6), ("inquiry", 3), ("suggestion", 1)]) : rng.pick(["inquiry", "complaint", "suggestion"])
            let base = history.stoppedOn.map { $0 - rng.int(0, 90) } ?? today - (rng.chance(0.1) ? rng.int(0, 7) : rng.int(0, 365))
            let day = min(today, max(history.createdAt, base))
            var opened = Int64(day) * 86400 + Int64(rng.int(8 * 3600, 20 * 3600))
            while opened > asOf { opened -= 86400 }
            return DemoService.plan(kind: kind, openedAt: opened, owner: owner, asOf: asOf, policy: policy, rng: &rng)
        }
    }

    static func padded(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

/// A small, fast, deterministic generator (SplitMix64).
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func double() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + Int(next() % UInt64(hi - lo + 1)) }
    mutating func chance(_ p: Double) -> Bool { double() < p }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    /// A number between `lo` and `hi` whose logarithm is uniform: small values as likely per factor as large.
    mutating func logUniform(_ lo: Double, _ hi: Double) -> Double { lo * exp(double() * log(hi / lo)) }
    /// A standard normal number (Box-Muller).
    mutating func gaussian() -> Double { sqrt(-2 * log(1 - double())) * cos(2 * Double.pi * double()) }

    /// Items with weights: earlier ones far more likely (a skewed distribution).
    mutating func weighted<T>(_ items: [(T, Int)]) -> T {
        let total = items.reduce(0) { $0 + $1.1 }
        var roll = int(0, total - 1)
        for (item, weight) in items {
            if roll < weight { return item }
            roll -= weight
        }
        return items[0].0
    }
}


enum DemoData {
    static let surnames: [((String, String), Int)] = [
        (("王", "wang"), 72), (("李", "li"), 70), (("张", "zhang"), 66), (("刘", "liu"), 52), (("陈", "chen"), 45),
        (("杨", "yang"), 31), (("黄", "huang"), 24), (("赵", "zhao"), 20), (("吴", "wu"), 19), (("周", "zhou"), 18),
        (("徐", "xu"), 15), (("孙", "sun"), 15), (("马", "ma"), 13), (("朱", "zhu"), 12), (("胡", "hu"), 11),
        (("郭", "guo"), 11), (("何", "he"), 10), (("林", "lin"), 9), (("罗", "luo"), 9), (("高", "gao"), 9),
        (("欧阳", "ouyang"), 2), (("司马", "sima"), 1), (("诸葛", "zhuge"), 1),
    ]
    static let given = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "华", "建国", "婷", "雪", "慧", "鹏", "宇", "欣"]
    static let latinFirst = ["Anna", "Li", "Tom", "María", "Lucas", "Emma", "Noah", "Olivia", "Wei", "Sofia", "James", "Chloé", "Mateo", "Hannah", "Ivan", "Aiko"]
    static let latinLast = ["Schmidt", "Wei", "Chen", "García", "O'Brien", "Müller", "Smith", "Tan", "Rossi", "Dubois", "Kowalski", "Nguyen", "Lee", "Martin"]
    static let cities: [(String, Int)] = [
        ("上海", 30), ("北京", 26), ("广州", 16), ("深圳", 14), ("杭州", 10), ("成都", 9), ("南京", 7), ("武汉", 6),
        ("西安", 5), ("苏州", 5), ("重庆", 4), ("天津", 4), ("Singapore", 3), ("Hong Kong", 2),
    ]
    static let owners = ["张伟", "李娜", "王磊", "刘洋", "陈静", "杨敏", "Tom Chen", "Grace Liu", "赵强", "周婷", "Kevin Wu", "孙丽"]
    static let tags = ["vip", "wechat", "newsletter", "b2b", "团购", "老客户", "referral", "生日关怀", "投诉过"]
    static let products = ["茶具套装", "保温杯", "Tea sampler", "Gift card", "空气净化器", "Running shoes", "蓝牙耳机", "丝巾", "Coffee beans", "护肤礼盒", "会员年卡", "Desk lamp"]
    /// Shares of `preferredChannel`; the remaining 15% state none.
    static let preferredChannels: [(String, Double)] = [("wechat", 0.35), ("sms", 0.20), ("phone", 0.15), ("email", 0.12), ("visit", 0.03)]
    /// Shares of `optOut`; the remaining 95% refused nothing.
    static let optOuts: [([String], Double)] = [(["sms"], 0.02), (["email"], 0.01), (["sms", "email"], 0.01), (["all"], 0.01)]
    static let satisfaction = [1, 2, 3, 3, 4, 4, 4, 5, 5, 5]
    static let lapsingSatisfaction = [1, 1, 2, 2, 3, 3, 3, 4, 4, 5]
    static let notes = ["回访：满意", "quarterly revisit", "投诉跟进", "生日问候", "新品推荐", "follow-up call", "满意度调查", "催付提醒", "售后回访：已解决", "holiday greetings"]
    static let ticketTexts: [String: [String]] = [
        "inquiry": ["会员积分怎么兑换？", "When will my order ship?", "发票如何开具", "Do you deliver to Singapore?"],
        "complaint": ["快递太慢了", "Product arrived damaged", "客服态度不好", "Charged twice for one order"],
        "suggestion": ["希望增加微信支付", "Please add more tea flavours", "建议延长退货期限"],
    ]
}
