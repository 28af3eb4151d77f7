import Logging
import ServiceLifecycle

/// Seals newly appended events every `interval` (see ``EventStore/seal(maximumEvents:)``), as a
/// service: a failed round (PostgreSQL away) is logged and tried again at the next one.
public struct Sealer: Service {
    let store: EventStore
    let interval: Duration
    let logger: Logger

    public init(store: EventStore, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: interval) } catch { return }
                do {
                    for seal in try await store.seal() {
                        logger.info("sealed", metadata: ["ledger.seal": "\(seal.number)", "ledger.to": "\(seal.toPosition)"])
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("sealing failed; trying again later", metadata: ["error": "\(PostgresErrorText.safe(error))"])
                }
            }
        }
    }
}
