import Ledger

/// What an environment is for, with the seed's automation defaults on creation: development
/// deploys pushes and deletes with its branch; staging deploys pushes; production does neither,
/// and its auto-delete is locked off. Testing is treated as staging.
public enum EnvironmentType: String, Codable, Sendable, CaseIterable {
    case production, staging, development, testing

    /// Whether a push to the tracked branch deploys it, unless the creator says otherwise.
    public var defaultAutoDeploy: Bool { self != .production }

    /// Whether deleting the tracked branch destroys it, unless the creator says otherwise.
    public var defaultAutoDelete: Bool { self == .development }

    /// Whether auto-delete may never be switched on (production: a branch deletion must not tear it down).
    public var autoDeleteLocked: Bool { self == .production }

    /// `configuration` with this type's defaults for what `changes` leaves unsaid.
    public func withDefaults(_ configuration: EnvironmentConfiguration, unless changes: ConfigurationChanges) -> EnvironmentConfiguration {
        var configuration = configuration
        if changes.autoDeploy == nil { configuration.autoDeploy = defaultAutoDeploy }
        if changes.autoDelete == nil { configuration.autoDelete = defaultAutoDelete }
        return configuration
    }
}
