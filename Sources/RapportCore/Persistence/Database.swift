import Foundation

/// A store and the directory that keeps it: `snapshot.json` (the whole store, replaced
/// atomically), `journal.jsonl` (every change since, fsync'ed before a command returns),
/// `audit.jsonl` (every change ever, moved there from the journal at each snapshot) and
/// `lock` (held by one process while it commits).
///
/// Several processes may have one store open and change it (docs/storage.md, "Sharing a
/// store"): each keeps the whole store in memory, catches up with what the others appended
/// to the journal before every command (`catchUp`), and commits under the directory lock
/// after catching up again (`withWriteLock`), so every change set is built against the
/// store as it is on disk.
public final class Database {
    public private(set) var store: Store
    /// nil for a throwaway store (`--demo`) that lives in memory only.
    public let directory: String?
    public let isReadOnly: Bool
    /// Set for an encrypted store: every file is read and written through it.
    public let cipher: StoreCipher?
    /// Things said while opening: a dropped torn entry, for instance.
    public private(set) var warnings: [Diagnostic] = []
    /// Said while catching up (a torn entry of a process that died, dropped), not yet shown.
    private var pendingWarnings: [Diagnostic] = []
    /// Open only while this process holds the directory lock.
    private var journal: AppendOnlyFile?
    private var lockDepth = 0
    private var snapshotBytes = 0
    /// Whether the audit trail (entity `audit`) has been read; until then nothing is.
    private var auditLoaded = false
    /// A store in memory only keeps its change sets here until the audit trail is read.
    private var unfiledAudit: [ChangeSet] = []
    /// The column image's checks running ahead of a large commit (`checkColumnImageAhead`).
    private var aheadChecks: RegionChecks?
    /// How far this process has read the journal: the bytes of its complete entries
    /// applied, the file they are in, and the last 9 bytes of the last one (checksum and
    /// newline), to tell the journal it read from one emptied and written again.
    private var journalOffset = 0
    private var journalIdentity: FileIdentity?
    private var journalTail: [UInt8] = []
    /// The first, cheap test of whether another process committed (`catchUp`).
    private var watch: StoreWatch?
    /// The snapshot file as it was when this process last caught up: another process's
    /// snapshot (or `--recover`) puts a new one in place.
    private var snapshotIdentity: FileIdentity?
    /// While `open` runs: a reader says then that it leaves an unfinished last entry out.
    private var isOpening = false
    /// Told how far writing a snapshot has got (rows written, rows in all), whatever
    /// writes it: `save`, a bulk import, closing; the shell draws a bar on a terminal.
    public var snapshotProgress: (@Sendable (Int, Int) -> Void)?
    /// A snapshot being written on another thread (`checkpointInBackground`), not yet in place.
    private var backgroundSnapshot: BackgroundSnapshot?

    public static let snapshotFile = "snapshot.json"
    public static let journalFile = "journal.jsonl"
    public static let auditFile = "audit.jsonl"
    public static let previousSnapshotFile = "snapshot.prev.json"

    private init(store: Store, directory: String?, readOnly: Bool, cipher: StoreCipher? = nil) {
        self.store = store
        self.directory = directory
        self.isReadOnly = readOnly
        self.cipher = cipher
    }

    /// A store in memory only; changes are not kept.
    public static func inMemory(_ store: Store = Store()) -> Database {
        Database(store: store, directory: nil, readOnly: false)
    }

    /// Opens (creating when missing) the store in `directory`: the snapshot, then the
    /// journal's entries after it. Opening never waits for another process's commit.
    public static func open(directory: String, readOnly: Bool = false) throws -> Database {
        if !FileSystem.fileExists(directory) {
            if readOnly { throw Diagnostic.runtime(.noStore, directory) }
            do { try FileSystem.createDirectory(directory, mode: 0o700) } catch {
                throw Diagnostic.runtime(.cannotCreateStoreDirectory, directory, "\(error)")
            }
        } else if !FileSystem.isDirectory(directory) {
            throw Diagnostic.runtime(.storeIsAFile, directory)
        }
        // An encrypted store without its key, and an encrypted backup, are refused before
        // anything (a lock file) is written into them.
        let cipher = try StoreCipher.forStore(directory)
        if cipher == nil, SealedFile.isSealedFile(directory + "/" + snapshotFile) {
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
        let db = Database(store: Store(), directory: directory, readOnly: readOnly, cipher: cipher)
        db.warnings = warnings
        if !readOnly { SnapshotLock.create(directory: directory) }
        db.isOpening = true
        defer { db.isOpening = false }
        // Nobody committing: a torn last entry is a crash's, and is cut off under the lock.
        // Somebody committing: the last entry may be theirs, still being written; left alone.
        if !readOnly, let lock = try? DirectoryLock.acquire(directory: directory, patience: 0) {
            defer { lock.release() }
            try db.reload(holdingLock: true)
        } else {
            try db.reload(holdingLock: false)
        }
        db.warnings += db.pendingWarnings
        db.pendingWarnings = []
        return db
    }

    /// Reads the snapshot, then replays the journal's entries after it, replacing the
    /// store in memory. Without the directory lock it holds the snapshot lock shared, so
    /// that no snapshot replaces the one it reads before it has read the journal too.
    private func reload(holdingLock: Bool) throws {
        guard let directory else { return }
        let pairing = holdingLock ? nil : SnapshotLock.hold(directory: directory, exclusive: false)
        defer { withExtendedLifetime(pairing) {} }
        let snapshotPath = directory + "/" + Database.snapshotFile
        var loaded = Store()
        var bytes = 0
        let identity = FileSystem.identity(snapshotPath)
        if let identity {
            do {
                (loaded, bytes) = try readSnapshot(at: snapshotPath, size: identity.size, directory: directory)
            } catch let e as NewerFormatError {
                throw Diagnostic(.runtime, .snapshotFromNewerVersion, [directory, Database.snapshotFile, "\(e)"],
                                 notes: [Database.newerNote])
            } catch let e as SnapshotError {
                throw Diagnostic(.runtime, .snapshotDamaged, [snapshotPath, e.description],
                                 notes: [Database.damageNote(directory)])
            } catch {
                throw Diagnostic.runtime(.cannotReadStoreFile, snapshotPath, "\(error)")
            }
        }
        store = loaded
        // Checks ahead of a commit belong to the store just replaced: stopped, let go.
        aheadChecks?.cancel()
        aheadChecks = nil
        snapshotBytes = bytes
        snapshotIdentity = identity
        journalOffset = 0
        journalTail = []
        journalIdentity = nil
        if try applyJournal(holdingLock: holdingLock, authoritative: true) == .needsReset {
            // Only a gap can come back here, and an authoritative reading reports a gap as damage.
            throw Diagnostic.runtime(.cannotReadStoreFile, directory + "/" + Database.journalFile, "the journal changed while it was read")
        }
    }

    /// The snapshot at `path` as a store: from the column image beside it when that was
    /// made from this very snapshot, else parsed from the JSON, after which the image is
    /// written again. An encrypted store has no image: its columns would lie in plaintext.
    private func readSnapshot(at path: String, size: Int, directory: String) throws -> (store: Store, bytes: Int) {
        guard cipher == nil, let image = ColumnImage.SnapshotIdentity(snapshotAt: path) else {
            columnImageNote = cipher == nil ? nil : "column image: none for an encrypted store"
            return try StoreCipher.readSnapshot(at: path, cipher: cipher)
        }
        let unusable: ColumnImage.Unusable
        switch ColumnImage.read(directory: directory, snapshot: image) {
        case .success(let store):
            columnImageNote = "column image: read"
            return (store, size)
        case .failure(let reason):
            unusable = reason
        }
        let parsed = try StoreCipher.readSnapshot(at: path, cipher: nil)
        // The store is still exactly the snapshot: the journal is applied after this.
        let written = ColumnImage.write(parsed.store, snapshot: image, directory: directory)
        columnImageNote = "column image: not used (\(unusable.reason)); " + (written ? "written again" : "could not be written")
        return parsed
    }

    /// How the last reading of the snapshot went with the column image, for `--timer`.
    public private(set) var columnImageNote: String?

    /// What reading the journal from where this process left off came to.
    private enum JournalReading { case caughtUp, needsReset }

    /// Applies the journal's complete entries after `journalOffset`. `.needsReset` when the
    /// journal no longer continues what this process read (another process's snapshot
    /// emptied it, `--recover` replaced it) or does not follow the store: the caller then
    /// looks in the audit log. `authoritative` (nobody can be snapshotting meanwhile): a
    /// bad entry is damage, and thrown.
    private func applyJournal(holdingLock: Bool, authoritative: Bool) throws -> JournalReading {
        guard let directory else { return .caughtUp }
        let path = directory + "/" + Database.journalFile
        let read: (bytes: [UInt8], identity: FileIdentity)
        do {
            read = try FileSystem.readFile(path, from: journalOffset - journalTail.count)
        } catch let e as FileSystemError where e.code == ENOENT {
            return journalOffset == 0 ? .caughtUp : .needsReset
        } catch {
            throw Diagnostic.runtime(.cannotReadStoreFile, path, "\(error)")
        }
        if let known = journalIdentity, !known.isSameFile(as: read.identity) { return .needsReset }
        guard read.bytes.starts(with: journalTail) else { return .needsReset }
        let fresh = Array(read.bytes[journalTail.count...])
        let replay = JournalReplay.run(fresh, into: store, cipher: cipher)
        let start = journalOffset
        journalIdentity = read.identity
        if replay.validBytes > 0 {
            journalOffset = start + replay.validBytes
            journalTail = Array(fresh[(replay.validBytes - 9)..<replay.validBytes])
        }
        guard let problem = replay.problem else { return .caughtUp }
        if problem.isNewerFormat {
            throw Diagnostic(.runtime, .journalFromNewerVersion, [directory, String(problem.entry), Database.journalFile, problem.reason],
                             notes: [Database.newerNote])
        }
        if problem.isUnlandedImport {
            // Under the lock it is a dead process's import that never reached its snapshot;
            // without it, perhaps one being written now: read up to it, and wait.
            if holdingLock {
                pendingWarnings.append(Diagnostic(.warning, .importNotLanded, [String(store.sequence + 1)]))
                do { try FileSystem.truncate(path, to: start + problem.offset) } catch {
                    throw Diagnostic.runtime(.cannotTruncateJournal, "\(error)")
                }
            }
            return .caughtUp
        }
        if problem.isTornTail {
            // Under the lock nobody else is writing: the torn entry is a crash's, and goes.
            if holdingLock {
                pendingWarnings.append(Diagnostic(.warning, .journalTailDropped, [String(problem.entry), String(start + problem.offset), problem.reason]))
                do { try FileSystem.truncate(path, to: start + problem.offset) } catch {
                    throw Diagnostic.runtime(.cannotTruncateJournal, "\(error)")
                }
            } else if isReadOnly, isOpening {
                pendingWarnings.append(Diagnostic(.warning, .journalTailIncomplete, [String(problem.entry), String(problem.offset)]))
            }
            return .caughtUp
        }
        if problem.isGap && !authoritative { return .needsReset }
        if !authoritative { return .needsReset }
        throw Diagnostic(.runtime, .journalDamaged, [path, String(start + problem.offset), String(problem.entry), problem.reason],
                         notes: [Database.damageNote(directory)])
    }

    /// Brings the store up to what other processes have committed since this one last
    /// looked. Cheap when nothing changed (two `fstat`s, `StoreWatch`); otherwise it reads
    /// only the journal's new complete entries. When another process's snapshot emptied the
    /// journal, the entries it moved are read from the end of the audit log; the snapshot is
    /// read again only when that fails. Never waits for a writer's lock, except, in that last
    /// case, for a snapshot being written. Returns the warnings not yet shown.
    public func catchUp() throws -> [Diagnostic] {
        if lockDepth == 0 {
            // Not this command's failure: the old snapshot and the journal hold everything.
            do { try finishBackgroundSnapshot(waiting: false) } catch let d as Diagnostic {
                pendingWarnings.append(Diagnostic(.warning, d.id, d.arguments))
            }
        }
        try catchUp(holdingLock: lockDepth > 0)
        defer { pendingWarnings = [] }
        return pendingWarnings
    }

    private func catchUp(holdingLock: Bool) throws {
        guard let directory else { return }
        // The cheap test first (`StoreWatch`): two `fstat`s of files kept open, taken before
        // the full look so that anything changed after them is seen by the next command.
        let watch = self.watch ?? StoreWatch(directory: directory)
        self.watch = watch
        guard !holdingLock, let look = watch.look() else {
            watch.forget()
            try catchUpFromFiles(directory, holdingLock: holdingLock)
            return
        }
        if watch.showsNoChange(look, journalOffset: journalOffset) { return }
        try catchUpFromFiles(directory, holdingLock: false)
        watch.fullLookDone(after: look, journal: journalIdentity, journalOffset: journalOffset)
    }

    /// Whether the last look at the files was trusted, so that the next command takes
    /// the cheap test (for tests).
    var isTrustingItsLook: Bool { watch?.isTrusting == true }

    /// The full look: the snapshot's and the journal's identities by path, and what they
    /// hold that this process has not read.
    private func catchUpFromFiles(_ directory: String, holdingLock: Bool) throws {
        // Entries other processes committed are in the files the audit trail is read from:
        // once read, the trail is read again at its next use rather than patched here.
        let sequenceBefore = store.sequence
        defer {
            if auditLoaded, store.sequence != sequenceBefore {
                auditLoaded = false
                emptyAuditTable()
            }
        }
        let snapshotNow = FileSystem.identity(directory + "/" + Database.snapshotFile)
        if snapshotNow == snapshotIdentity {
            if let journalNow = FileSystem.identity(directory + "/" + Database.journalFile), let known = journalIdentity,
               journalNow.isSameFile(as: known), journalNow.size == journalOffset, !holdingLock {
                return
            }
            if try applyJournal(holdingLock: holdingLock, authoritative: holdingLock) == .caughtUp { return }
        }
        // Another process wrote a snapshot. The entries it took from the journal are at the
        // end of the audit log (moved byte for byte before the journal was emptied).
        snapshotIdentity = snapshotNow
        let snapshotSequence = snapshotNow == nil ? 0 : SnapshotCodec.sequence(inFileAt: directory + "/" + Database.snapshotFile) ?? Int64.max
        func fromJournalStart() throws -> Bool {
            journalOffset = 0
            journalTail = []
            journalIdentity = nil
            return try applyJournal(holdingLock: holdingLock, authoritative: false) == .caughtUp && store.sequence >= snapshotSequence
        }
        if store.sequence >= snapshotSequence, try fromJournalStart() { return }
        if catchUpFromAuditTail(directory), try fromJournalStart() { return }
        try reload(holdingLock: holdingLock)
    }

    /// Applies the audit log's entries after the store's sequence, reading back from the
    /// end of the file only as far as it must; false when it cannot (a damaged entry, or
    /// none of them follows the store).
    private func catchUpFromAuditTail(_ directory: String) -> Bool {
        let path = directory + "/" + Database.auditFile
        guard let size = FileSystem.identity(path)?.size, size > 0 else { return false }
        var span = 1 << 20
        while true {
            let start = max(0, size - span)
            guard var bytes = try? FileSystem.readFile(path, from: start).bytes else { return false }
            if start > 0 {
                // From the first whole line in what was read.
                guard let newline = bytes.firstIndex(of: 10) else { span *= 4; continue }
                bytes.removeFirst(newline + 1)
            }
            let replay = JournalReplay.run(bytes, into: store, cipher: cipher)
            if let problem = replay.problem, problem.isGap, problem.entry == 1, start > 0 {
                span *= 4
                continue
            }
            return replay.problem == nil || replay.problem!.isTornTail
        }
    }

    /// What to do about a store from a newer Rapport (`--recover` would drop what it cannot read).
    static let newerNote = "open it with that newer version of Rapport; this one changes nothing in it"

    /// What to do about a damaged file.
    private static func damageNote(_ directory: String) -> String {
        "'rapport --data \(directory) --check' describes the damage; '--recover' rebuilds the store from what is intact"
    }

    /// Runs `body` as the only process changing the store: waits (up to the policy's
    /// `store.lockWait`) for the directory lock, catches up with what others committed, runs
    /// `body` (which builds its change set against the up-to-date store and commits it),
    /// then releases the lock. Nested calls run inside the outer one.
    public func withWriteLock<T>(_ body: () throws -> T) throws -> T {
        guard let directory, !isReadOnly else { return try body() }
        if lockDepth > 0 {
            lockDepth += 1
            defer { lockDepth -= 1 }
            return try body()
        }
        let lock: DirectoryLock
        do { lock = try DirectoryLock.acquire(directory: directory, patience: store.policy["store.lockWait"]) } catch {
            throw Diagnostic.runtime(.storeLocked, "\(error)")
        }
        lockDepth = 1
        defer {
            lockDepth = 0
            journal?.close()
            journal = nil
            lock.release()
        }
        try catchUp(holdingLock: true)
        do { journal = try AppendOnlyFile(path: directory + "/" + Database.journalFile) } catch {
            throw Diagnostic.runtime(.cannotOpenJournal, "\(error)")
        }
        return try body()
    }

    /// Makes a change set durable (journal append + fsync), then applies it.
    /// On failure nothing is applied. Every change comes through here, so here its audit
    /// metadata is set: the real time (a pinned clock cannot backdate it), the pinned
    /// clock beside it, the user and the role. Outside `withWriteLock` it takes the lock
    /// for itself (the set was then built against what this process had seen).
    /// `whenDurable` runs once the set's journal entry is fsynced, and only then: for a large
    /// set on the journal's thread while the set is still being applied here (it must not
    /// read the store), otherwise once the commit is done. Not run when the commit fails.
    public func commit(_ set: inout ChangeSet, by author: ChangeAuthor, whenDurable: (@Sendable () -> Void)? = nil) throws {
        guard !isReadOnly else { throw Diagnostic.runtime(.storeReadOnly) }
        try withWriteLock { try commitHoldingLock(&set, by: author, whenDurable: whenDurable) }
    }

    private func commitHoldingLock(_ set: inout ChangeSet, by author: ChangeAuthor, whenDurable: (@Sendable () -> Void)?) throws {
        // Nothing is journaled or applied over a damaged column image: the columns the set
        // writes are checked here (those it read were checked on their first read), from
        // the last back, while the checks still running ahead go on from the first: the two
        // meet, each column hashed once, on both cores. Then those ahead are stopped, so
        // that they do not compete with the commit.
        let written = Result { try ColumnImage.checkColumns(writtenBy: set, in: store) }
        aheadChecks?.cancel()
        aheadChecks = nil
        try written.get()
        set.sequence = store.sequence + 1
        set.at = Int64(Date().timeIntervalSince1970.rounded(.down))
        set.pinnedNow = author.pinnedNow
        set.user = author.user
        set.role = author.role
        if let directory, journal != nil, isBulkImport(set) {
            try commitBulkImport(set, directory: directory)
            whenDurable?()
            return
        }
        var durableRun = false
        if let journal, set.changes.count >= Database.changesWorthApplyingDuringTheFsync {
            try appendApplying(set, to: journal, whenDurable: whenDurable)
            durableRun = true
        } else {
            if let journal { try append(set, to: journal) }
            store.apply(set)
        }
        if auditLoaded {
            AuditTrail.append(set, to: store[.audit]) { self.store[$0].schema }
        } else if directory == nil {
            unfiledAudit.append(set)
        }
        if !durableRun { whenDurable?() }
    }

    /// Hashes, on another core, the column image's regions a campaign's commit checks
    /// first (`ColumnImage.checkColumns(writtenBy:)`: its customers', messages' and
    /// contacts' columns, 480 MB at a million customers), so that the commit finds them
    /// checked while its plan runs here. Only the checks are touched there (each holds its
    /// mapping and computes once, under its own lock); a damaged region is still reported
    /// by the commit, which waits for a check under way. The other tables are not hashed
    /// here (their 1.7 GB at a million was CPU taken from the run): the commit does not
    /// check them, their first read or the next snapshot does.
    public func checkColumnImageAhead() {
        guard !isReadOnly else { return }
        let written: Set<Entity> = [.customers, .messages, .contacts]
        let checks = RegionChecks(ColumnImage.regionChecks(store, of: written), of: store)
        guard !checks.all.isEmpty else { return }
        aheadChecks?.cancel()
        aheadChecks = checks
        BackgroundWork.async {
            for check in checks.all {
                if checks.isCancelled { return }
                _ = check.check()
            }
        }
    }

    /// Starts writing a large set's first changes (`parts`, joined) as journal text on
    /// another core (`JournalPrefix`), in the store's schemas as they are now; nil for a
    /// store without a journal, or when a part holds a customer's change (the rollup may
    /// still merge into those).
    public func encodeJournalAhead(_ parts: [[RecordChange]]) -> JournalPrefix? {
        guard journal != nil, !isReadOnly else { return nil }
        var orders: [Entity: [Field]] = [:]
        for part in parts {
            for i in part.indices {
                let entity = part[i].entity
                if entity == .customers { return nil }
                if orders[entity] == nil { orders[entity] = store[entity].schema.fields }
            }
        }
        return JournalPrefix(parts, orders: orders)
    }

    /// Journals one entry (fsync'ed) and notes how far the journal now goes.
    private func append(_ set: ChangeSet, to journal: AppendOnlyFile) throws {
        let parts = try journalEntry(set)
        do { try journal.append(parts: parts) } catch {
            throw Diagnostic.runtime(.changeNotSaved, "\(error)")
        }
        noteAppended(parts, to: journal)
    }

    /// The set's journal line in consecutive parts (`JournalCodec.encodeParts`), sealed
    /// whole for an encrypted store. Read before the set is applied: a set that adds fields
    /// writes them from the schemas as they were.
    private func journalEntry(_ set: ChangeSet) throws -> [[UInt8]] {
        try Database.journalEntry(set, schemas: { e in
            var schema = self.store[e].schema
            for a in set.fieldAdditions where a.entity == e { schema.append(a.field) }
            return schema
        }, cipher: cipher)
    }

    /// `journalEntry` with the schemas given, for a thread other than the store's.
    fileprivate static func journalEntry(_ set: ChangeSet, schemas: (Entity) -> EntitySchema, cipher: StoreCipher?) throws -> [[UInt8]] {
        let parts = JournalCodec.encodeParts(set, schemas: schemas)
        guard let cipher else { return parts }
        return [try cipher.sealEntry(parts.count == 1 ? parts[0] : Array(parts.joined()))]
    }

    /// Every table's schema as `journalEntry` reads it now, the set's added fields
    /// appended: a copy that the apply, changing the tables, does not touch.
    private func schemasBefore(_ set: ChangeSet) -> [Entity: EntitySchema] {
        var schemas: [Entity: EntitySchema] = [:]
        for (entity, table) in store.tables { schemas[entity] = table.schema }
        for a in set.fieldAdditions { schemas[a.entity]?.append(a.field) }
        return schemas
    }

    private func noteAppended(_ parts: [[UInt8]], to journal: AppendOnlyFile) {
        journalIdentity = FileSystem.identity(journal.path)
        journalOffset += parts.reduce(0) { $0 + $1.count }
        // The line's last 9 bytes, from its last parts (the last holds them all but in tests).
        var tail: [UInt8] = []
        for part in parts.reversed() where tail.count < 9 { tail = Array(part.suffix(9 - tail.count)) + tail }
        journalTail = tail
    }

    /// From how many changes a set is applied in memory while its entry is written and
    /// fsynced on another thread: a campaign's 100,000s of changes take as long to apply
    /// as the disk takes to make them durable. Below it, applying takes microseconds
    /// and the set keeps the plain order (journal, then apply).
    static let changesWorthApplyingDuringTheFsync = 1_000

    /// `append` then `apply`, the two at once: the entry is encoded first (from the store
    /// as it was), then written and fsynced on another thread while this one applies it.
    /// Nothing is seen meanwhile: the session waits for the commit. If the write or fsync
    /// fails (the journal cut back to where it was), the store is read again from its
    /// files, so nothing of the set stays, as when the set was never applied.
    /// `whenDurable` runs on the journal's thread right after a successful fsync, beside
    /// the apply's remainder.
    private func appendApplying(_ set: ChangeSet, to journal: AppendOnlyFile, whenDurable: (@Sendable () -> Void)?) throws {
        let parts = try journalEntry(set)
        let written = JournalWrite(journal, parts)
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) {
            written.run()
            if written.failure == nil { whenDurable?() }
        }
        store.apply(set)
        done.wait()
        if let failure = written.failure {
            forgetApplied()
            throw Diagnostic.runtime(.changeNotSaved, "\(failure)")
        }
        noteAppended(parts, to: journal)
    }

    /// After a set was applied but not journalled: the store as its files hold it. Should
    /// even that reading fail, the store is emptied and every identity forgotten, so the
    /// next command's catch-up reads it all again rather than build on the lost set.
    private func forgetApplied() {
        auditLoaded = false
        do { try reload(holdingLock: true) } catch {
            store = Store()
            snapshotIdentity = nil
            journalIdentity = nil
            journalOffset = 0
            journalTail = []
        }
    }

    /// An import adding at least the policy's `import.bulkRows` records: they go into a
    /// new snapshot rather than the journal and then the audit log (docs/storage.md
    /// "Bulk imports").
    private func isBulkImport(_ set: ChangeSet) -> Bool {
        set.isBulkImport(least: Int(store.policy["import.bulkRows"]))
    }

    /// The journal first gets the import's summary entry (its updates whole, its inserts
    /// as counts and id runs), then the snapshot holding every record is written and
    /// renamed into place, then the journal moves to the audit log as at a checkpoint.
    /// Replay never applies the summary: before the rename it is a dead import's, and
    /// dropped (nothing imported); after it the snapshot's sequence covers it.
    ///
    /// The summary is made, encoded, written and fsynced on another core while this one
    /// applies the set: at a million customers its id runs and the walk over two million
    /// changes were 50 ms of one core between the rollup and the apply's parallel columns.
    /// It is encoded from the schemas as they were before the apply (a set that adds fields
    /// writes them from those, as `journalEntry` does). Should it fail, the store is read
    /// again from its files (`forgetApplied`): nothing of the import stays, as before when
    /// the entry failed before the apply. The snapshot is written only once it is durable.
    private func commitBulkImport(_ set: ChangeSet, directory: String) throws {
        let journalPath = directory + "/" + Database.journalFile
        let pairing = SnapshotLock.hold(directory: directory, exclusive: true)
        defer { withExtendedLifetime(pairing) {} }
        let offsetBefore = journalOffset
        let entry = SummaryEntry(set, journal: journal!, schemas: schemasBefore(set), cipher: cipher)
        let done = DispatchGroup()
        DispatchQueue.global().async(group: done) { entry.run() }
        store.apply(set)
        done.wait()
        if let failure = entry.failure {
            forgetApplied()
            throw failure
        }
        noteAppended(entry.parts, to: journal!)
        let summary = entry.summary!
        do {
            try writeSnapshotHoldingLock(directory)
        } catch {
            // Nothing of it stays: the summary leaves the journal, the store is read again.
            try? FileSystem.truncate(journalPath, to: offsetBefore)
            try? reload(holdingLock: true)
            throw error
        }
        // The import is in: a failure to move the journal leaves entries the snapshot
        // holds, which opening skips and the next snapshot moves.
        try? moveJournalToAudit(directory)
        if auditLoaded { AuditTrail.append(summary, to: store[.audit]) { self.store[$0].schema } }
    }

    /// Reads the audit trail into entity `audit` the first time it is asked for: the audit
    /// log, then the journal (which hold every change committed so far, this session's too);
    /// `commit` keeps it up to date after that.
    public func loadAuditTrail() throws {
        guard !auditLoaded else { return }
        let table = store[.audit]
        if let directory {
            do { try AuditTrail.load(directory: directory, into: table, schemasLike: store, cipher: cipher) } catch let e as AuditTrail.Unreadable {
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
    /// the journal, under the directory lock and after catching up, so that the snapshot
    /// holds every entry it takes from the journal. The snapshot it replaces stays as
    /// `snapshot.prev.json`, so that a damaged snapshot can be rebuilt from the previous
    /// one and the audit log.
    /// `isCancelled` is asked between pieces of the writing; when it says stop, the
    /// temporary file is removed and the old snapshot and the journal stay as they were.
    public func checkpoint(isCancelled: @escaping () -> Bool = { false }) throws {
        guard let directory, !isReadOnly else { return }
        try withWriteLock { try checkpointHoldingLock(directory, isCancelled: isCancelled) }
    }

    private func checkpointHoldingLock(_ directory: String, isCancelled: @escaping () -> Bool = { false }) throws {
        // Readers wait while the snapshot and the journal do not go together.
        let pairing = SnapshotLock.hold(directory: directory, exclusive: true)
        defer { withExtendedLifetime(pairing) {} }
        try writeSnapshotHoldingLock(directory, isCancelled: isCancelled)
        // A crash or failure from here on leaves journal entries the new snapshot already
        // holds: opening skips them by their sequence numbers.
        do { try moveJournalToAudit(directory) } catch {
            throw Diagnostic.runtime(.journalNotMoved, "\(error)")
        }
    }

    /// Writes the snapshot (the one it replaces kept as `snapshot.prev.json`); the caller
    /// holds the snapshot lock.
    private func writeSnapshotHoldingLock(_ directory: String, isCancelled: @escaping () -> Bool = { false }) throws {
        try ColumnImage.checkEveryColumn(store)
        let snapshotPath = directory + "/" + Database.snapshotFile
        // This one is newer: a background one still being written is dropped when it ends
        // (`finishBackgroundSnapshot` keeps the more recent snapshot).
        do {
            if FileSystem.fileExists(snapshotPath) {
                try FileSystem.replaceWithLink(to: snapshotPath, at: directory + "/" + Database.previousSnapshotFile)
            }
            let progress = SnapshotProgress(report: snapshotProgress, isCancelled: isCancelled)
            if cipher == nil {
                let view = SnapshotView(store)
                // Written beside the snapshot, installed only once the snapshot is durable;
                // a failure leaves the next opening to parse.
                let image = ColumnImage.Preparing(from: view, directory: directory)
                do {
                    snapshotBytes = try SnapshotCodec.write(view, to: snapshotPath, progress: progress)
                } catch {
                    image.wait()?.discard()
                    throw error
                }
                snapshotIdentity = FileSystem.identity(snapshotPath)
                _ = image.wait()?.install(snapshotIn: directory)
            } else {
                snapshotBytes = try StoreCipher.writeSnapshot(store, to: snapshotPath, cipher: cipher, progress: progress)
                snapshotIdentity = FileSystem.identity(snapshotPath)
            }
        } catch let d as Diagnostic {
            throw d
        } catch is SnapshotCancelled {
            throw Diagnostic.runtime(.saveCancelled)
        } catch {
            throw Diagnostic.runtime(.snapshotIncomplete, "\(error)")
        }
    }

    /// Appends the journal to the audit log and empties it.
    private func moveJournalToAudit(_ directory: String) throws {
        let journalPath = directory + "/" + Database.journalFile
        if journalOffset > 0 {
            let entries = try FileSystem.readFile(journalPath)
            let audit = try AppendOnlyFile(path: directory + "/" + Database.auditFile)
            defer { audit.close() }
            try audit.append(entries)
        }
        try journal?.truncate(to: 0)
        journalOffset = 0
        journalTail = []
        journalIdentity = FileSystem.identity(journalPath)
    }

    // MARK: Snapshots in the background

    /// A snapshot encoded and written to its own temporary file on another thread, from a
    /// view of the store taken under the lock; the worker touches nothing else.
    private final class BackgroundSnapshot: @unchecked Sendable {
        let sequence: Int64
        let temp: String
        let written = DispatchGroup()
        /// Set by the worker before it leaves `written`; read after `written` only.
        var result: Result<Int, Error> = .success(0)
        /// The column image, installed once the snapshot is in place (same rule as `result`).
        var image: ColumnImage.Pending?
        init(sequence: Int64, temp: String) { self.sequence = sequence; self.temp = temp }
        var isWritten: Bool { written.wait(timeout: .now()) == .success }
    }

    /// Starts a snapshot that is encoded and written while this process goes on
    /// answering (docs/storage.md, "Snapshots in the background"): the view is taken under
    /// the lock after catching up; the new file takes the old one's place, and the journal
    /// moves to the audit log, only once it is durable, at the next command or at closing
    /// (`finishBackgroundSnapshot`). An encrypted store, whose snapshot is sealed whole,
    /// writes it in the foreground. Returns false when it wrote in the foreground.
    @discardableResult
    public func checkpointInBackground() throws -> Bool {
        guard let directory, !isReadOnly else { return true }
        guard cipher == nil else { try checkpoint(); return false }
        // One at a time: an earlier one is put in place (or dropped) first.
        try finishBackgroundSnapshot(waiting: true)
        // As in the foreground: a damaged mapped column is never written into a snapshot.
        let view = try withWriteLock { () throws -> SnapshotView in
            try ColumnImage.checkEveryColumn(store)
            return SnapshotView(store)
        }
        let job = BackgroundSnapshot(sequence: view.sequence,
                                     temp: directory + "/" + Database.snapshotFile + ".tmp-\(getpid())-background")
        BackgroundWork.async(group: job.written) {
            let image = ColumnImage.Preparing(from: view, directory: directory, tempSuffix: "-background")
            job.result = Result {
                var size = 0
                try FileSystem.writeDurably(job.temp, bypassingCache: true) { write in size = try view.encode(emit: write) }
                return size
            }
            if case .success = job.result { job.image = image.wait() } else { image.wait()?.discard() }
        }
        backgroundSnapshot = job
        return true
    }

    /// Puts a background snapshot in place once written (waiting for it when `waiting`),
    /// under the lock: the old snapshot becomes `snapshot.prev.json`, the new one is
    /// renamed over it, and the journal moves to the audit log when it holds nothing newer
    /// than the snapshot (else it stays: opening skips the entries the snapshot holds, and
    /// the next snapshot moves them). Dropped, the old files as they were, when another
    /// process's snapshot as recent or more recent is there. A failed write throws
    /// `snapshotIncomplete`; the journal still holds every change.
    public func finishBackgroundSnapshot(waiting: Bool) throws {
        guard let job = backgroundSnapshot, let directory else { return }
        if waiting { job.written.wait() } else if !job.isWritten { return }
        backgroundSnapshot = nil
        let size: Int
        do { size = try job.result.get() } catch {
            throw Diagnostic.runtime(.snapshotIncomplete, "\(error)")
        }
        // Gone in every case: renamed into place, or dropped (the old snapshot and the
        // journal as they were).
        defer { unlink(job.temp); job.image?.discard() }
        try withWriteLock {
            let pairing = SnapshotLock.hold(directory: directory, exclusive: true)
            defer { withExtendedLifetime(pairing) {} }
            let snapshotPath = directory + "/" + Database.snapshotFile
            if FileSystem.fileExists(snapshotPath), (SnapshotCodec.sequence(inFileAt: snapshotPath) ?? Int64.max) >= job.sequence {
                return
            }
            do {
                if FileSystem.fileExists(snapshotPath) {
                    try FileSystem.replaceWithLink(to: snapshotPath, at: directory + "/" + Database.previousSnapshotFile)
                }
                try FileSystem.moveIntoPlace(job.temp, over: snapshotPath)
            } catch {
                throw Diagnostic.runtime(.snapshotIncomplete, "\(error)")
            }
            _ = job.image?.install(snapshotIn: directory)
            snapshotBytes = size
            snapshotIdentity = FileSystem.identity(snapshotPath)
            guard store.sequence == job.sequence else { return }
            do { try moveJournalToAudit(directory) } catch {
                throw Diagnostic.runtime(.journalNotMoved, "\(error)")
            }
        }
    }

    /// Snapshots when the journal has grown large (over 1 MiB and over a quarter of the
    /// snapshot), so the next opening replays little.
    public func close() {
        // A process ending finishes its background snapshot; a failure leaves the old
        // snapshot and the journal, which hold everything.
        try? finishBackgroundSnapshot(waiting: true)
        if directory != nil, !isReadOnly, isJournalLarge {
            try? withWriteLock {
                // Another process may have snapshotted meanwhile.
                if isJournalLarge, let directory { try checkpointHoldingLock(directory) }
            }
        }
        journal?.close()
        journal = nil
    }

    private var isJournalLarge: Bool { journalOffset > max(1 << 20, snapshotBytes / 4) }

    deinit { close() }
}

/// One entry written and fsynced on another thread; the committing thread reads
/// `failure` only after waiting for it, and touches neither the file nor the bytes meanwhile.
/// A bulk import's journal entry (its updates whole, its inserts as counts and id runs:
/// `ImportSummary`), made, encoded and written (fsynced) on another thread beside the
/// apply, which it does not touch: it reads the set (shared, not changed) and the schemas
/// copied before. Read `summary`, `parts` and `failure` after `run` has returned.
private final class SummaryEntry: @unchecked Sendable {
    let set: ChangeSet
    let journal: AppendOnlyFile
    let schemas: [Entity: EntitySchema]
    let cipher: StoreCipher?
    private(set) var summary: ChangeSet?
    private(set) var parts: [[UInt8]] = []
    private(set) var failure: Error?

    init(_ set: ChangeSet, journal: AppendOnlyFile, schemas: [Entity: EntitySchema], cipher: StoreCipher?) {
        self.set = set
        self.journal = journal
        self.schemas = schemas
        self.cipher = cipher
    }

    func run() {
        var summary = set
        summary.changes = Array(set.changes.indices.lazy.filter { self.set.changes[$0].kind != .insert }.map { self.set.changes[$0] })
        summary.importSummary = ImportSummary.of(set.changes, source: set.importSource!)
        self.summary = summary
        do {
            parts = try Database.journalEntry(summary, schemas: { self.schemas[$0]! }, cipher: cipher)
        } catch {
            failure = error
            return
        }
        do { try journal.append(parts: parts) } catch {
            failure = Diagnostic.runtime(.changeNotSaved, "\(error)")
        }
    }
}

private final class JournalWrite: @unchecked Sendable {
    let file: AppendOnlyFile
    let parts: [[UInt8]]
    var failure: Error?

    init(_ file: AppendOnlyFile, _ parts: [[UInt8]]) {
        self.file = file
        self.parts = parts
    }

    func run() {
        do { try file.append(parts: parts) } catch { failure = error }
    }
}

/// The region checks handed to the thread that runs them ahead of a commit. The store is
/// kept alive with them: a string column's check reads its dictionary (held unowned),
/// and the store may be replaced meanwhile (read again after another process's snapshot).
/// Nothing else of the store is touched there.
private final class RegionChecks: @unchecked Sendable {
    let all: [ImageRegionCheck]
    let store: Store
    private let lock = NSLock()
    private var cancelled = false
    init(_ all: [ImageRegionCheck], of store: Store) {
        self.all = all
        self.store = store
    }
    /// The commit has begun: the checks not yet started are left to their first read or
    /// the next snapshot.
    func cancel() { lock.withLock { cancelled = true } }
    var isCancelled: Bool { lock.withLock { cancelled } }
}
