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
                    ? Resources(cpuMillicores: Int((cpu ?? 0) * 1_000), memoryMB: ram ?? 0, diskGB: disk ?? 0) : nil
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
        commandName: "projects", abstract: "Create and list projects.", subcommands: [Create.self, List.self])

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
