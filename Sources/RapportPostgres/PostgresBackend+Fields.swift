import Foundation
import RapportCore

/// Custom fields on PostgreSQL (docs/postgres.md "Custom fields"): an import that brings a
/// key the schema lacks adds a typed column, named as the field, to the entity's table and
/// its bin table, and a row to `rapport_fields` (the order of arrival, which the schema's
/// order follows). Queries on them are the same SQL as on a built-in field.
extension PostgresBackend {
    /// Part of schema version 4: the custom fields of each entity, in order of arrival.
    static func addFieldTable(_ connection: Connection) throws {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS rapport_fields (entity text NOT NULL, position integer NOT NULL, name text NOT NULL,
            type text NOT NULL, PRIMARY KEY (entity, position))
            """)
    }

    /// Everyone reads the schema; adding a field is an import's, an admin's.
    func grantFieldTable() throws {
        try connection.execute("GRANT SELECT ON rapport_fields TO \(SQLTranslation.quoted(Self.groupRole(.trainee)))")
        try connection.execute("GRANT INSERT ON rapport_fields TO \(SQLTranslation.quoted(Self.groupRole(.admin)))")
    }

    /// Each entity's custom fields as of the last commit, in order of arrival.
    func readCustomFields() -> [Entity: [Field]] {
        guard hasSchema, (versionFound ?? 0) >= 4 else { return [:] }
        var fields: [Entity: [Field]] = [:]
        for row in rows("SELECT entity, name, type FROM rapport_fields ORDER BY entity, position", []) {
            guard let entity = row[0].flatMap(Entity.init(rawValue:)), let name = row[1],
                  let type = row[2].flatMap(FieldType.init(rawValue:)) else { continue }
            fields[entity, default: []].append(Field(name, type, isCustom: true))
        }
        return fields
    }

    /// Inside the commit's transaction, before its records are written: the columns and
    /// their rows in `rapport_fields`. Altering a table is its owner's (who ran `init`),
    /// so the columns are added as the login itself, then the session's role is taken again.
    func addFields(_ additions: [FieldAddition]) throws {
        guard !additions.isEmpty else { return }
        var known = customFieldsRead ?? readCustomFields()
        try asSessionUser {
            for addition in additions {
                let column = SQLTranslation.quoted(addition.field.name) + " " + SQLTranslation.columnType(addition.field.type)
                for inBin in [false, true] {
                    try connection.execute("ALTER TABLE \(Self.table(addition.entity, inBin: inBin)) ADD COLUMN \(column)")
                }
                let position = (known[addition.entity]?.count ?? 0) + 1
                try connection.execute("INSERT INTO rapport_fields VALUES ($1, $2::integer, $3, $4)",
                                       [addition.entity.rawValue, String(position), addition.field.name, addition.field.type.rawValue])
                known[addition.entity, default: []].append(Field(addition.field.name, addition.field.type, isCustom: true))
            }
        }
        // The records that follow in the same transaction are written with the new columns.
        customFieldsRead = known
    }
}
