import Executors

extension SyntheticHistory {
    /// A generated history for one organisation with `environments` environments: the small,
    /// fixed-seed log most projection tests start from.
    static func oneOrganisation(environments: Int) -> SyntheticHistory {
        var history = SyntheticHistory()
        history.organisations = 1
        history.environmentsPerOrganisation = environments
        return history
    }
}
