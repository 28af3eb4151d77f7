/// Namespace of the read models rebuilt from the log (deployment status, progress, logs,
/// environments and releases, quota, audit trail). They arrive with the issue "Deployments as
/// events"; the module exists now so the layering `Projections → Ledger` is fixed from the start.
public enum Projections {}
