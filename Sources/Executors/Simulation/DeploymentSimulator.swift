import Foundation
import Ledger
import LedgerDomain
import Logging

/// A simulated executor for demos and load: it picks up requested deployments and plays them
/// through their pipeline with realistic log lines, step durations and a configurable failure
/// rate, writing exactly the events a real executor writes, through the same decisions.
///
/// It runs nothing on any server. The real executor (SSH, leases with fencing) replaces it.
public struct DeploymentSimulator: Sendable {
    /// How the simulator behaves.
    public struct Configuration: Sendable {
        /// The chance that a deployment fails in one of its steps.
        public var failureRate = 0.15
        /// Divides every step's duration: 10 plays a 60 s deployment in 6 s; 0 waits not at all.
        public var speed = 10.0
        /// How many deployments play at once.
        public var concurrency = 4
        /// How long to wait for new requests before looking again.
        public var pollInterval: Duration = .seconds(2)
        public var seed: UInt64?
        public init() {}
    }

    let service: DeploymentService
    let configuration: Configuration
    let logger: Logger
    let executor: String
    /// The simulator acts as its executor, through its own source.
    var context: CommandContext { CommandContext(actor: executor, source: "simulator") }

    public init(service: DeploymentService, configuration: Configuration = .init(), logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.logger = logger
        self.executor = "simulator-" + String(UUID().uuidString.prefix(8)).lowercased()
    }

    /// Plays every pending deployment, then keeps watching for new ones until cancelled
    /// (or, with `untilIdle`, returns once nothing is pending).
    public func run(untilIdle: Bool = false) async throws {
        // A deployment that waited for approval is played once it is released.
        let filter = EventFilter(eventTypes: [DeploymentRequested.eventType, DeploymentApprovalGranted.eventType])
        var position: Int64 = 0
        var random = SeededRandom(seed: configuration.seed ?? UInt64.random(in: 0...UInt64.max))
        while !Task.isCancelled {
            var pending: [String] = []
            while true {
                let page = try await service.store.readAll(after: position, filter: filter, limit: 1_000)
                for event in page.events {
                    switch try DomainEvent(event) {
                    case .deploymentRequested(let requested) where requested.trigger != .destroy: pending.append(requested.deploymentID)
                    case .deploymentApprovalGranted(let granted): pending.append(granted.deploymentID)
                    default: break
                    }
                }
                position = max(position, page.scannedThrough)
                if page.events.count < 1_000 { break }
            }
            let seeds = pending.map { ($0, random.next()) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                var running = 0
                for (id, seed) in seeds {
                    if running >= max(1, configuration.concurrency) {
                        try await group.next()
                        running -= 1
                    }
                    group.addTask { try await play(id, seed: seed) }
                    running += 1
                }
                try await group.waitForAll()
            }
            if untilIdle && pending.isEmpty { return }
            if pending.isEmpty {
                try await service.store.waitForAppend(after: position, timeout: configuration.pollInterval)
            }
        }
    }

    /// Plays one deployment if it is still pending; a deployment another executor took, or that
    /// was cancelled meanwhile, is left alone.
    public func play(_ id: String, seed: UInt64) async throws {
        guard let (state, _) = try await service.deploymentWithProgress(id), state.status == .pending else { return }
        var random = SeededRandom(seed: seed)
        let script = SimulationScript.make(
            pipeline: state.plannedSteps, failureRate: configuration.failureRate,
            startMicroseconds: Int64(Date().timeIntervalSince1970 * 1_000_000), random: &random)
        var metadata: Logger.Metadata = ["deploy.id": "\(id)"]
        metadata["deploy.environment"] = "\(state.environmentID)"
        do {
            try await decide(id) { state, _ in try ExecutionDecisions.queue(state) }
            try await decide(id) { state, _ in try ExecutionDecisions.start(state, executor: executor, lease: UUID().uuidString.lowercased()) }
        } catch let rejection as CommandRejection {
            logger.debug("someone else took it", metadata: metadata.merging(["reason": "\(rejection.message)"]) { $1 })
            return
        }
        logger.info("playing", metadata: metadata)
        for step in script.steps {
            if try await cancelIfAsked(id) { return }
            try await decide(id) { state, progress in try ExecutionDecisions.startStep(state, progress, step: step.step) }
            // Durations are what the step took here (its script duration divided by the speed),
            // so they agree with the events' timestamps.
            let started = ContinuousClock.now
            for batch in step.logBatches {
                try await pause(milliseconds: step.durationMs / step.logBatches.count)
                try await decide(id) { state, _ in try ExecutionDecisions.appendLogs(state, lines: batch) }
            }
            if let failure = step.failure {
                try await decide(id) { state, progress in
                    try ExecutionDecisions.failStep(state, progress, step: step.step, durationMs: started.duration(to: .now).wholeMilliseconds, error: failure)
                }
                logger.info("failed", metadata: metadata)
                return
            }
            try await decide(id) { state, progress in
                let elapsed = started.duration(to: .now)
                return try ExecutionDecisions.completeStep(
                    state, progress, step: step.step, durationMs: elapsed.wholeMilliseconds,
                    summary: "\(step.step.displayName) done (\(String(format: "%.1f", elapsed.seconds))s)")
            }
        }
        if try await cancelIfAsked(id) { return }
        _ = try await service.execute(context) {
            guard let (state, progress) = try await service.deploymentWithProgress(id),
                let environment = try await service.environment(state.environmentID)
            else { throw CommandRejection(.notFound, "deployment \(id) vanished") }
            return .init(
                try ExecutionDecisions.succeed(state, progress, environment: environment),
                organisation: state.organisationID, project: state.projectID)
        }
        logger.info("succeeded", metadata: metadata)
    }

    private func cancelIfAsked(_ id: String) async throws -> Bool {
        guard let state = try await service.deployment(id), state.cancellationRequested else { return false }
        try await decide(id) { state, _ in try ExecutionDecisions.confirmCancellation(state) }
        logger.info("cancelled", metadata: ["deploy.id": "\(id)"])
        return true
    }

    private func decide(_ id: String, _ decision: @Sendable @escaping (DeploymentState, DeploymentProgress) throws -> Decision) async throws {
        try await service.execute(deployment: id, context: context) { state, progress in try decision(state, progress) }
    }

    private func pause(milliseconds: Int) async throws {
        guard configuration.speed > 0 else { return }
        try await Task.sleep(for: .milliseconds(Int(Double(milliseconds) / configuration.speed)))
    }
}
