import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import Projections

/// The configuration flags of `environments create` and `environments configure`.
struct ConfigurationOptions: ParsableArguments {
    @Option(help: "The target server's host name or address.") var host: String?
    @Option(name: .customLong("ssh-user"), help: "The SSH user (default: deploy).") var sshUser: String?
    @Option(name: .customLong("ssh-port"), help: "The SSH port (default: 22).") var sshPort: Int?
    @Option(help: "Comma-separated step ids (default: the standard 17-step pipeline).") var pipeline: String?
    @Option(help: "CPU cores allocated, e.g. 1.5.") var cpu: Double?
    @Option(name: .customLong("ram"), help: "RAM allocated, in MB.") var memory: Int?
    @Option(help: "Disk allocated, in GB.") var disk: Int?
    @Option(help: "The branch it tracks (default: main).") var branch: String?
    @Option(name: .customLong("auto-deploy"), help: "Deploy pushes to the tracked branch: true or false.") var autoDeploy: Bool?
    @Option(name: .customLong("auto-delete"), help: "Destroy it when its tracked branch is deleted: true or false (never on production).")
    var autoDelete: Bool?
    @Option(name: .customLong("push-automation"), help: "false: every push automation skips it (manual deploys still work).")
    var pushAutomation: Bool?
    @Option(help: "The registered server it deploys to (see `ledger servers`); its host, user and port are used.") var server: String?
    @Option(name: .customLong("set"), help: "A pipeline variable, NAME=VALUE (repeatable; an empty value removes it), e.g. deploy_path=/srv/shop.")
    var settings: [String] = []

    /// The flags given, as changes to a configuration (a pipeline of unknown step ids is refused).
    func changes() throws -> ConfigurationChanges {
        ConfigurationChanges(
            host: host, sshUser: sshUser, sshPort: sshPort,
            pipeline: try pipeline.map { try DeploymentStep.pipeline($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) },
            cpuMillicores: cpu.map(Resources.millicores(cores:)), memoryMB: memory, diskGB: disk, branch: branch, autoDeploy: autoDeploy,
            server: server, settings: try parsedSettings(), autoDelete: autoDelete, pushAutomation: pushAutomation)
    }

    private func parsedSettings() throws -> [String: String]? {
        guard !settings.isEmpty else { return nil }
        var parsed: [String: String] = [:]
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ValidationError("--set takes NAME=VALUE (got '\(setting)')")
            }
            parsed[String(setting[..<equals])] = String(setting[setting.index(after: equals)...])
        }
        return parsed
    }
}

/// `ledger environments create|configure|list|show`.
struct EnvironmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "environments", abstract: "Create, configure and list environments.",
        subcommands: [Create.self, Configure.self, List.self, Show.self, ProtectEnvironmentCommand.self, FreezeEnvironmentCommand.self,
            ScheduleEnvironmentCommand.self,
        ])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an environment in a project, configured when --host or --server is given.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @OptionGroup var settings: ConfigurationOptions
        @Argument(help: "Its id, unique across projects, e.g. shop-staging.") var id: String
        @Option(help: "The project it belongs to.") var project: String
        @Option(help: "Its display name (default: the id).") var name: String?
        @Option(help: "production, staging, development or testing: sets the automation defaults (production: no auto-deploy, auto-delete locked off).")
        var type: String?

        func validate() throws {
            if let type, EnvironmentType(rawValue: type) == nil {
                throw ValidationError("unknown type '\(type)' (one of \(EnvironmentType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let changes = try settings.changes()
                let kind = type.flatMap(EnvironmentType.init(rawValue:))
                let configuration = try changes.isEmpty ? nil : changes.applied(to: nil)
                let typed = configuration.map { configuration in kind.map { $0.withDefaults(configuration, unless: changes) } ?? configuration }
                _ = try await DomainSession.run(connection) { [id, project, name, options] session in
                    try await session.service.createEnvironment(
                        id: id, project: project, name: name ?? id, configuration: typed, type: kind, context: options.context)
                }
                try Output.done(
                    "created environment \(id)" + (configuration == nil ? " (configure it before deploying)" : ""), ["created": "environment", "id": id],
                    connection: connection, options: options)
            }
        }
    }

    struct Configure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an environment's configuration; unspecified settings keep their value.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @OptionGroup var settings: ConfigurationOptions
        @Argument(help: "The environment.") var id: String

        func run() async throws {
            try await reportingErrors {
                let changes = try settings.changes()
                let outcome = try await DomainSession.run(connection) { [id, options] session in
                    try await session.service.configureEnvironment(id, changes: changes, context: options.context)
                }
                try Output.done(
                    outcome?.result == nil ? "environment \(id) already had this configuration" : "configured environment \(id)",
                    ["configured": "environment", "id": id, "changed": outcome?.result == nil ? "false" : "true"], connection: connection, options: options)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List environments with their status and current release.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Option(name: .customLong("org")) var organisation: String?
        @Option var project: String?

        func run() async throws {
            try await reportingErrors {
                guard let environments = try await DomainSession.run(connection, { [organisation, project] session in
                    try await session.catchUp(["environments"])
                    return try await session.reader.environments(organisation: organisation, project: project)
                }) else { return }
                if options.json { return try environments.forEach(Output.json) }
                Output.table(
                    ["ID", "PROJECT", "STATUS", "ACTIVE", "CURRENT RELEASE", "LAST STABLE", "IN FLIGHT"],
                    environments.map {
                        [
                            $0.environmentID, $0.projectID, $0.status.rawValue, $0.active ? "yes" : "no",
                            $0.currentRelease.map { "#\($0.number) \($0.git.shortDescription)" } ?? "-",
                            $0.lastStableRelease.map { "#\($0.number) \($0.git.shortDescription)" } ?? "-", $0.inFlight ?? "-",
                        ]
                    })
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an environment, its configuration and its releases (rollback targets).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument var id: String

        func run() async throws {
            try await reportingErrors {
                guard let found = try await DomainSession.run(connection, { [id] session in
                    try await session.catchUp(["environments"])
                    return (try await session.reader.environment(id), try await session.service.pipelineCatalog())
                }) else { return }
                guard let environment = found.0 else { throw CommandRejection(.notFound, "no such environment") }
                let catalog = found.1
                if options.json { return try Output.json(environment) }
                printLine("\(environment.environmentID) (\(environment.name)) in \(environment.projectID)/\(environment.organisationID)")
                printLine("status \(environment.status.rawValue), \(environment.active ? "active" : "inactive"), \(environment.deploymentCount) deployments")
                if let c = environment.configuration {
                    printLine("target \(c.sshUser)@\(c.host):\(c.sshPort), branch \(c.branch)\(c.autoDeploy ? " (auto-deploy)" : ""), \(Output.resources(c.resources))")
                    // What a deploy runs: the executors' published deploy pipeline, when there is one.
                    if let deploy = catalog.pipelines["deploy"] {
                        printLine("pipeline: deploy (\(deploy.fingerprint.prefix(19))…, published by \(deploy.executor)): "
                            + deploy.steps.map(\.rawValue).joined(separator: " → "))
                    } else {
                        printLine("pipeline: " + c.pipeline.map(\.rawValue).joined(separator: " → ") + " (no executor has published a deploy pipeline)")
                    }
                }
                printLine("")
                Output.table(
                    ["RELEASE", "DEPLOYMENT", "GIT", "DEPLOYED", "ROLLBACK TARGET"],
                    environment.releases.reversed().map {
                        ["#\($0.number)", $0.deploymentID, $0.git.shortDescription, Output.time($0.deployedAtMicroseconds), $0.rolledBack ? "no (rolled back)" : "yes"]
                    })
            }
        }
    }
}
