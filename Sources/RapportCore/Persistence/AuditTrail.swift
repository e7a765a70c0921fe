import Foundation

/// The audit trail read back as the rows of entity `audit`: one row per field a change
/// set changed (docs/storage.md "The audit entity"). Built on the first query that names
/// `audit`, from audit.jsonl then the journal, each entry read by `JournalCodec.decode`
/// (so every entry version reads, through `FormatMigrations`); kept up to date by
/// `Database.commit` after that. Never written to a snapshot.
enum AuditTrail {
    /// Appends the rows of one committed change set to the audit table.
    static func append(_ set: ChangeSet, to table: Table, schemas: (Entity) -> EntitySchema) {
        // before and after as text, as `show` and csv print values; instants in UTC so that
        // a row reads the same in every session's zone.
        let formatter = ValueFormatter(timeZone: TimeZone(identifier: "UTC")!)
        func text(_ value: Value) -> Value { value.isNull ? .null : .string(formatter.text(value)) }
        var number = 0
        let header: [Value] = [
            .integer(set.sequence), .instant(set.at), .string(set.user),
            set.role.map { .string($0.rawValue) } ?? .null, .string(set.command),
        ]
        func row(entity: String?, record: String?, field: String?, before: Value, after: Value) {
            number += 1
            table.append([.string("\(set.sequence).\(number)")] + header + [
                entity.map(Value.string) ?? .null, record.map(Value.string) ?? .null, field.map(Value.string) ?? .null,
                text(before), text(after),
            ])
        }
        var orders: [Entity: [Field]] = [:]
        for change in set.changes {
            let order: [Field]
            if let known = orders[change.entity] { order = known } else { order = schemas(change.entity).fields; orders[change.entity] = order }
            let changed = change.kind == .delete ? change.before : change.after
            var names = order.map(\.name).filter { $0 != RecordField.id && changed[$0] != nil }
            // Names outside the schema (rare): after the schema's, by name.
            if names.count < changed.count - (changed[RecordField.id] == nil ? 0 : 1) {
                let known = Set(order.map(\.name))
                names += changed.keys.filter { !known.contains($0) && $0 != RecordField.id }.sorted()
            }
            if names.isEmpty { row(entity: change.entity.rawValue, record: change.id, field: nil, before: .null, after: .null) }
            for name in names {
                switch change.kind {
                case .insert: row(entity: change.entity.rawValue, record: change.id, field: name, before: .null, after: change.after[name] ?? .null)
                case .update: row(entity: change.entity.rawValue, record: change.id, field: name,
                                  before: change.before[name] ?? .null, after: change.after[name] ?? .null)
                case .delete: row(entity: change.entity.rawValue, record: change.id, field: name, before: change.before[name] ?? .null, after: .null)
                }
            }
        }
        for p in set.policyChanges {
            row(entity: "policy", record: p.key, field: "value", before: .string(ValueFormatter.number(p.before)),
                after: .string(ValueFormatter.number(p.after)))
        }
        for s in set.segmentChanges {
            func condition(_ segment: SavedSegment?) -> Value { segment.map { .string("\($0.entity.rawValue) where \($0.condition)") } ?? .null }
            row(entity: "segments", record: s.name, field: "condition", before: condition(s.before), after: condition(s.after))
        }
        if number == 0 { row(entity: nil, record: nil, field: nil, before: .null, after: .null) }
    }

    /// Where reading the files stopped.
    struct Unreadable: Error {
        var file: String
        var entry: Int
        var offset: Int
        var reason: String
    }

    /// Reads every entry of audit.jsonl, then of the journal, into `table`, in sequence
    /// order. An entry met a second time (a crash between a snapshot's appending the
    /// journal to the audit log and its emptying the journal) is read once; a last line
    /// without its newline is a write still going on or torn, and is left out.
    static func load(directory: String, into table: Table, schemasLike store: Store, cipher: StoreCipher?) throws {
        // Entries are decoded against a store with today's custom fields (fields are never
        // removed, so every value an entry holds has its type) and nothing else: the
        // ledger entries an entry of version 1 or 2 becomes are those it made then.
        let scratch = Store()
        for e in Entity.stored { for f in store[e].schema.customFields { scratch[e].addField(f) } }
        var last: Int64 = 0
        for file in [Database.auditFile, Database.journalFile] {
            let path = directory + "/" + file
            guard FileSystem.fileExists(path) else { continue }
            let bytes = try FileSystem.readFile(path)
            var start = 0, entry = 0
            while start < bytes.count, let newline = bytes[start...].firstIndex(of: 10) {
                entry += 1
                let set: ChangeSet
                do { set = try JournalCodec.decode(bytes[start..<newline], store: scratch, cipher: cipher) } catch {
                    throw Unreadable(file: file, entry: entry, offset: start, reason: "\(error)")
                }
                for a in set.fieldAdditions { scratch[a.entity].addField(a.field) }
                if set.sequence > last {
                    last = set.sequence
                    append(set, to: table) { scratch[$0].schema }
                }
                start = newline + 1
            }
        }
    }
}
