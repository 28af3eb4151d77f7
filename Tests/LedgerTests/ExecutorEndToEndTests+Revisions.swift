import ChildProcess
import Executors
import Foundation
@testable import Gateway
import Ledger
import LedgerDomain
import LedgerClient
import LedgerTestSupport
import Testing

/// What is recorded is exactly what ran: a deploy that names only a branch records the commit
/// the host checked out, and a deployment's step list is the published pipeline's from request
/// to end.
extension ExecutorEndToEndTests {
    @Test func aBranchOnlyDeployRecordsTheCommitTheHostCheckedOutAndARollbackRedeploysIt() async throws {
        try await withHost(versions: [("v1", true)]) { host in
            let first = try await host.deployBranch("main")
            try await host.waitFor(first, .success)
            let recorded = try #require(try await host.service.deployment(first))
            #expect(recorded.git.branch == "main")
            #expect(recorded.git.commit == host.commits[0], "the commit main pointed to is recorded")
            #expect(recorded.resolvedRef == "refs/heads/main")
            #expect(try await host.checkedOut(first) == host.commits[0], "and it is the commit the host checked out")
            let release = try #require(try await host.service.environment("shop-prod")?.currentRelease)
            #expect(release.git.commit == host.commits[0], "the release names its commit")

            // A push to main: the next branch-only deploy is not "already deployed", and takes the new commit.
            let v2 = try await host.app.commit("v2", healthy: true, scratch: host.directory)
            let second = try await host.deployBranch("main")
            try await host.waitFor(second, .success)
            #expect(try await host.service.deployment(second)?.git.commit == v2)
            #expect(try await SampleApp.fetch(port: host.port, into: host.directory) == "v2")

            // Another push; rolling back to the first deploy still brings back exactly its commit.
            _ = try await host.app.commit("v3", healthy: true, scratch: host.directory)
            let rollback = try #require(try await host.service.rollback(to: first, context: .init(actor: "ana")).deploymentID)
            #expect(try await host.service.deployment(rollback)?.git.commit == host.commits[0], "the rollback's request names the commit")
            try await host.waitFor(rollback, .success)
            #expect(try host.currentRelease() == "releases/\(first)")
            #expect(try await SampleApp.fetch(port: host.port, into: host.directory) == "v1")
        }
    }

    @Test func aBranchTheRepositoryDoesNotHaveFailsBeforeAnythingRuns() async throws {
        try await withHost(versions: [("v1", true)]) { host in
            let id = try await host.deployBranch("no-such-branch")
            try await host.waitFor(id, .failed)
            let (state, progress) = try #require(try await host.service.deploymentWithProgress(id))
            #expect(state.error?.contains("could not resolve branch no-such-branch") == true, "\(state.error ?? "")")
            #expect(state.git.commit == nil)
            #expect(progress.steps.allSatisfy { $0.status == .pending }, "no step ran")
            #expect(!FileManager.default.fileExists(atPath: host.deployPath + "/.deploy-lock"))
        }
    }

    @Test func theStepListIsThePublishedPipelineFromRequestToEnd() async throws {
        try await withHost(versions: [("v1", true)]) { host in
            let file = try PipelineLoader.load(file: ExecutorEndToEndTests.pipelines + "/deploy.yml")
            try await waitUntil("the worker published its pipelines", within: .seconds(30)) {
                try await host.service.pipelineCatalog().pipelines["deploy"]?.fingerprint == file.fingerprint
            }
            let id = try await host.deployBranch("main")
            let requested = try #require(try await host.service.deploymentWithProgress(id))
            #expect(requested.0.plannedPipeline == PlannedPipeline(name: "deploy", fingerprint: file.fingerprint, steps: file.stepIDs))
            #expect(requested.1.steps.map(\.step) == file.stepIDs, "while pending, the file's steps — not the standard 17")
            var seen: Set<[DeploymentStep]> = []
            try await waitUntil("deployment \(id) succeeded", within: .seconds(90)) {
                let (state, progress) = try #require(try await host.service.deploymentWithProgress(id))
                seen.insert(progress.steps.map(\.step))
                return state.status == .success
            }
            #expect(seen == [file.stepIDs], "the same step list at every point")
            let (state, progress) = try #require(try await host.service.deploymentWithProgress(id))
            #expect(state.pipelineFingerprint == file.fingerprint, "the start names the file that ran")
            // The live stream's events name the same steps, from the request on.
            let records = try await host.service.records(of: DomainIDs.deploymentStream(id))
            let streamed = records.compactMap { ServerSentEvents.statusChange(for: $0)?.steps }
            #expect(streamed.count == 2 && streamed.allSatisfy { $0 == file.stepIDs.map(\.rawValue) }, "\(streamed)")
            #expect(progress.steps.allSatisfy { $0.status == .completed })
        }
    }
}

extension Host {
    func deployBranch(_ branch: String) async throws -> String {
        let outcome = try await service.deploy(environment: "shop-prod", git: GitReference(branch: branch), context: .init(actor: "ana"))
        return try #require(outcome.deploymentID)
    }

    /// The commit a deployment's release directory has checked out on the host.
    func checkedOut(_ deploymentID: String) async throws -> String {
        let out = directory + "/head.txt"
        let release = deployPath + "/releases/" + deploymentID
        guard try await ShellCommand.run("git -C '\(release)' rev-parse HEAD > '\(out)'") == 0 else { throw LedgerError(.invalidArgument, "no release") }
        return try String(contentsOfFile: out, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
