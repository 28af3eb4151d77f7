import ArgumentParser
import Foundation
import Ledger
import Projections

/// `ledger orgs create|list`.
struct OrgsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "orgs", abstract: "Create and list organisations.", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organisation.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument(help: "Its id: lowercase letters, digits, '.', '_' or '-'.") var id: String
        @Option(help: "Its display name (default: the id).") var name: String?
        @Option(name: .customLong("cpu-quota"), help: "Most CPU (cores) its active environments may have.") var cpu: Double?
        @Option(name: .customLong("ram-quota"), help: "Most RAM (MB).") var ram: Int?
        @Option(name: .customLong("disk-quota"), help: "Most disk (GB).") var disk: Int?

        func run() async throws {
            try await reportingErrors {
                let quota = (cpu != nil || ram != nil || disk != nil)
                    ? Resources(cpuMillicores: Resources.millicores(cores: cpu ?? 0), memoryMB: ram ?? 0, diskGB: disk ?? 0) : nil
                _ = try await DomainSession.run(connection) { [id, name, options] session in
                    try await session.service.createOrganisation(id: id, name: name ?? id, quota: quota, context: options.context)
                }
                printLine("created organisation \(id)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List organisations.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions

        func run() async throws {
            try await reportingErrors {
                guard let entries = try await DomainSession.run(connection, { session in
                    try await session.catchUp(["setup"])
                    return try await session.reader.setup(kind: "organisation")
                }) else { return }
                if options.json { return try entries.forEach(Output.json) }
                Output.table(["ID", "NAME", "QUOTA"], entries.map { [$0.id, $0.name, $0.quota.map(Output.quota) ?? "unlimited"] })
            }
        }
    }
}

/// `ledger projects create|list`.
struct ProjectsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projects", abstract: "Create, configure and list projects.", subcommands: [Create.self, Configure.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a project in an organisation.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument(help: "Its id.") var id: String
        @Option(name: .customLong("org"), help: "The organisation it belongs to.") var organisation: String
        @Option(help: "Its display name (default: the id).") var name: String?
        @Option(help: "The git repository it deploys from.") var repository: String?

        func run() async throws {
            try await reportingErrors {
                _ = try await DomainSession.run(connection) { [id, name, organisation, repository, options] session in
                    try await session.service.createProject(
                        id: id, organisation: organisation, name: name ?? id, repository: repository, context: options.context)
                }
                printLine("created project \(id) in \(organisation)")
            }
        }
    }

    struct Configure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a project's git webhook secret (checked on every delivery to /api/v1/webhooks/github and /gitlab).",
            discussion: """
                The secret is kept out of the log, responses and log lines; the audit trail only records that it was set. \
                Prefer --webhook-secret-file or LEDGER_WEBHOOK_SECRET: a secret on the command line is visible to other users in ps.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument(help: "The project's id.") var id: String
        @Option(name: .customLong("webhook-secret"), help: "The secret (16–256 characters).") var webhookSecret: String?
        @Option(name: .customLong("webhook-secret-file"), help: "A file holding the secret (its first line).") var webhookSecretFile: String?

        func secret() throws -> String {
            if let webhookSecret { return webhookSecret }
            if let webhookSecretFile {
                guard let text = try? String(contentsOfFile: webhookSecretFile, encoding: .utf8) else {
                    throw ValidationError("cannot read \(webhookSecretFile)")
                }
                return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            }
            if let fromEnvironment = Environment.value("LEDGER_WEBHOOK_SECRET") { return fromEnvironment }
            throw ValidationError("give the secret with --webhook-secret, --webhook-secret-file or LEDGER_WEBHOOK_SECRET")
        }

        func validate() throws { _ = try secret() }

        func run() async throws {
            try await reportingErrors {
                let secret = try secret()
                _ = try await DomainSession.run(connection) { [id, options] session in
                    try await WebhookSecrets(service: session.service, client: session.session.client, logger: session.session.logger)
                        .set(project: id, secret: secret, context: options.context)
                }
                printLine("set the webhook secret of project \(id)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List projects.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Option(name: .customLong("org"), help: "Only this organisation's.") var organisation: String?

        func run() async throws {
            try await reportingErrors {
                guard let entries = try await DomainSession.run(connection, { [organisation] session in
                    try await session.catchUp(["setup"])
                    return try await session.reader.setup(kind: "project", organisation: organisation)
                }) else { return }
                if options.json { return try entries.forEach(Output.json) }
                Output.table(["ID", "ORGANISATION", "NAME", "REPOSITORY"], entries.map { [$0.id, $0.organisationID, $0.name, $0.repository ?? "-"] })
            }
        }
    }
}
