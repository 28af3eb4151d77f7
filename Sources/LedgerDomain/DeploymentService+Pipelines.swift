import Ledger

/// The pipeline catalogue: executors publish the pipeline files they run, and every deployment
/// request plans the published steps of its operation.
extension DeploymentService {
    /// Publishes each pipeline whose fingerprint or steps differ from the catalogue's; writes
    /// nothing when all are already there (an executor restarting with the same files).
    @discardableResult
    public func publishPipelines(_ pipelines: [PipelinePublished], context: CommandContext) async throws -> Outcome {
        try await execute(context) {
            Decided(try PipelineDecisions.publish(pipelines, catalog: try await pipelineCatalog()), organisation: nil, project: nil)
        }
    }

    /// The catalogue as its stream says, folded once and then only what was appended since
    /// (every deployment request reads it).
    public func pipelineCatalog() async throws -> PipelineCatalog {
        let stream = DomainIDs.pipelineCatalogStream
        let kept = store.folds.value(PipelineCatalog.self, of: stream)
        let records = try await records(of: stream, afterVersion: kept?.version ?? 0)
        if records.isEmpty, let kept { return kept.value }
        let catalog = PipelineCatalog.fold(records, onto: kept?.value ?? .empty)
        store.folds.keep(catalog, of: stream, through: catalog.version)
        return catalog
    }
}
