import Foundation

/// Writes to standard output and standard error with plain `write(2)`. Foundation's
/// `FileHandle.write` traps when the reader has gone (`rapport ... | head`); here a
/// closed standard output ends the program quietly, as it would end `cat`.
enum StandardStreams {
    /// In the interactive shell, Ctrl-C stops a long write to standard output.
    nonisolated(unsafe) static var stopWhenInterrupted = false

    static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var done = 0
            while done < bytes.count {
                if stopWhenInterrupted, fd == STDOUT_FILENO, Interrupt.isRaised { return }
                let n = Glibc.write(fd, bytes.baseAddress! + done, min(bytes.count - done, 1 << 16))
                if n >= 0 { done += n; continue }
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == EPIPE && fd == STDOUT_FILENO { exit(0) }
                return  // standard error is gone: nothing left to tell anyone
            }
        }
    }

    static func output(_ text: String) { write(text, to: STDOUT_FILENO) }
    static func error(_ text: String) { write(text, to: STDERR_FILENO) }
}
