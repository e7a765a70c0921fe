import Foundation
import RapportCore

/// `find duplicates` on PostgreSQL: the text columns `Duplicates.groups` reads, one SELECT
/// of the live records, so the groups are found by the same code as on a store. Their order
/// does not depend on the rows' (groups sort by their first id, code-point order).
extension PostgresBackend {
    public func textColumns(_ entity: Entity, fields: [String]) -> [TextColumn] {
        let schema = schema(of: entity)
        // A field that is not text reads as all null, as on the store.
        let columns = fields.map { name -> String in
            guard let f = schema.field(named: name), f.type == .string else { return "NULL::text" }
            return SQLTranslation.quoted(f.name)
        }
        guard entity.isStored, !columns.isEmpty else {
            return fields.map { _ in TextColumn(values: [""], codes: []) }
        }
        let found = rows("SELECT \(columns.joined(separator: ", ")) FROM \(SQLTranslation.table(entity))", [])
        return fields.indices.map { i in TextColumn(found.map { $0[i] }) }
    }
}
