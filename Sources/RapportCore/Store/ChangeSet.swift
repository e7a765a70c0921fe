/// One record's change: the unit of the journal and the audit trail.
public struct RecordChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case insert, update, delete }

    public var kind: Kind
    public var entity: Entity
    public var id: String
    /// Update: the old values of the changed fields. Delete: the whole record.
    public var before: [String: Value]
    /// Insert: the whole record. Update: the new values of the changed fields.
    public var after: [String: Value]

    public init(kind: Kind, entity: Entity, id: String, before: [String: Value] = [:], after: [String: Value] = [:]) {
        self.kind = kind
        self.entity = entity
        self.id = id
        self.before = before
        self.after = after
    }
}

/// A custom field a change set adds to an entity's schema.
public struct FieldAddition: Sendable, Equatable {
    public var entity: Entity
    public var field: Field
    public init(entity: Entity, field: Field) { self.entity = entity; self.field = field }
}

/// Everything one command changed: applied and journaled as a whole, or not at all.
public struct ChangeSet: Sendable, Equatable {
    /// Position in the store's history, assigned when committed.
    public var sequence: Int64 = 0
    /// When it was made: the real time in seconds since 1970 (UTC), never a pinned clock.
    /// Set with the other metadata by `Database.commit`, which every change goes through.
    public var at: Int64
    /// The session's clock when it was pinned (`--now`, `set now`): the time the change's
    /// records were dated by. nil when the clock followed the system time.
    public var pinnedNow: Int64?
    /// Who: the OS user or `--user`.
    public var user: String
    /// The role the session ran as (`--role`); nil in entries written before roles were recorded.
    public var role: Role?
    /// The command as typed.
    public var command: String
    public var fieldAdditions: [FieldAddition] = []
    public var changes: [RecordChange] = []
    /// Keys of the store's policy this change sets (`set policy`).
    public var policyChanges: [PolicyChange] = []
    /// Saved segments this change saves, replaces or deletes (`save segment`, `delete segment`).
    public var segmentChanges: [SegmentChange] = []
    /// OS users' grants this change gives, changes or revokes (`grant`, `revoke`).
    public var grantChanges: [GrantChange] = []
    /// Whether its deletes move records to the bin (docs/storage.md "The bin"). Entries
    /// written before the bin (format 4 and older) meant "gone for good", and replay the same.
    public var deletesGoToBin = true
    /// Records this change set takes out of the bin: restored (the inserts beside bring
    /// them back) or purged for good.
    public var binChanges: [BinChange] = []

    public init(at: Int64, user: String, command: String) {
        self.at = at
        self.user = user
        self.command = command
    }

    public var isEmpty: Bool { changes.isEmpty && fieldAdditions.isEmpty && policyChanges.isEmpty && segmentChanges.isEmpty && grantChanges.isEmpty && binChanges.isEmpty }
}

/// Who makes a change and under which clock: what `Database.commit` records beside the
/// real time in every change set.
public struct ChangeAuthor: Sendable, Equatable {
    public var user: String
    public var role: Role
    /// The session's pinned clock (`--now`, `set now`), if any.
    public var pinnedNow: Int64?

    public init(user: String, role: Role, pinnedNow: Int64?) {
        self.user = user
        self.role = role
        self.pinnedNow = pinnedNow
    }
}

/// A record taken out of the bin: `restore` (with its insert in the same set) or `purge`.
public struct BinChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case restore, purge }
    public var kind: Kind
    public var entity: Entity
    public var id: String

    public init(kind: Kind, entity: Entity, id: String) {
        self.kind = kind
        self.entity = entity
        self.id = id
    }
}
