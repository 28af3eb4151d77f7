import Crypto
import Foundation
import Ledger

/// Exactly what an approval is for: the commit, the fingerprint of the configuration snapshot
/// the deployment runs and the fingerprint of its planned pipeline file. A deployment runs only
/// on approvals of the artifact it runs; anything that changes one of the three voids them.
public struct ApprovedArtifact: Codable, Sendable, Hashable {
    public var commit: String
    public var configurationFingerprint: String
    /// Nil on a ledger where no executor published a pipeline (the configuration's steps run).
    public var pipelineFingerprint: String?

    public init(commit: String, configurationFingerprint: String, pipelineFingerprint: String?) {
        self.commit = commit
        self.configurationFingerprint = configurationFingerprint
        self.pipelineFingerprint = pipelineFingerprint
    }

    /// The artifact of `commit` deployed with `configuration` through `pipeline`.
    public init(commit: String, configuration: EnvironmentConfiguration, pipeline: PlannedPipeline?) {
        self.init(
            commit: commit, configurationFingerprint: Self.fingerprint(of: configuration), pipelineFingerprint: pipeline?.fingerprint)
    }

    /// `sha256:` and the hex SHA-256 of the configuration's canonical JSON (sorted keys), which
    /// anyone can recompute from the snapshot in the deployment's request.
    public static func fingerprint(of configuration: EnvironmentConfiguration) -> String {
        let bytes = (try? LedgerJSON.encode(configuration)) ?? Data()
        return "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// What differs from `other`, in words ("the configuration", "the commit and the pipeline").
    public func differences(from other: ApprovedArtifact) -> [String] {
        var parts: [String] = []
        if commit != other.commit { parts.append("the commit") }
        if configurationFingerprint != other.configurationFingerprint { parts.append("the configuration") }
        if pipelineFingerprint != other.pipelineFingerprint { parts.append("the pipeline") }
        return parts
    }
}
