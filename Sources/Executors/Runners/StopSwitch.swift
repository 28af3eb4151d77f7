import Synchronization

/// Asks a running command to stop: pulled by the worker when a cancellation arrives, its lease
/// is lost or it is itself stopping; read by the runner between reads of the command's output.
public final class StopSwitch: Sendable {
    private let pulled = Mutex(false)
    /// How long a command has after TERM before it is killed.
    public let grace: Duration
    /// How long after the grace period a runner still waits for the command's output to close:
    /// past it, whatever holds the output escaped the process group, and the runner stops
    /// waiting (and reports it) instead of waiting for ever.
    public let escapeBound: Duration

    public init(grace: Duration = .seconds(10), escapeBound: Duration = .seconds(5)) {
        self.grace = grace
        self.escapeBound = escapeBound
    }

    /// Asks the command to stop (pulling it again changes nothing).
    public func pull() {
        pulled.withLock { $0 = true }
    }

    public var isPulled: Bool { pulled.withLock { $0 } }
}
