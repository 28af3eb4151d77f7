import ArgumentParser
import Foundation
import Ledger
import Synchronization
import UnixSignals

/// SIGINT and SIGTERM for a whole command: the first signal starts a graceful stop (a service
/// group shuts down in reverse order; a plain command is cancelled); a second signal, or the
/// grace period running out, ends the process at once. Either way the exit status is 130 for
/// SIGINT and 143 for SIGTERM, and what was registered with ``atExit(_:)`` (stopping the
/// embedded PostgreSQL) runs first, itself bounded in time.
package final class ProcessStopper: Sendable {
    /// A signal that stops the process, and the exit status it leads to.
    package enum Signal: Sendable {
        case interrupt, terminate

        var exitCode: ExitCode { ExitCode(self == .interrupt ? 130 : 143) }
        var name: String { self == .interrupt ? "SIGINT" : "SIGTERM" }
    }

    private struct State {
        var signal: Signal?
        var gracefulStops: [@Sendable () async -> Void] = []
        var exitActions: [@Sendable () async -> Void] = []
        var body: Task<Void, Never>?
        var finished = false
        /// The exit actions once ``finish()`` runs them: a forced exit meanwhile waits for them.
        var running: Task<Void, Never>?
    }

    private let state = Mutex(State())
    package let gracePeriod: Duration
    private let log: @Sendable (String) -> Void

    package init(gracePeriod: Duration, log: @escaping @Sendable (String) -> Void) {
        self.gracePeriod = gracePeriod
        self.log = log
    }

    /// The signal that asked this process to stop, if one did.
    package var receivedSignal: Signal? { state.withLock { $0.signal } }

    /// Registers how a long-running command stops gracefully (instead of being cancelled).
    package func onGracefulStop(_ action: @escaping @Sendable () async -> Void) {
        let signalled = state.withLock { state in
            state.gracefulStops.append(action)
            return state.signal != nil
        }
        // Asked after the signal came: stopped now, beside the caller (which goes on registering).
        if signalled { Task { await action() } }
    }

    /// Registers what must happen before the process ends, however it ends.
    package func atExit(_ action: @escaping @Sendable () async -> Void) {
        state.withLock { $0.exitActions.append(action) }
        Self.registered.withLock { $0 = true }
    }

    private static let registered = Mutex(false)
    /// Whether some stopper of this process has something to do before it ends (an embedded
    /// server to stop): a process that must end early then stops through a signal, not `exit`.
    package static var hasExitActions: Bool { registered.withLock { $0 } }

    /// Runs `body` until it ends, stopping it on a signal as described above.
    package func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        // Not awaited: it watches for signals while `body` runs and is cancelled when `run` returns.
        let watcher = Task { await self.watch(signals) }
        defer { watcher.cancel() }
        let outcome = Mutex<Result<T, any Error>?>(nil)
        // Awaited below; a task of its own so that a signal can cancel it (`state.body`).
        let task = Task {
            let result = await Result(awaiting: body)
            outcome.withLock { $0 = result }
        }
        let cancelNow = state.withLock { state -> Bool in
            state.body = task
            return state.signal != nil && state.gracefulStops.isEmpty
        }
        if cancelNow { task.cancel() }
        await task.value
        return outcome.withLock { $0 } ?? .failure(CancellationError())
    }

    /// Runs the exit actions once; the command then returns normally.
    package func finish() async {
        let running = state.withLock { state -> Task<Void, Never> in
            state.finished = true
            let actions = state.exitActions
            state.exitActions = []
            // Awaited below; kept in `state.running` so that a signal meanwhile waits for it too.
            let task = Task { for action in actions { await action() } }
            state.running = task
            return task
        }
        await running.value
    }

    private func watch(_ signals: UnixSignalsSequence) async {
        for await signal in signals {
            let received: Signal = signal == .sigint ? .interrupt : .terminate
            let first = state.withLock { state -> (stops: [@Sendable () async -> Void], body: Task<Void, Never>?)? in
                guard state.signal == nil else { return nil }
                state.signal = received
                return (state.gracefulStops, state.body)
            }
            guard let first else {
                log("\(received.name) again: exiting now")
                await forceExit(received)
            }
            log("\(received.name): stopping (up to \(Int(gracePeriod.seconds)) s; send it again to exit at once)")
            if first.stops.isEmpty {
                first.body?.cancel()
            } else {
                // Each stop runs on its own: one that hangs must not hold the others (the grace timer below ends it all).
                for stop in first.stops { Task { await stop() } }
            }
            let grace = gracePeriod
            // The grace timer: not awaited, it ends the process if the stops above take too long.
            Task {
                do { try await Task.sleep(for: grace) } catch { return }
                self.log("did not stop within \(Int(grace.seconds)) s: exiting now")
                await self.forceExit(received)
            }
        }
    }

    /// Runs the exit actions (each given a few seconds at most) and ends the process.
    private func forceExit(_ signal: Signal) async -> Never {
        let (actions, running) = state.withLock { state -> ([@Sendable () async -> Void], Task<Void, Never>?) in
            defer { state.exitActions = [] }
            return (state.exitActions, state.running)
        }
        // The command may be finishing already (stopping the embedded servers): let it, briefly.
        if let running { _ = try? await withDeadline(.seconds(30), { CancellationError() }) { await running.value } }
        for action in actions {
            _ = try? await withDeadline(.seconds(15), { CancellationError() }) { await action() }
        }
        exit(signal.exitCode.rawValue)
    }
}
