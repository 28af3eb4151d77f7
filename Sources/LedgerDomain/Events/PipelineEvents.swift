import Ledger

/// An executor published the pipeline file it runs for an operation (`deploy`, `rollback`, …):
/// its steps and a fingerprint of the file. Deployments requested afterwards plan exactly these
/// steps and record the fingerprint, so progress never lists steps that will not run and an
/// auditor can tell which file a deployment was planned with.
public struct PipelinePublished: LedgerEvent, Equatable {
    public static let eventType = "PipelinePublished"
    /// The operation, from the file name: `deploy`, `fast-deploy`, `rollback`, `destroy`.
    public var name: String
    /// `sha256:` and the hex SHA-256 of the file's bytes.
    public var fingerprint: String
    public var steps: [DeploymentStep]
    public var description: String
    /// The executor that published it.
    public var executor: String

    public init(name: String, fingerprint: String, steps: [DeploymentStep], description: String, executor: String) {
        self.name = name
        self.fingerprint = fingerprint
        self.steps = steps
        self.description = description
        self.executor = executor
    }
}

/// The executor resolved a deployment's branch or tag to the commit it then checked out, before
/// anything on the host switched: from here on the deployment names that commit, so a retry or
/// a rollback to it deploys exactly that code, whatever the branch points to later.
public struct RevisionResolved: LedgerEvent, Equatable {
    public static let eventType = "RevisionResolved"
    public var deploymentID: String
    /// The full hex commit id.
    public var commit: String
    /// What was resolved: `refs/heads/main`, `refs/tags/v1.2`.
    public var ref: String

    public init(deploymentID: String, commit: String, ref: String) {
        self.deploymentID = deploymentID
        self.commit = commit
        self.ref = ref
    }
}
