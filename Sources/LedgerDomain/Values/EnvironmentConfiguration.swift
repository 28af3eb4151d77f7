import Ledger
import Foundation

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

    /// The largest value each resource may take in a configuration, a capacity or a quota:
    /// 1,000 cores, 16 TiB of RAM, 1 PiB of disk. Far beyond any one server, and far enough
    /// below `Int.max` that no sum of allocations can overflow.
    public static let maximum = Resources(cpuMillicores: 1_000_000, memoryMB: 16_777_216, diskGB: 1_048_576)

    /// Saturating sums, so that even an event written before ``maximum`` existed (or by hand)
    /// cannot make a fold or a check trap.
    public static func + (lhs: Resources, rhs: Resources) -> Resources {
        Resources(
            cpuMillicores: saturating(lhs.cpuMillicores, plus: rhs.cpuMillicores), memoryMB: saturating(lhs.memoryMB, plus: rhs.memoryMB),
            diskGB: saturating(lhs.diskGB, plus: rhs.diskGB))
    }

    /// Cores as a person types them (`1.5`) in millicores; a value that is not a number or far
    /// outside any bound becomes `Int.max`, which the bounds checks then refuse (instead of
    /// trapping in the conversion).
    public static func millicores(cores: Double) -> Int {
        let millicores = (cores * 1_000).rounded()
        guard millicores.isFinite, abs(millicores) < 1e15 else { return .max }
        return Int(millicores)
    }

    /// `a + b`, clamped to `Int.min...Int.max` instead of trapping.
    public static func saturating(_ a: Int, plus b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard overflow else { return sum }
        return b > 0 ? .max : .min
    }

    /// Why these values cannot be used (`what` names them: "capacity", "quota"…), empty when
    /// each lies in `lowest...maximum`.
    public func problems(_ what: String, lowest: Int) -> [String] {
        let checks: [(String, Int, Int)] = [
            ("CPU (millicores)", cpuMillicores, Self.maximum.cpuMillicores), ("RAM (MB)", memoryMB, Self.maximum.memoryMB),
            ("disk (GB)", diskGB, Self.maximum.diskGB),
        ]
        return checks.compactMap { name, value, maximum in
            (lowest...maximum).contains(value) ? nil : "\(what) \(name) must be \(lowest)–\(maximum), not \(value)"
        }
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
    /// Whether deleting the tracked branch (a push that deletes it) destroys the environment.
    public var autoDelete: Bool?
    /// False: every push automation (auto-deploy, auto-delete) skips this environment, whatever
    /// the toggles say; manual deploys work as ever. Nil counts as true.
    public var pushAutomation: Bool?

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
        problems += resources.problems("resources:", lowest: 1)
        if let problem = GitRefRules.problem(name: branch, what: "branch") { problems.append(problem) }
        if let settings {
            if settings.count > 50 { problems.append("at most 50 settings") }
            for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
                let name = key.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
                if key.isEmpty || key.count > 64 || !name || key.first!.isNumber {
                    problems.append("setting '\(key)' must be a name of lowercase letters, digits and _")
                } else if value.count > 2_000 || value.contains("\0") {
                    problems.append("setting '\(key)' must be at most 2000 characters")
                } else if Self.isNumericSetting(key), value.isEmpty || value.count > 9 || !value.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) {
                    problems.append("setting '\(key)' must be a whole number")
                } else if let placeholder = (Self.placeholders(in: value) ?? []).first(where: { !Self.placeholdersInSettings.contains($0) }) {
                    problems.append(
                        "setting '\(key)' may not name {{\(placeholder)}}: a value is data, expanded once, and may only name "
                            + Self.placeholdersInSettings.sorted().map { "{{\($0)}}" }.joined(separator: ", "))
                }
            }
        }
        return problems
    }
}

extension EnvironmentConfiguration {
    /// The builtins a setting's value may name: identifiers of lowercase letters, digits, `.`,
    /// `_` and `-` only, so that expanding them into a value cannot add anything a shell would
    /// read. Branches, tags, commits and repository addresses come from requests and pushes:
    /// naming them in a value is refused (a step's own command names them, quoted).
    public static let placeholdersInSettings: Set<String> = ["environment", "project", "organisation", "deployment_id", "release_id", "number"]

    /// The `{{name}}` placeholders in `text`, in order; nil when a `{{` is never closed. The one
    /// reading of placeholders: settings here, pipeline commands when a pipeline is loaded.
    public static func placeholders(in text: String) -> [String]? {
        var names: [String] = []
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            guard let close = rest[open.upperBound...].range(of: "}}") else { return nil }
            names.append(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
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
