import CommandRuntime
import ArgumentParser
import Executors
import Foundation
import Ledger
import LedgerDomain

/// `ledger keys add|list|remove`: organisations' SSH keyrings. Run on the executors' machine by
/// an operator: adding a key copies its file into the keyring directory (`--keyring`), where
/// only servers of that organisation can use it.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Add, list and remove the SSH keys of organisations' keyrings.",
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a private key to an organisation's keyring.",
            discussion: """
                The file (readable by its owner only) is copied to KEYRING/ORG/ID with mode 600; the log records the key's id \
                and the fingerprint of its public half, never the key. Servers of the organisation then name it with \
                `ledger servers add … --key ID` (or "key_id" over the API). Every worker needs the same keyring directory.
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument(help: "Its id within the organisation, e.g. deploy-2026.") var id: String
        @Option(name: .customLong("org"), help: "The organisation whose keyring it joins.") var organisation: String
        @Option(name: .customLong("file"), help: "The private key file (OpenSSH format, or with FILE.pub beside it).") var file: String

        func run() async throws {
            try await reportingErrors {
                let keyring = connection.resolvedKeyring
                let key = try await DomainSession.run(connection) { [id, organisation, file, options] session in
                    try await session.service.addKey(id, organisation: organisation, file: file, keyring: keyring, context: options.context)
                }
                guard let key else { return }
                let path = try keyring.path(organisation: organisation, keyID: id)
                try Output.done(
                    "added key \(key.keyID) (\(key.fingerprint)) to the keyring of \(key.organisationID) at \(path)",
                    ["added": "key", "id": key.keyID, "fingerprint": key.fingerprint, "organization_id": key.organisationID, "path": path],
                    connection: connection, options: options)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an organisation's keys, and whether this machine holds each file.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Option(name: .customLong("org"), help: "The organisation.") var organisation: String

        func run() async throws {
            try await reportingErrors {
                let keyring = connection.resolvedKeyring
                guard let state = try await DomainSession.run(connection, { [organisation] session in try await session.service.keyring(organisation) }) else { return }
                let rows = try state.fingerprints.sorted { $0.key < $1.key }.map { id, fingerprint in
                    let present = FileManager.default.fileExists(atPath: try keyring.path(organisation: organisation, keyID: id))
                    return [id, fingerprint, present ? "present" : "missing"]
                }
                if options.json {
                    return try rows.forEach { try Output.json(["id": $0[0], "organization_id": organisation, "fingerprint": $0[1], "file": $0[2]]) }
                }
                Output.table(["ID", "FINGERPRINT", "FILE ON THIS MACHINE"], rows)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a key no server uses any more, and delete its file.")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var options: DomainOptions
        @Argument var id: String
        @Option(name: .customLong("org"), help: "The organisation.") var organisation: String

        func run() async throws {
            try await reportingErrors {
                let keyring = connection.resolvedKeyring
                _ = try await DomainSession.run(connection) { [id, organisation, options] session in
                    try await session.service.deleteKey(id, organisation: organisation, keyring: keyring, context: options.context)
                }
                try Output.done("removed key \(id) from the keyring of \(organisation)", ["removed": "key", "id": id, "organization_id": organisation], connection: connection, options: options)
            }
        }
    }
}
