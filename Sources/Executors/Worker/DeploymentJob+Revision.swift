import Foundation
import Ledger
import LedgerDomain
import Synchronization

/// Resolving what a deployment asked for — a branch or a tag — to the commit the host then
/// checks out, and recording it before any step runs.
extension DeploymentJob {
    /// What resolving gave: the plan to run (checking out that commit), or the reason it failed.
    enum Resolution {
        case resolved(ExecutionPlan)
        case failed(String)
        case cancelled
    }

    /// For a deploy that names a branch or tag and no commit: asks the repository, from the
    /// host (`git ls-remote`, the host's own view of it), which commit the reference points to,
    /// records it (``RevisionResolved``) and fills `{{commit}}` with it, so the pipeline checks
    /// out exactly the commit recorded. Anything else (a commit was named, a rollback, a
    /// destroy, a project without a repository) runs as it is.
    func resolveRevision(_ plan: ExecutionPlan, state: DeploymentState) async throws -> Resolution {
        guard state.git.commit == nil, state.rollbackTo == nil, state.trigger != .destroy,
            let repository = plan.values["repository"], !repository.isEmpty, let wanted = Self.refs(for: state.git)
        else { return .resolved(plan) }
        let command = CommandTemplate.render(
            "GIT_TERMINAL_PROMPT=0 git ls-remote -- {{repository}} {{ref}} {{peeled}}",
            values: ["repository": repository, "ref": wanted.ref, "peeled": wanted.ref + "^{}"])
        var problem = ""
        for (attempt, pause) in [Duration.zero, .seconds(5), .seconds(15)].enumerated() {
            if attempt > 0 {
                logs.note(.warning, "could not resolve \(wanted.ref) (\(problem)); attempt \(attempt + 1) of 3 in \(Self.seconds(pause))")
                if try await pauseUnlessCancelled(pause) { return .cancelled }
            }
            let runner: any CommandRunner
            do { runner = try await connect() } catch let failure as TransientFailure {
                return .failed(failure.message)
            } catch is CancelledWhileWaiting {
                return .cancelled
            }
            let output = Captured()
            let outcome: CommandOutcome
            do {
                outcome = try await runner.run(command, timeout: .seconds(60), stop: StopSwitch()) { output.add($0) }
            } catch let error as SSHError where error.isTransient {
                connection.withLock { $0 = nil }
                await runner.close()
                problem = error.message
                continue
            }
            let text = output.text
            if outcome.succeeded, let commit = Self.commit(in: text, for: wanted.ref) {
                try await write { [self] state, progress in try fence.resolveRevision(state, progress, commit: commit, ref: wanted.ref) }
                logs.note(.info, "\(wanted.ref) is commit \(commit): deploying exactly that commit")
                return .resolved(plan.resolved(to: commit))
            }
            problem = outcome.succeeded
                ? "the repository has no \(wanted.ref)"
                : "git ls-remote " + (outcome.timedOut ? "timed out" : "exited with status \(outcome.exitStatus.map(String.init) ?? "?")")
                    + (text.isEmpty ? "" : ": " + String(text.split(separator: "\n").last ?? "").prefix(300))
            if outcome.succeeded { break }  // an answer without the ref: trying again changes nothing
        }
        return .failed("could not resolve \(wanted.what) to a commit: \(problem); nothing was changed on the host")
    }

    /// The full ref a git reference asks for, and how to name it in a message.
    static func refs(for git: GitReference) -> (ref: String, what: String)? {
        if let tag = git.tag, !tag.isEmpty { return ("refs/tags/" + tag, "tag \(tag)") }
        if let branch = git.branch, !branch.isEmpty { return ("refs/heads/" + branch, "branch \(branch)") }
        return nil
    }

    /// The commit of `ref` in `git ls-remote` output: the peeled line (`ref^{}`) of an annotated
    /// tag, otherwise the ref's own line. Other refs the patterns matched are ignored.
    static func commit(in output: String, for ref: String) -> String? {
        var own: String?, peeled: String?
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 1)
            guard fields.count == 2 else { continue }
            let hash = String(fields[0]).lowercased(), name = String(fields[1])
            guard [40, 64].contains(hash.count), hash.allSatisfy(\.isHexDigit) else { continue }
            if name == ref { own = hash } else if name == ref + "^{}" { peeled = hash }
        }
        return peeled ?? own
    }

    /// A command's output, at most 64 KiB of it.
    final class Captured: Sendable {
        private let bytes = Mutex<[UInt8]>([])

        func add(_ chunk: OutputChunk) {
            bytes.withLock { if $0.count < 65_536 { $0 += chunk.bytes.prefix(65_536 - $0.count) } }
        }

        var text: String { bytes.withLock { String(decoding: $0, as: UTF8.self) } }
    }
}
