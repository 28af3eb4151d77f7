import Ledger

/// The pipelines executors published (``PipelinePublished``), by operation name: the newest
/// publication of each. Empty when no executor published any (a simulator-only ledger), and
/// then a deployment plans its configuration's step list.
public struct PipelineCatalog: Sendable, Equatable {
    public var pipelines: [String: PipelinePublished]
    public var version: Int64

    public init(pipelines: [String: PipelinePublished] = [:], version: Int64 = 0) {
        self.pipelines = pipelines
        self.version = version
    }

    public static let empty = PipelineCatalog()

    /// The catalogue after `records`; with `earlier`, the one folded from the records before them.
    public static func fold(_ records: [DomainRecord], onto earlier: PipelineCatalog = .empty) -> PipelineCatalog {
        var catalog = earlier
        for record in records {
            catalog.version = record.streamVersion
            if case .pipelinePublished(let e) = record.event { catalog.pipelines[e.name] = e }
        }
        return catalog
    }

    /// The plan of a deployment with this trigger and reference, nil when no executor published
    /// the pipeline of its operation.
    public func plan(trigger: DeploymentTrigger, rollbackTo: String?, git: GitReference) -> PlannedPipeline? {
        let name = PlannedPipeline.operation(
            trigger: trigger, rollbackTo: rollbackTo, git: git, hasFastDeploy: pipelines["fast-deploy"] != nil)
        return pipelines[name].map { PlannedPipeline(name: $0.name, fingerprint: $0.fingerprint, steps: $0.steps) }
    }
}
