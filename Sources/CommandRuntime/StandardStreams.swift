import Glibc
import Synchronization

/// Standard error for messages: written whole, and a reader that went away (a closed pipe) is
/// no reason to stop — what the process still has to do (stop the embedded servers) matters more.
package enum StandardError {
    package static func write(_ text: String) { LedgerLogHandler.write(text) }
}

/// What happens when standard output's reader goes away (`ledger tail | head`).
package enum StandardOutput {
    private static let gone = Mutex(false)

    /// Ends the command as quietly as it can: at once when nothing needs stopping, else through
    /// the graceful stop (as on SIGTERM) so that the embedded PostgreSQL and Redis are stopped.
    /// Later output is dropped.
    package static func readerWentAway() {
        let first = gone.withLock { gone -> Bool in
            defer { gone = true }
            return !gone
        }
        guard first else { return }
        if ProcessStopper.hasExitActions { kill(getpid(), SIGTERM) } else { exit(0) }
    }

    /// Whether standard output can no longer be written.
    package static var isGone: Bool { gone.withLock { $0 } }
}
