import Foundation
import RapportCore

/// Saved segments on PostgreSQL (docs/postgres.md "Saved segments"): the segment's text
/// kept in `rapport_segments`, as a store keeps it (never its members). A use goes through
/// the core as on a store: the checker parses and checks the text afresh
/// (`SegmentCommands.predicate`) and the predicate is translated like any other condition.
extension PostgresBackend {
    /// Schema version 4: the saved segments, keyed by the name lowercased (names compare
    /// ignoring case, as `SavedSegment.key`), the name as first written beside it.
    static func addSegmentTable(_ connection: Connection) throws {
        try connection.execute("""
            CREATE TABLE IF NOT EXISTS rapport_segments (key text PRIMARY KEY, name text NOT NULL, entity text NOT NULL,
            condition text NOT NULL, saved_by text NOT NULL, saved_at bigint NOT NULL)
            """)
    }

    /// Everyone reads the segments (a trainee finds `in segment`); saving and deleting one is a manager's.
    func grantSegmentTable() throws {
        try connection.execute("GRANT SELECT ON rapport_segments TO \(SQLTranslation.quoted(Self.groupRole(.trainee)))")
        try connection.execute("GRANT INSERT, UPDATE, DELETE ON rapport_segments TO \(SQLTranslation.quoted(Self.groupRole(.manager)))")
    }

    /// The segments as of the last commit, in the store's order (by name, case ignored).
    func readSegments() -> [SavedSegment] {
        guard hasSchema else { return [] }
        let found = rows("SELECT name, entity, condition, saved_by, saved_at FROM rapport_segments", []).compactMap { row -> SavedSegment? in
            guard let name = row[0], let entity = row[1].flatMap(Entity.init(rawValue:)), let condition = row[2], let by = row[3],
                  let at = row[4].flatMap({ Int64($0) }) else { return nil }
            return SavedSegment(name: name, entity: entity, condition: condition, savedBy: by, savedAt: at)
        }
        return found.sorted { $0.name.lowercased() < $1.name.lowercased() }
    }

    /// Inside the commit's transaction: each segment saved, replaced or deleted.
    func writeSegments(_ set: ChangeSet) throws {
        for change in set.segmentChanges {
            let key = change.name.lowercased()
            guard let saved = change.after else {
                try connection.execute("DELETE FROM rapport_segments WHERE key = $1", [key])
                continue
            }
            try connection.execute("""
                INSERT INTO rapport_segments VALUES ($1, $2, $3, $4, $5, $6::bigint) ON CONFLICT (key) DO UPDATE SET
                name = excluded.name, entity = excluded.entity, condition = excluded.condition, saved_by = excluded.saved_by, saved_at = excluded.saved_at
                """, [key, saved.name, saved.entity.rawValue, saved.condition, saved.savedBy, String(saved.savedAt)])
        }
    }
}
