/// A calendar date with no time of day, stored as days since 1970-01-01.
public struct Day: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var daysSinceEpoch: Int32

    public init(daysSinceEpoch: Int32) { self.daysSinceEpoch = daysSinceEpoch }

    /// A date from its parts; nil when the date does not exist (2026-02-30).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= Day.daysIn(month: month, year: year) else { return nil }
        self.daysSinceEpoch = Int32(Day.daysFromCivil(year, month, day))
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(iso text: Substring) {
        let u = Array(text.utf8)
        guard let day = u.withUnsafeBufferPointer({ Day(isoBytes: $0) }) else { return nil }
        self = day
    }

    /// The same, on a string's UTF-8 in place (no copy: imports read millions of dates).
    public init?(iso text: String) {
        var text = text
        guard let day = text.withUTF8({ Day(isoBytes: $0) }) else { return nil }
        self = day
    }

    init?(isoBytes u: UnsafeBufferPointer<UInt8>) {
        guard u.count == 10, u[4] == 45, u[7] == 45 else { return nil }
        func num(_ r: Range<Int>) -> Int? {
            var n = 0
            for i in r { let c = u[i]; guard c >= 48, c <= 57 else { return nil }; n = n * 10 + Int(c - 48) }
            return n
        }
        guard let y = num(0..<4), let m = num(5..<7), let d = num(8..<10) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Howard Hinnant's days_from_civil.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The year, month and day of this date.
    public var parts: (year: Int, month: Int, day: Int) {
        let z = Int(daysSinceEpoch) + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// The next yearly recurrence of this date on or after `today`; a 29 February
    /// recurs on 28 February in years without one.
    public func nextRecurrence(onOrAfter today: Day) -> Day {
        let (_, m, d) = parts
        let ty = today.parts.year
        func occurrence(in year: Int) -> Day {
            let day = (m == 2 && d == 29 && !Day.isLeap(year)) ? 28 : d
            return Day(year: year, month: m, day: day)!
        }
        let thisYear = occurrence(in: ty)
        return thisYear >= today ? thisYear : occurrence(in: ty + 1)
    }

    public func adding(days: Int) -> Day { Day(daysSinceEpoch: daysSinceEpoch + Int32(days)) }

    public static func < (a: Day, b: Day) -> Bool { a.daysSinceEpoch < b.daysSinceEpoch }

    /// `YYYY-MM-DD`.
    public var description: String {
        let (y, m, d) = parts
        if (0...9999).contains(y) {
            // Ten ASCII digits and dashes written in place: a table of 100,000 dates
            // makes one small string each, not five joined.
            return String(unsafeUninitializedCapacity: 10) { out in
                func two(_ v: Int, at i: Int) { out[i] = UInt8(0x30 + v / 10); out[i + 1] = UInt8(0x30 + v % 10) }
                two(y / 100, at: 0)
                two(y % 100, at: 2)
                out[4] = 0x2D
                two(m, at: 5)
                out[7] = 0x2D
                two(d, at: 8)
                return 10
            }
        }
        var s = String(y)
        while s.utf8.count < 4 { s = "0" + s }
        return s + (m < 10 ? "-0" : "-") + String(m) + (d < 10 ? "-0" : "-") + String(d)
    }
}
