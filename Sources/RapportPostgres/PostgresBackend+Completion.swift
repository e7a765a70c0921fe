import RapportCore

/// What tab completion reads of the data: the live values of a string or list field with
/// few distinct values, and ids by prefix. One SELECT each; a failed read offers nothing
/// (completion never prints an error), as a store with nothing to offer does.
extension PostgresBackend {
    public func distinctValues(_ entity: Entity, field: String, limit: Int) -> [String]? {
        guard entity.isStored, let f = schema(of: entity).field(named: field) else { return nil }
        let table = SQLTranslation.table(entity), column = SQLTranslation.quoted(f.name)
        let values: String
        switch f.type {
        case .string: values = "SELECT \(column) AS v FROM \(table) WHERE \(column) IS NOT NULL"
        case .list: values = "SELECT unnest(\(column)) AS v FROM \(table)"
        default: return nil
        }
        // One more than the limit says "too many" without reading them all out; code-point
        // order, so the spelling kept of two that differ in case does not depend on the plan.
        let sql = "SELECT DISTINCT v COLLATE \"C\" AS v FROM (\(values)) d ORDER BY 1 LIMIT $1"
        let found = rows(sql, [String(limit + 1)]).compactMap { $0.first ?? nil }
        _ = takeReadFailure()
        return found.count > limit ? nil : found
    }

    public func ids(_ entity: Entity, prefix: String, limit: Int) -> [String] {
        guard entity.isStored, limit > 0 else { return [] }
        // ASCII case ignored, as on a store: both sides upper-cased only in A-z, the prefix's
        // LIKE wildcards escaped.
        let escaped = prefix.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        let sql = """
            SELECT id FROM \(SQLTranslation.table(entity))
            WHERE translate(id, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
                  LIKE translate($1, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') || '%'
            ORDER BY id COLLATE "C" LIMIT $2
            """
        let found = rows(sql, [escaped, String(limit)]).compactMap { $0.first ?? nil }
        _ = takeReadFailure()
        return found
    }
}
