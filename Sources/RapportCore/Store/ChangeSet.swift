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
    /// When, in seconds since 1970 (UTC).
    public var at: Int64
    /// Who: the OS user or `--user`.
    public var user: String
    /// The command as typed.
    public var command: String
    public var fieldAdditions: [FieldAddition] = []
    public var changes: [RecordChange] = []

    public init(at: Int64, user: String, command: String) {
        self.at = at
        self.user = user
        self.command = command
    }

    public var isEmpty: Bool { changes.isEmpty && fieldAdditions.isEmpty }
}
