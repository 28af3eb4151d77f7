import Ledger

/// The deployment was handed to the execution queue.
public struct DeploymentQueued: LedgerEvent, Equatable {
    public static let eventType = "DeploymentQueued"
    public var deploymentID: String
    public init(deploymentID: String) { self.deploymentID = deploymentID }
}

/// An executor claimed the deployment under a lease and began (status `building`).
public struct DeploymentStarted: LedgerEvent, Equatable {
    public static let eventType = "DeploymentStarted"
    public var deploymentID: String
    /// Which executor runs it (`simulator-…` for the simulator).
    public var executor: String
    /// The lease the executor holds; results under another lease are stale.
    public var lease: String
    /// The pipeline the executor runs (`deploy`, `rollback`, …), when it runs one from a file.
    public var pipeline: String?
    /// That pipeline's steps, which replace the planned step list in the progress when they differ.
    public var steps: [DeploymentStep]?
    /// The fingerprint of the pipeline file that runs (`sha256:…`): when it is not the planned
    /// one, the file changed between request and start, and this says which one ran.
    public var pipelineFingerprint: String?

    public init(
        deploymentID: String, executor: String, lease: String, pipeline: String? = nil, steps: [DeploymentStep]? = nil,
        pipelineFingerprint: String? = nil
    ) {
        self.pipelineFingerprint = pipelineFingerprint
        self.deploymentID = deploymentID
        self.executor = executor
        self.lease = lease
        self.pipeline = pipeline
        self.steps = steps
    }
}

/// Another worker took a running deployment over after its lease expired: from here on only
/// writes under the new lease are accepted (the old worker's are rejected as stale).
public struct DeploymentTakenOver: LedgerEvent, Equatable {
    public static let eventType = "DeploymentTakenOver"
    public var deploymentID: String
    public var executor: String
    public var lease: String
    public var previousExecutor: String?
    public var previousLease: String?
    /// The step that was running when the lease was lost, if one was.
    public var interruptedStep: DeploymentStep?

    public init(
        deploymentID: String, executor: String, lease: String, previousExecutor: String?, previousLease: String?,
        interruptedStep: DeploymentStep?
    ) {
        self.deploymentID = deploymentID
        self.executor = executor
        self.lease = lease
        self.previousExecutor = previousExecutor
        self.previousLease = previousLease
        self.interruptedStep = interruptedStep
    }
}

/// Someone asked to stop a running deployment; the executor stops at the next safe point.
public struct DeploymentCancellationRequested: LedgerEvent, Equatable {
    public static let eventType = "DeploymentCancellationRequested"
    public var deploymentID: String
    public var reason: String?
    public init(deploymentID: String, reason: String? = nil) {
        self.deploymentID = deploymentID
        self.reason = reason
    }
}

/// The deployment finished successfully.
public struct DeploymentSucceeded: LedgerEvent, Equatable {
    public static let eventType = "DeploymentSucceeded"
    public var deploymentID: String
    public init(deploymentID: String) { self.deploymentID = deploymentID }
}

/// The deployment failed; `step` is where, when it was in a step.
public struct DeploymentFailed: LedgerEvent, Equatable {
    public static let eventType = "DeploymentFailed"
    public var deploymentID: String
    public var step: DeploymentStep?
    public var error: String
    /// Set when it failed because a transient error (connection refused, timeout) outlasted
    /// every retry: how many tries were made. Such deployments are the dead-letter list.
    public var abandonedAfterAttempts: Int?
    public init(deploymentID: String, step: DeploymentStep? = nil, error: String, abandonedAfterAttempts: Int? = nil) {
        self.deploymentID = deploymentID
        self.step = step
        self.error = error
        self.abandonedAfterAttempts = abandonedAfterAttempts
    }
}

/// The deployment stopped because it was cancelled: the executor's confirmation, saying what
/// it stopped on the host.
public struct DeploymentCancelled: LedgerEvent, Equatable {
    public static let eventType = "DeploymentCancelled"
    public var deploymentID: String
    public var reason: String?
    /// The command that was running and how it was stopped, when one was running.
    public var stopped: StoppedCommand?
    public init(deploymentID: String, reason: String? = nil, stopped: StoppedCommand? = nil) {
        self.deploymentID = deploymentID
        self.reason = reason
        self.stopped = stopped
    }
}

/// What an executor did to stop a running step's command.
public struct StoppedCommand: Codable, Sendable, Equatable {
    public var step: DeploymentStep?
    /// The process group signalled on the host.
    public var processGroup: Int32?
    /// The last signal sent: `TERM`, or `KILL` when the group outlived the grace period.
    public var signal: String
    /// The command's exit status, when it reported one.
    public var exitStatus: Int32?
    /// Whether the pipeline's cleanup (releasing the host's deploy lock) ran afterwards.
    public var cleanupRan: Bool
    /// From the stop request to the group being gone, in milliseconds.
    public var elapsedMs: Int
    /// Set when something the step started left its process group (`setsid`) and still held
    /// the step's output after the group was killed: the executor stopped waiting for it and
    /// says so, rather than keep the deployment running for ever. Absent in older events.
    public var escaped: Bool?
    /// What could be seen of those processes (`pid command`), when the host could tell.
    public var escapedProcesses: [String]?

    public init(
        step: DeploymentStep?, processGroup: Int32?, signal: String, exitStatus: Int32?, cleanupRan: Bool, elapsedMs: Int, escaped: Bool? = nil,
        escapedProcesses: [String]? = nil
    ) {
        self.step = step
        self.processGroup = processGroup
        self.signal = signal
        self.exitStatus = exitStatus
        self.cleanupRan = cleanupRan
        self.elapsedMs = elapsedMs
        self.escaped = escaped
        self.escapedProcesses = escapedProcesses
    }
}

/// The deployment ran out of time.
public struct DeploymentTimedOut: LedgerEvent, Equatable {
    public static let eventType = "DeploymentTimedOut"
    public var deploymentID: String
    public var step: DeploymentStep?
    public init(deploymentID: String, step: DeploymentStep? = nil) {
        self.deploymentID = deploymentID
        self.step = step
    }
}

/// A successful deployment was replaced by a rollback to an earlier one (status `rolled_back`).
public struct DeploymentRolledBack: LedgerEvent, Equatable {
    public static let eventType = "DeploymentRolledBack"
    public var deploymentID: String
    /// The rollback deployment that replaced it.
    public var replacedBy: String
    public init(deploymentID: String, replacedBy: String) {
        self.deploymentID = deploymentID
        self.replacedBy = replacedBy
    }
}

/// The record of an environment's destruction, in its deployment history (status `destroyed`).
public struct DeploymentDestroyed: LedgerEvent, Equatable {
    public static let eventType = "DeploymentDestroyed"
    public var deploymentID: String
    public var deleteData: Bool
    public init(deploymentID: String, deleteData: Bool) {
        self.deploymentID = deploymentID
        self.deleteData = deleteData
    }
}
