import CommandRuntime
import PostgresNIO
import Logging
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain

/// `ledger append`: appends one event and prints the result as JSON.
struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append", abstract: "Append one event to a stream and print the result as JSON.",
        discussion: "A stale --expected-version exits with code 3 and writes nothing. Re-running with the same --id returns the original result.")

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The stream, e.g. deployment-42. Its category is the part before the first '-'.")
    var stream: String

    @Option(name: .customLong("type"), help: "The event type, e.g. DeploymentRequested.")
    var type: String

    @Option(name: .customLong("data"), help: "The payload: one JSON object.")
    var data: String

    @Option(name: .customLong("expected-version"), help: "any, no-stream, or the stream's current version number.")
    var expectedVersion: String = "any"

    @Option(name: .customLong("id"), help: "The event id (a UUID); pass the same id to retry safely. Default: a new one.")
    var id: String?

    @Option(name: .customLong("schema-version"), help: "The payload's schema version.")
    var schemaVersion: Int = 1

    @Option(name: .customLong("actor"), help: "Who is appending (env: LEDGER_ACTOR, else the login name).")
    var actor: String?

    func validate() throws {
        guard ExpectedVersion(parsing: expectedVersion) != nil else {
            throw ValidationError("--expected-version must be any, no-stream or a version number, not '\(expectedVersion)'")
        }
        if let id, UUID(uuidString: id) == nil { throw ValidationError("--id must be a UUID, not '\(id)'") }
    }

    func run() async throws {
        try await reportingErrors {
            let streamID = try StreamID(stream)
            let metadata = EventMetadata(
                actor: actor ?? Environment.value("LEDGER_ACTOR") ?? Environment.value("USER") ?? "unknown", source: "cli")
            let event = try NewEvent(
                id: id.flatMap(UUID.init(uuidString:)) ?? UUID(), type: type, schemaVersion: schemaVersion,
                data: Data(data.utf8), metadata: metadata)
            let expected = ExpectedVersion(parsing: expectedVersion)!
            let result = try await LedgerRuntime.run(connection) { session in
                try await session.store.append(to: streamID, expectedVersion: expected, events: [event])
            }
            if let result {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                printLine(String(decoding: try encoder.encode(result), as: UTF8.self))
            }
        }
    }
}
