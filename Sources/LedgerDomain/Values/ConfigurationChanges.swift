import Ledger

/// The settings a command changes in an environment's configuration; the others keep their
/// value. Applied to the configuration the decision sees, so concurrent changes of different
/// settings both survive (each is re-applied after a conflict).
public struct ConfigurationChanges: Sendable, Equatable {
    public var host: String?
    public var sshUser: String?
    public var sshPort: Int?
    public var pipeline: [DeploymentStep]?
    public var cpuMillicores: Int?
    public var memoryMB: Int?
    public var diskGB: Int?
    public var branch: String?
    public var autoDeploy: Bool?
    /// The registered server to deploy to (its host, user and port replace the configuration's).
    public var server: String?
    /// Pipeline variables to set; an empty value removes one.
    public var settings: [String: String]?
    public var autoDelete: Bool?
    public var pushAutomation: Bool?

    public init(
        host: String? = nil, sshUser: String? = nil, sshPort: Int? = nil, pipeline: [DeploymentStep]? = nil, cpuMillicores: Int? = nil,
        memoryMB: Int? = nil, diskGB: Int? = nil, branch: String? = nil, autoDeploy: Bool? = nil, server: String? = nil,
        settings: [String: String]? = nil, autoDelete: Bool? = nil, pushAutomation: Bool? = nil
    ) {
        self.autoDelete = autoDelete
        self.pushAutomation = pushAutomation
        self.server = server
        self.settings = settings
        self.host = host
        self.sshUser = sshUser
        self.sshPort = sshPort
        self.pipeline = pipeline
        self.cpuMillicores = cpuMillicores
        self.memoryMB = memoryMB
        self.diskGB = diskGB
        self.branch = branch
        self.autoDeploy = autoDeploy
    }

    /// Whether it changes nothing at all.
    public var isEmpty: Bool { self == ConfigurationChanges() }

    /// The changes over `base`; without a base (a first configuration) the host is required and
    /// the rest default (1 CPU, 1,024 MB, 10 GB, the standard pipeline, branch main).
    public func applied(to base: EnvironmentConfiguration?) throws -> EnvironmentConfiguration {
        guard base != nil || host != nil || server != nil else {
            throw CommandRejection(.invalid, "a first configuration needs a host or a server")
        }
        // With a server, the host is the server's (filled in when the configuration is applied).
        var configuration = base ?? EnvironmentConfiguration(host: host ?? "-", resources: Resources(cpuMillicores: 1_000, memoryMB: 1_024, diskGB: 10))
        if let server { configuration.server = server }
        if let settings {
            var merged = configuration.settings ?? [:]
            for (key, value) in settings { merged[key] = value.isEmpty ? nil : value }
            configuration.settings = merged.isEmpty ? nil : merged
        }
        if let host { configuration.host = host }
        if let sshUser { configuration.sshUser = sshUser }
        if let sshPort { configuration.sshPort = sshPort }
        if let pipeline { configuration.pipeline = pipeline }
        if let cpuMillicores { configuration.resources.cpuMillicores = cpuMillicores }
        if let memoryMB { configuration.resources.memoryMB = memoryMB }
        if let diskGB { configuration.resources.diskGB = diskGB }
        if let branch { configuration.branch = branch }
        if let autoDeploy { configuration.autoDeploy = autoDeploy }
        if let autoDelete { configuration.autoDelete = autoDelete }
        if let pushAutomation { configuration.pushAutomation = pushAutomation }
        return configuration
    }
}
