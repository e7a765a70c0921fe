import Foundation

/// The session's idea of now: a pinned or real instant, and the time zone in which
/// "today" and date arithmetic are counted.
public struct Clock: Sendable {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var now: Int64
    public var timeZone: TimeZone

    public init(now: Int64, timeZone: TimeZone) {
        self.now = now
        self.timeZone = timeZone
    }

    public static func system(timeZone: TimeZone = .current) -> Clock {
        Clock(now: Int64(Date().timeIntervalSince1970.rounded(.down)), timeZone: timeZone)
    }

    /// The calendar date of an instant in this clock's zone.
    public func day(of instant: Int64) -> Day {
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
        let local = instant + offset
        return Day(daysSinceEpoch: Int32((local - (local < 0 ? 86399 : 0)) / 86400))
    }

    public var today: Day { day(of: now) }

    /// The first instant of a date in this clock's zone.
    public func startOfDay(_ day: Day) -> Int64 {
        let utcMidnight = Int64(day.daysSinceEpoch) * 86400
        var guess = utcMidnight - Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utcMidnight))))
        // Correct once for an offset that differs on the other side of a transition.
        let offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(guess))))
        guess = utcMidnight - offset
        return guess
    }

    /// Parses `--now`: `2026-11-01` (the start of that day in the zone) or an ISO 8601
    /// time with offset, `2026-11-01T09:30:00+08:00` (or `Z`).
    public static func parseInstant(_ text: String, timeZone: TimeZone) -> Int64? {
        if let d = Day(iso: text) {
            return checkedInstant(Clock(now: 0, timeZone: timeZone).startOfDay(d))
        }
        return parseISO8601(text, defaultZone: timeZone)
    }

    /// The instants a store keeps: those whose UTC date lies between 0001-01-01 and
    /// 9999-12-31, so that each one is written as ISO 8601 and read back the same.
    public static let instantRange: ClosedRange<Int64> = -62_135_596_800...253_402_300_799

    /// `t` when it is in `instantRange`, else nil.
    public static func checkedInstant(_ t: Int64) -> Int64? { instantRange.contains(t) ? t : nil }

    /// `YYYY-MM-DDTHH:MM[:SS][.fff](Z|±HH:MM)`; without an offset, the default zone.
    /// nil outside `instantRange`.
    public static func parseISO8601(_ text: String, defaultZone: TimeZone) -> Int64? {
        parseISO8601Unchecked(text, defaultZone: defaultZone).flatMap(checkedInstant)
    }

    private static func parseISO8601Unchecked(_ text: String, defaultZone: TimeZone) -> Int64? {
        let s = Array(text.utf8)
        guard s.count >= 16, let day = Day(iso: Substring(text.prefix(10))), s[10] == UInt8(ascii: "T") || s[10] == UInt8(ascii: " ") else { return nil }
        func num(_ a: Int, _ b: Int) -> Int? {
            guard b <= s.count else { return nil }
            var n = 0
            for i in a..<b { guard s[i] >= 48, s[i] <= 57 else { return nil }; n = n * 10 + Int(s[i] - 48) }
            return n
        }
        guard let h = num(11, 13), s[13] == UInt8(ascii: ":"), let m = num(14, 16), h < 24, m < 60 else { return nil }
        var i = 16
        var sec = 0
        if i < s.count, s[i] == UInt8(ascii: ":") {
            guard let v = num(17, 19), v < 61 else { return nil }
            sec = v
            i = 19
            if i < s.count, s[i] == UInt8(ascii: ".") {
                i += 1
                while i < s.count, s[i] >= 48, s[i] <= 57 { i += 1 }
            }
        }
        let local = Int64(day.daysSinceEpoch) * 86400 + Int64(h * 3600 + m * 60 + sec)
        if i == s.count {
            let c = Clock(now: 0, timeZone: defaultZone)
            return c.startOfDay(day) + Int64(h * 3600 + m * 60 + sec)
        }
        if s[i] == UInt8(ascii: "Z"), i == s.count - 1 { return local }
        guard s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-"), s.count == i + 6, s[i + 3] == UInt8(ascii: ":"),
              let oh = num(i + 1, i + 3), let om = num(i + 4, i + 6) else { return nil }
        let offset = Int64(oh * 3600 + om * 60) * (s[i] == UInt8(ascii: "-") ? -1 : 1)
        return local - offset
    }
}

extension Clock {
    /// An instant as ISO 8601 in this clock's zone: `2026-11-01T09:30:00+08:00`.
    public func isoString(_ instant: Int64) -> String {
        let offset = timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant)))
        let local = instant + Int64(offset)
        let day = Day(daysSinceEpoch: Int32((local - (local < 0 ? 86399 : 0)) / 86400))
        let secs = Int(local - Int64(day.daysSinceEpoch) * 86400)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let sign = offset < 0 ? "-" : "+"
        let o = abs(offset)
        return "\(day)T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))\(sign)\(two(o / 3600)):\(two(o / 60 % 60))"
    }
}
