import Ledger

/// Publishing pipelines into the catalogue.
public enum PipelineDecisions {
    public static func publish(_ pipelines: [PipelinePublished], catalog: PipelineCatalog) throws -> Decision {
        for pipeline in pipelines {
            guard PipelineDecisions.isOperationName(pipeline.name) else {
                throw CommandRejection(.invalid, "pipeline name '\(pipeline.name)' must be lowercase letters, digits, - and _")
            }
            guard pipeline.fingerprint.hasPrefix("sha256:"), pipeline.fingerprint.count == 71 else {
                throw CommandRejection(.invalid, "pipeline \(pipeline.name): '\(pipeline.fingerprint)' is not a sha256: fingerprint")
            }
            guard !pipeline.steps.isEmpty, Set(pipeline.steps).count == pipeline.steps.count else {
                throw CommandRejection(.invalid, "pipeline \(pipeline.name) needs at least one step, each named once")
            }
        }
        let changed = pipelines.filter { pipeline in
            guard let known = catalog.pipelines[pipeline.name] else { return true }
            return known.fingerprint != pipeline.fingerprint || known.steps != pipeline.steps
        }
        guard !changed.isEmpty else { return .nothing }
        return Decision([
            .init(DomainIDs.pipelineCatalogStream, expectedVersion: .exact(catalog.version), changed.map { .pipelinePublished($0) })
        ])
    }

    static func isOperationName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }
}
