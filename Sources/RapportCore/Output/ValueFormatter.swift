import Foundation

/// The text of values as the output formats print them.
public struct ValueFormatter {
    public let timeZone: TimeZone
    private let clock: Clock

    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        self.clock = Clock(now: 0, timeZone: timeZone)
    }

    /// A value as text: lists as a `ListCell` for CSV and joined by `, ` otherwise; null as "".
    public func text(_ value: Value, forCSV: Bool = false) -> String {
        switch value {
        case .null: return ""
        case .string(let s): return s
        case .integer(let i): return String(i)
        case .number(let d): return ValueFormatter.number(d)
        case .date(let d): return d.description
        case .instant(let t): return instant(t)
        case .list(let items): return forCSV ? ListCell.join(items) : items.joined(separator: ", ")
        case .boolean(let b): return b ? "true" : "false"
        }
    }

    /// `2026-11-01T09:30:00+08:00`, in this formatter's zone.
    public func instant(_ seconds: Int64) -> String { clock.isoString(seconds) }

    /// The shortest text that reads back as `d`: no thousands separators, no `.0` on
    /// whole numbers, and plain digits rather than an exponent for magnitudes from
    /// 1e-6 to 1e15.
    public static func number(_ value: Double) -> String {
        if value == 0 { return "0" }
        // Fifteen significant digits, as SQLite prints: sums of cents show no float noise.
        let d = value.isFinite ? (Double(String(format: "%.15g", value)) ?? value) : value
        var s = d.description
        if s.hasSuffix(".0") {
            s.removeLast(2)
            return s
        }
        guard d.isFinite, let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return s }
        let magnitude = abs(d)
        guard magnitude >= 1e-6, magnitude <= 1e15, let exponent = Int(s[s.index(after: e)...]) else { return s }
        var mantissa = s[..<e]
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let intLength = mantissa.firstIndex(of: ".").map { mantissa.distance(from: mantissa.startIndex, to: $0) } ?? mantissa.count
        let digits = Array(mantissa.filter { $0 != "." })
        let point = intLength + exponent
        var out: String
        if point <= 0 {
            out = "0." + String(repeating: "0", count: -point) + String(digits)
        } else if point >= digits.count {
            out = String(digits) + String(repeating: "0", count: point - digits.count)
        } else {
            out = String(digits[..<point]) + "." + String(digits[point...])
        }
        if out.contains(".") {
            while out.hasSuffix("0") { out.removeLast() }
            if out.hasSuffix(".") { out.removeLast() }
        }
        return negative ? "-" + out : out
    }
}
