import Foundation
import RapportCore

/// Runs a shell command in the foreground of our terminal, as a pager or an editor
/// must: in our process group, with the terminal as its controlling terminal.
/// (Foundation's `Process` puts a child in a session of its own, where `less` and `vi`
/// cannot read the keyboard.)
enum ChildProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `/bin/sh -c COMMAND ARGUMENTS...`; with `input`, writes it to the command's
    /// standard input (stopping quietly when the command stops reading). Returns the
    /// exit status, 128 + N for a signal.
    static func run(_ command: String, arguments: [String] = [], input: String? = nil) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pipeEnds: [Int32] = [-1, -1]
        if input != nil {
            guard pipe(&pipeEnds) == 0 else { throw Failure(description: "cannot make a pipe: \(String(cString: strerror(errno)))") }
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
            posix_spawn_file_actions_addclose(&actions, pipeEnds[0])
            posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        }
        // In our process group; the child gets the default SIGINT and SIGPIPE handling back.
        let (pid, spawned) = ShellSpawn.start(["/bin/sh", "-c", command, "sh"] + arguments, actions: &actions, ownProcessGroup: false)
        if input != nil { close(pipeEnds[0]) }
        guard spawned == 0 else {
            if input != nil { close(pipeEnds[1]) }
            throw Failure(description: "cannot run '\(command)': \(String(cString: strerror(spawned)))")
        }
        if var text = input {
            text.withUTF8 { bytes in
                var done = 0
                while done < bytes.count {
                    let n = write(pipeEnds[1], bytes.baseAddress! + done, min(bytes.count - done, 1 << 16))
                    if n > 0 { done += n; continue }
                    if n < 0, errno == EINTR { continue }
                    break  // the reader quit early (q in less): the rest is not wanted
                }
            }
            close(pipeEnds[1])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return ShellSpawn.exitStatus(status).exit
    }
}
