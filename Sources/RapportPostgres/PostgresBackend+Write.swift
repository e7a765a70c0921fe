import Foundation
import RapportCore

/// Writing a change set's records in a few statements, not one per record (docs/postgres.md
/// "How a change set is written"). A campaign of 100,000 customers writes a message, a
/// contact and a customer's update each: three statements in all (two COPYs, one UPDATE).
///
/// The rule that keeps the result that of applying the changes in order: changes of
/// different rows (entity and id) commute, since a row's change reads and writes only that
/// row (the tables' one key is the id; the bin's copy of a row is keyed by it too). So the
/// n-th change of each row goes in round n, rounds run in order, and within a round, where
/// each row appears once, the changes are grouped freely: the inserts of an entity into one
/// COPY, the updates of an entity that set the same fields into one UPDATE over arrays, the
/// deletes of an entity into one DELETE (after the bin's copy of those rows). An insert then
/// an update of one row, a delete then a re-insert, keep their order across rounds.
extension PostgresBackend {
    /// `beforeDeletes` runs just before each batch of deletes of one entity (the bin's copy of the rows).
    func write(_ changes: [RecordChange], beforeDeletes: ([RecordChange]) throws -> Void = { _ in }) throws {
        for round in Self.writeRounds(changes) {
            for batch in round {
                switch batch.kind {
                case .insert:
                    try copyInserts(batch.changes, into: batch.entity)
                case .update:
                    try updateAll(batch.changes, of: batch.entity, setting: batch.fields)
                case .delete:
                    try beforeDeletes(batch.changes)
                    try connection.execute("DELETE FROM \(SQLTranslation.table(batch.entity)) WHERE id = ANY($1::text[])",
                                           [SQLTranslation.arrayLiteral(batch.changes.map(\.id))])
                }
            }
        }
    }

    /// Changes of one kind and entity (and for updates, one sorted list of fields set), in the set's order.
    struct WriteBatch {
        var kind: RecordChange.Kind
        var entity: Entity
        var fields: [String]
        var changes: [RecordChange]
    }

    /// The rounds of batches, as the rule above: a row's n-th change in round n; batches in
    /// the order their first change comes in the set. An update that sets nothing is left out.
    static func writeRounds(_ changes: [RecordChange]) -> [[WriteBatch]] {
        struct Row: Hashable { var entity: Entity; var id: String }
        struct BatchKey: Hashable { var kind: RecordChange.Kind; var entity: Entity; var fields: [String] }
        var changesBefore: [Row: Int] = [:]
        var rounds: [[WriteBatch]] = []
        var batchAt: [[BatchKey: Int]] = []
        for change in changes {
            let fields = change.kind == .update ? fieldNames(of: change).sorted() : []
            if change.kind == .update, fields.isEmpty { continue }
            let row = Row(entity: change.entity, id: change.id)
            let round = changesBefore[row, default: 0]
            changesBefore[row] = round + 1
            if round == rounds.count {
                rounds.append([])
                batchAt.append([:])
            }
            let key = BatchKey(kind: change.kind, entity: change.entity, fields: fields)
            if let i = batchAt[round][key] {
                rounds[round][i].changes.append(change)
            } else {
                batchAt[round][key] = rounds[round].count
                rounds[round].append(WriteBatch(kind: change.kind, entity: change.entity, fields: fields, changes: [change]))
            }
        }
        return rounds
    }

    /// The names of the fields an insert or update sets, without building its dictionary.
    static func fieldNames(of change: RecordChange) -> [String] {
        change.positionalAfter.map { $0.fields.names } ?? Array(change.after.keys)
    }

    /// Updates of distinct rows that set the same fields, as one statement: each field's new
    /// values an array parameter (nulls as NULL), joined to the rows by id through `unnest`,
    /// each value turned into its column's type by the same SQL as a single write.
    private func updateAll(_ updates: [RecordChange], of entity: Entity, setting names: [String]) throws {
        let schema = schema(of: entity)
        let fields = try names.map { name -> Field in
            guard let f = schema.field(named: name) else { throw SQLTranslation.unsupported("the custom field '\(name)'") }
            return f
        }
        var parameters = [SQLTranslation.arrayLiteral(updates.map(\.id))]
        for name in names {
            parameters.append(SQLTranslation.arrayLiteral(updates.map { SQLTranslation.parameterText($0.after(name) ?? .null) }))
        }
        let columns = fields.indices.map { "v\($0)" }
        let assignments = zip(fields, columns).map { f, c in
            "\(SQLTranslation.quoted(f.name)) = \(SQLTranslation.written("v.\(c)", f.type))"
        }
        let arrays = ["$1::text[]"] + zip(fields, fields.indices).map { f, i in "$\(i + 2)::\(Self.arrayElementType(f.type))[]" }
        let table = SQLTranslation.table(entity)
        try connection.execute("""
            UPDATE \(table) SET \(assignments.joined(separator: ", ")) \
            FROM unnest(\(arrays.joined(separator: ", "))) AS v(id, \(columns.joined(separator: ", "))) \
            WHERE \(table).id = v.id
            """, parameters)
    }

    /// The type of an array element carrying `parameterText`'s text of a value of `type`:
    /// what `SQLTranslation.written` casts it to (a list goes as its array literal's text).
    static func arrayElementType(_ type: FieldType) -> String {
        switch type {
        case .string, .list: return "text"
        case .integer, .instant: return "bigint"
        case .number: return "float8"
        case .date: return "int"
        case .boolean: return "boolean"
        }
    }
}
