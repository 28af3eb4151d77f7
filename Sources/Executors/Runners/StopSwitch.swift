import Synchronization

/// Asks a running command to stop: pulled by the worker when a cancellation arrives or its lease
/// is lost, read by the runner between reads of the command's output.
public final class StopSwitch: Sendable {
    private let state = Mutex<(pulled: Bool, reason: String?)>((false, nil))
    /// How long a command has after TERM before it is killed.
    public let grace: Duration

    public init(grace: Duration = .seconds(10)) { self.grace = grace }

    /// Asks the command to stop; the first reason given is kept.
    public func pull(reason: String) {
        state.withLock { if !$0.pulled { $0 = (true, reason) } }
    }

    public var isPulled: Bool { state.withLock { $0.pulled } }
    public var reason: String? { state.withLock { $0.reason } }
}
