import Foundation

/// What `check` or `recover` found: one line per file or action, and whether the store
/// is sound.
public struct MaintenanceReport: CustomStringConvertible {
    public var lines: [String] = []
    public var isSound = true
    /// Some file was written by a newer Rapport: not damage, and not for `--recover`.
    public var isNewer = false

    mutating func ok(_ line: String) { lines.append(line) }
    mutating func problem(_ line: String) { lines.append(line); isSound = false }

    public var description: String { lines.joined(separator: "\n") + "\n" }
}

extension Database {
    // MARK: Check

    /// Verifies a store directory without changing it: the snapshot's checksum and
    /// format, every journal and audit entry's checksum and order, and that the journal
    /// follows the snapshot. Works on a store that no longer opens.
    public static func check(directory: String) -> MaintenanceReport {
        var report = MaintenanceReport()
        guard FileSystem.fileExists(directory) else {
            report.problem("no store at \(directory)")
            return report
        }
        let cipher: StoreCipher?
        do { cipher = try StoreCipher.forStore(directory) } catch {
            report.problem("\(error)")
            return report
        }
        if let cipher { report.ok("\(StoreCipher.markerFile): an encrypted store, key \(cipher.key.idHex)") }
        if cipher == nil, SealedFile.isSealedFile(directory + "/" + snapshotFile) {
            report.problem("\(directory) is an encrypted backup: check cannot read it; 'rapport --data NEWDIR --restore-from \(directory)' decrypts and verifies it")
            return report
        }
        // A writer at work must not replace the snapshot between our reading it and the journal.
        let pairing = SnapshotLock.hold(directory: directory, exclusive: false)
        defer { withExtendedLifetime(pairing) {} }
        var store: Store?
        let snapshotPath = directory + "/" + snapshotFile
        if FileSystem.fileExists(snapshotPath) {
            do {
                let (s, size) = try StoreCipher.readSnapshot(at: snapshotPath, cipher: cipher)
                store = s
                report.ok("\(snapshotFile): ok, \(size) bytes, up to change \(s.sequence), " +
                          Entity.stored.map { "\(s[$0].liveCount) \($0.rawValue)" }.joined(separator: ", "))
            } catch let e as NewerFormatError {
                report.problem("\(snapshotFile): \(e)")
                report.isNewer = true
            } catch {
                report.problem("\(snapshotFile): damaged: \(error)")
            }
        } else {
            store = Store()
            report.ok("\(snapshotFile): none yet (an empty store)")
        }
        checkLog(directory + "/" + journalFile, name: journalFile, store: store, cipher: cipher, report: &report)
        checkLog(directory + "/" + auditFile, name: auditFile, store: nil, cipher: cipher, report: &report)
        if report.isNewer {
            report.ok("this Rapport cannot read the store: \(newerNote)")
        } else {
            report.ok(report.isSound ? "the store is sound" : "the store is damaged: 'rapport --data \(directory) --recover' rebuilds it from what is intact")
        }
        return report
    }

    private static func checkLog(_ path: String, name: String, store: Store?, cipher: StoreCipher?, report: inout MaintenanceReport) {
        guard FileSystem.fileExists(path) else { report.ok("\(name): none"); return }
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch { report.problem("\(name): \(error)"); return }
        let replay = JournalReplay.run(bytes, into: store, cipher: cipher)
        let range = (replay.firstSequence.map { " (changes \($0) to \(replay.lastSequence!))" } ?? "") +
            (replay.repeated > 0 ? ", \(replay.repeated) repeated (written twice by a crash during a snapshot; skipped)" : "")
        guard let p = replay.problem else {
            report.ok("\(name): ok, \(replay.entries) \(replay.entries == 1 ? "entry" : "entries")\(range)")
            return
        }
        if p.isNewerFormat {
            report.problem("\(name): entry \(p.entry) at byte \(p.offset): \(p.reason)")
            report.isNewer = true
            return
        }
        let what = p.isTornTail ? "a torn last entry (a crash mid-write; dropped when the store opens)" : "damaged"
        let line = "\(name): \(what) at byte \(p.offset), entry \(p.entry): \(p.reason); \(replay.entries) good entries before it\(range)"
        if p.isTornTail { report.ok(line) } else { report.problem(line) }
    }

    // MARK: Recover

    /// Rebuilds a damaged store from what is intact: the snapshot if it reads, else the
    /// previous snapshot plus the audit log's later entries (else the audit log alone),
    /// then the journal's entries up to the first bad one. The damaged files are moved,
    /// never deleted, into `damaged-TIME/` in the store; the report says what was dropped.
    public static func recover(directory: String, now: Date = Date()) throws -> MaintenanceReport {
        guard FileSystem.fileExists(directory) else { throw Diagnostic.runtime(.noStore, directory) }
        let cipher = try StoreCipher.forStore(directory)
        let lock: DirectoryLock
        do { lock = try DirectoryLock.acquire(directory: directory, patience: Policy.defaults["store.lockWait"]) } catch {
            throw Diagnostic.runtime(.storeLocked, "\(error)")
        }
        defer { lock.release() }
        SnapshotLock.create(directory: directory)
        let pairing = SnapshotLock.hold(directory: directory, exclusive: true)
        defer { withExtendedLifetime(pairing) {} }
        var report = MaintenanceReport()
        let path = { (name: String) in directory + "/" + name }
        // Recovering drops what does not read: a file from a newer Rapport must stop it instead.
        func refuseNewer(_ name: String, _ reason: String) -> Diagnostic {
            Diagnostic(.runtime, .recoverRefusedNewer, [directory, name, reason], notes: [newerNote])
        }
        func load(_ name: String) throws -> Store? {
            guard FileSystem.fileExists(path(name)) else { return nil }
            do { return try StoreCipher.readSnapshot(at: path(name), cipher: cipher).store } catch let e as NewerFormatError {
                throw refuseNewer(name, "was \(e)")
            } catch { return nil }
        }
        func readLog(_ name: String) throws -> [UInt8] {
            FileSystem.fileExists(path(name)) ? try FileSystem.readFile(path(name)) : []
        }

        var damaged: [String] = []
        let store: Store
        if let s = try load(snapshotFile) {
            store = s
            report.ok("\(snapshotFile) is intact (up to change \(s.sequence))")
        } else {
            if FileSystem.fileExists(path(snapshotFile)) { damaged.append(snapshotFile) }
            let base = try load(previousSnapshotFile)
            store = base ?? Store()
            report.ok(base.map { "\(snapshotFile) is damaged or missing: starting from \(previousSnapshotFile) (up to change \($0.sequence))" }
                      ?? "\(snapshotFile) is damaged or missing and there is no previous snapshot: starting from an empty store")
            let audit = JournalReplay.run(try readLog(auditFile), into: store, cipher: cipher)
            if let p = audit.problem, p.isNewerFormat { throw refuseNewer(auditFile, "(entry \(p.entry)): \(p.reason)") }
            report.ok("\(auditFile): replayed \(audit.applied) changes after it")
            if let p = audit.problem {
                report.problem("\(auditFile): stopped at byte \(p.offset), entry \(p.entry): \(p.reason)")
            }
        }

        let journalBytes = try readLog(journalFile)
        let journal = JournalReplay.run(journalBytes, into: store, cipher: cipher)
        if let p = journal.problem, p.isNewerFormat { throw refuseNewer(journalFile, "(entry \(p.entry)): \(p.reason)") }
        report.ok("\(journalFile): replayed \(journal.applied) changes")
        if let p = journal.problem {
            let dropped = journalBytes.count - p.offset
            let after = journalBytes[p.offset...].filter { $0 == 10 }.count
            report.problem("\(journalFile): dropped \(dropped) bytes from byte \(p.offset) (entry \(p.entry) and \(max(after - 1, 0)) after it): \(p.reason)")
            damaged.append(journalFile)
        }

        // Keep every damaged file for a person to look at, then write the rebuilt store.
        if !damaged.isEmpty {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyyMMdd'T'HHmmss"
            let folder = "damaged-" + formatter.string(from: now)
            try FileSystem.createDirectory(path(folder), mode: 0o700)
            for name in damaged {
                let copy = try FileSystem.readFile(path(name))
                try FileSystem.writeAtomically(copy, to: path(folder) + "/" + name)
            }
            report.ok("the damaged files were kept in \(path(folder))")
        }
        if journal.validBytes > 0 {
            let audit = try AppendOnlyFile(path: path(auditFile))
            defer { audit.close() }
            try audit.append(Array(journalBytes[..<journal.validBytes]))
        }
        _ = try StoreCipher.writeSnapshot(store, to: path(snapshotFile), cipher: cipher)
        try FileSystem.writeAtomically([], to: path(journalFile))
        report.ok("wrote a new snapshot: up to change \(store.sequence), " +
                  Entity.stored.map { "\(store[$0].liveCount) \($0.rawValue)" }.joined(separator: ", "))
        return report
    }

    // MARK: Backup

    /// Writes a consistent copy of the open store into `target`, a new or empty
    /// directory: a snapshot of the store as it is now, and the audit trail so far.
    /// `rapport --data TARGET` opens the copy. With a key, each file is sealed whole
    /// (`SealedFile`), and `--restore-from` is the way back (docs/encryption.md).
    public func backup(to target: String, encryptedWith key: EncryptionKey? = nil) throws -> String {
        // Under the lock: the snapshot of the store and the files copied beside it agree.
        try withWriteLock { try backupHoldingLock(to: target, encryptedWith: key) }
    }

    private func backupHoldingLock(to target: String, encryptedWith key: EncryptionKey?) throws -> String {
        if let directory, FileSystem.isSameFile(target, directory) {
            throw Diagnostic.runtime(.backupIntoItself)
        }
        // A plain copy of an encrypted store would undo its encryption.
        if cipher != nil, key == nil { throw Diagnostic.runtime(.encryptedStoreBackupNotEncrypted) }
        if FileSystem.fileExists(target) {
            guard FileSystem.isDirectory(target) else {
                throw Diagnostic.runtime(.backupTargetIsFile, target)
            }
            let contents = (try? FileSystem.directoryEntries(target)) ?? []
            guard contents.isEmpty else {
                throw Diagnostic.runtime(.backupTargetNotEmpty, target)
            }
        }
        func write(_ bytes: [UInt8], _ name: String) throws {
            try FileSystem.writeAtomically(try key.map { try SealedFile.seal(bytes, with: $0) } ?? bytes, to: target + "/" + name)
        }
        do {
            try FileSystem.createDirectory(target, mode: 0o700)
            try write(SnapshotCodec.encode(store), Database.snapshotFile)
            if let directory {
                var audit: [UInt8] = []
                for name in [Database.auditFile, Database.journalFile] where FileSystem.fileExists(directory + "/" + name) {
                    audit += try FileSystem.readFile(directory + "/" + name)
                }
                // A backup holds plain entries, sealed whole with the backup's key.
                if let cipher { audit = try cipher.plainLines(audit) }
                if !audit.isEmpty { try write(audit, Database.auditFile) }
            }
        } catch let d as Diagnostic {
            throw d
        } catch {
            throw Diagnostic.runtime(.backupIncomplete, "\(error)")
        }
        let how = key.map { " encrypted with key \($0.idHex)" } ?? ""
        return "backed up \(store.customers.liveCount) customers (up to change \(store.sequence)) to \(target)\(how)"
    }

    // MARK: Restore

    /// Writes the store that the backup in `source` holds into `target`, a new or empty
    /// directory, decrypting sealed files with the key `key()` gives (asked only when a file
    /// is sealed). Every file is decrypted and verified before the first byte is written;
    /// a failure while writing removes what was written. `source` is only read.
    public static func restoreBackup(from source: String, to target: String,
                                     key: () throws -> EncryptionKey) throws -> String {
        let snapshotPath = source + "/" + snapshotFile
        guard FileSystem.isDirectory(source), FileSystem.fileExists(snapshotPath) else {
            throw Diagnostic.runtime(.restoreSourceNotBackup, source, snapshotFile)
        }
        if FileSystem.fileExists(target) {
            if FileSystem.isSameFile(target, source) { throw Diagnostic.runtime(.restoreIntoItself) }
            guard FileSystem.isDirectory(target), ((try? FileSystem.directoryEntries(target)) ?? ["?"]).isEmpty else {
                throw Diagnostic.runtime(.restoreTargetNotEmpty, target)
            }
        }
        var openedKey: EncryptionKey?
        func plain(_ path: String) throws -> [UInt8] {
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(path) } catch { throw Diagnostic.runtime(.cannotReadStoreFile, path, "\(error)") }
            guard SealedFile.isSealed(bytes) else { return bytes }
            if openedKey == nil { openedKey = try key() }
            return try SealedFile.open(bytes, path: path, with: openedKey!)
        }
        let snapshot = try plain(snapshotPath)
        let store: Store
        do { store = try SnapshotCodec.read(snapshot) } catch {
            throw Diagnostic(.runtime, .snapshotDamaged, [snapshotPath, "\(error)"])
        }
        let auditPath = source + "/" + auditFile
        let audit = FileSystem.fileExists(auditPath) ? try plain(auditPath) : []
        if let p = JournalReplay.run(audit, into: nil, cipher: nil).problem {
            throw Diagnostic(.runtime, .journalDamaged, [auditPath, String(p.offset), String(p.entry), p.reason])
        }

        let madeTarget = !FileSystem.fileExists(target)
        var written: [String] = []
        do {
            try FileSystem.createDirectory(target, mode: 0o700)
            for (name, bytes) in [(snapshotFile, snapshot), (auditFile, audit)] where !bytes.isEmpty {
                try FileSystem.writeAtomically(bytes, to: target + "/" + name)
                written.append(target + "/" + name)
            }
        } catch {
            for path in written { FileSystem.remove(path) }
            if madeTarget { rmdir(target) }
            throw Diagnostic.runtime(.restoreIncomplete, "\(error)")
        }
        let how = openedKey.map { " (decrypted with key \($0.idHex))" } ?? ""
        return "restored \(store.customers.liveCount) customers (up to change \(store.sequence)) from \(source) into \(target)\(how)\n"
    }
}
