import Foundation

/// A store and the directory that keeps it: `snapshot.json` (the whole store, replaced
/// atomically), `journal.jsonl` (every change since, fsync'ed before a command returns),
/// `audit.jsonl` (every change ever, moved there from the journal at each snapshot) and
/// `lock` (one writer at a time).
public final class Database {
    public let store: Store
    /// nil for a throwaway store (`--demo`) that lives in memory only.
    public let directory: String?
    public let isReadOnly: Bool
    /// Things said while opening: a dropped torn entry, for instance.
    public private(set) var warnings: [Diagnostic] = []
    private var journal: AppendOnlyFile?
    private var lock: DirectoryLock?
    private var journalBytes = 0
    private var snapshotBytes = 0
    /// Whether the audit trail (entity `audit`) has been read; until then nothing is.
    private var auditLoaded = false
    /// A store in memory only keeps its change sets here until the audit trail is read.
    private var unfiledAudit: [ChangeSet] = []

    public static let snapshotFile = "snapshot.json"
    public static let journalFile = "journal.jsonl"
    public static let auditFile = "audit.jsonl"
    public static let previousSnapshotFile = "snapshot.prev.json"

    private init(store: Store, directory: String?, readOnly: Bool) {
        self.store = store
        self.directory = directory
        self.isReadOnly = readOnly
    }

    /// A store in memory only; changes are not kept.
    public static func inMemory(_ store: Store = Store()) -> Database {
        Database(store: store, directory: nil, readOnly: false)
    }

    /// Opens (creating when missing) the store in `directory`: the snapshot, then the
    /// journal's entries after it.
    public static func open(directory: String, readOnly: Bool = false) throws -> Database {
        if !FileSystem.fileExists(directory) {
            if readOnly { throw Diagnostic.runtime(.noStore, directory) }
            do { try FileSystem.createDirectory(directory, mode: 0o700) } catch {
                throw Diagnostic.runtime(.cannotCreateStoreDirectory, directory, "\(error)")
            }
        } else if !FileSystem.isDirectory(directory) {
            throw Diagnostic.runtime(.storeIsAFile, directory)
        }
        // An encrypted backup is refused before anything (a lock file) is written into it.
        if SealedFile.isSealedFile(directory + "/" + snapshotFile) {
            throw Diagnostic.runtime(.encryptedBackupNeedsRestore, directory)
        }
        // A directory we cannot write to (a read-only mount, a backup on a CD) still opens,
        // for reading; changes are then refused with a clear message.
        var readOnly = readOnly
        var warnings: [Diagnostic] = []
        if !readOnly, access(directory, W_OK) != 0 {
            readOnly = true
            warnings.append(Diagnostic(.warning, .storeNotWritable, [directory, String(cString: strerror(errno))]))
        }
        // A reader takes no directory lock: it sees the snapshot and the journal's complete entries.
        var lock: DirectoryLock?
        if !readOnly {
            do { lock = try DirectoryLock.acquire(directory: directory, exclusive: true) } catch {
                throw Diagnostic.runtime(.storeLocked, "\(error)")
            }
        }
        // A reader takes no directory lock, but holds the snapshot lock while it reads, so
        // that a writer cannot replace the snapshot between its reading the snapshot and
        // the journal. (A writer holds the directory lock: nobody checkpoints under it.)
        if readOnly {
            let pairing = SnapshotLock.hold(directory: directory, exclusive: false)
            defer { withExtendedLifetime(pairing) {} }
            return try load(directory: directory, readOnly: true, lock: nil, warnings: warnings)
        }
        SnapshotLock.create(directory: directory)
        return try load(directory: directory, readOnly: false, lock: lock, warnings: warnings)
    }

    /// Reads the snapshot, then replays the journal's entries after it.
    private static func load(directory: String, readOnly: Bool, lock: DirectoryLock?, warnings: [Diagnostic]) throws -> Database {
        let snapshotPath = directory + "/" + snapshotFile
        var store = Store()
        var snapshotBytes = 0
        if FileSystem.fileExists(snapshotPath) {
            do {
                store = try FileSystem.withMappedFile(snapshotPath) { buffer in
                    snapshotBytes = buffer.count
                    return try SnapshotCodec.read(buffer)
                }
            } catch let e as NewerFormatError {
                throw Diagnostic(.runtime, .snapshotFromNewerVersion, [directory, snapshotFile, "\(e)"],
                                 notes: [newerNote])
            } catch let e as SnapshotError {
                throw Diagnostic(.runtime, .snapshotDamaged, [snapshotPath, e.description],
                                 notes: [damageNote(directory)])
            } catch {
                throw Diagnostic.runtime(.cannotReadStoreFile, snapshotPath, "\(error)")
            }
        }
        let db = Database(store: store, directory: directory, readOnly: readOnly)
        db.lock = lock
        db.snapshotBytes = snapshotBytes
        db.warnings = warnings
        try db.replayJournal()
        if !readOnly {
            do { db.journal = try AppendOnlyFile(path: directory + "/" + journalFile) } catch {
                throw Diagnostic.runtime(.cannotOpenJournal, "\(error)")
            }
        }
        return db
    }

    private func replayJournal() throws {
        guard let directory else { return }
        let path = directory + "/" + Database.journalFile
        guard FileSystem.fileExists(path) else { return }
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch { throw Diagnostic.runtime(.cannotReadStoreFile, path, "\(error)") }
        let replay = JournalReplay.run(bytes, into: store)
        journalBytes = replay.validBytes
        guard let problem = replay.problem else { return }
        if problem.isNewerFormat {
            throw Diagnostic(.runtime, .journalFromNewerVersion, [directory, String(problem.entry), Database.journalFile, problem.reason],
                             notes: [Database.newerNote])
        }
        if problem.isTornTail && isReadOnly {
            warnings.append(Diagnostic(.warning, .journalTailIncomplete, [String(problem.entry), String(problem.offset)]))
            return
        }
        if problem.isTornTail {
            warnings.append(Diagnostic(.warning, .journalTailDropped, [String(problem.entry), String(problem.offset), problem.reason]))
            do { try FileSystem.truncate(path, to: problem.offset) } catch {
                throw Diagnostic.runtime(.cannotTruncateJournal, "\(error)")
            }
            return
        }
        throw Diagnostic(.runtime, .journalDamaged, [path, String(problem.offset), String(problem.entry), problem.reason],
                         notes: [Database.damageNote(directory)])
    }

    /// What to do about a store from a newer Rapport (`--recover` would drop what it cannot read).
    static let newerNote = "open it with that newer version of Rapport; this one changes nothing in it"

    /// What to do about a damaged file.
    private static func damageNote(_ directory: String) -> String {
        "'rapport --data \(directory) --check' describes the damage; '--recover' rebuilds the store from what is intact"
    }

    /// Makes a change set durable (journal append + fsync), then applies it.
    /// On failure nothing is applied. Every change comes through here, so here its audit
    /// metadata is set: the real time (a pinned clock cannot backdate it), the pinned
    /// clock beside it, the user and the role.
    public func commit(_ set: inout ChangeSet, by author: ChangeAuthor) throws {
        guard !isReadOnly else { throw Diagnostic.runtime(.storeReadOnly) }
        set.sequence = store.sequence + 1
        set.at = Int64(Date().timeIntervalSince1970.rounded(.down))
        set.pinnedNow = author.pinnedNow
        set.user = author.user
        set.role = author.role
        if let journal {
            let bytes = JournalCodec.encode(set) { e in
                var schema = self.store[e].schema
                for a in set.fieldAdditions where a.entity == e { schema.append(a.field) }
                return schema
            }
            do { try journal.append(bytes) } catch {
                throw Diagnostic.runtime(.changeNotSaved, "\(error)")
            }
            journalBytes += bytes.count
        }
        store.apply(set)
        if auditLoaded {
            AuditTrail.append(set, to: store[.audit]) { self.store[$0].schema }
        } else if directory == nil {
            unfiledAudit.append(set)
        }
    }

    /// Reads the audit trail into entity `audit` the first time it is asked for: the audit
    /// log, then the journal (which hold every change committed so far, this session's too);
    /// `commit` keeps it up to date after that.
    public func loadAuditTrail() throws {
        guard !auditLoaded else { return }
        let table = store[.audit]
        if let directory {
            do { try AuditTrail.load(directory: directory, into: table, schemasLike: store) } catch let e as AuditTrail.Unreadable {
                // Nothing half-read stays behind: the next query tries again from the start.
                emptyAuditTable()
                throw Diagnostic.runtime(.auditLogUnreadable, e.file, String(e.entry), String(e.offset), e.reason)
            } catch {
                emptyAuditTable()
                throw Diagnostic.runtime(.cannotReadStoreFile, directory, "\(error)")
            }
        }
        for set in unfiledAudit { AuditTrail.append(set, to: table) { self.store[$0].schema } }
        unfiledAudit = []
        auditLoaded = true
    }

    private func emptyAuditTable() {
        let table = Table(entity: .audit)
        table.store = store
        store.tables[.audit] = table
    }

    /// Writes a new snapshot, moves the journal's entries to the audit log and empties
    /// the journal. The snapshot it replaces stays as `snapshot.prev.json`, so that a
    /// damaged snapshot can be rebuilt from the previous one and the audit log.
    public func checkpoint() throws {
        guard let directory, !isReadOnly else { return }
        let journalPath = directory + "/" + Database.journalFile
        let snapshotPath = directory + "/" + Database.snapshotFile
        // Readers wait while the snapshot and the journal do not go together.
        let pairing = SnapshotLock.hold(directory: directory, exclusive: true)
        defer { withExtendedLifetime(pairing) {} }
        do {
            if FileSystem.fileExists(snapshotPath) {
                try FileSystem.replaceWithLink(to: snapshotPath, at: directory + "/" + Database.previousSnapshotFile)
            }
            snapshotBytes = try SnapshotCodec.write(store, to: snapshotPath)
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic.runtime(.snapshotIncomplete, "\(error)")
        }
        // A crash or failure from here on leaves journal entries the new snapshot already
        // holds: opening skips them by their sequence numbers.
        do {
            if journalBytes > 0 {
                let entries = try FileSystem.readFile(journalPath)
                let audit = try AppendOnlyFile(path: directory + "/" + Database.auditFile)
                defer { audit.close() }
                try audit.append(entries)
            }
            try journal?.truncate(to: 0)
            journalBytes = 0
        } catch {
            throw Diagnostic.runtime(.journalNotMoved, "\(error)")
        }
    }

    /// Snapshots when the journal has grown large (over 1 MiB and over a quarter of the
    /// snapshot), so the next opening replays little; then releases the lock.
    public func close() {
        if directory != nil, !isReadOnly, journalBytes > max(1 << 20, snapshotBytes / 4) {
            try? checkpoint()
        }
        journal?.close()
        journal = nil
        lock?.release()
        lock = nil
    }

    deinit { close() }
}
