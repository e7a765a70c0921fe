import Foundation

/// A failed file operation: which file, what was being done, and the system's reason.
public struct FileSystemError: Error, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32

    public init(path: String, operation: String, code: Int32 = errno) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    public var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" }
}

/// File operations with the durability the store needs: whole reads, atomic
/// replacement (temp file, fsync, rename, fsync of the directory), directories.
public enum FileSystem {
    public static func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Who is logged in: `$USER`, else the password database's name for our uid.
    public static var userName: String {
        if let u = ProcessInfo.processInfo.environment["USER"], !u.isEmpty { return u }
        if let pw = getpwuid(getuid()), let name = pw.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }

    /// The file's length in bytes, nil when it cannot be read.
    static func fileLength(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }

    /// Which file a name leads to now, and how long it is: `stat`, nil when there is none.
    static func identity(_ path: String) -> FileIdentity? {
        var st = stat()
        return stat(path, &st) == 0 ? FileIdentity(st) : nil
    }

    /// `privateMode` (0600, 0700) for a new file or directory in `directory`, widened to the
    /// group (0660, 0770) when `directory` is shared with a group: group-writable and not
    /// writable by everyone (a team's `chmod 2770` store, not `/tmp`).
    public static func creationMode(_ privateMode: mode_t, in directory: String) -> mode_t {
        var st = stat()
        guard stat(directory.isEmpty ? "." : directory, &st) == 0,
              st.st_mode & S_IWGRP != 0, st.st_mode & S_IWOTH == 0 else { return privateMode }
        return privateMode | ((privateMode & 0o700) >> 3)
    }

    /// Opens `path`, creating it when missing with `mode` widened for a group-shared
    /// directory (`creationMode`); the mode is set after creating so that a member's umask
    /// cannot take the group's access away. An existing file keeps its mode. -1 and errno on failure.
    static func openCreating(_ path: String, flags: Int32, mode: mode_t) -> Int32 {
        let wanted = creationMode(mode, in: Path.parent(path))
        while true {
            let created = open(path, flags | O_CREAT | O_EXCL | O_CLOEXEC, wanted)
            if created >= 0 {
                if wanted != mode { _ = fchmod(created, wanted) }
                return created
            }
            guard errno == EEXIST else { return -1 }
            let existing = open(path, flags | O_CLOEXEC)
            // Removed between the two calls: try creating it again.
            if existing >= 0 || errno != ENOENT { return existing }
        }
    }

    /// The bytes of a file from `offset` to its end now, with the identity of the file read.
    static func readFile(_ path: String, from offset: Int) throws -> (bytes: [UInt8], identity: FileIdentity) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError(path: path, operation: "stat") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(max(0, Int(st.st_size) - offset))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var at = offset
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(at)) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError(path: path, operation: "read") }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            at += n
        }
        return (bytes, FileIdentity(st))
    }

    /// Files this large are read by two threads at once (`readFile`).
    static let bytesWorthReadingInParts = 16 << 20

    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError(path: path, operation: "stat") }
        let size = Int(st.st_size)
        // Read straight into the array's new memory (zeroing it first wrote every byte once
        // more), a large file in two halves at once: the kernel's copy of 370 MB from the
        // page cache and the faults of fresh pages were an import's first work on one core.
        let parts = size >= bytesWorthReadingInParts && ProcessInfo.processInfo.activeProcessorCount > 1 ? 2 : 1
        let partSize = (size + parts - 1) / parts
        var bytes = try [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            var got = [Int](repeating: 0, count: parts)
            var failures = [Int32](repeating: 0, count: parts)
            got.withUnsafeMutableBufferPointer { got in
                failures.withUnsafeMutableBufferPointer { failures in
                    nonisolated(unsafe) let got = got
                    nonisolated(unsafe) let failures = failures
                    nonisolated(unsafe) let buffer = buffer
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        let start = part * partSize, end = min(size, start + partSize)
                        var done = start
                        while done < end {
                            let n = pread(fd, buffer.baseAddress! + done, end - done, off_t(done))
                            if n < 0 { if errno == EINTR { continue }; failures[part] = errno; break }
                            if n == 0 { break }
                            done += n
                        }
                        got[part] = done - start
                    }
                }
            }
            if let code = failures.first(where: { $0 != 0 }) { throw FileSystemError(path: path, operation: "read", code: code) }
            // A part cut short: the file shrank since fstat, and ends where that part stopped.
            var done = 0
            for part in 0..<parts {
                done += got[part]
                if got[part] < min(size, (part + 1) * partSize) - part * partSize { break }
            }
            initialized = done
        }
        // The file may have grown since fstat.
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let at = bytes.count
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, off_t(at)) }
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError(path: path, operation: "read") }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        return bytes
    }

    /// Maps a file read-only for the duration of `body`: no copy, and pages come from
    /// the page cache instead of fresh zeroed memory.
    public static func withMappedFile<R>(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError(path: path, operation: "stat") }
        let size = Int(st.st_size)
        if size == 0 { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw FileSystemError(path: path, operation: "map")
        }
        defer { munmap(base, size) }
        madvise(base, size, MADV_SEQUENTIAL)
        return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size))
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        if let code = FaultInjection.failure("write", path) { throw FileSystemError(path: path, operation: "write", code: code) }
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30))
            if n < 0 { if errno == EINTR { continue }; throw FileSystemError(path: path, operation: "write") }
            done += n
        }
    }

    /// Replaces `path` with `bytes` so that a crash leaves either the old file or the
    /// new one, never a mix: on failure the old file is untouched.
    /// `mode` is widened for a group-shared directory (`creationMode`).
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        try writeAtomically(to: path, mode: mode) { write in try bytes.withUnsafeBytes { try write($0) } }
    }

    /// The same, the bytes handed over piece by piece by `body` (calling `write` for each
    /// in order), so that a large file need never be joined in memory. An error `body`
    /// throws (a cancellation too) leaves no temporary file and the old file as it was.
    static func writeAtomically(to path: String, mode: mode_t = 0o600, bypassingCache: Bool = false,
                                _ body: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let temp = path + ".tmp-\(getpid())"
        try writeDurably(temp, mode: mode, bypassingCache: bypassingCache, body)
        try moveIntoPlace(temp, over: path)
    }

    /// The first half of `writeAtomically`: `temp` written by `body` and fsync'ed, removed
    /// again on any error. `bypassingCache`: for a large file written once and seldom read
    /// back (a snapshot), the bytes go to the disk with `O_DIRECT` where the file system
    /// takes it (`DirectWrites`), not copied into the page cache first.
    static func writeDurably(_ temp: String, mode: mode_t = 0o600, bypassingCache: Bool = false,
                             _ body: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let wanted = creationMode(mode, in: Path.parent(temp))
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, wanted)
        guard fd >= 0 else { throw FileSystemError(path: temp, operation: "create") }
        do {
            if wanted != mode { _ = fchmod(fd, wanted) }
            if bypassingCache {
                let direct = DirectWrites(fd: fd, path: temp)
                try body { try direct.append($0) }
                try direct.finish()
            } else {
                try body { try writeAll(fd, $0, path: temp) }
            }
            try sync(fd, path: temp)
            guard close(fd) == 0 else { throw FileSystemError(path: temp, operation: "close") }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
    }

    /// The second half: the durable `temp` renamed over `path`, then the directory
    /// fsync'ed; `temp` removed when the rename fails.
    static func moveIntoPlace(_ temp: String, over path: String) throws {
        let injected = FaultInjection.failure("rename", path)
        guard injected == nil, rename(temp, path) == 0 else {
            let e = FileSystemError(path: path, operation: "rename a new version over", code: injected ?? errno)
            unlink(temp)
            throw e
        }
        try fsyncDirectory(Path.parent(path))
    }

    /// fsync, or fdatasync when only the data must reach the disk.
    static func sync(_ fd: Int32, path: String, dataOnly: Bool = false) throws {
        let injected = FaultInjection.failure("fsync", path)
        guard injected == nil, (dataOnly ? fdatasync(fd) : fsync(fd)) == 0 else {
            throw FileSystemError(path: path, operation: dataOnly ? "fdatasync" : "fsync", code: injected ?? errno)
        }
    }

    public static func fsyncDirectory(_ directory: String) throws {
        let dir = directory.isEmpty ? "." : directory
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: dir, operation: "open the directory") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError(path: dir, operation: "fsync the directory") }
    }

    /// Creates a directory and its missing parents, like `mkdir -p`: the parents with
    /// 0755, the last one with `mode`. A name on the way that exists but is not a
    /// directory is an error naming it.
    public static func createDirectory(_ path: String, mode: mode_t = 0o700) throws {
        guard !path.isEmpty else { throw FileSystemError(path: "''", operation: "create the directory", code: ENOENT) }
        let steps = Path.prefixes(path)
        for (index, step) in steps.enumerated() {
            let isLast = index == steps.count - 1
            let wanted = isLast ? creationMode(mode, in: Path.parent(step)) : 0o755
            if mkdir(step, wanted) == 0 {
                // Past the umask; a group-shared parent's set-group-ID bit is kept (Linux passes it on).
                if isLast, wanted != mode {
                    var parent = stat()
                    let setgid: mode_t = stat(Path.parent(step), &parent) == 0 ? parent.st_mode & S_ISGID : 0
                    _ = chmod(step, wanted | setgid)
                }
                continue
            }
            let code = errno
            guard code == EEXIST else { throw FileSystemError(path: step, operation: "create the directory", code: code) }
            guard isDirectory(step) else { throw FileSystemError(path: step, operation: "create a directory under", code: ENOTDIR) }
        }
    }

    /// True when `path` is a directory, or a link to one.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The names in a directory, without "." and "..", in no particular order.
    public static func directoryEntries(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw FileSystemError(path: path, operation: "list the directory") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    /// True when two paths lead to the same file or directory (same device and inode).
    public static func isSameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    public static func truncate(_ path: String, to length: Int) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
        defer { close(fd) }
        guard ftruncate(fd, off_t(length)) == 0 else { throw FileSystemError(path: path, operation: "truncate") }
        guard fsync(fd) == 0 else { throw FileSystemError(path: path, operation: "fsync") }
    }

    public static func remove(_ path: String) { unlink(path) }

    /// Makes `path` a second name of `target`'s current content (a hard link), replacing
    /// whatever `path` was, atomically; falls back to a copy where links are refused.
    /// The file `path` named before is let go on another thread: held open across the
    /// rename, so that the rename does not wait for the kernel to drop its pages and free
    /// its blocks (124 ms for the 480 MB `snapshot.prev.json` of a million customers,
    /// ahead of writing the next snapshot); that happens when it is closed.
    public static func replaceWithLink(to target: String, at path: String) throws {
        let temp = path + ".tmp-\(getpid())"
        unlink(temp)
        if link(target, temp) != 0 {
            try writeAtomically(try readFile(target), to: path)
            return
        }
        let replaced = open(path, O_RDONLY | O_CLOEXEC)
        defer { if replaced >= 0 { BackgroundWork.async(qos: .utility) { close(replaced) } } }
        // When both names already lead to the same file, rename does nothing: unlink
        // the temporary name in every case.
        defer { unlink(temp) }
        guard rename(temp, path) == 0 else { throw FileSystemError(path: path, operation: "rename") }
        try fsyncDirectory(Path.parent(path))
    }
}

/// Appends to a new file through `O_DIRECT`: the bytes are gathered in an aligned buffer
/// whose whole blocks are written straight to the disk, so the kernel neither copies them
/// into the page cache nor takes fresh pages for them (at a million customers that copy of
/// the 480 MB snapshot cost 0.3 to 0.9 s of CPU, more than encoding it). Two buffers: one
/// is written on a thread of its own while the other fills, so the caller does not wait
/// for the disk. The last partial block goes through the ordinary descriptor `fd`, as
/// everything does where the file system refuses `O_DIRECT` (tmpfs, some network file
/// systems). A failure injected for "write" counts each `append`, as `writeAll` counts its
/// calls. The caller fsyncs `fd`.
final class DirectWrites: @unchecked Sendable {
    static let alignment = 4096
    static let capacity = 4 << 20
    private let fd: Int32
    private let path: String
    /// -1 once the file system has refused direct writes. Changed only by a write, which
    /// runs after the previous one ended (`idle`).
    private var directFD: Int32
    private var buffers: [UnsafeMutableRawPointer] = []
    /// The buffer being filled (the other may be in flight).
    private var current = 0
    private var filled = 0
    /// Where the current buffer's first byte goes in the file.
    private var offset = 0
    /// Signalled when no write is in flight; `failure` is the last one's error.
    private let idle = DispatchSemaphore(value: 1)
    private let writer = DispatchQueue(label: "rapport.direct-writes")
    private var failure: Error?

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        directFD = DirectWrites.openFlag.map { open(path, O_WRONLY | $0 | O_CLOEXEC) } ?? -1
        for _ in 0..<2 {
            var memory: UnsafeMutableRawPointer?
            if posix_memalign(&memory, DirectWrites.alignment, DirectWrites.capacity) != 0 { memory = malloc(DirectWrites.capacity) }
            buffers.append(memory!)
        }
    }

    deinit {
        idle.wait()
        idle.signal()
        if directFD >= 0 { close(directFD) }
        buffers.forEach { free($0) }
    }

    /// `O_DIRECT`, which Swift's Glibc module does not bring (it needs `_GNU_SOURCE`).
    private static var openFlag: Int32? {
        #if os(Linux) && arch(x86_64)
        return 0o40000
        #elseif os(Linux) && arch(arm64)
        return 0o200000
        #else
        return nil
        #endif
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        if let code = FaultInjection.failure("write", path) { throw FileSystemError(path: path, operation: "write", code: code) }
        var done = 0
        while done < bytes.count {
            let n = min(DirectWrites.capacity - filled, bytes.count - done)
            (buffers[current] + filled).copyMemory(from: bytes.baseAddress! + done, byteCount: n)
            filled += n
            done += n
            if filled == DirectWrites.capacity { try handOver() }
        }
    }

    /// Everything appended is in the file (the caller fsyncs).
    func finish() throws {
        idle.wait()
        defer { idle.signal() }
        if let failure { throw failure }
        let whole = filled & ~(DirectWrites.alignment - 1)
        try write(buffers[current], count: whole, at: offset, through: directFD >= 0 ? directFD : fd)
        try write(buffers[current] + whole, count: filled - whole, at: offset + whole, through: fd)
        offset += filled
        filled = 0
    }

    /// The full buffer's whole blocks (all of it: its capacity is a multiple of a block)
    /// go to the writing thread once the previous write has ended; filling goes on in the other.
    private func handOver() throws {
        idle.wait()
        if let failure { idle.signal(); throw failure }
        let full = current, at = offset, count = filled
        writer.async {
            do { try self.write(self.buffers[full], count: count, at: at, through: self.directFD >= 0 ? self.directFD : self.fd) } catch {
                self.failure = error
            }
            self.idle.signal()
        }
        current = 1 - current
        offset += count
        filled = 0
    }

    private func write(_ from: UnsafeMutableRawPointer, count: Int, at start: Int, through descriptor: Int32) throws {
        var done = 0
        while done < count {
            let n = pwrite(descriptor, from + done, count - done, off_t(start + done))
            if n >= 0 { done += n; continue }
            if errno == EINTR { continue }
            if descriptor == directFD, errno == EINVAL {
                // Refused after all: the rest through the page cache.
                close(directFD)
                directFD = -1
                return try write(from + done, count: count - done, at: start + done, through: fd)
            }
            throw FileSystemError(path: path, operation: "write")
        }
    }
}

/// A file written only at its end, each append made durable (fdatasync) before it
/// returns. A failed append is cut back off, so no partial entry stays behind.
public final class AppendOnlyFile {
    public let path: String
    private var fd: Int32

    /// A new file gets `mode`, widened for a group-shared directory (`FileSystem.creationMode`).
    public init(path: String, mode: mode_t = 0o600) throws {
        self.path = path
        if let code = FaultInjection.failure("open", path) { throw FileSystemError(path: path, operation: "open", code: code) }
        fd = FileSystem.openCreating(path, flags: O_WRONLY | O_APPEND, mode: mode)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
    }

    public func append(_ bytes: [UInt8]) throws { try append(parts: [bytes]) }

    /// The parts one after the other, then one fsync; on failure the file is cut back to
    /// where it was, whichever part failed.
    public func append(parts: [[UInt8]]) throws {
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "append to a closed", code: EBADF) }
        let before = lseek(fd, 0, SEEK_END)
        do {
            for part in parts {
                try part.withUnsafeBytes { try FileSystem.writeAll(fd, $0, path: path) }
            }
            try FileSystem.sync(fd, path: path, dataOnly: true)
        } catch {
            if before >= 0 { _ = ftruncate(fd, before) }
            throw error
        }
    }

    public func truncate(to length: Int) throws {
        guard ftruncate(fd, off_t(length)) == 0 else { throw FileSystemError(path: path, operation: "truncate") }
        guard fsync(fd) == 0 else { throw FileSystemError(path: path, operation: "fsync") }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { close() }
}

/// Which file a name led to (device and inode) and its length and change time when looked
/// at: a journal emptied in place keeps its inode but shrinks; a snapshot put in place by
/// rename is another inode, or at least another change time.
struct FileIdentity: Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int
    var changed: Int64
    var changedNanoseconds: Int

    init(_ st: stat) {
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int(st.st_size)
        changed = Int64(st.st_ctim.tv_sec)
        changedNanoseconds = Int(st.st_ctim.tv_nsec)
    }

    func isSameFile(as other: FileIdentity) -> Bool { device == other.device && inode == other.inode }
}

/// The store directory's lock (`flock` on `DIR/lock`): held by a writer only while it
/// commits (or snapshots, or backs up), and by `--recover`; a read-only opening never takes
/// it. The holder names itself in the file, for the message of one who waited too long.
public final class DirectoryLock {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    public struct Busy: Error, CustomStringConvertible {
        public var description: String
    }

    /// Takes the lock, waiting up to `patience` seconds for the one who holds it (0: not at
    /// all); `Busy` names the holder when it is not released in time.
    public static func acquire(directory: String, patience: Double) throws -> DirectoryLock {
        let path = directory + "/lock"
        let fd = FileSystem.openCreating(path, flags: O_RDWR, mode: 0o600)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open the lock file") }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, patience) * 1e9)
        var pause: useconds_t = 200
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            // A commit holds it for milliseconds: poll, backing off, rather than block past the deadline.
            if errno != EWOULDBLOCK && errno != EINTR || DispatchTime.now().uptimeNanoseconds >= deadline {
                let holder = (try? FileSystem.readFile(path)).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
                Glibc.close(fd)
                let waited = patience > 0 ? " for \(PolicyKey.formatDuration(patience))" : ""
                throw Busy(description: "the store \(directory) is in use by another rapport" + (holder.isEmpty ? "" : " (\(holder))") +
                           ", which did not finish its change\(waited); try again, or open the store with --read-only")
            }
            usleep(pause)
            pause = min(pause * 2, 50_000)
        }
        let text = "pid \(getpid()), user \(FileSystem.userName), since \(ISO8601DateFormatter().string(from: Date()))\n"
        _ = ftruncate(fd, 0)
        _ = text.utf8CString.withUnsafeBufferPointer { pwrite(fd, $0.baseAddress!, $0.count - 1, 0) }
        return DirectoryLock(fd: fd)
    }

    public func release() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    deinit { release() }
}

/// Keeps a snapshot and the journal that follows it together for readers, who take no
/// `DirectoryLock`: the writer holds `DIR/snapshot.lock` exclusively while it replaces
/// the snapshot and empties the journal, a reader holds it shared while it reads both.
final class SnapshotLock {
    static let fileName = "snapshot.lock"
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }

    /// Creates the lock file, so that readers find it from the writer's first moment.
    static func create(directory: String) {
        let fd = FileSystem.openCreating(directory + "/" + fileName, flags: O_RDONLY, mode: 0o600)
        if fd >= 0 { close(fd) }
    }

    /// Waits for the lock; nil when there is no lock file to hold (no writer has opened
    /// the store since it was made, or it cannot be opened): nothing to wait for.
    static func hold(directory: String, exclusive: Bool) -> SnapshotLock? {
        let fd = open(directory + "/" + fileName, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            if errno != EINTR { close(fd); return nil }
        }
        return SnapshotLock(fd: fd)
    }

    deinit { close(fd) }
}
