import Ledger

/// What one environment of an organisation is allocated changed (created configured,
/// reconfigured, deployed again after a destroy, destroyed: then `.zero`). Written to the
/// organisation stream at the version the quota decision saw, which makes the quota check
/// race-free: of two concurrent allocations only one can append, the other is decided again.
public struct OrganisationAllocationChanged: LedgerEvent, Equatable {
    public static let eventType = "OrganisationAllocationChanged"
    public var organisationID: String
    public var environmentID: String
    public var resources: Resources

    public init(organisationID: String, environmentID: String, resources: Resources) {
        self.organisationID = organisationID
        self.environmentID = environmentID
        self.resources = resources
    }
}
