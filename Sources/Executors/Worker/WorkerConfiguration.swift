import Foundation
import Ledger
import LedgerDomain

/// How a worker claims and runs deployments. Defaults follow the seed platform (10 at a time)
/// and the lease rules of the design (30 s lease renewed every 10 s).
public struct WorkerConfiguration: Sendable {
    /// The worker's name in events and leases (`worker-<host>-<random>` by default).
    public var name: String
    /// Deployments run at once by this worker.
    public var concurrency = 10
    /// How long a claim holds without renewal; another worker may take over after it.
    public var leaseDuration: Duration = .seconds(30)
    /// How often the lease is renewed while a deployment runs.
    public var renewInterval: Duration = .seconds(10)
    /// How long to wait for new requests before looking again (commits wake the worker sooner).
    public var pollInterval: Duration = .seconds(2)
    /// Pauses before each new try after a transient failure (connection refused, timeout): the
    /// deployment fails, abandoned, after the last.
    public var transientRetries: [Duration] = [.seconds(5), .seconds(15), .seconds(45)]
    /// How long the job of a running deployment rides out PostgreSQL being away: its writes
    /// wait and are sent again (keyed, so never twice), its lease is renewed once the database
    /// is back if nobody took the deployment over. Past it, the job gives the deployment up
    /// to whichever worker takes it over.
    public var outageTolerance: Duration = .seconds(300)
    /// How long a stopped command has between TERM and KILL.
    public var stopGrace: Duration = .seconds(10)
    /// How often waiting log lines are written as one event, and cancellation looked for.
    public var flushInterval: Duration = .milliseconds(250)
    /// The most log lines in one event.
    public var linesPerEvent = 4_000

    public init(name: String = WorkerConfiguration.defaultName()) { self.name = name }

    public static func defaultName() -> String {
        "worker-" + ProcessInfo.processInfo.hostName.prefix(24) + "-" + UUID().uuidString.prefix(6).lowercased()
    }
}

/// Opens the runner a deployment's steps run through: SSH to its environment's server, or a
/// local process runner in development.
public typealias RunnerFactory = @Sendable (DeploymentState) async throws -> any CommandRunner
