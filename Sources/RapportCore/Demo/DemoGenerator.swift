import Foundation

/// Deterministic demo data: customers with the contacts, purchases and tickets that
/// explain their fields (lastContact is the latest contact's date, totalSpent the sum
/// of their purchases, and so on). Same size, day and seed: same data.
public struct DemoGenerator {
    public let size: Int
    public let today: Day
    public let seed: UInt64

    public init(size: Int = 5000, today: Day, seed: UInt64 = 20261124) {
        self.size = size
        self.today = today
        self.seed = seed
    }

    /// Emits every record aligned with its entity's `builtinFields`: each customer,
    /// then its contacts, purchases and tickets.
    public func generate(into sink: (Entity, [Value]) throws -> Void) rethrows {
        var rng = SplitMix64(seed: seed)
        var contactNumber = 0, purchaseNumber = 0, ticketNumber = 0
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
            let city: Value = rng.chance(0.02) || n == 7 ? .null : .string(rng.weighted(DemoData.cities))
            let owner = rng.pick(DemoData.owners)
            let createdAt = todayNumber - rng.int(1, 6 * 365)
            let prospect = rng.chance(0.12)
            // Recency: most customers are active, some lapsing, some lost.
            let recencyRoll = rng.double()
            let lastTouch = todayNumber - (recencyRoll < 0.55 ? rng.int(0, 90) : recencyRoll < 0.85 ? rng.int(91, 365) : rng.int(366, 3 * 365))
            let lastTouchDay = max(lastTouch, createdAt)

            // Purchases.
            var purchases: [(Int, Int64, String)] = []
            if !prospect {
                let count = 1 + Int(rng.double() * rng.double() * 10)
                for k in 0..<count {
                    let day = k == 0 ? lastTouchDay : rng.int(createdAt, lastTouchDay)
                    let cents = Int64(exp(rng.double() * 6 + 3.9) * 100) // about 50 to 20,000
                    purchases.append((day, cents, rng.pick(DemoData.products)))
                }
                purchases.sort { $0.0 < $1.0 }
            }
            let totalCents = purchases.reduce(Int64(0)) { $0 + $1.1 }
            let totalSpent = Double(totalCents) / 100
            // Contacts: the latest is lastTouchDay (or earlier for prospects).
            let contactCount = prospect ? rng.int(0, 2) : rng.int(1, 6)
            var contactDays = (0..<contactCount).map { k in k == 0 ? lastTouchDay : rng.int(createdAt, lastTouchDay) }
            contactDays.sort()

            let tier: String
            switch totalSpent {
            case 20000...: tier = rng.chance(0.6) ? "platinum" : "gold"
            case 8000..<20000: tier = rng.chance(0.6) ? "gold" : "silver"
            case 2000..<8000: tier = rng.chance(0.5) ? "silver" : "bronze"
            default: tier = "bronze"
            }
            let grade = totalSpent >= 15000 ? "A" : totalSpent >= 6000 ? "B" : totalSpent >= 1500 ? "C" : "D"
            let lastActivity = max(purchases.last?.0 ?? Int.min, contactDays.last ?? Int.min)
            let stage: String
            if purchases.isEmpty { stage = "prospect" } else if todayNumber - lastActivity <= 90 { stage = "active" } else if todayNumber - lastActivity <= 365 { stage = "at-risk" } else { stage = "lost" }

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
            let satisfaction: Value = rng.chance(0.2) ? .null : .integer(Int64([1, 2, 3, 3, 4, 4, 4, 5, 5, 5][rng.int(0, 9)]))

            let customer: [Value] = [
                .string(id), .string(name), email, phone, city, .string(owner),
                .string(tier), .string(grade), .string(stage), birthday,
                .date(Day(daysSinceEpoch: Int32(createdAt))),
                contactDays.last.map { .date(Day(daysSinceEpoch: Int32($0))) } ?? .null,
                purchases.last.map { .date(Day(daysSinceEpoch: Int32($0.0))) } ?? .null,
                .number(totalSpent), .integer(Int64(purchases.count)),
                satisfaction, tags.isEmpty ? .null : .list(tags),
            ]
            try sink(.customers, customer)
            for day in contactDays {
                contactNumber += 1
                try sink(.contacts, [
                    .string("K" + DemoGenerator.padded(contactNumber, 7)), .string(id), .date(Day(daysSinceEpoch: Int32(day))),
                    .string(rng.pick(["phone", "visit", "email", "sms", "wechat"])), .string(rng.pick(DemoData.notes)), .string(owner),
                ])
            }
            for (day, cents, product) in purchases {
                purchaseNumber += 1
                try sink(.purchases, [
                    .string("P" + DemoGenerator.padded(purchaseNumber, 7)), .string(id), .date(Day(daysSinceEpoch: Int32(day))),
                    .number(Double(cents) / 100), .string(product),
                ])
            }
            if rng.chance(0.15) {
                for _ in 0..<rng.int(1, 2) {
                    ticketNumber += 1
                    let opened = Int64(todayNumber - rng.int(0, 365)) * 86400 + Int64(rng.int(8 * 3600, 20 * 3600))
                    let closed = rng.chance(0.7)
                    let kind = rng.pick(["inquiry", "complaint", "suggestion"])
                    try sink(.tickets, [
                        .string("T" + DemoGenerator.padded(ticketNumber, 6)), .string(id), .string(kind),
                        .string(rng.pick(DemoData.ticketTexts[kind]!)), .string(rng.pick(["low", "normal", "normal", "high", "urgent"])),
                        .string(closed ? "closed" : "open"), .instant(opened),
                        closed ? .instant(opened + Int64(rng.int(600, 5 * 86400))) : .null, .string(owner),
                    ])
                }
            }
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
    static let notes = ["回访：满意", "quarterly revisit", "投诉跟进", "生日问候", "新品推荐", "follow-up call", "满意度调查", "催付提醒", "售后回访：已解决", "holiday greetings"]
    static let ticketTexts: [String: [String]] = [
        "inquiry": ["会员积分怎么兑换？", "When will my order ship?", "发票如何开具", "Do you deliver to Singapore?"],
        "complaint": ["快递太慢了", "Product arrived damaged", "客服态度不好", "Charged twice for one order"],
        "suggestion": ["希望增加微信支付", "Please add more tea flavours", "建议延长退货期限"],
    ]
}
