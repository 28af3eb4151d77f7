import Foundation
import Ledger
import LedgerDomain
import Logging
import ServiceLifecycle

/// Fails deployments that recorded nothing for too long (the seed's 30 minutes by default) with
/// a timed-out event, which also frees the environment for the next deployment. A worker still
/// running such a deployment sees it end, stops its command and writes nothing more. Several
/// watchdogs may run: of two that time out the same deployment, one wins, the other is refused.
public struct Watchdog: Service {
    /// How long a deployment may record nothing before it is timed out.
    public var silence: Duration
    /// How often deployments are looked at.
    public var interval: Duration
    let service: DeploymentService
    let logger: Logger
    /// Now, in microseconds since 1970 (a test passes its own clock).
    let now: @Sendable () -> Int64

    public init(
        service: DeploymentService, silence: Duration = .seconds(30 * 60), interval: Duration = .seconds(60), logger: Logger,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000_000) }
    ) {
        self.service = service
        self.silence = silence
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var queue = RequestQueue()
            while !Task.isCancelled {
                do {
                    _ = try await queue.scan(service.store)
                    for id in queue.pending { try await check(id) }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("watchdog could not look at deployments; trying again", metadata: ["error": "\(error)"])
                }
                // A stop ends the watch; thrown, it would make the service group cancel every
                // other service instead of letting them stop in turn.
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }

    /// Times `id` out when its last event is older than the allowed silence; true when it did.
    @discardableResult
    public func check(_ id: String) async throws -> Bool {
        guard let last = try await service.store.read(stream: DomainIDs.deploymentStream(id), direction: .backward, limit: 1).first else { return false }
        let silentFor = Duration.microseconds(now() - last.recordedAtMicroseconds)
        guard silentFor > silence else { return false }
        do {
            let outcome = try await service.execute(deployment: id, context: CommandContext(actor: "watchdog", source: "executor")) { state, progress in
                guard !state.status.isTerminal else { return .nothing }
                return try ExecutionDecisions.timeOut(state, step: progress.steps.first { $0.status == .running }?.step)
            }
            // It ended meanwhile: nothing was written.
            if outcome.result == nil { return false }
            logger.warning("timed out a deployment that recorded nothing for too long", metadata: [
                "deploy.id": "\(id)", "deploy.silent_seconds": "\(Int(silentFor.seconds))",
            ])
            return true
        } catch let rejection as CommandRejection {
            logger.debug("watchdog left a deployment alone", metadata: ["deploy.id": "\(id)", "reason": "\(rejection.message)"])
            return false
        }
    }
}
