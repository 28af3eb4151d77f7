import Ledger

/// Quota enforcement: an environment's allocation may not take its organisation over its CPU,
/// RAM or disk limit (a limit of 0, or no quota, means unlimited). Pure: it decides from the
/// folded organisation stream and returns the write that records the new allocation there.
public enum QuotaDecisions {
    /// The write recording `resources` as `environmentID`'s allocation, after checking that
    /// every resource that grows still fits; nil when the allocation does not change (or the
    /// caller has no organisation state, as in decisions tested alone).
    public static func allocate(
        _ resources: Resources, to environmentID: String, in organisation: OrganisationState?
    ) throws -> Decision.Write? {
        guard let organisation else { return nil }
        let current = organisation.allocations[environmentID] ?? .zero
        guard current != resources else { return nil }
        if let quota = organisation.quota,
            let over = ResourceOverrun.first(requested: resources, current: current, used: organisation.used, limits: quota, zeroMeansUnlimited: true)
        {
            throw CommandRejection(
                .quotaExceeded,
                "organisation \(organisation.organisationID) is over its \(over.name) quota: \(over.usedByOthers) \(over.unit) used by other "
                    + "environments + \(over.requested) requested for \(environmentID) > \(over.limit) allowed")
        }
        return record(resources, for: environmentID, in: organisation)
    }

    /// The write that frees `environmentID`'s allocation (it was destroyed); nil if it had none.
    public static func release(_ environmentID: String, in organisation: OrganisationState?) -> Decision.Write? {
        guard let organisation, organisation.allocations[environmentID] != nil else { return nil }
        return record(.zero, for: environmentID, in: organisation)
    }

    private static func record(_ resources: Resources, for environmentID: String, in organisation: OrganisationState) -> Decision.Write {
        .init(DomainIDs.organisationStream(organisation.organisationID), expectedVersion: .exact(organisation.version), [
            .organisationAllocationChanged(OrganisationAllocationChanged(
                organisationID: organisation.organisationID, environmentID: environmentID, resources: resources))
        ])
    }

}
