import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import LedgerAccess
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
                try Output.done("created organisation \(id)", ["created": "organisation", "id": id], connection: connection, options: options)
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
        commandName: "projects", abstract: "Create, configure (repository, webhook secret) and list projects.", subcommands: [Create.self, Configure.self, List.self])

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
                try Output.done("created project \(id) in \(organisation)", ["created": "project", "id": id, "organization_id": organisation], connection: connection, options: options)
            }
        }
    }

    struct Configure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a project's repository address, or set its git webhook secret (checked on every delivery to /api/v1/webhooks/github and /gitlab).",
            discussion: """
                --repository sets the address every later deployment clones (recorded as ProjectRepositoryChanged, before and after). \
                The webhook secret is kept out of the log, responses and log lines; the audit trail only records that it was set. \
                Prefer --webhook-secret-file or LEDGER_WEBHOOK_SECRET: a secret on the command line is visible to other users in ps.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument(help: "The project's id.") var id: String
        @Option(help: "The git repository it deploys from (https://…, ssh://…, user@host:path or an absolute path).") var repository: String?
        @Option(name: .customLong("webhook-secret"), help: "The secret (16–256 characters).") var webhookSecret: String?
        @Option(name: .customLong("webhook-secret-file"), help: "A file holding the secret (its first line).") var webhookSecretFile: String?

        /// The secret given, if one was (flag, file or LEDGER_WEBHOOK_SECRET — the variable only when no repository is given).
        func secret() throws -> String? {
            if let webhookSecret { return webhookSecret }
            if let webhookSecretFile {
                guard let text = try? String(contentsOfFile: webhookSecretFile, encoding: .utf8) else {
                    throw ValidationError("cannot read \(webhookSecretFile)")
                }
                return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            }
            return repository == nil ? Environment.value("LEDGER_WEBHOOK_SECRET") : nil
        }

        func validate() throws {
            guard try repository != nil || secret() != nil else {
                throw ValidationError("give --repository, or the secret with --webhook-secret, --webhook-secret-file or LEDGER_WEBHOOK_SECRET")
            }
        }

        func run() async throws {
            try await reportingErrors {
                let secret = try secret()
                let changed = try await DomainSession.run(connection) { [id, repository, options] session -> Bool in
                    var changed = false
                    if let repository { changed = try await session.service.setRepository(repository, of: id, context: options.context).result != nil }
                    if let secret {
                        try await WebhookSecrets(service: session.service, client: session.session.client, logger: session.session.logger)
                            .set(project: id, secret: secret, context: options.context)
                    }
                    return changed
                }
                guard let changed else { return }
                if let repository {
                    try Output.done(
                        changed ? "set the repository of project \(id) to \(repository)" : "project \(id) already deploys from \(repository)",
                        ["project_id": id, "repository": repository, "changed": changed ? "true" : "false"], connection: connection, options: options)
                }
                if secret != nil {
                    try Output.done("set the webhook secret of project \(id)", ["set": "webhook_secret", "project_id": id], connection: connection, options: options)
                }
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
