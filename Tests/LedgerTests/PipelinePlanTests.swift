@testable import Executors
import Ledger
import LedgerDomain
import LedgerTestSupport
import Testing

/// The pure rules behind "the record is what ran": publishing pipelines, planning a request's
/// steps from them, and resolving a branch to a commit once, before any step.
@Suite struct PipelinePlanTests {
    static let fingerprint = "sha256:" + String(repeating: "ab", count: 32)
    static let deploySteps: [DeploymentStep] = ["locking", "cloning_repo", "health_check"].map { DeploymentStep(rawValue: $0)! }
    static let deploy = PipelinePublished(name: "deploy", fingerprint: fingerprint, steps: deploySteps, description: "", executor: "w1")

    @Test func publishingWritesOnlyWhatChanged() throws {
        let first = try PipelineDecisions.publish([Self.deploy], catalog: .empty)
        #expect(first.writes.count == 1)
        var log = DomainLogBuffer()
        try log.apply(first)
        let catalog = PipelineCatalog.fold(log.records(DomainIDs.pipelineCatalogStream))
        #expect(try PipelineDecisions.publish([Self.deploy], catalog: catalog).writes.isEmpty, "the same file again writes nothing")
        var changed = Self.deploy
        changed.fingerprint = "sha256:" + String(repeating: "cd", count: 32)
        #expect(try PipelineDecisions.publish([changed], catalog: catalog).writes.first?.events.count == 1)
    }

    @Test func aPublicationThatIsNotOneIsRefused() {
        var bad = Self.deploy
        bad.fingerprint = "md5:00"
        #expect(throws: CommandRejection.self) { try PipelineDecisions.publish([bad], catalog: .empty) }
        bad = Self.deploy
        bad.steps = []
        #expect(throws: CommandRejection.self) { try PipelineDecisions.publish([bad], catalog: .empty) }
        bad = Self.deploy
        bad.name = "../deploy"
        #expect(throws: CommandRejection.self) { try PipelineDecisions.publish([bad], catalog: .empty) }
    }

    @Test func aRequestPlansItsOperationsPublishedSteps() {
        let rollback = PipelinePublished(name: "rollback", fingerprint: Self.fingerprint, steps: ["switching_current"].map { DeploymentStep(rawValue: $0)! }, description: "", executor: "w1")
        let catalog = PipelineCatalog(pipelines: ["deploy": Self.deploy, "rollback": rollback], version: 2)
        #expect(catalog.plan(trigger: .manual, rollbackTo: nil, git: GitReference(branch: "main"))?.steps == Self.deploySteps)
        #expect(catalog.plan(trigger: .rollback, rollbackTo: "d1", git: GitReference(branch: "main"))?.name == "rollback")
        #expect(catalog.plan(trigger: .destroy, rollbackTo: nil, git: GitReference()) == nil, "no destroy pipeline published")
        // A push that changed no dependency file is a fast deploy only when that pipeline exists.
        let push = GitReference(branch: "main", changedFiles: ["app.py"])
        #expect(catalog.plan(trigger: .gitPush, rollbackTo: nil, git: push)?.name == "deploy")
        var withFast = catalog
        withFast.pipelines["fast-deploy"] = PipelinePublished(name: "fast-deploy", fingerprint: Self.fingerprint, steps: Self.deploySteps, description: "", executor: "w1")
        #expect(withFast.plan(trigger: .gitPush, rollbackTo: nil, git: push)?.name == "fast-deploy")
    }

    /// The file changed between request and start: the start names the file that ran, and its
    /// steps replace the plan (the progress never lists steps that will not run).
    @Test func aStartWithAnotherFileRecordsWhichRan() throws {
        var log = DomainLogBuffer()
        try log.apply(SetupDecisions.createOrganisation(id: "acme", name: "Acme", quota: nil, existing: nil))
        try log.apply(SetupDecisions.createProject(id: "shop", name: "Shop", repository: nil, organisation: log.organisation("acme"), existing: nil))
        try log.apply(SetupDecisions.createEnvironment(
            id: "shop-prod", name: "prod", project: log.project("shop"), existing: nil,
            configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1))))
        let catalog = PipelineCatalog(pipelines: ["deploy": Self.deploy], version: 1)
        try log.apply(DeploymentDecisions.deploy(
            log.environment("shop-prod"), git: GitReference(branch: "main"), request: .init(actor: "ana", deploymentID: "d1"), pipelines: catalog))
        #expect(log.deployment("d1")?.plannedPipeline?.steps == Self.deploySteps)
        #expect(log.progress("d1")?.steps.map(\.step) == Self.deploySteps, "pending: the plan's steps")
        let changed: [DeploymentStep] = ["locking", "health_check"].map { DeploymentStep(rawValue: $0)! }
        let other = "sha256:" + String(repeating: "ef", count: 32)
        try log.apply(FencedExecution(executor: "w1", lease: "l1").claim(log.deployment("d1")!, pipeline: "deploy", steps: changed, fingerprint: other))
        #expect(log.deployment("d1")?.pipelineFingerprint == other, "the start names the file that ran")
        #expect(log.deployment("d1")?.plannedPipeline?.fingerprint == Self.fingerprint, "and the request still the planned one")
        #expect(log.progress("d1")?.steps.map(\.step) == changed)
    }

    @Test func theCommitOfARefIsReadFromLsRemoteOutput() {
        let branch = String(repeating: "1", count: 40), tagObject = String(repeating: "2", count: 40), peeled = String(repeating: "3", count: 40)
        let output = "\(branch)\trefs/heads/main\n\(String(repeating: "9", count: 40))\trefs/heads/x/refs/heads/main\n"
        #expect(DeploymentJob.commit(in: output, for: "refs/heads/main") == branch)
        let tags = "\(tagObject)\trefs/tags/v1\n\(peeled)\trefs/tags/v1^{}\n"
        #expect(DeploymentJob.commit(in: tags, for: "refs/tags/v1") == peeled, "an annotated tag is the commit it points to")
        #expect(DeploymentJob.commit(in: "", for: "refs/heads/main") == nil)
        #expect(DeploymentJob.commit(in: "not-a-hash\trefs/heads/main\n", for: "refs/heads/main") == nil)
        #expect(DeploymentJob.refs(for: GitReference(branch: "main", tag: "v1"))?.ref == "refs/tags/v1", "a tag is more exact than a branch")
    }
}
