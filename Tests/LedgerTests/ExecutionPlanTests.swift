import Executors
import Ledger
import LedgerDomain
import Testing

/// Pure decisions of the executor: which pipeline a deployment runs (fast or full deploy,
/// rollback) and how template values reach the shell (quoted, whatever they contain).
@Suite struct ExecutionPlanTests {
    static let pipelines: [String: Pipeline] = Dictionary(uniqueKeysWithValues: ["deploy", "fast-deploy", "rollback"].map { name in
        (name, Pipeline(
            name: name, description: "", variables: ["deploy_path": "apps/{{environment}}"],
            steps: [PipelineStep(id: DeploymentStep(rawValue: "only")!, name: "Only", description: "", command: "echo {{deploy_path}} {{commit}}", timeout: .seconds(5))],
            file: "\(name).yml"))
    })

    static func deployment(trigger: DeploymentTrigger, changed: [String]?, rollbackTo: String? = nil) -> DeploymentState {
        let requested = DeploymentRequested(
            deploymentID: "d1", environmentID: "shop-prod", projectID: "shop", organisationID: "acme", number: 1, trigger: trigger,
            git: GitReference(branch: "main", commit: "abc1234", changedFiles: changed), requestedBy: "ana", rollbackTo: rollbackTo,
            configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)))
        return DeploymentState.start(DomainRecord(
            position: 1, streamID: DomainIDs.deploymentStream("d1"), streamVersion: 1, recordedAtMicroseconds: 0, event: .deploymentRequested(requested)))!
    }

    @Test(arguments: [
        (DeploymentTrigger.gitPush, ["src/app.py", "README.md"] as [String]?, "fast-deploy"),
        (.gitPush, ["src/app.py", "backend/requirements.txt"], "deploy"),
        (.gitPush, ["poetry.lock"], "deploy"),
        (.gitPush, nil, "deploy"),
        (.manual, ["src/app.py"], "deploy"),
    ])
    func aPushThatChangesNoDependencyFileDeploysFast(trigger: DeploymentTrigger, changed: [String]?, pipeline: String) {
        let plan = ExecutionPlan.make(for: Self.deployment(trigger: trigger, changed: changed), pipelines: Self.pipelines, repository: "repo")
        #expect(plan?.pipeline.name == pipeline)
    }

    @Test func aRollbackRunsTheRollbackPipelineOnTheTargetsRelease() {
        let plan = ExecutionPlan.make(for: Self.deployment(trigger: .rollback, changed: nil, rollbackTo: "d0"), pipelines: Self.pipelines, repository: nil)
        #expect(plan?.pipeline.name == "rollback")
        #expect(plan?.values["rollback_release"] == "d0")
        #expect(plan?.values["deploy_path"] == "apps/shop-prod", "variables may name builtins")
    }

    @Test func valuesReachTheShellQuotedWhateverTheyContain() {
        let command = CommandTemplate.render("echo {{commit}} {{branch}}", values: ["commit": "x'; touch /tmp/owned; echo '", "branch": "$(id)"])
        #expect(command == #"echo 'x'\''; touch /tmp/owned; echo '\''' '$(id)'"#)
    }
}
