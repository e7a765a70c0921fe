import Foundation

/// The holidays a campaign may wait for (`when holiday "NAME" within D`, docs/campaigns.md).
/// Fixed ones fall on a Gregorian date; the lunar ones on a day of Foundation's Chinese
/// calendar; 清明 on the solar term when the sun reaches 15° of longitude. All are
/// computed for any year, none comes from a table.
public enum Holiday: String, CaseIterable, Sendable {
    case newYear = "元旦"
    case springFestival = "春节"
    case lanternFestival = "元宵"
    case qingming = "清明"
    case labourDay = "劳动节"
    case dragonBoat = "端午"
    case qixi = "七夕"
    case midAutumn = "中秋"
    case doubleNinth = "重阳"
    case nationalDay = "国庆"
    case christmas = "圣诞"

    /// The name as the contract spells it.
    public var name: String { rawValue }

    /// The English name, also accepted wherever a holiday is named.
    public var englishName: String {
        switch self {
        case .newYear: return "New Year's Day"
        case .springFestival: return "Spring Festival"
        case .lanternFestival: return "Lantern Festival"
        case .qingming: return "Qingming"
        case .labourDay: return "Labour Day"
        case .dragonBoat: return "Dragon Boat Festival"
        case .qixi: return "Qixi"
        case .midAutumn: return "Mid-Autumn Festival"
        case .doubleNinth: return "Double Ninth Festival"
        case .nationalDay: return "National Day"
        case .christmas: return "Christmas"
        }
    }

    /// Other names people write, besides the two above and the Chinese name with 节.
    var otherNames: [String] {
        switch self {
        case .newYear: return ["New Year"]
        case .springFestival: return ["Chinese New Year", "Lunar New Year"]
        case .lanternFestival: return ["Yuanxiao"]
        case .qingming: return ["Tomb-Sweeping Day", "Qingming Festival"]
        case .labourDay: return ["Labor Day", "May Day", "五一"]
        case .dragonBoat: return ["Duanwu"]
        case .qixi: return ["Qixi Festival"]
        case .midAutumn: return ["Mid-Autumn", "Moon Festival"]
        case .doubleNinth: return ["Chongyang"]
        case .nationalDay: return ["十一"]
        case .christmas: return ["Christmas Day"]
        }
    }

    /// How the date of each holiday is found.
    enum Rule {
        case gregorian(month: Int, day: Int)
        case lunar(month: Int, day: Int)
        case solarTerm(longitude: Double)
    }

    var rule: Rule {
        switch self {
        case .newYear: return .gregorian(month: 1, day: 1)
        case .springFestival: return .lunar(month: 1, day: 1)
        case .lanternFestival: return .lunar(month: 1, day: 15)
        case .qingming: return .solarTerm(longitude: 15)
        case .labourDay: return .gregorian(month: 5, day: 1)
        case .dragonBoat: return .lunar(month: 5, day: 5)
        case .qixi: return .lunar(month: 7, day: 7)
        case .midAutumn: return .lunar(month: 8, day: 15)
        case .doubleNinth: return .lunar(month: 9, day: 9)
        case .nationalDay: return .gregorian(month: 10, day: 1)
        case .christmas: return .gregorian(month: 12, day: 25)
        }
    }

    /// The day the holiday falls on in the Gregorian `year` (1...9999); nil outside it.
    /// Every lunar holiday here falls in the Gregorian year its Chinese year starts in.
    public func date(in year: Int) -> Day? {
        guard (1...9999).contains(year) else { return nil }
        switch rule {
        case .gregorian(let month, let day): return Day(year: year, month: month, day: day)
        case .lunar(let month, let day): return Holidays.lunarDate(month: month, day: day, gregorianYear: year)
        case .solarTerm(let longitude): return Holidays.solarTermDate(longitude: longitude, after: Day(year: year, month: 1, day: 1)!)
        }
    }
}

/// Finding holidays by name and date: what `when holiday "NAME" within D` needs.
public enum Holidays {
    /// The contract's names, in calendar order.
    public static let names: [String] = Holiday.allCases.map(\.name)

    /// The holiday a name means: the Chinese name (with or without 节), the English name or
    /// another common one, ignoring case, spaces, hyphens and apostrophes; nil otherwise.
    public static func holiday(named name: String) -> Holiday? {
        byKey[key(name)]
    }

    /// The holiday `name` means, or a usage error at `span` with the nearest name.
    /// The campaign parser calls this for `when holiday "NAME"`.
    public static func resolve(_ name: String, at span: SourceSpan?) throws -> Holiday {
        if let holiday = holiday(named: name) { return holiday }
        let candidates = Holiday.allCases.flatMap { [$0.name, $0.englishName] }
        throw Diagnostic.usage(.unknownHoliday, name, names.joined(separator: ", "), at: span,
                               suggestion: nearestName(to: name, among: candidates))
    }

    /// The day the holiday `name` falls on in `year`; nil for an unknown name.
    public static func date(of name: String, year: Int) -> Day? {
        holiday(named: name)?.date(in: year)
    }

    /// Whether `day` lies from `days` days before an occurrence of `holiday` up to the holiday
    /// itself, both ends included. The occurrence may be in the next year (元旦 within 7 days
    /// holds on 12-28) or, for a window of a year or more, a later one.
    public static func isWithin(_ day: Day, _ holiday: Holiday, days: Int) -> Bool {
        let year = day.parts.year
        let span = max(0, days)
        for y in year...(year + 1 + span / 365) {
            guard let date = holiday.date(in: y) else { continue }
            if date >= day, Int(date.daysSinceEpoch) - Int(day.daysSinceEpoch) <= span { return true }
        }
        return false
    }

    /// `isWithin` by name; false for an unknown name.
    public static func isWithin(_ day: Day, _ name: String, days: Int) -> Bool {
        guard let holiday = holiday(named: name) else { return false }
        return isWithin(day, holiday, days: days)
    }

    // MARK: Names

    private static func key(_ name: String) -> String {
        var k = name.lowercased().filter { !" -'’_".contains($0) }
        if k.hasSuffix("节"), k.count > 2 { k.removeLast() }
        return k
    }

    private static let byKey: [String: Holiday] = {
        var result: [String: Holiday] = [:]
        for h in Holiday.allCases {
            for n in [h.name, h.englishName] + h.otherNames { result[key(n)] = h }
        }
        return result
    }()

    // MARK: The Chinese calendar

    /// China's civil time: the Chinese calendar's days begin at midnight in UTC+8.
    static let chinaTime = TimeZone(secondsFromGMT: 8 * 3600)!

    static let chineseCalendar: Calendar = {
        var c = Calendar(identifier: .chinese)
        c.timeZone = chinaTime
        return c
    }()

    /// Noon of a Gregorian day in China, well away from the day's edges.
    static func chinaNoon(_ day: Day) -> Date {
        Date(timeIntervalSince1970: TimeInterval(Int64(day.daysSinceEpoch) * 86_400 + 4 * 3_600))
    }

    /// The Chinese calendar's month, day and leap flag of a Gregorian day.
    static func lunarParts(_ day: Day) -> (month: Int, day: Int, isLeapMonth: Bool) {
        let c = chineseCalendar.dateComponents([.month, .day, .isLeapMonth], from: chinaNoon(day))
        return (c.month ?? 0, c.day ?? 0, c.isLeapMonth ?? false)
    }

    /// The day of lunar `month`/`day` (never of a leap month) in the Chinese year that begins
    /// in `gregorianYear`. Found by walking the days from the New Year, which falls from 21
    /// January to 20 February; each lunar month is 29 or 30 days, so the walk starts a few
    /// days before the earliest the day can be.
    static func lunarDate(month: Int, day: Int, gregorianYear year: Int) -> Day? {
        guard let january21 = Day(year: year, month: 1, day: 21) else { return nil }
        var newYear: Day?
        for offset in 0..<32 {
            let d = january21.adding(days: offset)
            let p = lunarParts(d)
            if p.month == 1, p.day == 1, !p.isLeapMonth { newYear = d; break }
        }
        guard let newYear else { return nil }
        // A lunar month is at least 29 days, so the day is at least this far on.
        var d = newYear.adding(days: (month - 1) * 29 + day - 1)
        // At most one month per year is a leap month: 30 days for it, one per month for the 30-day months.
        for _ in 0..<(30 + month + 2) {
            let p = lunarParts(d)
            if p.month == month, p.day == day, !p.isLeapMonth { return d }
            d = d.adding(days: 1)
        }
        return nil
    }

    // MARK: Solar terms

    /// The first day, in China's time, on or after `start` when the sun's apparent ecliptic
    /// longitude reaches `longitude` degrees (清明: 15°). Meeus, Astronomical Algorithms,
    /// ch. 25 (low accuracy, about 0.01°, a quarter of an hour), solved by Newton's method.
    static func solarTermDate(longitude: Double, after start: Day) -> Day {
        // Julian Ephemeris Day of noon UTC on `start`, then the first guess: the sun moves ~0.9856°/day.
        let startJD = Double(start.daysSinceEpoch) + 2_440_587.5 + 0.5
        let degreesPerDay = 360 / 365.242_19
        var jde = startJD + normalizedDegrees(longitude - apparentSolarLongitude(startJD)) / degreesPerDay
        for _ in 0..<6 {
            var error = normalizedDegrees(longitude - apparentSolarLongitude(jde))
            if error > 180 { error -= 360 }
            jde += error / degreesPerDay
        }
        let seconds = (jde - 2_440_587.5) * 86_400 - deltaT(year: Double(start.parts.year))
        let local = seconds + 8 * 3_600
        return Day(daysSinceEpoch: Int32((local / 86_400).rounded(.down)))
    }

    /// The sun's apparent longitude in degrees at Julian Ephemeris Day `jde` (Meeus 25.2–25.8).
    static func apparentSolarLongitude(_ jde: Double) -> Double {
        let t = (jde - 2_451_545.0) / 36_525
        let l0 = 280.466_46 + 36_000.769_83 * t + 0.000_303_2 * t * t
        let m = (357.529_11 + 35_999.050_29 * t - 0.000_153_7 * t * t) * .pi / 180
        let c = (1.914_602 - 0.004_817 * t - 0.000_014 * t * t) * sin(m)
            + (0.019_993 - 0.000_101 * t) * sin(2 * m) + 0.000_289 * sin(3 * m)
        let omega = (125.04 - 1_934.136 * t) * .pi / 180
        return normalizedDegrees(l0 + c - 0.005_69 - 0.004_78 * sin(omega))
    }

    /// Terrestrial minus universal time in seconds (Espenak and Meeus's polynomials): about
    /// a minute now, so only terms near midnight could feel it.
    static func deltaT(year y: Double) -> Double {
        switch y {
        case 2005..<2050:
            let t = y - 2000
            return 62.92 + 0.322_17 * t + 0.005_589 * t * t
        case 1986..<2005:
            let t = y - 2000
            return 63.86 + 0.3345 * t - 0.060_374 * t * t + 0.001_727_5 * t * t * t + 0.000_651_814 * t * t * t * t
        default:
            let u = (y - 1820) / 100
            return -20 + 32 * u * u
        }
    }

    static func normalizedDegrees(_ d: Double) -> Double {
        let r = d.truncatingRemainder(dividingBy: 360)
        return r < 0 ? r + 360 : r
    }
}
