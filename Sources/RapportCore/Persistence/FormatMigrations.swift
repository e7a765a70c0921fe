/// The versions of the stored formats, and the steps that bring an older file forward.
///
/// Each step takes one version to the next as a pure function of the decoded form; on
/// open, the steps from a file's version up to the current one run in order, so the
/// readers only ever see the current form. Files are not rewritten to migrate them: the
/// next snapshot is written in the current version, and journal and audit entries keep
/// the bytes their checksums cover (a store holds entries of several versions).
/// A file of a version newer than the program knows is refused, never guessed at.
enum FormatMigrations {
    /// The members of one journal (or audit) entry, as read from its line.
    typealias EntryMembers = [(key: String, value: JSONValue)]

    /// Journal and audit entries.
    /// - 1: no "version"; "at" was the session's clock, pinned (`--now`) or not; no role.
    /// - 2: "version"; "at" the real time; "pinnedNow" when the clock was pinned; "role".
    /// - 3: "policy": the policy keys the change set (`set policy`), each key, before, after.
    static let entryVersion: Int64 = 3

    /// `entrySteps[i]` takes an entry of version i+1 to version i+2.
    static let entrySteps: [@Sendable (EntryMembers) -> EntryMembers] = [
        // 1 → 2: the role was not recorded; "at" keeps what it was (the real time
        // unless the clock was pinned, which the entry cannot tell).
        { members in members.filter { $0.key != "version" } + [("version", .integer(2)), ("role", .null)] },
        // 2 → 3: no entry changed the policy before it could be set.
        { members in members.filter { $0.key != "version" } + [("version", .integer(3))] },
    ]

    /// The snapshot.
    /// - 1: format, version, sequence, counts, custom fields, the records.
    /// - 2: "policy": the keys set away from their defaults, canonical units.
    static let snapshotVersion: Int64 = 2

    /// `snapshotSteps[i]` takes a store read from a snapshot of version i+1 to version
    /// i+2. (The snapshot is parsed straight into columns, so its steps work on the
    /// loaded store.)
    static let snapshotSteps: [@Sendable (Store) -> Void] = [
        // 1 → 2: a store without a policy has every key at its default, as it is read.
        { _ in },
    ]

    /// Brings an entry of `version` to the current version.
    /// `version` must be 1 or more (the reader checks).
    static func migrateEntry(_ members: EntryMembers, from version: Int64) throws -> EntryMembers {
        guard version <= entryVersion else { throw NewerFormatError(what: "journal entry", version: version, known: entryVersion) }
        var members = members
        for step in entrySteps[Int(version - 1)..<Int(entryVersion - 1)] { members = step(members) }
        return members
    }

    /// Brings a store read from a snapshot of `version` (1 to current) to the current version.
    static func migrateSnapshot(_ store: Store, from version: Int64) {
        for step in snapshotSteps[Int(version - 1)..<Int(snapshotVersion - 1)] { step(store) }
    }
}

/// A file written by a newer Rapport than this one, which must not guess at it.
struct NewerFormatError: Error, CustomStringConvertible {
    /// "snapshot", "journal entry".
    var what: String
    var version: Int64
    var known: Int64
    var description: String {
        "written by a newer version of Rapport (\(what) format version \(version); this Rapport reads versions 1 to \(known))"
    }
}
