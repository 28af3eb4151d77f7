import CommandRuntime
import ArgumentParser
import ChildProcess
import Foundation
import Ledger
import LedgerDomain
import Logging
import PostgresNIO

/// `ledger-bench read`: reads a large log in position order through the store, against
/// `COPY (SELECT …) TO` of the same rows in the same run.
struct ReadBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Benchmark reading all streams against COPY … TO.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("events"), help: "How many events to write first and then read.")
    var events: Int = 1_000_000

    @Option(name: .customLong("batch"), help: "Events per read query.")
    var batch: Int = 5_000

    func validate() throws {
        guard events >= 1_000, batch > 0 else { throw ValidationError("--events must be at least 1000 and --batch positive") }
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [events, batch, quiet = connection.quiet] session in
                try await BenchDatabase.with(server: session.url, logger: session.logger) { database, client in
                    let store = EventStore(client: client, logger: session.logger)
                    let metadata = EventMetadata(actor: "bench", organisation: "org-bench", source: "bench")
                    let clock = ContinuousClock()
                    let writeStart = clock.now
                    for index in 0..<(events / 1_000) {
                        let batchEvents = try (0..<1_000).map { _ in try NewEvent(type: "LogLine", data: BenchDatabase.payload, metadata: metadata) }
                        _ = try await store.append(to: try StreamID("deployment-\(index)"), expectedVersion: .noStream, events: batchEvents)
                        if !quiet && index % 100 == 99 {
                            printError("bench: wrote \((index + 1) * 1_000) of \(events) events")
                        }
                    }
                    let written = (events / 1_000) * 1_000
                    let writeRate = Double(written) / (clock.now - writeStart).seconds
                    try await client.query("VACUUM ANALYZE ledger.events", logger: session.logger)

                    if !quiet { printError("bench: reading \(written) events through the store…") }
                    let readStart = clock.now
                    var after: Int64 = 0
                    var read = 0
                    var checksum: Int64 = 0
                    while true {
                        let page = try await store.readAll(after: after, limit: batch)
                        guard !page.events.isEmpty else { break }
                        read += page.events.count
                        checksum &+= Int64(page.events.reduce(0) { $0 &+ $1.data.count })
                        after = page.scannedThrough
                    }
                    let readRate = Double(read) / (clock.now - readStart).seconds

                    if !quiet { printError("bench: COPY (SELECT …) TO of the same rows…") }
                    let copyStart = clock.now
                    let sql = "COPY (SELECT position, event_id, stream_id, stream_version, event_type, schema_version, data, metadata, recorded_at, prev_hash, hash FROM ledger.events ORDER BY position) TO STDOUT"
                    let status = try await ShellCommand.run(
                        "\(database.toolEnvironment)\(ShellCommand.quote(try BenchDatabase.tool("psql"))) -X -q \(database.toolArguments) -c \(ShellCommand.quote(sql)) > /dev/null")
                    guard status == 0 else { throw LedgerError(.database, "psql COPY failed with status \(status)") }
                    let copyRate = Double(written) / (clock.now - copyStart).seconds

                    var report = BenchReport(title: "ledger-bench read — \(written) events, \(ProcessInfo.processInfo.activeProcessorCount) cores")
                    report.add("read all streams in position order", ledger: BenchReport.rate(readRate),
                               baseline: BenchReport.rate(copyRate, "rows/s") + " COPY (SELECT …) TO (psql)", ratio: readRate / copyRate, target: 0.5)
                    report.notes = [
                        "The store decodes every event (envelope, payload bytes, hashes) into RecordedEvent values; \(read) read, \(checksum) payload bytes.",
                        "Writing the log first ran at \(BenchReport.rate(writeRate)) in 1,000-event appends.",
                    ]
                    printLine(report.render())
                }
            }
        }
    }
}
