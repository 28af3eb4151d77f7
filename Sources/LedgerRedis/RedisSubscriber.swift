import Foundation
import Synchronization

/// A subscription to one Redis pub/sub channel on a thread of its own (hiredis blocks): each
/// message goes to `onMessage`, and `onState` hears when the subscription is up or down. It
/// reconnects by itself after `retryDelay` until ``stop()``, which takes effect within a
/// second.
public final class RedisSubscriber: Sendable {
    public let address: RedisAddress
    public let channel: String
    private let retryDelay: Duration
    private let stopped = Atomic<Bool>(false)
    private let onMessage: @Sendable (String) -> Void
    private let onState: @Sendable (Bool) -> Void

    public init(
        address: RedisAddress, channel: String, retryDelay: Duration = .milliseconds(500),
        onState: @escaping @Sendable (Bool) -> Void = { _ in }, onMessage: @escaping @Sendable (String) -> Void
    ) {
        self.address = address
        self.channel = channel
        self.retryDelay = retryDelay
        self.onState = onState
        self.onMessage = onMessage
    }

    /// Starts the subscription thread.
    public func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "ledger.redis.subscriber"
        thread.start()
    }

    /// Ends the subscription (within about a second).
    public func stop() { stopped.store(true, ordering: .relaxed) }

    private var isStopped: Bool { stopped.load(ordering: .relaxed) }

    private func loop() {
        while !isStopped {
            do {
                let connection = try RedisConnection(address, timeout: .seconds(1))
                _ = try connection.command(["SUBSCRIBE", channel])
                onState(true)
                while !isStopped {
                    while let reply = try connection.bufferedReply() {
                        if case .array(let parts) = reply, parts.count == 3, parts[0].string == "message", let payload = parts[2].string {
                            onMessage(payload)
                        }
                    }
                    guard try connection.awaitInput(timeout: .seconds(1)) || isStopped else {
                        // Quiet: check the connection is alive (in subscribe mode PING is answered as a message).
                        try connection.append(["PING"])
                        try connection.flush()
                        continue
                    }
                }
                if !isStopped { onState(false) }
            } catch {
                // Stopped meanwhile: the server going away with us is no news.
                if isStopped { return }
                onState(false)
                Thread.sleep(forTimeInterval: Double(retryDelay.components.seconds) + Double(retryDelay.components.attoseconds) / 1e18)
            }
        }
    }
}
