/// Field names many records of one entity share, in one order: the field list of a batch
/// of positional records (`PositionalRecord`). A class so a batch's records share it and
/// its readers (`Store.apply`, the journal encoder) can map it to positions once per list.
public final class FieldList: Sendable {
    public let names: [String]
    public init(_ names: [String]) { self.names = names }
}

/// Anything that gives a field's value by name: a record as a dictionary or a positional one.
public protocol NamedValues {
    subscript(_ name: String) -> Value? { get }
}

extension Dictionary: NamedValues where Key == String, Value == RapportCore.Value {}

/// A record as values aligned with a shared field list: what a campaign inserts 100,000s
/// of times, without a dictionary's hashing per field and record.
public struct PositionalRecord: Sendable, Equatable, NamedValues {
    public let fields: FieldList
    public var values: [Value]

    public init(_ fields: FieldList, _ values: [Value]) {
        precondition(fields.names.count == values.count, "one value per field")
        self.fields = fields
        self.values = values
    }

    /// A linear search: the lists are a few names long.
    public subscript(_ name: String) -> Value? {
        for (i, n) in fields.names.enumerated() where n == name { return values[i] }
        return nil
    }

    public var dictionary: [String: Value] {
        Dictionary(zip(fields.names, values), uniquingKeysWith: { first, _ in first })
    }

    public static func == (a: PositionalRecord, b: PositionalRecord) -> Bool { a.dictionary == b.dictionary }
}

/// One record's change: the unit of the journal and the audit trail.
public struct RecordChange: Sendable, Equatable {
    public enum Kind: String, Sendable { case insert, update, delete }

    public var kind: Kind
    public var entity: Entity
    public var id: String
    /// Update: the old values of the changed fields. Delete: the whole record.
    /// A positional update (`init(update:id:fields:before:after:)`) answers it as a
    /// dictionary built on each read, like `after`.
    public var before: [String: Value] {
        get { positionalBefore?.dictionary ?? namedBefore }
        set { positionalBefore = nil; namedBefore = newValue }
    }
    private var namedBefore: [String: Value]
    /// The old values of a positional update.
    public private(set) var positionalBefore: PositionalRecord?
    /// Insert: the whole record. Update: the new values of the changed fields.
    /// An insert or update made positional answers it as a dictionary built on each read:
    /// hot paths read `positionalAfter` or `after(_:)` instead.
    public var after: [String: Value] {
        get { positionalAfter?.dictionary ?? namedAfter }
        set { positionalAfter = nil; namedAfter = newValue }
    }
    private var namedAfter: [String: Value]
    /// The inserted record or an update's new values, when they were made positional.
    public private(set) var positionalAfter: PositionalRecord?

    public init(kind: Kind, entity: Entity, id: String, before: [String: Value] = [:], after: [String: Value] = [:]) {
        self.kind = kind
        self.entity = entity
        self.id = id
        self.namedBefore = before
        self.namedAfter = after
    }

    /// An insert whose record is positional.
    public init(insert entity: Entity, id: String, record: PositionalRecord) {
        self.kind = .insert
        self.entity = entity
        self.id = id
        self.namedBefore = [:]
        self.namedAfter = [:]
        self.positionalAfter = record
    }

    /// An update whose old and new values are positional, on one field list: what the
    /// rollup writes for each of a campaign's 100,000s of customers.
    public init(update entity: Entity, id: String, fields: FieldList, before: [Value], after: [Value]) {
        self.kind = .update
        self.entity = entity
        self.id = id
        self.namedBefore = [:]
        self.namedAfter = [:]
        self.positionalBefore = PositionalRecord(fields, before)
        self.positionalAfter = PositionalRecord(fields, after)
    }

    /// One field of `after`, without building a dictionary.
    public func after(_ name: String) -> Value? {
        // Read through the optional in place: `if let p` copied the record (a retain and
        // release of its list and values) on every read, 100,000s of times in a campaign.
        if positionalAfter != nil { return positionalAfter?[name] }
        return namedAfter[name]
    }

    /// One field of `before`, without building a dictionary.
    public func before(_ name: String) -> Value? {
        if positionalBefore != nil { return positionalBefore?[name] }
        return namedBefore[name]
    }

    public var beforeIsEmpty: Bool { positionalBefore.map { $0.values.isEmpty } ?? namedBefore.isEmpty }

    public var afterIsEmpty: Bool { positionalAfter.map { $0.values.isEmpty } ?? namedAfter.isEmpty }

    public static func == (a: RecordChange, b: RecordChange) -> Bool {
        a.kind == b.kind && a.entity == b.entity && a.id == b.id && a.before == b.before && a.after == b.after
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
    /// Raised by `import store` to the marks of the store it came from, so that ids are
    /// not handed out again. A database keeps them (`rapport_ids`); a store directory
    /// derives its marks from its records and ignores these.
    public var highestGeneratedNumbers: [Entity: Int] = [:]
    /// Set by an import: the file its records came from (docs/storage.md "Bulk imports").
    public var importSource: ImportSource?
    /// Set only on a bulk import's journal entry, whose added records are in the snapshot
    /// of its sequence instead: replay never applies such an entry.
    public var importSummary: ImportSummary?
    /// Set by a campaign run: for how many days a touch keeps a customer from the campaign
    /// (`every`; infinity without one). Not journalled: read at commit by a backend that
    /// keys each touch by its window (PostgreSQL's unique `rapport_touches`).
    public var campaignEvery: Double?
    /// The first changes' journal text, written ahead on another core (a campaign run's
    /// messages and contacts); nil: `JournalCodec.encode` writes every change.
    public var journalPrefix: JournalPrefix?

    public init(at: Int64, user: String, command: String) {
        self.at = at
        self.user = user
        self.command = command
    }

    /// An import adding at least `least` records (the policy's `import.bulkRows`), not yet
    /// summarised: every backend audits it as a summary (docs/storage.md "Bulk imports").
    public func isBulkImport(least: Int) -> Bool {
        guard importSource != nil, importSummary == nil else { return false }
        var inserts = 0
        for c in changes.indices where changes[c].kind == .insert {
            inserts += 1
            if inserts >= least { return true }
        }
        return false
    }

    public var isEmpty: Bool { changes.isEmpty && fieldAdditions.isEmpty && policyChanges.isEmpty && segmentChanges.isEmpty && grantChanges.isEmpty && binChanges.isEmpty }
}

/// The file an import read: its path as typed and its SHA-256 in hex.
public struct ImportSource: Sendable, Equatable {
    public var file: String
    public var sha256: String
    public init(file: String, sha256: String) {
        self.file = file
        self.sha256 = sha256
    }
}

/// What a bulk import added, in place of its inserts: per entity, how many and their ids
/// as runs (`C000001..C100000`).
public struct ImportSummary: Sendable, Equatable {
    public struct Added: Sendable, Equatable {
        public var entity: Entity
        public var count: Int
        public var ids: [String]
        public init(entity: Entity, count: Int, ids: [String]) {
            self.entity = entity
            self.count = count
            self.ids = ids
        }
    }
    public var source: ImportSource
    public var added: [Added]

    public init(source: ImportSource, added: [Added]) {
        self.source = source
        self.added = added
    }

    /// The inserts of `changes` grouped by entity (in order of first appearance), their
    /// ids joined into runs of consecutive numbers with one prefix and width.
    public static func of(_ changes: [RecordChange], source: ImportSource) -> ImportSummary {
        // A few entities, each change's found by a look at the previous one's first: a
        // dictionary keyed by entity hashed it twice per change, a million times.
        var groups: [(entity: Entity, ids: [String])] = []
        var group = -1
        // By index: a copy of each change would retain every reference in it.
        for c in changes.indices where changes[c].kind == .insert {
            let entity = changes[c].entity
            if group < 0 || groups[group].entity != entity {
                if let known = groups.firstIndex(where: { $0.entity == entity }) { group = known } else {
                    // Room for every change left at once: grown by doubling, the ids of a
                    // million inserts were copied into fresh memory at each step (pages
                    // reserved and never written are never faulted in).
                    var ids: [String] = []
                    ids.reserveCapacity(changes.endIndex - c)
                    groups.append((entity, ids))
                    group = groups.count - 1
                }
            }
            groups[group].ids.append(changes[c].id)
        }
        return ImportSummary(source: source, added: groups.map { Added(entity: $0.entity, count: $0.ids.count, ids: runs($0.ids)) })
    }

    /// `["C000001", "C000002", "C000003", "X"]` → `["C000001..C000003", "X"]`.
    ///
    /// Two ASCII ids in a row are compared by their bytes (the prefix kept as bytes while
    /// the run goes on): a key per id as a `Substring` made and compared a string per id,
    /// a million times on one thread at an import's commit. Any other pair is compared
    /// as before, by characters (`split`).
    static func runs(_ ids: [String]) -> [String] {
        func split(_ id: String) -> (prefix: Substring, number: Int, width: Int)? {
            // An ASCII id is split by its bytes: each byte is a character. Any other is
            // split by characters, as a digit may join the character before it.
            if let key = splitASCII(id) { return key.number < 0 ? nil : key }
            let digits = id.utf8.reversed().prefix { $0 >= 48 && $0 <= 57 }.count
            guard digits > 0, digits <= 18, let n = Int(id.suffix(digits)) else { return nil }
            return (id.dropLast(digits), n, digits)
        }
        var out: [String] = []
        var first = "", last = ""
        // The previous id's number and width (number -1: none) and the bytes before its
        // number, when it is all ASCII.
        var lastASCII: (number: Int, width: Int)?
        var lastPrefix: [UInt8] = []
        func close() {
            guard !first.isEmpty else { return }
            out.append(first == last ? first : first + ".." + last)
        }
        for (i, id) in ids.enumerated() {
            var continues = false
            var ascii: (number: Int, width: Int)?
            let read: Void? = id.utf8.withContiguousStorageIfAvailable { bytes in
                guard let (digits, number) = asciiNumber(bytes) else { return }
                ascii = (number, digits)
                let prefix = bytes[..<(bytes.count - digits)]
                if i > 0, let previous = lastASCII {
                    continues = number >= 0 && previous.number >= 0 && digits == previous.width && number == previous.number + 1
                        && prefix.elementsEqual(lastPrefix)
                }
                if !continues {
                    lastPrefix.removeAll(keepingCapacity: true)
                    lastPrefix.append(contentsOf: prefix)
                }
            }
            if read == nil || ascii == nil || (i > 0 && lastASCII == nil) {
                // Either id is not ASCII (or its bytes are not at hand): by characters.
                if i > 0, let k = split(id), let l = split(last) {
                    continues = k.prefix == l.prefix && k.width == l.width && k.number == l.number + 1
                } else {
                    continues = false
                }
            }
            if continues {
                last = id
            } else {
                close()
                first = id
                last = id
            }
            lastASCII = read == nil ? nil : ascii
        }
        close()
        return out
    }

    /// An all-ASCII id's count of final digits and their number (-1: not 1 to 18 digits),
    /// or nil when a byte is not ASCII.
    private static func asciiNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> (digits: Int, number: Int)? {
        for byte in bytes where byte >= 0x80 { return nil }
        var end = bytes.count
        while end > 0, bytes[end - 1] >= 48, bytes[end - 1] <= 57 { end -= 1 }
        let digits = bytes.count - end
        guard digits > 0, digits <= 18 else { return (digits, -1) }
        var number = 0
        for byte in bytes[end...] { number = number * 10 + Int(byte - 48) }
        return (digits, number)
    }

    /// An all-ASCII id's prefix, number and width (number -1: no number of 1 to 18 digits
    /// ends it); nil for any other id, or one whose bytes are not at hand.
    private static func splitASCII(_ id: String) -> (prefix: Substring, number: Int, width: Int)? {
        let utf8 = id.utf8
        let counted = utf8.withContiguousStorageIfAvailable { asciiNumber($0) }
        guard let found = counted, let (digits, number) = found else { return nil }
        guard number >= 0 else { return (Substring(id), -1, digits) }
        return (Substring(utf8.dropLast(digits)), number, digits)
    }

    /// The audit row's text for one entity: what was added, from which file.
    public func line(_ added: Added) -> String {
        "added \(added.count) \(added.count == 1 ? added.entity.singular : added.entity.rawValue) (\(added.ids.joined(separator: ", "))) from \(source.file), sha256 \(source.sha256)"
    }
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

/// Items grouped by entity, the groups in the order their entities are first met. A set
/// names a few entities, often alternating (an import's customers and their opening
/// balances, two million changes): each item's group is found by a look at the previous
/// item's first, then among the few groups, never by hashing the entity per item.
struct EntityGroups<Item> {
    /// Each entity's items in the order appended, and how many of them came `flagged`.
    private(set) var groups: [(entity: Entity, items: [Item], flagged: Int)] = []
    private var current = -1

    mutating func append(_ item: Item, to entity: Entity, flagged: Bool = false) {
        if current < 0 || groups[current].entity != entity {
            if let known = groups.firstIndex(where: { $0.entity == entity }) { current = known } else {
                groups.append((entity, [], 0))
                current = groups.count - 1
            }
        }
        groups[current].items.append(item)
        if flagged { groups[current].flagged += 1 }
    }
}
