import Foundation

/// The audit trail read back as the rows of entity `audit`: one row per field a change
/// set changed (docs/storage.md "The audit entity"). Built on the first query that names
/// `audit`, from audit.jsonl then the journal, each entry read by `JournalCodec.decode`
/// (so every entry version reads, through `FormatMigrations`); kept up to date by
/// `Database.commit` after that. Never written to a snapshot.
enum AuditTrail {
    /// Appends the rows of one committed change set to the audit table.
    static func append(_ set: ChangeSet, to table: Table, schemas: (Entity) -> EntitySchema) {
        var writer = Writer(table)
        writer.append(set, schemas: schemas)
        writer.finish()
    }

    /// Writes audit rows straight into the audit table's columns, then registers them with
    /// the table in one step: a whole trail of a million rows would otherwise build a
    /// `[Value]` per row and intern the set's header (its command may be a long line) once
    /// per row.
    struct Writer {
        private let table: Table
        private let firstRow: Int
        private let ids, users, roles, commands, entities, records, fields, befores, afters: StringColumn
        private let sequences, instants: TypedColumn<Int64>
        // before and after as text, as `show` and csv print values; instants in UTC so that
        // a row reads the same in every session's zone.
        private let formatter = ValueFormatter(timeZone: TimeZone(identifier: "UTC")!)
        /// Per entity, the schema's field names (id left out) and each name's code in `fields`.
        private var orders: [Entity: (names: [String], codes: [UInt32], known: Set<String>)] = [:]

        init(_ table: Table) {
            precondition(table.entity == .audit)
            func strings(_ name: String) -> StringColumn {
                guard case .string(let c) = table.columns[table.schema.position(of: name)!] else { fatalError("audit \(name) is text") }
                return c
            }
            func integers(_ name: String) -> TypedColumn<Int64> {
                switch table.columns[table.schema.position(of: name)!] {
                case .integer(let c), .instant(let c): return c
                default: fatalError("audit \(name) is a number")
                }
            }
            self.table = table
            firstRow = table.rowCount
            ids = strings("id"); users = strings("user"); roles = strings("role"); commands = strings("command")
            entities = strings("entity"); records = strings("record"); fields = strings("field")
            befores = strings("before"); afters = strings("after")
            sequences = integers("seq"); instants = integers("at")
        }

        mutating func append(_ set: ChangeSet, schemas: (Entity) -> EntitySchema) {
            let user = users.dictionary.intern(set.user)
            let role = set.role.map { roles.dictionary.intern($0.rawValue) } ?? 0
            let command = commands.dictionary.intern(set.command)
            // The id "SEQ.N": the sequence's digits and the dot once, N's digits per row.
            var id = Array("\(set.sequence).".utf8)
            let prefix = id.count
            var number = 0
            func row(entity: UInt32, record: UInt32, field: UInt32, before: UInt32, after: UInt32) {
                number += 1
                id.removeSubrange(prefix...)
                id.append(contentsOf: String(number).utf8)
                ids.codes.append(id.withUnsafeBytes { ids.dictionary.intern(utf8: $0) })
                sequences.values.append(set.sequence); instants.values.append(set.at)
                users.codes.append(user); roles.codes.append(role); commands.codes.append(command)
                entities.codes.append(entity); records.codes.append(record); fields.codes.append(field)
                befores.codes.append(before); afters.codes.append(after)
            }
            func text(_ value: Value?, _ column: StringColumn) -> UInt32 {
                guard let value, !value.isNull else { return 0 }
                return column.dictionary.intern(formatter.text(value))
            }
            for change in set.changes {
                let order = self.order(of: change.entity, schemas)
                let entity = entities.dictionary.intern(change.entity.rawValue)
                let record = records.dictionary.intern(change.id)
                let changed = change.kind == .delete ? change.before : change.after
                let rowsBefore = number
                func fieldRow(_ name: String, _ code: UInt32) {
                    switch change.kind {
                    case .insert: row(entity: entity, record: record, field: code, before: 0, after: text(change.after[name], afters))
                    case .update: row(entity: entity, record: record, field: code,
                                      before: text(change.before[name], befores), after: text(change.after[name], afters))
                    case .delete: row(entity: entity, record: record, field: code, before: text(change.before[name], befores), after: 0)
                    }
                }
                for (name, code) in zip(order.names, order.codes) where changed[name] != nil { fieldRow(name, code) }
                // Names outside the schema (rare): after the schema's, by name.
                if number - rowsBefore < changed.count - (changed[RecordField.id] == nil ? 0 : 1) {
                    for name in changed.keys.filter({ !order.known.contains($0) && $0 != RecordField.id }).sorted() {
                        fieldRow(name, fields.dictionary.intern(name))
                    }
                }
                if number == rowsBefore { row(entity: entity, record: record, field: 0, before: 0, after: 0) }
            }
            func other(_ entity: String, _ record: String, _ field: String, _ before: String?, _ after: String?) {
                row(entity: entities.dictionary.intern(entity), record: records.dictionary.intern(record), field: fields.dictionary.intern(field),
                    before: before.map { befores.dictionary.intern($0) } ?? 0, after: after.map { afters.dictionary.intern($0) } ?? 0)
            }
            for p in set.policyChanges {
                other("policy", p.key, "value", ValueFormatter.number(p.before), ValueFormatter.number(p.after))
            }
            // A bulk import's inserts: one row per entity saying what was added, from which file.
            if let summary = set.importSummary {
                for added in summary.added {
                    other(added.entity.rawValue, summary.source.file, "import", nil, summary.line(added))
                }
            }
            for s in set.segmentChanges {
                func condition(_ segment: SavedSegment?) -> String? { segment.map { "\($0.entity.rawValue) where \($0.condition)" } }
                other("segments", s.name, "condition", condition(s.before), condition(s.after))
            }
            if number == 0 { row(entity: 0, record: 0, field: 0, before: 0, after: 0) }
        }

        private mutating func order(of entity: Entity, _ schemas: (Entity) -> EntitySchema) -> (names: [String], codes: [UInt32], known: Set<String>) {
            if let known = orders[entity] { return known }
            let all = schemas(entity).fields.map(\.name)
            let names = all.filter { $0 != RecordField.id }
            let order = (names, names.map { fields.dictionary.intern($0) }, Set(all))
            orders[entity] = order
            return order
        }

        /// Hands the rows written so far to the table (ids, indexes, version).
        func finish() { table.adoptAuditRows(from: firstRow) }
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
        var writer = Writer(table)
        // Rows read so far are dropped with the table by the caller when a later entry fails.
        defer { writer.finish() }
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
                    writer.append(set) { scratch[$0].schema }
                }
                start = newline + 1
            }
        }
    }
}
