import Ledger

/// The pipeline a deployment is planned to run, fixed when it is requested: the operation's
/// name, the fingerprint of the file its executors published, and that file's steps.
public struct PlannedPipeline: Codable, Sendable, Hashable {
    public var name: String
    public var fingerprint: String
    public var steps: [DeploymentStep]

    public init(name: String, fingerprint: String, steps: [DeploymentStep]) {
        self.name = name
        self.fingerprint = fingerprint
        self.steps = steps
    }

    /// The operation a deployment carries out, which names the pipeline file that runs it:
    /// `destroy`, `rollback`, `fast-deploy` (a push that changed no dependency file, when that
    /// pipeline exists) or `deploy`. The one choice both the request and the executor make.
    public static func operation(
        trigger: DeploymentTrigger, rollbackTo: String?, git: GitReference, hasFastDeploy: Bool
    ) -> String {
        if trigger == .destroy { return "destroy" }
        if rollbackTo != nil { return "rollback" }
        if hasFastDeploy && DeployMode.choose(trigger: trigger, git: git) == .fast { return "fast-deploy" }
        return "deploy"
    }
}
