import Ledger

/// The compliance report of an environment over a period, read from the log itself.
extension DeploymentService {
    /// Every deployment of `environmentID` requested in `from..<to` (microseconds), with the
    /// rules in force at each request, and the integrity of the log range they were read from
    /// (checked when `verify`).
    public func complianceReport(environment environmentID: String, from: Int64, to: Int64, verify: Bool = true, context: CommandContext) async throws
        -> ComplianceReport
    {
        guard from < to else { throw CommandRejection(.invalid, "the period must end after it starts") }
        let environmentRecords = try await records(of: DomainIDs.environmentStream(environmentID))
        guard case .environmentCreated(let created)? = environmentRecords.first?.event else { throw CommandRejection(.notFound, "no such environment") }
        try context.requireInScope(organisation: created.organisationID, project: created.projectID, what: "environment")
        // A deployment requested in the period took its place on the environment's stream then.
        var ids: [String] = []
        for record in environmentRecords where (from..<to).contains(record.recordedAtMicroseconds) {
            switch record.event {
            case .environmentDeploymentBegan(let e): ids.append(e.deploymentID)
            case .environmentDeploymentAwaitingApproval(let e): ids.append(e.deploymentID)
            case .environmentDestroyed(let e): ids.append(e.deploymentID)
            default: break
            }
        }
        var seen: Set<String> = []
        var deployments: [DeploymentState] = []
        var positions = environmentRecords.map(\.position)
        for id in ids where seen.insert(id).inserted {
            let records = try await records(of: DomainIDs.deploymentStream(id))
            if let state = DeploymentState.fold(records) {
                deployments.append(state)
                positions += records.map(\.position)
            }
        }
        let changes = ComplianceReport.changes(deployments, environmentRecords: environmentRecords, from: from, to: to)
        let covered = changes.isEmpty ? [] : positions
        var integrity: RangeVerification?
        if verify, let low = covered.min(), let high = covered.max() {
            integrity = try await store.verify(positions: low...high)
        }
        return ComplianceReport(environmentID: environmentID, fromMicroseconds: from, toMicroseconds: to, changes: changes, integrity: integrity)
    }
}
