import Ledger
import Logging
import ServiceLifecycle

/// A service whose work may fail while PostgreSQL is away (the simulator, the demo): a failure
/// is logged and the work starts again after a pause, instead of ending the whole group. It
/// stops when the group shuts down gracefully or is cancelled.
package struct RestartingService: Service, CustomStringConvertible {
    package let description: String
    package let logger: Logger
    package var pause: Duration = .seconds(2)
    package let work: @Sendable () async throws -> Void

    package init(description: String, logger: Logger, pause: Duration = .seconds(2), work: @escaping @Sendable () async throws -> Void) {
        self.description = description
        self.logger = logger
        self.pause = pause
        self.work = work
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await work()
                    return
                } catch {
                    if Task.isCancelled || error is CancellationError { return }
                    logger.warning("\(description) failed; restarting", metadata: ["error": "\(PostgresErrorText.safe(error))"])
                }
                do { try await Task.sleep(for: pause) } catch { return }
            }
        }
    }
}

extension LedgerSession {
    /// Runs `services` in one `ServiceGroup` after the process's head listener, until SIGINT or
    /// SIGTERM shuts the group down gracefully, in reverse order (the PostgreSQL client runs
    /// around the group, so it stops last). A service that ends or fails ends the group.
    package func runServices(_ services: [any Service]) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: ([store.headListener] + services).map { .init(service: $0) }, logger: logger))
        stopper.onGracefulStop { await group.triggerGracefulShutdown() }
        try await group.run()
    }
}
