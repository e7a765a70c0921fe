import Foundation
import RapportCore

/// Rapport on a PostgreSQL database (docs/postgres.md): one table per entity with typed
/// columns, `rapport_meta` (the schema version), `rapport_audit` (one row per change set)
/// and `rapport_ids` (the highest generated id number per entity). Queries become
/// parameterised SQL (`SQLTranslation`); what is not translated yet is refused with a
/// diagnostic before it runs, never answered wrongly.
public final class PostgresBackend: Backend {
    /// The schema this Rapport writes; `init` migrates older ones forward.
    public static let schemaVersion = 4

    /// The steps that bring an older schema forward, each with the version it makes; `init`
    /// runs those above the database's version, in order, in its transaction.
    static let migrations: [(version: Int, step: @Sendable (Connection) throws -> Void)] = [
        (2, PostgresBackend.addCareTables),
        (3, PostgresBackend.indexTimelines),
        (4, { try PostgresBackend.addSegmentTable($0); try PostgresBackend.addFieldTable($0) }),
    ]

    let connection: Connection
    private(set) var hasSchema = false
    var hasSchemaForBin: Bool { hasSchema && (versionFound ?? 0) >= 2 }
    /// The schema version found at the last `readState`.
    private(set) var versionFound: Int?
    /// The policy as of the last `readState` or commit (`rapport_policy`).
    var policyRead = Policy()
    /// The saved segments, read when first asked for after the last `readState` or commit.
    var segmentsRead: [SavedSegment]?
    /// The custom fields, read when first asked for after the last `readState` or commit.
    var customFieldsRead: [Entity: [Field]]?
    /// The audit trail as entity `audit`, read through this sequence, and the engine that answers on it (`+Audit.swift`).
    var auditTrail: (store: Store, through: Int64)?
    var auditEngine: InMemoryBackend?
    public private(set) var sequence: Int64 = 0
    /// The Rapport role this session `SET ROLE`d to (`enforce`), taken again after a reconnect.
    var enforcedRole: Role?

    /// The commands that run on PostgreSQL today; every other one is refused by name.
    static let supportedCommands: Set<String> = ["find", "count", "sum", "avg", "min", "max", "add", "update", "delete", "log",
                                                 "init", "help", "set", "let", "include", "edit", "history", "exit", "why", "audit",
                                                 "campaign", "deliver", "open", "reply", "assign", "wait", "resolve", "close", "reopen",
                                                 "done", "redeem", "recompute", "restore", "purge", "grant", "revoke", "import", "export",
                                                 "report", "merge", "tutorial", "save", "show"]
    /// Commands about the store's own files, which on PostgreSQL are the server's: refused by
    /// design, with what stands in for them (`save` without a segment: `checkpoint()`).
    static let serverOwnedCommands: [String: String] = [
        "backup": "the database is backed up by the server's tools",
        "check": "the server checks its own files (amcheck, pg_checksums)",
    ]

    /// Connects; a database without the schema opens too, so that `init` can make it.
    public init(url: String) throws {
        connection = try Connection(url: url)
        try readState()
    }

    /// Whether the schema is there, and the last change set's sequence.
    private func readState() throws {
        let version = try schemaVersionInDatabase()
        hasSchema = version != nil
        versionFound = version
        segmentsRead = nil
        customFieldsRead = nil
        if let version, version > Self.schemaVersion {
            throw Diagnostic.runtime(.postgresSchemaNewer, String(version), String(Self.schemaVersion))
        }
        if hasSchema {
            sequence = Int64(try connection.execute("SELECT coalesce(max(seq), 0) FROM rapport_audit").first?[0] ?? "0") ?? 0
        }
        if let version, version >= 2 { try readCareState() }
    }

    private func schemaVersionInDatabase() throws -> Int? {
        guard try connection.execute("SELECT to_regclass('rapport_meta') IS NOT NULL").first?[0] == "t" else { return nil }
        return try connection.execute("SELECT value FROM rapport_meta WHERE key = 'schemaVersion'").first?[0].flatMap { Int($0) }
    }

    // MARK: What runs here

    public func checkSupported(_ spec: CommandSpec) throws {
        if let reason = Self.serverOwnedCommands[spec.word] { throw Diagnostic.runtime(.notOnPostgres, "'\(spec.word)'", reason) }
        guard Self.supportedCommands.contains(spec.word) else { throw SQLTranslation.unsupported("'\(spec.word)'") }
        if !hasSchema, spec.word != "init", spec.word != "help" {
            throw Diagnostic.runtime(.postgresSchemaMissing, connection.shownURL)
        }
        if let versionFound, versionFound < Self.schemaVersion, spec.word != "init", spec.word != "help" {
            throw Diagnostic.runtime(.postgresSchemaOlder, String(versionFound), String(Self.schemaVersion))
        }
    }

    public func checkSupported(_ q: CheckedFind) throws {
        if q.entity == .audit, auditEngine != nil { return }
        _ = try select(q, clock: nil)
    }

    public func checkSupported(_ q: CheckedAggregate) throws {
        if q.entity == .audit, auditEngine != nil { return }
        _ = try aggregateSQL(q, clock: nil)
    }

    // MARK: init

    public func initialize() throws -> String {
        let found = try schemaVersionInDatabase()
        if let found {
            if found > Self.schemaVersion { throw Diagnostic.runtime(.postgresSchemaNewer, String(found), String(Self.schemaVersion)) }
            if found == Self.schemaVersion {
                // A database made before the roles: `init` sets them up (docs/postgres.md "Roles").
                if try !rolesAreSetUp() {
                    try asSessionUser { try connection.transaction { try setUpRoles() } }
                    return "gave the tables to the group roles rapport_trainee ... rapport_admin"
                }
                return "nothing to do: the schema is at version \(found), the current one"
            }
        }
        // As the login itself: the tables are created and migrated by their owner, not by the
        // group role a session of a database with roles has taken.
        try asSessionUser { try connection.transaction {
            // Two `init`s at once: the second waits here, then finds the tables made.
            try connection.execute("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            for entity in Entity.stored {
                let columns = entity.builtinFields.map { f in
                    SQLTranslation.quoted(f.name) + " " + SQLTranslation.columnType(f.type) + (f.name == RecordField.id ? " PRIMARY KEY" : "")
                }
                try connection.execute("CREATE TABLE IF NOT EXISTS \(SQLTranslation.table(entity)) (\(columns.joined(separator: ", ")))")
                if entity.belongsToACustomer {
                    try connection.execute("CREATE INDEX IF NOT EXISTS \(SQLTranslation.quoted(entity.rawValue + "_customer")) ON \(SQLTranslation.table(entity)) (customer)")
                }
            }
            try connection.execute("CREATE TABLE IF NOT EXISTS rapport_audit (seq bigint PRIMARY KEY, at bigint NOT NULL, pinned_now bigint, \"user\" text NOT NULL, role text, command text NOT NULL, changes text NOT NULL)")
            try connection.execute("CREATE TABLE IF NOT EXISTS rapport_ids (entity text PRIMARY KEY, highest bigint NOT NULL)")
            try connection.execute("CREATE TABLE IF NOT EXISTS rapport_meta (key text PRIMARY KEY, value text NOT NULL)")
            try connection.execute("INSERT INTO rapport_meta VALUES ('schemaVersion', '1') ON CONFLICT (key) DO NOTHING")
            // Read again under the lock: another `init` may have migrated meanwhile. Each step is idempotent.
            let current = try schemaVersionInDatabase() ?? 1
            for migration in Self.migrations where migration.version > current { try migration.step(connection) }
            try connection.execute("UPDATE rapport_meta SET value = $1 WHERE key = 'schemaVersion'", [String(max(current, Self.schemaVersion))])
            // After the migrations: the group roles are granted every table, the new ones too.
            try setUpRoles()
        } }
        try readState()
        guard let found else { return "created the Rapport schema (version \(Self.schemaVersion)) in \(connection.shownURL)" }
        return "migrated the Rapport schema from version \(found) to \(Self.schemaVersion) in \(connection.shownURL)"
    }

    /// The advisory lock writers hold (`withWriteLock`, `init`): "rapport" in ASCII.
    static let lockKey: Int64 = 0x7261_7070_6F72_74

    // MARK: Schema and counts

    public func schema(of entity: Entity) -> EntitySchema {
        if customFieldsRead == nil { customFieldsRead = readCustomFields() }
        return EntitySchema(entity: entity, customFields: customFieldsRead?[entity] ?? [])
    }

    public func count(_ entity: Entity) -> Int {
        guard hasSchema, entity.isStored else { return 0 }
        return rows("SELECT count(*) FROM \(SQLTranslation.table(entity))", []).first?[0].flatMap { Int($0) } ?? 0
    }

    public var policy: Policy { policyRead }
    public var segments: [SavedSegment] {
        if let segmentsRead { return segmentsRead }
        let read = readSegments()
        segmentsRead = read
        return read
    }
    public var grants: [String: Role] { grantsInDatabase() }

    // MARK: Queries

    // The SELECTs of finds and aggregates: PostgresBackend+Queries.swift.

    /// Rows of a query already checked by `checkSupported`. A failure here is the
    /// server's (a lost connection, a timeout): kept for `takeReadFailure`, which the
    /// session raises before it shows the empty answer, and `commit` refuses meanwhile.
    func rows(_ sql: String, _ parameters: [String?]) -> [[String?]] {
        do {
            return try connection.execute(sql, parameters, failure: .postgresReadFailed)
        } catch {
            if readFailure == nil {
                readFailure = error as? Diagnostic ?? Diagnostic.runtime(.postgresReadFailed, "\(error)")
            }
            return []
        }
    }

    private var readFailure: Diagnostic?

    /// A query's translation inside a read that cannot throw: a refusal there (a caller
    /// that skipped `checkSupported`) is kept like a failed read, so the session reports it
    /// and `commit` refuses, instead of an empty answer that reads as "no records".
    func translated<T>(_ translate: () throws -> T) -> T? {
        do {
            return try translate()
        } catch {
            if readFailure == nil { readFailure = error as? Diagnostic ?? Diagnostic.runtime(.postgresReadFailed, "\(error)") }
            return nil
        }
    }

    public func takeReadFailure() -> Diagnostic? {
        defer { readFailure = nil }
        return readFailure
    }

    /// The stored fields named (all when nil); names the schema lacks are left out.
    private func storedFields(_ entity: Entity, _ names: [String]?) -> [Field] {
        let schema = schema(of: entity)
        guard let names else { return schema.fields }
        return names.compactMap { schema.field(named: $0) }
    }

    private func records(_ entity: Entity, _ sql: (String) -> String, _ parameters: [String?], fields: [String]?) -> [(id: String, record: [String: Value])] {
        let wanted = storedFields(entity, fields)
        let list = ([SQLTranslation.quoted(RecordField.id)] + wanted.map(SQLTranslation.reader)).joined(separator: ", ")
        return rows(sql(list), parameters).map { row in
            var record: [String: Value] = [:]
            for (i, f) in wanted.enumerated() {
                let v = SQLTranslation.value(row[i + 1], f.type)
                if !v.isNull { record[f.name] = v }
            }
            return (row[0] ?? "", record)
        }
    }

    public func records(matching q: CheckedFind, fields: [String]?, clock: Clock) -> [(id: String, record: [String: Value])] {
        if q.entity == .audit, let auditEngine { return auditEngine.records(matching: q, fields: fields, clock: clock) }
        var unpaged = q
        unpaged.sort = []
        unpaged.limit = nil
        unpaged.offset = 0
        guard let (sql, parameters, _, _) = translated({ try select(unpaged, clock: clock, fields: []) }) else { return [] }
        // The FROM onwards of the translated find, under the wanted columns.
        let tail = sql[sql.range(of: " FROM ")!.lowerBound...]
        // In id order, as the seam promises (a campaign's messages are numbered in it).
        let order = " ORDER BY \(SQLTranslation.table(q.entity)).\(SQLTranslation.quoted(RecordField.id)) COLLATE \"C\""
        return records(q.entity, { "SELECT \($0)\(tail)\(order)" }, parameters, fields: fields)
    }

    public func records(_ entity: Entity, ids: [String], fields: [String]?) -> [String: [String: Value]] {
        guard !ids.isEmpty, entity.isStored else { return [:] }
        let found = records(entity, { "SELECT \($0) FROM \(SQLTranslation.table(entity)) WHERE id = ANY($1::text[])" },
                            [SQLTranslation.arrayLiteral(ids)], fields: fields)
        return Dictionary(found.map { ($0.id, $0.record) }, uniquingKeysWith: { a, _ in a })
    }

    public func records(_ entity: Entity, ofCustomers customers: [String], fields: [String]?) -> [(id: String, record: [String: Value])] {
        guard !customers.isEmpty, entity.isStored, schema(of: entity).position(of: RecordField.customer) != nil else { return [] }
        return records(entity, { "SELECT \($0) FROM \(SQLTranslation.table(entity)) WHERE customer = ANY($1::text[]) ORDER BY id COLLATE \"C\"" },
                       [SQLTranslation.arrayLiteral(customers)], fields: fields)
    }

    // `kpiColumns`: +Reports.swift; `textColumns`: +Duplicates.swift; `loadAuditTrail`: +Audit.swift.

    // MARK: Changes

    /// One writer at a time across every process on the database, as with a store's lock.
    public func withWriteLock<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(\(Self.lockKey))") }
        try readState()
        return try body()
    }

    public func catchUp() throws -> [Diagnostic] {
        // The role taken at the start again: a new server session would otherwise be the login's.
        if try connection.reconnectIfLost(), let enforcedRole { try enforce(enforcedRole) }
        try readState()
        return []
    }

    public func commit(_ set: inout ChangeSet, by author: ChangeAuthor) throws {
        // Before values or ids read in part would make a wrong change.
        if let failure = takeReadFailure() { throw failure }
        var committed = set
        committed.at = Int64(Date().timeIntervalSince1970.rounded(.down))
        committed.pinnedNow = author.pinnedNow
        committed.user = author.user
        committed.role = author.role
        // A field added in a transaction that rolls back is not there: read the fields again.
        defer { if !set.fieldAdditions.isEmpty { customFieldsRead = nil } }
        try connection.transaction {
            try connection.execute("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
            committed.sequence = (Int64(try connection.execute("SELECT coalesce(max(seq), 0) FROM rapport_audit").first?[0] ?? "0") ?? 0) + 1
            try addFields(committed.fieldAdditions)
            // The records in a few statements (+Write.swift); a delete that goes to the bin copies
            // the live rows there first, in this transaction.
            try write(committed.changes) { deleted in
                if committed.deletesGoToBin { try keepInBin(deleted, committed) }
            }
            try write(committed.grantChanges)
            var highest: [Entity: Int] = [:]
            for change in committed.changes {
                if change.kind == .insert, let n = Self.generatedNumber(change.id, of: change.entity) {
                    highest[change.entity] = max(highest[change.entity] ?? 0, n)
                }
            }
            try writeCare(committed)
            try writeSegments(committed)
            for (entity, n) in committed.highestGeneratedNumbers { highest[entity] = max(highest[entity] ?? 0, n) }
            for (entity, n) in highest {
                try connection.execute("INSERT INTO rapport_ids VALUES ($1, $2::bigint) ON CONFLICT (entity) DO UPDATE SET highest = greatest(rapport_ids.highest, excluded.highest)",
                                       [entity.rawValue, String(n)])
            }
            try connection.execute("INSERT INTO rapport_audit VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5, $6, $7)",
                                   [String(committed.sequence), String(committed.at), committed.pinnedNow.map { String($0) },
                                    committed.user, committed.role?.rawValue, committed.command, AuditEntry.changes(committed, bulkRows: Int(policyRead["import.bulkRows"]))])
        }
        set = committed
        sequence = committed.sequence
        if !committed.segmentChanges.isEmpty { segmentsRead = nil }
        for change in committed.policyChanges { policyRead.set(change.key, to: change.after) }
    }

    /// `C000123` → 123 for customers: an id Rapport generated (`Entity.idPrefix`, digits).
    static func generatedNumber(_ id: String, of entity: Entity) -> Int? {
        guard id.hasPrefix(entity.idPrefix) else { return nil }
        let digits = id.dropFirst(entity.idPrefix.count)
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// Kept in `rapport_ids`, so a deleted record's id is not handed out again.
    public func highestGeneratedNumber(_ entity: Entity) -> Int {
        guard hasSchema else { return 0 }
        return rows("SELECT highest FROM rapport_ids WHERE entity = $1", [entity.rawValue]).first?[0].flatMap { Int($0) } ?? 0
    }

    public var isReadOnly: Bool { false }

    // The bin: PostgresBackend+Bin.swift.

    // MARK: Planning and completion

    public func statistics(_ entity: Entity) -> PlanStatistics { Statistics(liveRowCount: 0) }
    // `distinctValues` and `ids` (tab completion): PostgresBackend+Completion.swift.

    /// PostgreSQL plans for itself: the core's planner sees no indexes.
    struct Statistics: PlanStatistics {
        var liveRowCount: Int
        func hasLookupIndex(_ field: ResolvedField) -> Bool { false }
        func hasOrderedIndex(_ field: ResolvedField) -> Bool { false }
        func estimate(_ path: AccessPath) -> Int { liveRowCount }
    }

    // MARK: Upkeep

    public var location: String? { connection.shownURL }
    // By design, not "not yet": the server keeps its own files, and backups are the server's (pg_dump, base backups).
    public func checkpoint() throws { throw Diagnostic.runtime(.notOnPostgres, "'save'", "the server writes its own files durably at every commit") }
    public func check() -> MaintenanceReport? { nil }
    public func backup(to target: String, encryptedWith key: EncryptionKey?) throws -> String {
        throw Diagnostic.runtime(.notOnPostgres, "'backup'", Self.serverOwnedCommands["backup"]!)
    }
}
