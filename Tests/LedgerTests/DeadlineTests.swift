import Foundation
@testable import Ledger
import Synchronization
import Testing

/// `withDeadline`: an answer in time is the body's, a body stuck past the deadline is abandoned
/// (even one that ignores cancellation), and a body that never waits is done before any deadline.
struct DeadlineTests {
    struct TimedOut: Error {}

    @Test func aBodyThatNeverWaitsIsAnsweredEvenWithNoTimeLeft() async throws {
        // It is done before the caller would wait for it: no deadline can pass first.
        let value = try await withDeadline(.zero, { TimedOut() }) { 42 }
        #expect(value == 42)
        await #expect(throws: CocoaError.self) {
            try await withDeadline(.seconds(5), { TimedOut() }) { throw CocoaError(.fileNoSuchFile) }
        }
    }

    @Test func aBodyThatWaitsIsAnsweredWithItsResult() async throws {
        let value = try await withDeadline(.seconds(5), { TimedOut() }) {
            try await Task.sleep(for: .milliseconds(50))
            return "slept"
        }
        #expect(value == "slept")
        await #expect(throws: CocoaError.self) {
            try await withDeadline(.seconds(5), { TimedOut() }) {
                try await Task.sleep(for: .milliseconds(50))
                throw CocoaError(.fileNoSuchFile)
            }
        }
    }

    @Test func aBodyStuckPastTheDeadlineIsAbandonedEvenIfItIgnoresCancellation() async throws {
        let stuck = StuckBody()
        // Should the deadline not hold, the body ends after 5 s and the test fails rather than hangs.
        let safety = Task {
            try await Task.sleep(for: .seconds(5))
            stuck.release()
        }
        defer { safety.cancel() }
        let started = ContinuousClock.now
        await #expect(throws: TimedOut.self) {
            try await withDeadline(.milliseconds(200), { TimedOut() }) { await stuck.wait() }
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(stuck.wasCancelled)
        stuck.release()
    }

    @Test func cancellingTheCallerCancelsTheBody() async throws {
        let body = Task {
            try await withDeadline(.seconds(30), { TimedOut() }) {
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        body.cancel()
        await #expect(throws: CancellationError.self) { try await body.value }
    }
}

/// A body that waits until released, whatever cancellation says (as a query to a database that
/// stopped answering does), and notes that it was cancelled.
private final class StuckBody: Sendable {
    private let state = Mutex<(waiter: CheckedContinuation<Int, Never>?, released: Bool, cancelled: Bool)>((nil, false, false))

    var wasCancelled: Bool { state.withLock { $0.cancelled } }

    func wait() async -> Int {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let released = state.withLock { state in
                    if !state.released { state.waiter = continuation }
                    return state.released
                }
                if released { continuation.resume(returning: 0) }
            }
        } onCancel: {
            state.withLock { $0.cancelled = true }
        }
    }

    func release() {
        let waiter = state.withLock { state in
            state.released = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: 0)
    }
}
