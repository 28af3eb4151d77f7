/// CPU, memory and disk: what an environment is allocated and what a quota counts.
public struct Resources: Codable, Sendable, Hashable {
    /// CPU in thousandths of a core (1500 = 1.5 cores), so sums stay exact.
    public var cpuMillicores: Int
    public var memoryMB: Int
    public var diskGB: Int

    public init(cpuMillicores: Int, memoryMB: Int, diskGB: Int) {
        self.cpuMillicores = cpuMillicores
        self.memoryMB = memoryMB
        self.diskGB = diskGB
    }

    public static let zero = Resources(cpuMillicores: 0, memoryMB: 0, diskGB: 0)

    public static func + (lhs: Resources, rhs: Resources) -> Resources {
        Resources(cpuMillicores: lhs.cpuMillicores + rhs.cpuMillicores, memoryMB: lhs.memoryMB + rhs.memoryMB, diskGB: lhs.diskGB + rhs.diskGB)
    }
}

/// How an environment is deployed: the target server, the pipeline, its resources and the
/// branch it tracks. A deployment keeps a snapshot of it, so a retry or rollback redeploys
/// exactly what was deployed then.
public struct EnvironmentConfiguration: Codable, Sendable, Hashable {
    /// The target server's host name or address.
    public var host: String
    public var sshUser: String
    public var sshPort: Int
    /// The steps a deployment runs, in order.
    public var pipeline: [DeploymentStep]
    public var resources: Resources
    /// The branch pushes to which deploy automatically when ``autoDeploy`` is on.
    public var branch: String
    public var autoDeploy: Bool
    /// The registered server it deploys to (its host, user, key and pinned host key), when it
    /// deploys through the executor rather than to a bare host.
    public var server: String?
    /// Values for the pipeline's `{{variables}}` (`deploy_path`, `health_url`, …); never a secret.
    public var settings: [String: String]?

    public init(
        host: String, sshUser: String = "deploy", sshPort: Int = 22, pipeline: [DeploymentStep] = DeploymentStep.standardPipeline,
        resources: Resources, branch: String = "main", autoDeploy: Bool = false, server: String? = nil, settings: [String: String]? = nil
    ) {
        self.server = server
        self.settings = settings
        self.host = host
        self.sshUser = sshUser
        self.sshPort = sshPort
        self.pipeline = pipeline
        self.resources = resources
        self.branch = branch
        self.autoDeploy = autoDeploy
    }

    /// The reasons this configuration cannot be used, empty when it is valid.
    public var problems: [String] {
        var problems: [String] = []
        if host.isEmpty || host.count > 253 || host.contains(where: { $0.isWhitespace }) {
            problems.append("host must be a host name or address")
        }
        if sshUser.isEmpty || sshUser.count > 32 || sshUser.contains(where: { $0.isWhitespace }) {
            problems.append("SSH user must be 1–32 characters without spaces")
        }
        if !(1...65_535).contains(sshPort) { problems.append("SSH port must be 1–65535") }
        if pipeline.isEmpty { problems.append("the pipeline needs at least one step") }
        if Set(pipeline).count != pipeline.count { problems.append("the pipeline names a step twice") }
        if resources.cpuMillicores <= 0 || resources.memoryMB <= 0 || resources.diskGB <= 0 {
            problems.append("CPU, memory and disk must be positive")
        }
        if branch.isEmpty || branch.contains(where: { $0.isWhitespace }) { problems.append("branch must be a branch name") }
        if let settings {
            if settings.count > 50 { problems.append("at most 50 settings") }
            for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
                let name = key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
                if key.isEmpty || key.count > 64 || !name || key.first!.isNumber {
                    problems.append("setting '\(key)' must be a name of lowercase letters, digits and _")
                } else if value.count > 2_000 || value.contains("\0") {
                    problems.append("setting '\(key)' must be at most 2000 characters")
                }
            }
        }
        return problems
    }
}

/// What to deploy: at least one of branch, commit or tag, plus what git says about it.
public struct GitReference: Codable, Sendable, Hashable {
    public var branch: String?
    public var commit: String?
    public var tag: String?
    /// The commit message's first line, when known.
    public var message: String?
    /// The commit's author, when known.
    public var author: String?
    /// The files the push changed, when a push says (a git webhook): they choose between a fast
    /// and a full deploy (``DeployMode``).
    public var changedFiles: [String]?

    public init(
        branch: String? = nil, commit: String? = nil, tag: String? = nil, message: String? = nil, author: String? = nil,
        changedFiles: [String]? = nil
    ) {
        self.changedFiles = changedFiles
        self.branch = branch
        self.commit = commit
        self.tag = tag
        self.message = message
        self.author = author
    }

    /// Whether it names something to deploy.
    public var namesSomething: Bool { [branch, commit, tag].contains { !($0 ?? "").isEmpty } }

    /// The same reference without commit message and author: what identifies the code.
    public var identity: [String?] { [branch, commit, tag] }

    /// `main@a1b2c3d`, `v1.2`, … for tables.
    public var shortDescription: String {
        var text = branch ?? tag ?? ""
        if let commit { text += (text.isEmpty ? "" : "@") + String(commit.prefix(7)) }
        if branch != nil, let tag { text += " (\(tag))" }
        return text.isEmpty ? "-" : text
    }
}
