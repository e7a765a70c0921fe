import Foundation

/// `deliver via "COMMAND"` (docs/campaigns.md, "Delivery"): which messages are due, the
/// object each is handed over as, and the change that records each outcome. The session
/// runs the command and commits each outcome before it hands over the next message, so a
/// crash loses at most the outcome of the message being handed over (which is then handed
/// over again: at least once).
public struct Delivery {
    public let backend: any Backend
    public let clock: Clock

    public init(backend: any Backend, clock: Clock) {
        self.backend = backend
        self.clock = clock
    }

    /// The messages to hand over now (pending or failed, `at` not in the future), in id
    /// order, and those that wait for their `at` (quiet hours), with the earliest `at`.
    public struct Due {
        public var ready: [(id: String, record: [String: Value])] = []
        public var waiting = 0
        public var firstWaitingAt: Int64?
    }

    static let undelivered: Set<String> = ["pending", "failed"]

    public func due() -> Due {
        let span = SourceSpan(start: SourceLocation(line: 1, column: 1), length: 1)
        let status = FieldName(MessageField.status, span: span)
        var query = FindQuery(entity: EntityName(entity: .messages, span: span))
        query.condition = .member(status, Self.undelivered.sorted().map { Literal(kind: .string($0, quoted: true), span: span, text: $0) }, negated: false)
        guard let checked = try? Checker(schema: backend.schema(of: .messages), clock: clock).check(query) else { return Due() }
        var due = Due()
        for message in backend.records(matching: checked, fields: nil, clock: clock) {
            if case .instant(let at)? = message.record[MessageField.at], at > clock.now {
                due.waiting += 1
                due.firstWaitingAt = min(due.firstWaitingAt ?? at, at)
            } else {
                due.ready.append(message)
            }
        }
        return due
    }

    /// The JSON object the command reads on its standard input: the message's outbox line.
    public func handOver(_ record: [String: Value]) -> [UInt8] {
        Outbox.line(of: record, clock: clock)
    }

    /// What handing one message over came to.
    public enum Outcome: Equatable, Sendable {
        case sent
        /// Why, as recorded in the message's `lastError`.
        case failed(String)
    }

    /// The update that records `outcome` for one message: status, and sentAt or the
    /// attempts and the last error.
    public func change(_ id: String, _ record: [String: Value], _ outcome: Outcome) -> RecordChange {
        var after: [String: Value]
        switch outcome {
        case .sent:
            after = [MessageField.status: .string("sent"), MessageField.sentAt: .instant(clock.now)]
        case .failed(let reason):
            let attempts: Int64 = if case .integer(let n)? = record[MessageField.attempts] { n } else { 0 }
            after = [MessageField.status: .string("failed"), MessageField.attempts: .integer(attempts + 1), MessageField.lastError: .string(reason)]
        }
        let before = after.keys.reduce(into: [String: Value]()) { $0[$1] = record[$1] ?? .null }
        return RecordChange(kind: .update, entity: .messages, id: id, before: before, after: after)
    }

    /// `delivered 3, failed 1, waiting 2 (the first at 2024-05-02 08:00)`.
    public static func summary(delivered: Int, failed: Int, due: Due, notTried: Int, clock: Clock, dryRun: Bool) -> String {
        var text = dryRun ? "dry run: would deliver \(due.ready.count)" : "delivered \(delivered), failed \(failed)"
        text += ", waiting \(due.waiting)"
        if let first = due.firstWaitingAt {
            text += " (the first at \(ValueFormatter(timeZone: clock.timeZone).text(.instant(first))))"
        }
        if notTried > 0 { text += "; stopped: \(notTried) not tried" }
        return dryRun ? text + "; nothing changed" : text
    }

    /// The messages a dry run lists.
    public static func preview(_ messages: [(id: String, record: [String: Value])]) -> ResultSet {
        let fields = ["id", "customer", "channel", "to", "status", "text"]
        return ResultSet(columns: fields, rows: messages.map { m in fields.map { m.record[$0] ?? .null } })
    }
}

/// The messages' fields that delivery reads and writes.
enum MessageField {
    static let status = "status", at = "at", sentAt = "sentAt", attempts = "attempts", lastError = "lastError"
}

/// Runs a delivery command for one message: `/bin/sh -c COMMAND` in a process group of its
/// own (Ctrl-C at the terminal stops `deliver` between messages, not the command halfway;
/// a timeout kills the whole pipeline), the message on its standard input, its standard
/// output discarded, the first line of its standard error kept for the failure's reason.
/// In the core, not the shell: it touches no terminal, and scripts and `-c` deliver too.
/// The caller ignores SIGPIPE (the executable does), so a command that does not read its
/// input is judged by its exit status alone.
public enum DeliveryProcess {
    /// The longest reason recorded, in characters.
    static let reasonLimit = 200

    public static func run(_ command: String, input: [UInt8], timeout: Double) -> Delivery.Outcome {
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        guard pipe(&toChild) == 0 else { return .failed("cannot make a pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            return .failed("cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fromChild[1], 2)
        for fd in toChild + fromChild { posix_spawn_file_actions_addclose(&actions, fd) }
        let (pid, spawned) = ShellSpawn.start(["/bin/sh", "-c", command], actions: &actions, ownProcessGroup: true)
        close(toChild[0]); close(fromChild[1])
        guard spawned == 0 else {
            close(toChild[1]); close(fromChild[0])
            return .failed("cannot start /bin/sh: \(String(cString: strerror(spawned)))")
        }
        var writer = toChild[1]
        let reader = fromChild[0]
        _ = fcntl(writer, F_SETFL, fcntl(writer, F_GETFL) | O_NONBLOCK)
        _ = fcntl(reader, F_SETFL, fcntl(reader, F_GETFL) | O_NONBLOCK)
        defer { if writer >= 0 { close(writer) }; close(reader) }
        if input.isEmpty { close(writer); writer = -1 }

        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(timeout, 0) * 1e9)
        var written = 0
        var errorText: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        func drain() {
            while true {
                let n = read(reader, &buffer, buffer.count)
                guard n > 0 else { return }
                if errorText.count < 4096 { errorText += buffer[0..<n] }
            }
        }
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped < 0, errno != EINTR { return .failed("lost the command: \(String(cString: strerror(errno)))") }
            let now = DispatchTime.now().uptimeNanoseconds
            if now >= deadline {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                return .failed("timed out after \(PolicyKey.formatDuration(timeout)) and was stopped")
            }
            var fds = [pollfd(fd: reader, events: Int16(POLLIN), revents: 0)]
            if writer >= 0 { fds.append(pollfd(fd: writer, events: Int16(POLLOUT), revents: 0)) }
            // A short wait: the command's exit is seen by waitpid, not by poll.
            _ = poll(&fds, nfds_t(fds.count), Int32(min(50, (deadline - now) / 1_000_000 + 1)))
            drain()
            if writer >= 0, fds.count > 1, fds[1].revents != 0 {
                let n = input.withUnsafeBytes { write(writer, $0.baseAddress! + written, input.count - written) }
                if n > 0 { written += n }
                // Done, or the command closed its input (EPIPE): either way it has all it will read.
                if written == input.count || (n < 0 && errno != EAGAIN && errno != EINTR) { close(writer); writer = -1 }
            }
        }
        drain()
        let (exit, signalled) = ShellSpawn.exitStatus(status)
        if exit == 0 { return .sent }
        return .failed(reason(exit: exit, signal: signalled, errorText: errorText))
    }

    /// `exit status 127 (command not found): sh: 1: ./send: not found`, at most `reasonLimit` characters.
    static func reason(exit: Int32, signal: Int32, errorText: [UInt8]) -> String {
        var text = signal != 0 ? "killed by signal \(signal)" : "exit status \(exit)"
        if signal == 0, exit == 127 { text += " (command not found)" }
        if signal == 0, exit == 126 { text += " (command not executable)" }
        let firstLine = String(decoding: errorText, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)?
            .trimmingCharacters(in: .whitespaces) ?? ""
        if !firstLine.isEmpty { text += ": " + TerminalText.clean(firstLine) }
        return text.count > reasonLimit ? String(text.prefix(reasonLimit - 1)) + "…" : text
    }
}

/// What `deliver`'s commands and the shell's pager and editor (`ChildProcess`) share:
/// `/bin/sh` started with SIGINT and SIGPIPE back at their defaults (the executable
/// ignores them), and its exit status read as a shell reports it.
public enum ShellSpawn {
    /// Starts `argv` (`/bin/sh -c ...`); in a process group of its own when `ownProcessGroup`.
    /// Returns the pid and `posix_spawn`'s error number, 0 when it started.
    public static func start(_ argv: [String], actions: inout posix_spawn_file_actions_t, ownProcessGroup: Bool) -> (pid: pid_t, error: Int32) {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        if ownProcessGroup { posix_spawnattr_setpgroup(&attributes, 0) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | (ownProcessGroup ? POSIX_SPAWN_SETPGROUP : 0)))
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for p in cArguments { free(p) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, argv[0], &actions, &attributes, &cArguments, environ)
        return (pid, error)
    }

    /// A `waitpid` status as the shell's `$?`: the exit status, or 128 + N for signal N
    /// (then `signal` is N, else 0).
    public static func exitStatus(_ status: Int32) -> (exit: Int32, signal: Int32) {
        let signalled = status & 0x7f
        return (signalled == 0 ? (status >> 8) & 0xff : 128 + signalled, signalled)
    }
}
