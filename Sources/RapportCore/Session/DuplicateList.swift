/// `find duplicates`: the groups `Duplicates` finds, one row per customer of each group,
/// as a `ResultSet` whose `phone` and `email` columns are those of any customer result
/// (so what masks them there masks them here). The reason names no phone or email for
/// the same cause.
enum DuplicateList {
    static let columns = ["group", "reason", "id", "name", "phone", "email", "city", "createdAt"]

    static func result(_ backend: any Backend, kinds: [DuplicateKind], limit: Int?) -> ResultSet {
        let c = backend.textColumns(.customers, fields: [CustomerField.id, CustomerField.name, CustomerField.phone,
                                                         CustomerField.email, CustomerField.city])
        var groups = Duplicates.groups(ids: c[0], names: c[1], phones: c[2], emails: c[3], cities: c[4], kinds: Set(kinds))
        if let limit, groups.count > limit { groups.removeLast(groups.count - limit) }
        let ids = Set(groups.flatMap { $0.rows.map { c[0][$0]! } })
        let shown = Array(columns.dropFirst(3))
        let records = backend.records(.customers, ids: Array(ids), fields: shown)
        var rows: [[Value]] = []
        for (number, group) in groups.enumerated() {
            for row in group.rows {
                let id = c[0][row]!
                let record = records[id] ?? [:]
                rows.append([.integer(Int64(number + 1)), .string(group.reason), .string(id)] + shown.map { record[$0] ?? .null })
            }
        }
        return ResultSet(columns: columns, rows: rows)
    }
}
