import Foundation

/// A one-line progress bar on standard error for a long campaign run: drawn only once the
/// run has taken a second, and wiped when it ends, so that short runs show nothing. The
/// shell installs it only when standard error is a terminal; pipes and tests never see it.
final class ProgressBar: @unchecked Sendable {
    private let width = 30
    private var started = Date()
    private var drawn = false

    /// (customers decided, customers targeted); (0, n) starts a run.
    func update(_ done: Int, _ total: Int) {
        if done == 0 { started = Date(); drawn = false; return }
        if done >= total {
            if drawn { StandardStreams.error("\r\u{1B}[K") }
            drawn = false
            return
        }
        guard Date().timeIntervalSince(started) >= 1 else { return }
        let filled = total > 0 ? width * done / total : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        StandardStreams.error("\r[\(bar)] \(done)/\(total) customers")
        drawn = true
    }
}
