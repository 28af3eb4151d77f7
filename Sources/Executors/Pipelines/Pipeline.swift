import Crypto
import Foundation
import Ledger
import LedgerDomain

/// An operation's ordered steps — deploy, fast deploy, rollback, destroy — as read from a YAML
/// file under `pipelines/`. A deployment's progress ("step 5 of 14") is this step list.
public struct Pipeline: Sendable, Equatable {
    /// The operation it carries out, from the file name: `deploy`, `fast-deploy`, `rollback`, `destroy`.
    public var name: String
    public var description: String
    /// Defaults for the template variables; an environment's settings override them.
    public var variables: [String: String]
    public var steps: [PipelineStep]
    /// Run after a failed or cancelled step (releasing the host's deploy lock, say), if given.
    public var cleanup: String?
    /// Where it was read from, for messages.
    public var file: String
    /// `sha256:` and the hex SHA-256 of the file's text: which version of the file this is
    /// (for one built in code, of its name, steps and commands).
    public var fingerprint: String

    public init(
        name: String, description: String, variables: [String: String], steps: [PipelineStep], cleanup: String? = nil, file: String,
        fingerprint: String? = nil
    ) {
        // A pipeline built in code (not read from a file) is fingerprinted by what it runs.
        self.fingerprint = fingerprint
            ?? Self.fingerprint(of: ([name, cleanup ?? ""] + steps.flatMap { [$0.id.rawValue, $0.command] }).joined(separator: "\n"))
        self.cleanup = cleanup
        self.name = name
        self.description = description
        self.variables = variables
        self.steps = steps
        self.file = file
    }

    /// The step ids in order, as recorded when a worker starts a deployment.
    public var stepIDs: [DeploymentStep] { steps.map(\.id) }

    /// What the catalogue records of it when `executor` publishes it.
    public func publication(by executor: String) -> PipelinePublished {
        PipelinePublished(name: name, fingerprint: fingerprint, steps: stepIDs, description: description, executor: executor)
    }

    /// The fingerprint of a pipeline file's text.
    public static func fingerprint(of text: String) -> String {
        "sha256:" + SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// One step of a pipeline: what to run, for how long, how often to retry, and what its failure means.
public struct PipelineStep: Sendable, Equatable {
    public var id: DeploymentStep
    public var name: String
    public var description: String
    /// A shell command with `{{variable}}` placeholders, each replaced by a shell-quoted value.
    public var command: String
    public var timeout: Duration
    /// How many times a failing run is tried again (0: once only), with `backoff` pauses between.
    public var retries: Int
    public var backoff: [Duration]
    public var onFailure: FailureAction

    public init(
        id: DeploymentStep, name: String, description: String, command: String, timeout: Duration, retries: Int = 0,
        backoff: [Duration] = [.seconds(5), .seconds(15), .seconds(45)], onFailure: FailureAction = .fail
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.command = command
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.onFailure = onFailure
    }

    /// What a step's failure does to the deployment.
    public enum FailureAction: String, Sendable, Equatable, CaseIterable {
        /// The deployment fails.
        case fail
        /// Logged as a warning; the pipeline goes on.
        case `continue`
        /// The deployment fails and a rollback to the last successful release starts by itself
        /// (when the environment asks for `rollback_on_failure`).
        case rollback
    }
}
