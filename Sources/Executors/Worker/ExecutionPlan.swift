import Foundation
import Ledger
import LedgerDomain

/// Which pipeline a deployment runs and the values its command templates are filled with.
public struct ExecutionPlan: Sendable {
    public var pipeline: Pipeline
    public var values: [String: String]

    /// `rollback` for a rollback, `destroy` for a destroy, `fast-deploy` for a push that changed
    /// no dependency file (when that pipeline exists), otherwise `deploy`; nil when the worker
    /// has no pipeline for the operation.
    public static func make(for deployment: DeploymentState, pipelines: [String: Pipeline], repository: String?) -> ExecutionPlan? {
        let operation = PlannedPipeline.operation(
            trigger: deployment.trigger, rollbackTo: deployment.rollbackTo, git: deployment.git, hasFastDeploy: pipelines["fast-deploy"] != nil)
        guard let pipeline = pipelines[operation] else { return nil }
        var values = pipeline.variables
        for (key, value) in deployment.configuration.settings ?? [:] { values[key] = value }
        let builtins: [String: String] = [
            "deployment_id": deployment.deploymentID, "release_id": deployment.deploymentID, "number": String(deployment.number),
            "environment": deployment.environmentID, "project": deployment.projectID, "organisation": deployment.organisationID,
            "commit": deployment.git.commit ?? "", "branch": deployment.git.branch ?? "", "tag": deployment.git.tag ?? "",
            "repository": repository ?? "", "rollback_release": deployment.rollbackTo ?? "", "previous_release": "",
            "delete_data": deployment.deleteData == true ? "true" : "false",
        ]
        values.merge(builtins) { _, builtin in builtin }
        // A variable's value may name identifier builtins (`/srv/{{environment}}`), expanded once
        // as plain text; any other placeholder in a value (`{{branch}}`: text from a request)
        // stays as it is written, so nothing a request says is parsed by a shell again.
        let expandable = builtins.filter { EnvironmentConfiguration.placeholdersInSettings.contains($0.key) }
        for (key, value) in values where value.contains("{{") && builtins[key] == nil {
            values[key] = Self.expand(value, expandable)
        }
        return ExecutionPlan(pipeline: pipeline, values: values)
    }

    /// The plan once the executor resolved the deployment's branch or tag to `commit`: the
    /// pipeline checks out exactly that commit.
    public func resolved(to commit: String) -> ExecutionPlan {
        var plan = self
        plan.values["commit"] = commit
        return plan
    }

    /// The shell command of a step, every placeholder filled and quoted.
    public func command(for step: PipelineStep) -> String { CommandTemplate.render(step.command, values: values) }

    private static func expand(_ text: String, _ values: [String: String]) -> String {
        var output = text
        for (key, value) in values { output = output.replacingOccurrences(of: "{{\(key)}}", with: value) }
        return output
    }
}
