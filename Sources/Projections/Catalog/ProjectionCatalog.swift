/// Every projection the ledger maintains, in the order `status` lists them.
public enum ProjectionCatalog {
    public static let all: [any Projection] = [
        KeyedStateProjection<DeploymentsFold>(), KeyedStateProjection<ProgressFold>(), LogsProjection(),
        KeyedStateProjection<EnvironmentsFold>(), KeyedStateProjection<QuotaFold>(), AuditProjection(),
        KeyedStateProjection<SetupFold>(),
    ]

    /// The projection called `name`, if any.
    public static func named(_ name: String) -> (any Projection)? { all.first { $0.name == name } }
}
