import Foundation
import Ledger
import LedgerDomain

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

    /// The state as last folded, without reading.
    var current: (DeploymentState, DeploymentProgress)? {
        guard let state, let progress else { return nil }
        return (state, progress)
    }

    /// Folds an event this worker itself just appended as the stream's next version, without
    /// reading it back (a chatty step writes hundreds of log events); anything else is left
    /// to the next refresh.
    func adopt(_ event: DomainEvent, appended result: AppendResult?) {
        let stream = DomainIDs.deploymentStream(deploymentID)
        guard let written = result?.streams.first(where: { $0.streamID == stream }), written.firstVersion == written.version,
            let current = state?.version, written.version == current + 1
        else { return }
        let record = DomainRecord(
            position: written.lastPosition, streamID: stream, streamVersion: written.version,
            recordedAtMicroseconds: Int64(Date().timeIntervalSince1970 * 1_000_000), event: event)
        state?.apply(record)
        progress?.apply(record)
    }
}
