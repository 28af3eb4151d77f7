import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import LedgerAccess

/// `ledger tokens create|list|revoke`: API tokens for the HTTP API.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Issue, list and revoke API tokens.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a token; its secret is printed once and only its hash is kept.",
            discussion: "Roles: \(Role.allCases.map(\.rawValue).joined(separator: ", ")). project_* roles need --project.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Option(help: "What it is for, e.g. ci-deploys.") var name: String
        @Option(help: "Its role.") var role: String
        @Option(name: .customLong("org"), help: "Its organisation (all roles but portal_admin).") var organisation: String?
        @Option(help: "Its project (project roles).") var project: String?
        @Option(help: "When it expires: a number of days, e.g. 90d (at most 366d).") var expires = "90d"
        @Option(help: "The person it belongs to (e.g. alice@example.com): the audit trail names them, and they cannot approve what they request.")
        var user: String?

        func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("unknown role '\(role)'; use one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))") }
            guard expiryDays != nil else { throw ValidationError("--expires must be a number of days from 1 to 366, e.g. 90d (got '\(expires)')") }
        }

        var expiryDays: Int? {
            guard expires.hasSuffix("d"), let days = Int(expires.dropLast()), (1...366).contains(days) else { return nil }
            return days
        }

        func run() async throws {
            try await reportingErrors {
                let issued = try await DomainSession.run(connection) { [name, role, organisation, project, user, options, expiryDays] session in
                    try await session.session.tokens.issue(
                        name: name, role: Role(rawValue: role)!, organisation: organisation, project: project, user: user,
                        expiresIn: .seconds(Double(expiryDays! * 86_400)), context: options.context)
                }
                guard let (secret, record) = issued else { return }
                if options.json { return try Output.json(["token": secret.text, "token_id": record.tokenID]) }
                printLine(secret.text)
                printError("token \(record.tokenID) (\(record.role.rawValue)) expires \(Output.time(record.expiresAtMicroseconds)) UTC; keep it now, it is not shown again")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never their secrets).")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Option(name: .customLong("org")) var organisation: String?

        func run() async throws {
            try await reportingErrors {
                guard let records = try await DomainSession.run(connection, { [organisation] session in
                    try await session.session.tokens.list(organisation: organisation)
                }) else { return }
                if options.json { return try records.forEach(Output.json) }
                Output.table(
                    ["ID", "NAME", "HINT", "ROLE", "SCOPE", "EXPIRES", "LAST USED", "STATE"],
                    records.map {
                        [
                            $0.tokenID, $0.name, $0.hint, $0.role.rawValue, [$0.organisationID, $0.projectID].compactMap { $0 }.joined(separator: "/"),
                            Output.time($0.expiresAtMicroseconds), Output.time($0.lastUsedAtMicroseconds), $0.revoked ? "revoked" : "active",
                        ]
                    })
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: refused from the next request on.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument var id: String

        func run() async throws {
            try await reportingErrors {
                _ = try await DomainSession.run(connection) { [id, options] session in
                    try await session.session.tokens.revoke(id, context: options.context)
                }
                try Output.done("revoked token \(id)", ["revoked": "token", "id": id], connection: connection, options: options)
            }
        }
    }
}
