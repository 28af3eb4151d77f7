import Ledger

/// One deployment's state and progress, kept current by reading only the events after the
/// version already folded: a worker writing thousands of log batches decides each one on its
/// fresh state without re-reading the whole stream.
actor DeploymentTracker {
    let store: EventStore
    let deploymentID: String
    private(set) var state: DeploymentState?
    private(set) var progress: DeploymentProgress?

    init(store: EventStore, deploymentID: String) {
        self.store = store
        self.deploymentID = deploymentID
    }

    /// Folds whatever was appended since the last refresh and returns the result.
    @discardableResult
    func refresh() async throws -> (DeploymentState, DeploymentProgress)? {
        let stream = DomainIDs.deploymentStream(deploymentID)
        while true {
            let next = (state?.version ?? 0) + 1
            let page = try await store.read(stream: stream, from: next, limit: 1_000)
            for event in page {
                let record = try DomainRecord(event)
                if state == nil {
                    state = DeploymentState.start(record)
                    progress = DeploymentProgress.start(record)
                } else {
                    state?.apply(record)
                    progress?.apply(record)
                }
            }
            if page.count < 1_000 { break }
        }
        guard let state, let progress else { return nil }
        return (state, progress)
    }
}
