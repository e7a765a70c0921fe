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

    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileSystemError(path: path, operation: "stat") }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while done < buffer.count {
                let n = read(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 { if errno == EINTR { continue }; throw FileSystemError(path: path, operation: "read") }
                if n == 0 { break }
                done += n
            }
        }
        if done < bytes.count { bytes.removeLast(bytes.count - done) }
        // The file may have grown since fstat.
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
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
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let temp = path + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileSystemError(path: temp, operation: "create") }
        do {
            try bytes.withUnsafeBytes { try writeAll(fd, $0, path: temp) }
            try sync(fd, path: temp)
            guard close(fd) == 0 else { throw FileSystemError(path: temp, operation: "close") }
        } catch {
            close(fd)
            unlink(temp)
            throw error
        }
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
            if mkdir(step, index == steps.count - 1 ? mode : 0o755) == 0 { continue }
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
    public static func replaceWithLink(to target: String, at path: String) throws {
        let temp = path + ".tmp-\(getpid())"
        unlink(temp)
        if link(target, temp) != 0 {
            try writeAtomically(try readFile(target), to: path)
            return
        }
        // When both names already lead to the same file, rename does nothing: unlink
        // the temporary name in every case.
        defer { unlink(temp) }
        guard rename(temp, path) == 0 else { throw FileSystemError(path: path, operation: "rename") }
        try fsyncDirectory(Path.parent(path))
    }
}

/// A file written only at its end, each append made durable (fdatasync) before it
/// returns. A failed append is cut back off, so no partial entry stays behind.
public final class AppendOnlyFile {
    public let path: String
    private var fd: Int32

    public init(path: String, mode: mode_t = 0o600) throws {
        self.path = path
        if let code = FaultInjection.failure("open", path) { throw FileSystemError(path: path, operation: "open", code: code) }
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open") }
    }

    public func append(_ bytes: [UInt8]) throws {
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "append to a closed", code: EBADF) }
        let before = lseek(fd, 0, SEEK_END)
        do {
            try bytes.withUnsafeBytes { try FileSystem.writeAll(fd, $0, path: path) }
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

/// The store directory's lock: one writer at a time (`flock` on `DIR/lock`); a
/// read-only opening takes none. The writer names itself in the file for the next one's message.
public final class DirectoryLock {
    private var fd: Int32

    private init(fd: Int32) { self.fd = fd }

    public struct Busy: Error, CustomStringConvertible {
        public var description: String
    }

    public static func acquire(directory: String, exclusive: Bool) throws -> DirectoryLock {
        let path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open the lock file") }
        guard flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
            let holder = (try? FileSystem.readFile(path)).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            Glibc.close(fd)
            throw Busy(description: "the store \(directory) is in use by another rapport" + (holder.isEmpty ? "" : " (\(holder))") +
                       "; close it first, or open this one with --read-only")
        }
        if exclusive {
            let text = "pid \(getpid()), user \(FileSystem.userName), since \(ISO8601DateFormatter().string(from: Date()))\n"
            _ = ftruncate(fd, 0)
            _ = text.utf8CString.withUnsafeBufferPointer { pwrite(fd, $0.baseAddress!, $0.count - 1, 0) }
        }
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
        let fd = open(directory + "/" + fileName, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
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
