import Foundation
import Ledger
import LedgerDomain
import Logging
import Synchronization

/// Riding out PostgreSQL being away: a running deployment is not failed because the database
/// went down for a minute. Reads and writes wait and are tried again, with pauses, while the
/// error says the database is unavailable, for at most the worker's outage tolerance.
extension DeploymentJob {
    /// `body`, tried again while it fails because the database is unavailable (up to
    /// ``WorkerConfiguration/outageTolerance`` from the first failure); any other error, or
    /// the tolerance running out, is thrown.
    func whileDatabaseAway<T: Sendable>(_ what: String, _ body: (_ resend: Bool) async throws -> T) async throws -> T {
        var firstFailure: ContinuousClock.Instant?
        var pause = Duration.milliseconds(250)
        while true {
            do {
                let result = try await body(firstFailure != nil)
                if let firstFailure {
                    logger.notice("the database is back", metadata: ["deploy.outage_s": "\(Int(firstFailure.duration(to: .now).seconds))", "during": "\(what)"])
                }
                return result
            } catch let error where DatabaseAvailability.isUnavailable(error) {
                let since = firstFailure ?? .now
                if firstFailure == nil {
                    firstFailure = since
                    logger.warning("the database is away; waiting for it", metadata: ["during": "\(what)", "error": "\(PostgresErrorText.safe(error))"])
                }
                guard since.duration(to: .now) < configuration.outageTolerance else { throw error }
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
            }
        }
    }

    /// The tracked state, refreshed (waiting out an outage).
    func refreshed() async throws -> (DeploymentState, DeploymentProgress)? {
        try await whileDatabaseAway("reading the deployment") { _ in try await tracker.refresh() }
    }

    /// The command context of the job's next write: keyed, so that a write sent again after its
    /// outcome was lost with the connection is recognised rather than written twice.
    func writeContext(resend: Bool, key: String) -> CommandContext {
        var context = CommandContext(actor: configuration.name, source: "executor", idempotencyKey: key)
        context.firstSend = !resend
        return context
    }
}
