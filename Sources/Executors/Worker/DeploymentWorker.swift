import Foundation
import Ledger
import LedgerDomain
import Logging
import ServiceLifecycle
import Synchronization

/// `ledger work`: claims requested deployments oldest first, at most `concurrency` at a time,
/// each under a lease (a row in `executor.leases` plus the lease id in its start event), and
/// runs them through their pipelines. Deployments whose worker stopped renewing its lease are
/// taken over and failed with the reason (see ``FencedExecution/takeOver(_:_:expiredLease:)``).
public struct DeploymentWorker: Service {
    let service: DeploymentService
    let leases: LeaseStore
    let configuration: WorkerConfiguration
    let pipelines: [String: Pipeline]
    let openRunner: RunnerFactory
    let logger: Logger

    public init(
        service: DeploymentService, leases: LeaseStore, configuration: WorkerConfiguration, pipelines: [String: Pipeline],
        logger: Logger, openRunner: @escaping RunnerFactory
    ) {
        self.service = service
        self.leases = leases
        self.configuration = configuration
        self.pipelines = pipelines
        self.openRunner = openRunner
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.name)"
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown { try await work(untilIdle: false) }
    }

    /// Claims and runs deployments until cancelled, or with `untilIdle` until nothing is left
    /// to claim or running.
    public func work(untilIdle: Bool) async throws {
        let running = Shared<Set<String>>([])
        var queue = RequestQueue()
        logger.info("working", metadata: ["worker.concurrency": "\(configuration.concurrency)"])
        var published = false
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                do {
                    if !published {
                        try await publishPipelines()
                        published = true
                    }
                    let head = try await queue.scan(service.store)
                    var claimed = 0
                    for candidate in try await candidates(queue) {
                        guard running.withLock({ $0.count < configuration.concurrency && !$0.contains(candidate) }) else { continue }
                        let lease = UUID().uuidString.lowercased()
                        guard try await leases.claim(candidate, lease: lease, worker: configuration.name, for: configuration.leaseDuration) else {
                            queue.forget(candidate)
                            continue
                        }
                        queue.forget(candidate)
                        claimed += 1
                        running.withLock { _ = $0.insert(candidate) }
                        let job = DeploymentJob(
                            deploymentID: candidate, lease: lease, service: service, leases: leases, configuration: configuration,
                            pipelines: pipelines, openRunner: openRunner, logger: logger)
                        group.addTask {
                            await job.run()
                            running.withLock { _ = $0.remove(candidate) }
                        }
                    }
                    let busy = running.withLock { $0.count }
                    if untilIdle && busy == 0 && claimed == 0 && queue.isEmpty { return }
                    // A full worker looks again soon (a slot may free up); an idle one waits for a commit.
                    let wait = busy >= configuration.concurrency || untilIdle ? .milliseconds(200) : configuration.pollInterval
                    try await service.store.waitForAppend(after: head, timeout: wait)
                } catch is CancellationError {
                    break
                } catch {
                    logger.warning("could not look for work; trying again", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: configuration.pollInterval)
                }
            }
        }
        logger.info("stopped")
    }

    /// Puts this worker's pipeline files into the catalogue (when they differ from what is
    /// there), so deployments requested from now on plan the steps these files run.
    private func publishPipelines() async throws {
        let context = CommandContext(actor: configuration.name, source: "executor")
        let outcome: DeploymentService.Outcome
        do {
            outcome = try await service.publishPipelines(
                pipelines.values.sorted { $0.name < $1.name }.map { $0.publication(by: configuration.name) }, context: context)
        } catch let rejection as CommandRejection {
            // A file the catalogue cannot hold still runs; deployments then plan their configuration's steps.
            logger.warning("could not publish the pipelines", metadata: ["reason": "\(rejection.message)"])
            return
        }
        if outcome.result != nil {
            logger.info("published pipelines", metadata: ["worker.pipelines": "\(pipelines.keys.sorted().joined(separator: ","))"])
        }
    }

    /// Deployments to claim, oldest first: those whose lease expired (to take over), then
    /// requested ones nobody finished.
    private func candidates(_ queue: RequestQueue) async throws -> [String] {
        let expired = try await leases.expired().map(\.deploymentID)
        return expired + queue.pending.filter { !expired.contains($0) }
    }
}

/// The requested deployments not known to be finished, in request order, from a scan of the
/// log's request and outcome events. One that waits for approval joins when it is released.
struct RequestQueue {
    private(set) var pending: [String] = []
    private var position: Int64 = 0
    private var finished: Set<String> = []

    var isEmpty: Bool { pending.isEmpty }

    static let filter = EventFilter(eventTypes: [
        DeploymentRequested.eventType, DeploymentSucceeded.eventType, DeploymentFailed.eventType, DeploymentCancelled.eventType,
        DeploymentTimedOut.eventType, DeploymentDestroyed.eventType, DeploymentAwaitingApproval.eventType,
        DeploymentApprovalGranted.eventType,
    ])

    /// Reads what was appended since the last scan; returns the position scanned through.
    mutating func scan(_ store: EventStore) async throws -> Int64 {
        var ended: Set<String> = []
        while true {
            let page = try await store.readAll(after: position, filter: Self.filter, limit: 1_000)
            for event in page.events {
                switch try DomainEvent(event) {
                case .deploymentRequested(let requested):
                    // A destroy recorded as final at once is dropped below with the other ended ones.
                    pending.append(requested.deploymentID)
                case .deploymentAwaitingApproval(let e):
                    // Written with its request: it leaves the queue before any claim can see it.
                    pending.removeAll { $0 == e.deploymentID }
                case .deploymentApprovalGranted(let e): pending.append(e.deploymentID)
                case .deploymentSucceeded(let e): ended.insert(e.deploymentID)
                case .deploymentFailed(let e): ended.insert(e.deploymentID)
                case .deploymentCancelled(let e): ended.insert(e.deploymentID)
                case .deploymentTimedOut(let e): ended.insert(e.deploymentID)
                case .deploymentDestroyed(let e): ended.insert(e.deploymentID)
                default: break
                }
            }
            position = max(position, page.scannedThrough)
            if page.events.count < 1_000 { break }
        }
        if !ended.isEmpty {
            finished.formUnion(ended)
            pending.removeAll { finished.contains($0) }
        }
        return position
    }

    /// Drops a deployment someone (maybe this worker) holds; an expired lease brings it back.
    mutating func forget(_ id: String) {
        pending.removeAll { $0 == id }
    }
}
