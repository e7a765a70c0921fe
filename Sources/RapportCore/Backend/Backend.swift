/// What the session layer (`Session`, `ChangeBuilder`, `CustomerRollup`, `Importer`,
/// `ProfileCard`, `Completer`) needs of a store, in store-neutral terms: entities, field
/// names, checked queries and `ChangeSet`s. The in-memory engine (`InMemoryBackend`) is
/// the first implementation; a SQL database can be another without touching the core.
///
/// Records are `[String: Value]` keyed by the schema's field names; a null field is
/// left out, so `record[name] ?? .null` reads any field. Checked queries hold
/// `ResolvedField`s whose positions are those of `schema(of:)`.
///
/// Calls that touch many records take and return batches: the callers never loop over a
/// large table calling the backend once per record, so a backend across a network pays
/// one round trip per step, and the in-memory one keeps its column-level loops.
public protocol Backend: AnyObject {
    // MARK: Schema and counts

    /// The entity's fields: built-in ones, then custom ones in the order they were added.
    func schema(of entity: Entity) -> EntitySchema
    /// How many records the entity holds.
    func count(_ entity: Entity) -> Int
    /// The store's business rules (`show policy`), as of the last commit.
    var policy: Policy { get }
    /// The saved segments (`show segments`), as of the last commit, by name.
    var segments: [SavedSegment] { get }
    /// The most each OS user may take (`show grants`), as of the last commit; empty: no grants.
    var grants: [String: Role] { get }

    // MARK: Queries

    /// The rows of a checked `find`, projected on `q.shown`, in the query's order.
    func find(_ q: CheckedFind, clock: Clock) -> ResultSet
    /// The one row (or one per group) of a checked aggregate.
    func aggregate(_ q: CheckedAggregate, clock: Clock) -> ResultSet
    /// How many records a checked `find` would return (sort, limit and projection ignored).
    func count(matching q: CheckedFind, clock: Clock) -> Int
    /// The id and record of every record a checked condition matches, in id order:
    /// before values of an update or a delete. `fields` nil: every stored field; a derived
    /// field named in `fields` is read as of the clock's today.
    func records(matching q: CheckedFind, fields: [String]?, clock: Clock) -> [(id: String, record: [String: Value])]
    /// The records with these ids that exist (absent ids are left out). `fields` nil:
    /// every field; a record whose listed fields are all null is present and empty.
    func records(_ entity: Entity, ids: [String], fields: [String]?) -> [String: [String: Value]]
    /// The same read as columns: per name in `fields`, the values of `ids` in their order
    /// (null where the record is absent or the field null), and whether each id is stored.
    /// What the rollup reads of a campaign's 100,000s of customers, without a dictionary each.
    func columns(_ entity: Entity, ids: [String], fields: [String]) -> (stored: [Bool], columns: [[Value]])
    /// `records(matching:fields:clock:)` as columns: the ids matched, in id order, and per
    /// name in `fields` their values (null where none). What a campaign reads of its
    /// 100,000s of targets, without a dictionary each.
    func columns(matching q: CheckedFind, fields: [String], clock: Clock) -> (ids: [String], columns: [[Value]])
    /// A customer's related records (contacts, purchases, tickets): those of `entity`
    /// whose `customer` is one of `customers` (exactly, case kept). The order is the
    /// backend's: a store gives each customer's records in the order they were added,
    /// PostgreSQL in id order (the same unless ids were imported out of order); a caller
    /// whose answer depends on the order sorts (as `CustomerMerge` does).
    func records(_ entity: Entity, ofCustomers customers: [String], fields: [String]?) -> [(id: String, record: [String: Value])]
    /// What `recompute` reads of every live customer (in any order), with the purchase
    /// figures of the 12 months ending the clock's today (`Segmentation.windowStart`):
    /// whole columns, one pass over the purchases (a SQL backend: one `GROUP BY customer`).
    func segmentationInputs(clock: Clock) -> SegmentationInputs

    /// The whole columns `report kpi` reads (`KPIColumns`), in one call: days in the
    /// clock's zone; with `groupBy` (a text field of customers, stored or derived, already
    /// checked) each customer's group, labels in text order and null last.
    func kpiColumns(groupBy: String?, clock: Clock) -> KPIColumns

    /// Makes entity `audit` answer queries: the first call reads the whole audit trail
    /// (nothing reads it at opening); the backend keeps it up to date from then on.
    func loadAuditTrail() throws

    /// Whole text columns of every live record of `entity`, one per name in `fields`, row
    /// for row in the same (any) order, dictionary-encoded (`TextColumn`): what
    /// `find duplicates` reads (a SQL backend: one `SELECT` of those columns). A field
    /// that is not text reads as all null.
    func textColumns(_ entity: Entity, fields: [String]) -> [TextColumn]

    // MARK: Changes

    /// Runs `body`, which builds change sets and commits them, as the only writer of the
    /// store: other processes sharing it wait, and the store is brought up to date first,
    /// so that what `body` reads (before values, ids, balances) is what it changes.
    func withWriteLock<T>(_ body: () throws -> T) throws -> T
    /// Brings the store up to date with what other processes committed; the warnings that
    /// came up (a dead process's torn entry dropped). Called before every command.
    func catchUp() throws -> [Diagnostic]
    /// Makes a checked change set durable, then visible; on failure nothing changed.
    /// Assigns the set's sequence and audit metadata (time, user, role, pinned clock).
    func commit(_ set: inout ChangeSet, by author: ChangeAuthor) throws
    /// `commit`, running `whenDurable` as soon as the set is durable, perhaps before it is
    /// visible and on another thread (so it must not read the store); not run when the
    /// commit fails. Default: after `commit`.
    func commit(_ set: inout ChangeSet, by author: ChangeAuthor, whenDurable: @escaping @Sendable () -> Void) throws
    /// Told by a command that will commit a large set after a long build (a campaign run),
    /// so that checks the commit would make first can run meanwhile on another core.
    func expectLargeCommit()
    /// The journal text of a large set's first changes (`parts`, joined, which the set will
    /// begin with, unaltered), started on another core; nil for a backend without a journal.
    func encodeJournalAhead(_ parts: [[RecordChange]]) -> JournalPrefix?
    /// The highest number among the entity's generated ids (`C000123` → 123), 0 when
    /// none: new ids continue from it (`IDGenerator`).
    func highestGeneratedNumber(_ entity: Entity) -> Int
    /// Changes are refused (a read-only mount, `--read-only`).
    var isReadOnly: Bool { get }
    /// The sequence of the last change set committed.
    var sequence: Int64 { get }
    /// Runs `body` with the current record of the message `id` (nil when gone), claimed for
    /// delivery: no other deliverer hands it over until `body`, which commits its outcome,
    /// returns. Default: under `withWriteLock`; a SQL backend locks the one row instead.
    func withDeliveryClaim<T>(_ id: String, _ body: ([String: Value]?) throws -> T) throws -> T

    // MARK: The bin (docs/storage.md "The bin")

    /// The fields of the entity's deleted records: its own, then `BinField`'s.
    func binSchema(of entity: Entity) -> EntitySchema
    /// The deleted records a selection names, in entity then id order, with their bin fields.
    func binned(_ selection: BinSelection) -> [BinnedRecord]
    /// True only when the entity's bin is known to hold nothing, so that a set's inserts
    /// need not be checked against it (an import's million ids not gathered). Default:
    /// false (the check asks `binned`).
    func binIsEmpty(_ entity: Entity) -> Bool

    // MARK: Planning and completion

    /// What the planner knows of the entity's indexes and counts.
    func statistics(_ entity: Entity) -> PlanStatistics
    /// The distinct values some record holds in a string or list field, or nil when there
    /// are more than `limit` (or the field is of another type).
    func distinctValues(_ entity: Entity, field: String, limit: Int) -> [String]?
    /// Up to `limit` ids starting with `prefix` (ASCII case ignored), in code-point order.
    func ids(_ entity: Entity, prefix: String, limit: Int) -> [String]

    // MARK: What a backend can do (a SQL one: docs/postgres.md)

    /// Refuses a command this backend cannot run (yet, or before `init`), before it runs:
    /// a clear diagnostic rather than a wrong answer.
    func checkSupported(_ spec: CommandSpec) throws
    /// Refuses a checked query this backend cannot answer exactly. Every path that runs a
    /// user's condition on a backend that may refuse asks this first.
    func checkSupported(_ q: CheckedFind) throws
    func checkSupported(_ q: CheckedAggregate) throws
    /// The first read that failed since the last call (a lost connection, a server error),
    /// cleared by the call. The query methods do not throw (they are many, with many
    /// callers), so a backend whose reads can fail records the failure there and the
    /// session raises it before it shows anything; a backend's `commit` refuses while
    /// one is pending, so nothing is changed on a partial read.
    func takeReadFailure() -> Diagnostic?
    /// `init`: creates the backend's schema, or migrates it forward; says what it did.
    func initialize() throws -> String

    // MARK: Who is connected (docs/roles.md, "On PostgreSQL")

    /// The user the store itself knows the session as (a database's login role), whose
    /// grant decides the most the session may take; nil: the OS user, as on a store directory.
    var connectedUser: String? { get }
    /// Makes the store itself hold the session to `role` (a database: `SET ROLE`), so that
    /// not even a hand-made connection does more; nothing to do for a store directory.
    func enforce(_ role: Role) throws

    // MARK: Upkeep

    /// Where the store lives (a directory, a connection string); nil for one in memory only.
    var location: String? { get }
    /// The directory campaign runs write their outbox files in (docs/campaigns.md); nil:
    /// none (in memory; PostgreSQL, whose `messages` table is the outbox).
    var outboxDirectory: String? { get }
    /// Makes the store quick to open again (a snapshot); nothing to do for some backends.
    func checkpoint() throws
    /// The same, abandoned (nothing changed) when `isCancelled` says so during the writing.
    func checkpoint(isCancelled: @escaping () -> Bool) throws
    /// Starts a snapshot that is written while the session goes on (put in place at a
    /// later command or at closing); false when it was written in the foreground instead.
    func checkpointInBackground() throws -> Bool
    /// Verifies the stored files without changing them; nil when there is nothing to check.
    func check() -> MaintenanceReport?
    /// Writes a consistent copy into `target`, each file sealed with `key` when one is
    /// given; says what it wrote.
    func backup(to target: String, encryptedWith key: EncryptionKey?) throws -> String
}

/// Which deleted records `Backend.binned` returns.
public enum BinSelection: Sendable {
    /// These ids of one entity (exactly, case kept).
    case ids(Entity, [String])
    /// Every record the change set with this sequence deleted.
    case deletedIn(Int64)
    /// Every record deleted before this time (seconds since 1970); nil: all.
    case deletedBefore(Int64?)
    /// Up to `limit` ids of any entity starting with the prefix (ASCII case ignored).
    case idPrefix(String, limit: Int)
}

/// A deleted record: its entity, id and fields, the bin's included.
public struct BinnedRecord: Sendable {
    public var entity: Entity
    public var id: String
    public var record: [String: Value]

    public init(entity: Entity, id: String, record: [String: Value]) {
        self.entity = entity
        self.id = id
        self.record = record
    }
}

extension Backend {
    public func binIsEmpty(_ entity: Entity) -> Bool { false }

    public var connectedUser: String? { nil }
    /// Nothing to check ahead.
    public func expectLargeCommit() {}
    /// No journal written here.
    public func encodeJournalAhead(_ parts: [[RecordChange]]) -> JournalPrefix? { nil }
    /// Durable and visible at once: `whenDurable` after the commit.
    public func commit(_ set: inout ChangeSet, by author: ChangeAuthor, whenDurable: @escaping @Sendable () -> Void) throws {
        try commit(&set, by: author)
        whenDurable()
    }
    public func enforce(_ role: Role) throws {}

    /// A backend that runs every command and answers every checked query.
    public func checkSupported(_ spec: CommandSpec) throws {}
    public func checkSupported(_ q: CheckedFind) throws {}
    public func checkSupported(_ q: CheckedAggregate) throws {}
    /// Reads from memory and mapped files do not fail.
    public func takeReadFailure() -> Diagnostic? { nil }
    /// A store directory is made when first opened: `init` has nothing to do.
    public func initialize() throws -> String {
        "nothing to do: " + (location.map { "the store \($0)" } ?? "this store") + " needs no init (that is for a PostgreSQL database)"
    }

    /// Through `records(_:ids:fields:)`: a backend with a faster way overrides it.
    public func columns(_ entity: Entity, ids: [String], fields: [String]) -> (stored: [Bool], columns: [[Value]]) {
        let found = records(entity, ids: ids, fields: fields)
        return (ids.map { found[$0] != nil }, fields.map { name in ids.map { found[$0]?[name] ?? .null } })
    }

    /// Through `records(matching:fields:clock:)`: a backend with a faster way overrides it.
    public func columns(matching q: CheckedFind, fields: [String], clock: Clock) -> (ids: [String], columns: [[Value]]) {
        // A record's keys are the schema's (or the derived field's) spelling of each name.
        let schema = schema(of: q.entity)
        let keys = fields.map { schema.field(named: $0)?.name ?? DerivedFields.named($0, of: q.entity)?.name ?? $0 }
        let found = records(matching: q, fields: keys, clock: clock)
        return (found.map(\.id), keys.map { key in found.map { $0.record[key] ?? .null } })
    }

    /// A backend no other process changes: nothing to wait for or catch up with.
    public func withWriteLock<T>(_ body: () throws -> T) throws -> T { try body() }
    public func catchUp() throws -> [Diagnostic] { [] }

    public func withDeliveryClaim<T>(_ id: String, _ body: ([String: Value]?) throws -> T) throws -> T {
        try withWriteLock { try body(records(.messages, ids: [id], fields: nil)[id]) }
    }

    /// A store directory holds its outbox.
    public var outboxDirectory: String? { location }
}

public extension Backend {
    func checkpoint(isCancelled: @escaping () -> Bool) throws { try checkpoint() }
    func checkpointInBackground() throws -> Bool { try checkpoint(); return false }
}
