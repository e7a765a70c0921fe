import Foundation
import RapportCore

/// The bin on PostgreSQL (docs/storage.md "The bin", docs/postgres.md): one table per
/// entity, `customers_bin`, with the entity's columns and the bin's own (`BinField`:
/// `deletedAt`, `deletedBy`, `deletedIn`), one row per id. A delete copies the row there in
/// its transaction; `restore` inserts it back and takes it out; `purge` takes it out.
extension PostgresBackend {
    /// The table of an entity's live records, or of its deleted ones.
    static func table(_ entity: Entity, inBin: Bool) -> String {
        inBin ? SQLTranslation.quoted(entity.rawValue + "_bin") : SQLTranslation.table(entity)
    }

    /// Part of schema version 2: the bin tables.
    static func addBinTables(_ connection: Connection) throws {
        for entity in Entity.stored {
            let fields = EntitySchema(entity: entity).fields + BinField.fields
            let columns = fields.map { f in
                SQLTranslation.quoted(f.name) + " " + SQLTranslation.columnType(f.type) + (f.name == RecordField.id ? " PRIMARY KEY" : "")
            }
            try connection.execute("CREATE TABLE IF NOT EXISTS \(table(entity, inBin: true)) (\(columns.joined(separator: ", ")))")
        }
    }

    public func binSchema(of entity: Entity) -> EntitySchema {
        var schema = schema(of: entity)
        for f in BinField.fields { _ = schema.append(f) }
        return schema
    }

    /// Inside the commit's transaction, before the delete of these rows of one entity: the
    /// live rows copied into the bin with when (the pinned time when pinned), by whom and in
    /// which change set; an id deleted again replaces its older copy.
    func keepInBin(_ deletes: [RecordChange], _ set: ChangeSet) throws {
        guard let entity = deletes.first?.entity else { return }
        let columns = schema(of: entity).fields.map { SQLTranslation.quoted($0.name) }.joined(separator: ", ")
        let bin = Self.table(entity, inBin: true)
        let ids = SQLTranslation.arrayLiteral(deletes.map(\.id))
        try connection.execute("DELETE FROM \(bin) WHERE id = ANY($1::text[])", [ids])
        try connection.execute("""
            INSERT INTO \(bin) (\(columns), "\(BinField.deletedAt)", "\(BinField.deletedBy)", "\(BinField.deletedIn)")
            SELECT \(columns), to_timestamp($2::bigint), $3, $4::bigint FROM \(SQLTranslation.table(entity)) WHERE id = ANY($1::text[])
            """, [ids, String(set.pinnedNow ?? set.at), set.user, String(set.sequence)])
    }

    /// Inside the commit's transaction: the records restored or purged leave the bin.
    func writeBinChanges(_ set: ChangeSet) throws {
        for change in set.binChanges {
            try connection.execute("DELETE FROM \(Self.table(change.entity, inBin: true)) WHERE id = $1", [change.id])
        }
    }

    public func binned(_ selection: BinSelection) -> [BinnedRecord] {
        guard hasSchemaForBin else { return [] }
        func read(_ entity: Entity, _ condition: String, _ parameters: [String?]) -> [BinnedRecord] {
            let fields = binSchema(of: entity).fields
            let sql = "SELECT " + fields.map(SQLTranslation.reader).joined(separator: ", ")
                + " FROM \(Self.table(entity, inBin: true)) WHERE \(condition) ORDER BY id COLLATE \"C\""
            return rows(sql, parameters).map { row in
                var record: [String: Value] = [:]
                for (i, f) in fields.enumerated() {
                    let v = SQLTranslation.value(row[i], f.type)
                    if !v.isNull { record[f.name] = v }
                }
                return BinnedRecord(entity: entity, id: row[0] ?? "", record: record)
            }
        }
        switch selection {
        case .ids(let entity, let ids):
            guard entity.isStored, !ids.isEmpty else { return [] }
            return read(entity, "id = ANY($1::text[])", [SQLTranslation.arrayLiteral(ids)])
        case .deletedIn(let sequence):
            return Entity.stored.flatMap { read($0, "\"\(BinField.deletedIn)\" = $1::bigint", [String(sequence)]) }
        case .deletedBefore(let time):
            guard let time else { return Entity.stored.flatMap { read($0, "true", []) } }
            return Entity.stored.flatMap { read($0, "\"\(BinField.deletedAt)\" < to_timestamp($1::bigint)", [String(time)]) }
        case .idPrefix(let prefix, let limit):
            let pattern = prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            let ids = Entity.stored.flatMap { entity in
                ((try? connection.execute("SELECT id FROM \(Self.table(entity, inBin: true)) WHERE lower(id) LIKE lower($1) ORDER BY id COLLATE \"C\" LIMIT $2::bigint",
                                          [pattern, String(limit)])) ?? []).compactMap { $0[0] }
            }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            return ids.prefix(limit).map { BinnedRecord(entity: .customers, id: $0, record: [:]) }
        }
    }
}
