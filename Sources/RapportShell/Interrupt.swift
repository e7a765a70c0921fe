import Foundation

/// Ctrl-C in the interactive shell: a flag raised by the SIGINT handler, looked at by
/// the line reader, the output writer and the pager. The shell never dies of it.
enum Interrupt {
    // Written by the signal handler, which can capture nothing.
    nonisolated(unsafe) private static var raised: sig_atomic_t = 0

    /// Installs the handler, without SA_RESTART so that a blocked read returns EINTR.
    static func install() {
        clear()  // initialises the flag here, never first inside the handler
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in Interrupt.raised = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
    }

    static var isRaised: Bool { raised != 0 }
    static func clear() { raised = 0 }
}
