import Foundation

/// A one-line progress bar on standard error for a long campaign run or import: drawn only
/// once the work has taken a second, with the rate and the time left, rewritten in place
/// with \r and wiped when it ends, so that short runs show nothing. The shell installs it
/// only when standard error is a terminal; pipes and tests never see it.
final class ProgressBar: @unchecked Sendable {
    private let width = 30
    private var started = Date()
    private var drawn = false
    private var lastDrawn = Date.distantPast

    /// (units done, units in all); (0, n) starts a run, (n, n) ends it.
    func update(_ done: Int, _ total: Int, of unit: String = "customers") {
        if done == 0 { started = Date(); drawn = false; return }
        if done >= total {
            if drawn { StandardStreams.error("\r\u{1B}[K") }
            drawn = false
            return
        }
        let now = Date()
        let elapsed = now.timeIntervalSince(started)
        // Ten redraws a second at most: a terminal is slower than the work.
        guard elapsed >= 1, now.timeIntervalSince(lastDrawn) >= 0.1 else { return }
        lastDrawn = now
        let filled = total > 0 ? width * done / total : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        let rate = Double(done) / elapsed
        let left = rate > 0 ? Int((Double(total - done) / rate).rounded(.up)) : 0
        StandardStreams.error("\r\u{1B}[K[\(bar)] \(done)/\(total) \(unit), \(Int(rate))/s, \(left) s left")
        drawn = true
    }
}
