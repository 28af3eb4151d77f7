import Foundation
import Ledger
import LedgerDomain
import Logging
import ServiceLifecycle

/// Requests scheduled deployments when they fall due (see ``DeploymentSchedule``), and releases
/// approved deployments whose wait timer has run out. Finds the environments concerned from the
/// log itself, then every `interval` asks each to request (or release) what is due. Several schedulers may run (one per gateway): an occurrence's deployment id
/// derives from it, and an occurrence is recorded once.
public struct DeploymentScheduler: Service {
    let service: DeploymentService
    let interval: Duration
    let logger: Logger
    /// Now, in microseconds since 1970 (a test passes its own clock).
    let now: @Sendable () -> Int64

    public init(
        service: DeploymentService, interval: Duration = .seconds(5), logger: Logger,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000_000) }
    ) {
        self.service = service
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var environments = ScheduledEnvironments()
            while !Task.isCancelled {
                do {
                    try await environments.scan(service.store)
                    try await tick(environments.ids)
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("could not run the schedules; trying again", metadata: ["error": "\(error)"])
                }
                // A stop ends the loop; thrown, it would make the service group cancel the others.
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }

    /// Requests (and releases) what is due on `environments` now.
    public func tick(_ environments: [String]) async throws {
        for environment in environments {
            for released in try await service.releaseDue(environment: environment, now: now()) {
                logger.info("released an approved deployment whose wait timer ran out", metadata: ["environment": "\(environment)", "deploy.id": "\(released)"])
            }
            for recorded in try await service.runDueSchedules(environment: environment, now: now()) {
                logger.info(
                    "scheduled deployment \(recorded.outcome.rawValue)",
                    metadata: [
                        "environment": "\(environment)", "schedule": "\(recorded.scheduleID)", "deploy.id": "\(recorded.deploymentID ?? "-")",
                        "reason": "\(recorded.reason ?? "-")",
                    ])
            }
        }
    }
}

/// The environments that ever had a schedule or a deployment waiting for approval, from a scan
/// of the log's schedule and approval events.
struct ScheduledEnvironments {
    private(set) var ids: [String] = []
    private var position: Int64 = 0
    static let filter = EventFilter(eventTypes: [DeploymentScheduleSet.eventType, EnvironmentDeploymentAwaitingApproval.eventType])

    mutating func scan(_ store: EventStore) async throws {
        while true {
            let page = try await store.readAll(after: position, filter: Self.filter, limit: 1_000)
            for event in page.events {
                let environment: String? = switch try DomainEvent(event) {
                case .deploymentScheduleSet(let set): set.environmentID
                case .environmentDeploymentAwaitingApproval(let waiting): waiting.environmentID
                default: nil
                }
                if let environment, !ids.contains(environment) { ids.append(environment) }
            }
            position = max(position, page.scannedThrough)
            if page.events.count < 1_000 { break }
        }
    }
}
