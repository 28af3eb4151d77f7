import Foundation
import Ledger
import LedgerDomain
import Synchronization

/// Running one step: connecting when need be, the command watched while it runs (its output
/// written in batches, a cancellation or a lost lease stopping it), retries, and the cleanup.
extension DeploymentJob {
    enum StepResult {
        case succeeded(Duration)
        /// The error, how long it took, and the number of tries when transient errors outlasted them all.
        case failed(String, Duration, abandonedAfter: Int? = nil)
        case stopped(StoppedCommand)
    }

    /// Runs a step with its retries, connecting first when need be (transient connection
    /// failures are retried with the worker's backoff).
    /// A cancellation asked before an attempt, or during a pause between attempts, wins: the
    /// step is reported stopped without running again.
    func runStep(_ step: PipelineStep, plan: ExecutionPlan) async throws -> StepResult {
        let started = ContinuousClock.now
        let cancelledBetweenAttempts = StepResult.stopped(StoppedCommand(
            step: step.id, processGroup: nil, signal: "none", exitStatus: nil, cleanupRan: false, elapsedMs: 0))
        var attempt = 0
        while true {
            attempt += 1
            if attempt > 1, try await cancellationRequested() { return cancelledBetweenAttempts }
            let connected: any CommandRunner
            do {
                connected = try await connect()
            } catch let failure as TransientFailure {
                return .failed(failure.message, started.duration(to: .now), abandonedAfter: failure.attempts)
            } catch is CancelledWhileWaiting {
                return cancelledBetweenAttempts
            }
            let stop = StopSwitch(grace: configuration.stopGrace)
            let outcome: CommandOutcome
            do {
                outcome = try await runWatched(plan.command(for: step), timeout: step.timeout, runner: connected, stop: stop)
            } catch let error as SSHError where error.isTransient {
                connection.withLock { $0 = nil }
                await connected.close()
                guard attempt <= configuration.transientRetries.count else {
                    return .failed("\(error.message) (abandoned after \(attempt) attempts)", started.duration(to: .now), abandonedAfter: attempt)
                }
                logs.note(.warning, "\(error.message); trying again in \(Self.seconds(configuration.transientRetries[attempt - 1]))")
                if try await pauseUnlessCancelled(configuration.transientRetries[attempt - 1]) { return cancelledBetweenAttempts }
                continue
            }
            if let report = outcome.stop, !outcome.timedOut {
                if report.escaped {
                    logs.note(
                        .warning,
                        "stopped the step's process group, but something it started left the group and still holds its output: "
                            + (report.escapedProcesses.isEmpty ? "not found on the host" : report.escapedProcesses.joined(separator: "; ")))
                    if !leaseLost.isRaised { try await flushLogs() }
                }
                return .stopped(StoppedCommand(
                    step: step.id, processGroup: report.processGroup, signal: report.signal, exitStatus: outcome.exitStatus,
                    cleanupRan: false, elapsedMs: report.elapsedMs, escaped: report.escaped ? true : nil,
                    escapedProcesses: report.escapedProcesses.isEmpty ? nil : report.escapedProcesses))
            }
            if outcome.succeeded { return .succeeded(started.duration(to: .now)) }
            let why = outcome.timedOut
                ? "timed out after \(Self.seconds(step.timeout)) (stopped with \(outcome.stop?.signal ?? "TERM"))"
                : outcome.exitStatus.map { "exited with status \($0)" } ?? "ended by signal \(outcome.signal ?? "?")"
            if attempt <= step.retries {
                let pause = step.backoff[min(attempt - 1, step.backoff.count - 1)]
                logs.note(.warning, "\(step.name) \(why); attempt \(attempt + 1) of \(step.retries + 1) in \(Self.seconds(pause))")
                if try await pauseUnlessCancelled(pause) { return cancelledBetweenAttempts }
                continue
            }
            return .failed("\(step.name) \(why)", started.duration(to: .now))
        }
    }

    /// Runs the command while a watcher writes its output every flush interval and pulls the
    /// stop switch when a cancellation arrives or the lease is lost.
    func runWatched(_ command: String, timeout: Duration, runner: any CommandRunner, stop: StopSwitch) async throws -> CommandOutcome {
        let finished = Flag()
        let outcome = try await withThrowingTaskGroup(of: CommandOutcome?.self) { group in
            group.addTask { [self] in
                defer { finished.raise() }
                return try await runner.run(command, timeout: timeout, stop: stop) { [logs] in logs.add($0) }
            }
            group.addTask { [self] in
                while !finished.isRaised {
                    // Sleeps in slices, so a step that ends does not wait out the interval, and a
                    // full batch is written at once rather than at the next tick.
                    let wake = ContinuousClock.now + configuration.flushInterval
                    while !finished.isRaised && ContinuousClock.now < wake && logs.waiting < configuration.linesPerEvent {
                        try await Task.sleep(for: .milliseconds(5))
                    }
                    if leaseLost.isRaised { stop.pull() }
                    do {
                        try await flushLogs()
                        let state = try await tracker.refresh()?.0
                        if state?.cancellationRequested == true { stop.pull() }
                        if state?.status.isTerminal == true {
                            // Ended elsewhere (the watchdog timed it out): stop, and write nothing more.
                            stop.pull()
                            leaseLost.raise()
                        }
                    } catch let rejection as CommandRejection where rejection.code == .staleLease {
                        stop.pull()
                        leaseLost.raise()
                    } catch let error where DatabaseAvailability.isUnavailable(error) {
                        // The database is away: the step runs on, its output waits in the batcher.
                        try await Task.sleep(for: .milliseconds(500))
                    }
                }
                return nil
            }
            var outcome: CommandOutcome?
            for try await result in group { if let result { outcome = result } }
            return outcome!
        }
        logs.flushPartialLines()
        if !leaseLost.isRaised { try await flushLogs() }
        return outcome
    }

    /// Writes the waiting log lines, in events of at most `linesPerEvent`.
    func flushLogs() async throws {
        while true {
            let lines = logs.take(limit: configuration.linesPerEvent)
            if lines.isEmpty { return }
            let outcome = try await write(refreshing: false) { [self] state, _ in try fence.appendLogs(state, lines: lines) }
            await tracker.adopt(.logLinesAppended(LogLinesAppended(deploymentID: deploymentID, lines: lines)), appended: outcome.result)
        }
    }

    /// Runs the pipeline's cleanup (release the host's deploy lock) after a failure, a cancel,
    /// or the worker's own stop. It runs in a task of its own: a worker that is being stopped
    /// must still release the lock, and its cancellation would stop the cleanup before it ran.
    func cleanUp(_ plan: ExecutionPlan, timeout: Duration = .seconds(60)) async -> Bool {
        guard let cleanup = plan.pipeline.cleanup, let runner = connection.withLock({ $0 }) else { return false }
        let command = CommandTemplate.render(cleanup, values: plan.values)
        // Awaited, in a task of its own so that the worker's cancellation does not reach it (above).
        return await Task {
            let outcome = try? await runner.run(command, timeout: timeout, stop: StopSwitch()) { _ in }
            return outcome?.succeeded == true
        }.value
    }

    /// Connecting failed for good: a refusal (wrong host key), or transient errors past every retry (`attempts`).
    struct TransientFailure: Error {
        var message: String
        var attempts: Int?
    }

    /// The open runner, or a new one, connecting with retries on transient failures.
    func connect() async throws -> any CommandRunner {
        if let runner = connection.withLock({ $0 }) { return runner }
        var attempt = 0
        while true {
            attempt += 1
            guard let (state, _) = try await refreshed() else { throw CommandRejection(.notFound, "deployment vanished") }
            do {
                let opened = try await whileDatabaseAway("looking up the server") { _ in try await openRunner(state) }
                connection.withLock { $0 = opened }
                return opened
            } catch let error as SSHError where error.isTransient && attempt <= configuration.transientRetries.count {
                let pause = configuration.transientRetries[attempt - 1]
                logs.note(.warning, "\(error.message); trying again in \(Self.seconds(pause)) (attempt \(attempt + 1) of \(configuration.transientRetries.count + 1))")
                if try await pauseUnlessCancelled(pause) { throw CancelledWhileWaiting() }
            } catch let error as SSHError {
                throw TransientFailure(
                    message: error.isTransient ? "\(error.message) (abandoned after \(attempt) attempts)" : error.message,
                    attempts: error.isTransient ? attempt : nil)
            }
        }
    }


    /// A cancellation arrived while connecting was paused between tries.
    struct CancelledWhileWaiting: Error {}

    /// Whether the deployment's cancellation has been asked (or its lease lost), as its stream says now.
    func cancellationRequested() async throws -> Bool {
        if leaseLost.isRaised { return true }
        return try await refreshed()?.0.cancellationRequested ?? false
    }

    /// Waits `pause` between attempts, writing the waiting log lines and looking for a
    /// cancellation every flush interval; true as soon as one is asked (the pause is cut short).
    func pauseUnlessCancelled(_ pause: Duration) async throws -> Bool {
        let end = ContinuousClock.now + pause
        while true {
            try await flushLogs()
            if try await cancellationRequested() { return true }
            let now = ContinuousClock.now
            if now >= end { return false }
            try await Task.sleep(for: min(configuration.flushInterval, now.duration(to: end)))
        }
    }

    static func seconds(_ duration: Duration) -> String { String(format: "%.1f s", duration.seconds) }
}
