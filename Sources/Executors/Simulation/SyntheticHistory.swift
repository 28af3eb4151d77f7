import Foundation
import Ledger
import LedgerDomain

/// Generates a long, realistic and valid deployment history fast, for benchmarks and tests:
/// organisations, projects and environments, then deployments played through the real
/// decisions in memory (with retries, rollbacks, cancellations and destroys mixed in), appended
/// to the store in bulk. Most events are log lines, as in real deployments.
public struct SyntheticHistory: Sendable {
    public var seed: UInt64 = 1
    public var organisations = 4
    public var environmentsPerOrganisation = 25
    public var failureRate = 0.15
    /// Events per bulk append.
    public var appendBatchEvents = 5_000

    public init() {}

    /// Appends until at least `events` events were written; reports progress after each batch.
    /// Returns how many were written.
    @discardableResult
    public func append(events target: Int, to store: EventStore, progress: @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        var random = SeededRandom(seed: seed)
        var log = DomainLogBuffer()
        log.clockMicroseconds = Int64(Date().timeIntervalSince1970 * 1_000_000)
        var environments: [String] = []
        for o in 0..<organisations {
            let org = "org\(o)", project = "org\(o)-app"
            try log.apply(SetupDecisions.createOrganisation(id: org, name: "Organisation \(o)", quota: nil, existing: nil))
            try log.apply(SetupDecisions.createProject(id: project, name: "App", repository: nil, organisation: log.organisation(org), existing: nil))
            for e in 0..<environmentsPerOrganisation {
                let id = "\(project)-env\(e)"
                let resources = Resources(cpuMillicores: 500 * Int.random(in: 1...8, using: &random), memoryMB: 512 * Int.random(in: 1...16, using: &random), diskGB: 10 * Int.random(in: 1...10, using: &random))
                try log.apply(SetupDecisions.createEnvironment(
                    id: id, name: "env \(e)", project: log.project(project), existing: nil,
                    configuration: EnvironmentConfiguration(host: "10.\(o).\(e / 250).\(e % 250 + 1)", resources: resources)))
                environments.append(id)
            }
        }
        var written = 0
        var commit = 0
        // Successful deployments, kept after their streams leave memory: the rollback targets.
        var successes: [String: DeploymentState] = [:]
        // Each environment's last deployment when it failed: what a retry picks.
        var failures: [String: DeploymentState] = [:]
        // What this history has not shown yet; every tenth deployment plays one of them when the
        // chosen environment allows it, so even a short history holds each kind.
        var missing = Variety.allCases
        while written < target {
            while log.pending.count < appendBatchEvents {
                let environmentID = environments[Int.random(in: 0..<environments.count, using: &random)]
                commit += 1
                let environment = log.environment(environmentID)
                let forced = commit % 10 == 0
                    ? missing.first { $0.isPossible(in: environment, failed: failures[environmentID], successes: successes) } : nil
                let shown = try playOne(
                    environmentID, commit: commit, forcing: forced, log: &log, successes: &successes, failures: &failures, random: &random)
                missing.removeAll { shown.contains($0) }
            }
            written += try await flush(&log, to: store)
            progress(written)
        }
        return written
    }

    /// Plays one deployment (or a destroy) on `environmentID`; `forcing` picks its kind instead
    /// of the dice. Returns the kinds of history it showed.
    private func playOne(
        _ environmentID: String, commit: Int, forcing forced: Variety?, log: inout DomainLogBuffer,
        successes: inout [String: DeploymentState], failures: inout [String: DeploymentState], random: inout SeededRandom
    ) throws -> [Variety] {
        let request = DeploymentDecisions.Request(actor: "user\(Int.random(in: 0..<20, using: &random))", deploymentID: UUID(uuid: random.uuid()).uuidString.lowercased())
        let environment = log.environment(environmentID)
        var roll = Int.random(in: 0..<100, using: &random)
        switch forced {
        case .destroy: roll = 1
        case .retry: roll = 5
        case .successfulRollback: roll = 10
        case .cancel, nil: break
        }
        let decision: Decision
        if roll < 2, environment?.status != .destroyed {
            decision = try DeploymentDecisions.destroy(environment, deleteData: roll == 0, request: request)
            try log.apply(decision)
            log.forget(DomainIDs.deploymentStream(request.deploymentID))
            return [.destroy]
        } else if roll < 7, let failed = failures[environmentID] {
            decision = try DeploymentDecisions.retry(environment, original: failed, request: request)
        } else if roll < 12, let target = environment?.lastStableRelease {
            decision = try DeploymentDecisions.rollback(environment, target: successes[target.deploymentID], request: request)
        } else {
            decision = try DeploymentDecisions.deploy(
                environment, git: GitReference(branch: "main", commit: String(format: "%07x", commit * 7_919 % 0xFFFFFFF), message: "Change \(commit)"),
                trigger: roll < 60 ? .gitPush : .manual, force: true, request: request)
        }
        try log.apply(decision)
        try play(request.deploymentID, cancelling: forced == .cancel, log: &log, random: &random)
        var shown: [Variety] = []
        if let state = log.deployment(request.deploymentID) {
            if state.status == .success { successes[state.deploymentID] = state }
            failures[environmentID] = state.status == .failed ? state : nil
            if state.status == .cancelled { shown.append(.cancel) }
            if state.retryOf != nil { shown.append(.retry) }
            if state.rollbackTo != nil, state.status == .success { shown.append(.successfulRollback) }
        }
        log.forget(DomainIDs.deploymentStream(request.deploymentID))
        return shown
    }

    private func play(_ id: String, cancelling: Bool, log: inout DomainLogBuffer, random: inout SeededRandom) throws {
        if Int.random(in: 0..<40, using: &random) == 0 || cancelling {
            try log.apply(DeploymentDecisions.cancel(log.deployment(id), reason: "changed my mind"))
            return
        }
        try log.apply(ExecutionDecisions.queue(log.deployment(id)!))
        try log.apply(ExecutionDecisions.start(log.deployment(id)!, executor: "synthetic", lease: "lease-\(id.prefix(8))"))
        let state = log.deployment(id)!
        let script = SimulationScript.make(
            pipeline: state.configuration.pipeline, failureRate: failureRate, maximumLogBatches: 3, maximumLinesPerBatch: 3,
            startMicroseconds: log.clockMicroseconds, random: &random)
        for step in script.steps {
            try log.apply(ExecutionDecisions.startStep(log.deployment(id)!, log.progress(id)!, step: step.step))
            for batch in step.logBatches { try log.apply(ExecutionDecisions.appendLogs(log.deployment(id)!, lines: batch)) }
            if let failure = step.failure {
                try log.apply(ExecutionDecisions.failStep(log.deployment(id)!, log.progress(id)!, step: step.step, durationMs: step.durationMs, error: failure))
                return
            }
            try log.apply(ExecutionDecisions.completeStep(log.deployment(id)!, log.progress(id)!, step: step.step, durationMs: step.durationMs, summary: step.summary))
        }
        try log.apply(ExecutionDecisions.succeed(log.deployment(id)!, log.progress(id)!, environment: log.environment(state.environmentID)!))
    }

    /// Appends the buffered events in one atomic request (each stream's events together, in order).
    private func flush(_ log: inout DomainLogBuffer, to store: EventStore) async throws -> Int {
        let pending = log.drainPending()
        var order: [StreamID] = []
        var byStream: [StreamID: [NewEvent]] = [:]
        let metadata = EventMetadata(actor: "synthetic", source: "synthetic")
        for (stream, event) in pending {
            if byStream[stream] == nil { order.append(stream) }
            byStream[stream, default: []].append(try event.newEvent(id: UUID(), metadata: metadata))
        }
        _ = try await store.append(AppendRequest(order.map { StreamAppend(streamID: $0, expectedVersion: .any, events: byStream[$0]!) }))
        return pending.count
    }
}

/// The kinds of history a synthetic log always contains, however short.
enum Variety: CaseIterable {
    case destroy, cancel, retry, successfulRollback

    /// Whether this kind can be played on `environment` now.
    func isPossible(in environment: EnvironmentState?, failed: DeploymentState?, successes: [String: DeploymentState]) -> Bool {
        guard let environment, environment.status != .destroyed else { return false }
        switch self {
        case .destroy, .cancel: return true
        case .retry: return failed != nil
        case .successfulRollback: return environment.lastStableRelease.map { successes[$0.deploymentID] != nil } ?? false
        }
    }
}

extension SeededRandom {
    /// 16 random bytes, for repeatable UUIDs.
    mutating func uuid() -> uuid_t {
        let a = next(), b = next()
        return (
            UInt8(truncatingIfNeeded: a), UInt8(truncatingIfNeeded: a >> 8), UInt8(truncatingIfNeeded: a >> 16), UInt8(truncatingIfNeeded: a >> 24),
            UInt8(truncatingIfNeeded: a >> 32), UInt8(truncatingIfNeeded: a >> 40), UInt8(truncatingIfNeeded: a >> 48) & 0x0F | 0x40, UInt8(truncatingIfNeeded: a >> 56),
            UInt8(truncatingIfNeeded: b) & 0x3F | 0x80, UInt8(truncatingIfNeeded: b >> 8), UInt8(truncatingIfNeeded: b >> 16), UInt8(truncatingIfNeeded: b >> 24),
            UInt8(truncatingIfNeeded: b >> 32), UInt8(truncatingIfNeeded: b >> 40), UInt8(truncatingIfNeeded: b >> 48), UInt8(truncatingIfNeeded: b >> 56))
    }
}
