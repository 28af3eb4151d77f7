/// Namespace of the workers that claim requested deployments under a lease and run their steps
/// over SSH. They arrive with their own issue; the module exists now so that `Executors → Ledger`
/// is the only way they can depend on the rest.
public enum Executors {}
