import Foundation

/// The cheap first test before every command of whether another process can have changed
/// the store since this one last looked (`Database.catchUp`). The full look takes a `stat`
/// of the snapshot and one of the journal by path (and a failed `open` when there is no
/// journal): three system calls with a path walk each, a third of a lookup by id. This
/// takes an `fstat` of the store's directory and one of the journal, both kept open,
/// before the full look; when the next command's `fstat`s see exactly the same, the full
/// look would too.
///
/// Why that holds: every file that takes another's place in the directory (a snapshot
/// renamed in, `snapshot.prev.json` linked, the journal created, removed, or replaced by
/// `--recover`) changes the directory's status-change time; an append to the journal, or
/// its emptying, changes the journal's size and status-change time. Nothing writes the
/// snapshot in place. A status-change time cannot be set by hand, but the kernel stamps it
/// from a coarse clock, so a change in the same tick as the one seen could carry the same
/// time: a look is trusted only when the times it saw are `settleNanoseconds` older than
/// the look itself, so that whatever changes after the look is stamped later. The directory
/// watched is the one the full look found at the path (checked again whenever its time
/// moves); renamed or removed, its own time changes.
final class StoreWatch {
    private let directory: String
    private var directoryFD: Int32 = -1
    private var journalFD: Int32 = -1
    /// What the last look trusted saw, and how far the journal had then been read.
    private var trusted: (seen: Seen, journalOffset: Int)?
    /// The directory's stamp when the directory open was last found at the path.
    private var directoryFoundAtPath: Stamp?
    /// How much older than a look the times it sees must be for it to be trusted (a
    /// test sets 0 to reach the fast path without waiting).
    var settleNanoseconds: Int64 = 1_000_000_000

    init(directory: String) { self.directory = directory }

    deinit {
        if directoryFD >= 0 { close(directoryFD) }
        if journalFD >= 0 { close(journalFD) }
    }

    /// What `fstat` says of a file: which it is, its size and status-change time
    /// (`FileIdentity`), and its links (none once it is removed).
    struct Stamp: Equatable {
        var file: FileIdentity
        var links: UInt64
        init(_ st: stat) {
            file = FileIdentity(st)
            links = UInt64(st.st_nlink)
        }
        /// Changed at least `nanoseconds` before `now`.
        func isSettled(before now: timespec, by nanoseconds: Int64) -> Bool {
            (Int64(now.tv_sec) - file.changed) * 1_000_000_000 + Int64(now.tv_nsec) - Int64(file.changedNanoseconds) >= nanoseconds
        }
    }

    struct Seen: Equatable {
        var directory: Stamp
        /// nil: no journal was open.
        var journal: Stamp?
    }

    /// The directory and the journal as open now, and when that was asked (nil when the
    /// directory cannot be opened: the full look says why).
    struct Look {
        var seen: Seen
        var at: timespec
    }

    func look() -> Look? {
        if directoryFD < 0 {
            directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard directoryFD >= 0 else { return nil }
        }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var st = stat()
        guard fstat(directoryFD, &st) == 0 else { return nil }
        let directoryStamp = Stamp(st)
        var journalStamp: Stamp?
        if journalFD >= 0 {
            guard fstat(journalFD, &st) == 0 else { return nil }
            journalStamp = Stamp(st)
        }
        return Look(seen: Seen(directory: directoryStamp, journal: journalStamp), at: now)
    }

    /// Nothing changed since a trusted look, and this process has read the journal as far
    /// as it had then.
    func showsNoChange(_ look: Look, journalOffset: Int) -> Bool {
        guard let trusted else { return false }
        return trusted.seen == look.seen && trusted.journalOffset == journalOffset
    }

    /// After the full look that followed `look`: `look` is trusted from now on when what it
    /// saw is what the full look read (the journal open is the one at the path, read to its
    /// end; no journal open and none there) and its times are settled. Otherwise the files
    /// are opened again where needed, and the next full look may be trusted.
    func fullLookDone(after look: Look, journal: FileIdentity?, journalOffset: Int) {
        trusted = nil
        if let journal {
            guard journalFD >= 0, let seen = look.seen.journal, seen.file.isSameFile(as: journal) else {
                reopenJournal()
                return
            }
            guard seen.file.size == journalOffset, seen.links > 0 else { return }
        } else if journalFD >= 0 || journalOffset != 0 {
            reopenJournal()
            return
        }
        if directoryFoundAtPath != look.seen.directory {
            var st = stat()
            guard stat(directory, &st) == 0, st.st_dev == dev_t(look.seen.directory.file.device), st.st_ino == ino_t(look.seen.directory.file.inode) else {
                close(directoryFD)
                directoryFD = -1
                directoryFoundAtPath = nil
                return
            }
            directoryFoundAtPath = look.seen.directory
        }
        guard look.seen.directory.isSettled(before: look.at, by: settleNanoseconds),
              look.seen.journal?.isSettled(before: look.at, by: settleNanoseconds) ?? true else { return }
        trusted = (look.seen, journalOffset)
    }

    /// A look taken under the directory lock is not kept: the command commits next.
    func forget() { trusted = nil }

    /// Whether the last look was trusted (for tests).
    var isTrusting: Bool { trusted != nil }

    private func reopenJournal() {
        if journalFD >= 0 { close(journalFD) }
        journalFD = open(directory + "/" + Database.journalFile, O_RDONLY | O_CLOEXEC)
    }
}
