/// Values as they appear in snapshot, journal and export files: dates as
/// `"YYYY-MM-DD"`, instants as ISO 8601 UTC strings, lists as arrays; null is omitted.
enum RecordCodec {
    static func json(_ value: Value) -> JSONValue {
        switch value {
        case .null: return .null
        case .string(let s): return .string(s)
        case .integer(let i): return .integer(i)
        case .number(let d): return .double(d)
        case .date(let d): return .string(d.description)
        case .instant(let t): return .string(isoUTC(t))
        case .list(let items): return .array(items.map { .string($0) })
        case .boolean(let b): return .bool(b)
        }
    }

    /// The value of a field of type `type`; nil when the JSON does not fit the type.
    static func value(_ json: JSONValue, as type: FieldType) -> Value? {
        switch (type, json) {
        case (_, .null): return .null
        case (.string, .string(let s)): return .string(s)
        case (.integer, .integer(let i)): return .integer(i)
        case (.number, .double(let d)): return .number(d)
        case (.number, .integer(let i)): return .number(Double(i))
        case (.date, .string(let s)): return Day(iso: s).map(Value.date)
        case (.instant, .string(let s)): return Clock.parseISO8601(s, defaultZone: .gmt).map(Value.instant)
        case (.instant, .integer(let t)) where Clock.instantRange.contains(t): return .instant(t)
        case (.list, .array(let items)):
            var strings: [String] = []
            for item in items {
                guard case .string(let s) = item else { return nil }
                strings.append(s)
            }
            return strings.isEmpty ? .null : .list(strings)
        case (.boolean, .bool(let b)): return .boolean(b)
        default: return nil
        }
    }

    static func isoUTC(_ t: Int64) -> String {
        let day = Day(daysSinceEpoch: Int32((t - (t < 0 ? 86399 : 0)) / 86400))
        let secs = Int(t - Int64(day.daysSinceEpoch) * 86400)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(day)T\(two(secs / 3600)):\(two(secs / 60 % 60)):\(two(secs % 60))Z"
    }

    static func object(_ record: [String: Value], order: [Field]) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = []
        for f in order { if let v = record[f.name], !v.isNull { members.append((f.name, json(v))) } }
        return .object(members)
    }
}
