import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain
import Logging
import NIOCore
import PostgresNIO

/// `ledger-bench append`: single-event appends by 1, 4 and 16 writers and bulk appends, each
/// as a ratio to raw PostgreSQL doing the same rows in the same run (pgbench one-row INSERT,
/// COPY, multi-row INSERT).
struct AppendBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "append", abstract: "Benchmark appends against pgbench INSERT and COPY baselines.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("seconds"), help: "Duration of each single-append measurement (ledger and pgbench alike).")
    var seconds: Int = 5

    @Option(name: .customLong("rounds"), help: "Alternating ledger/pgbench rounds per writer count; the ratio shown is the median of the rounds' ratios.")
    var rounds: Int = 3

    @Option(name: .customLong("bulk-events"), help: "Events written per round by the bulk measurement and by each bulk baseline.")
    var bulkEvents: Int = 200_000

    @Option(name: .customLong("writers"), help: "Writer counts to measure (repeatable).")
    var writers: [Int] = [1, 4, 16]

    func validate() throws {
        guard seconds > 0, rounds > 0, bulkEvents >= 1_000, writers.allSatisfy({ $0 > 0 && $0 <= 64 }) else {
            throw ValidationError("--seconds and --rounds must be positive, --bulk-events at least 1000, --writers between 1 and 64")
        }
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [self] session in
                try await BenchDatabase.with(server: session.url, logger: session.logger) { database, client in
                    let store = EventStore(client: client, logger: session.logger)
                    var report = BenchReport(title: "ledger-bench append — \(ProcessInfo.processInfo.activeProcessorCount) cores, database \(database.url.database)")
                    // Bulk first, so that the log and the baseline tables start empty and grow alike
                    // round by round: the single appends would otherwise leave the log hundreds of
                    // thousands of rows (and deeper indexes) ahead of the baseline tables.
                    var bulkRow = BenchReport(title: "")
                    var roundNotes = [try await measureBulk(store: store, database: database, client: client, into: &bulkRow)]
                    // From here on the log and the single-row baseline table start equal and both grow.
                    try await database.mirrorLog(client)
                    for count in writers {
                        roundNotes.append(try await measureSingle(writers: count, store: store, database: database, client: client, into: &report))
                    }
                    // The bulk row last, after the single appends, as the report has always listed them.
                    report.rows += bulkRow.rows
                    report.notes = [
                        "Every ledger append is acknowledged only after its transaction committed durably (synchronous_commit as configured on the server).",
                        "Baselines write the same row shape and payload bytes into a copy of ledger.events with the same indexes and no triggers.",
                        "Bulk runs first in \(rounds) round(s) of ledger, COPY and multi-row INSERT, each after a CHECKPOINT; the log and the two baseline tables start empty and grow alike.",
                        "Bulk compares with the better baseline of its round; raw figures drift between runs on a shared machine, ratios less so.",
                        "Single appends alternate ledger and pgbench in \(rounds) round(s) per writer count, each after a CHECKPOINT; pgbench's table starts as a copy of the log.",
                        "Rates and ratios are medians over the rounds (each round below).",
                    ]
                    report.notes += roundNotes
                    printLine(report.render())
                }
            }
        }
    }

    /// Bulk appends against COPY and a multi-row INSERT, round by round; adds the row and returns the rounds' note.
    private func measureBulk(store: EventStore, database: BenchDatabase, client: PostgresClient, into report: inout BenchReport) async throws -> String {
        var bulk: [Double] = [], copy: [Double] = [], multiRow: [Double] = []
        for round in 1...rounds {
            progress("bulk round \(round) of \(rounds): \(bulkEvents) events in 1,000-event batches, then COPY, then multi-row INSERT…")
            await database.settle(client)
            bulk.append(try await bulkAppends(store: store, events: bulkEvents, round: round))
            await database.settle(client)
            copy.append(try await copyBaseline(database: database, client: client, rows: bulkEvents, round: round))
            await database.settle(client)
            multiRow.append(try await multiRowBaseline(database: database, rows: bulkEvents))
        }
        let bulkRatios = zip(bulk, zip(copy, multiRow)).map { $0 / max($1.0, $1.1) }
        report.add(
            "bulk append, 1,000/batch", ledger: BenchReport.rate(BenchReport.median(bulk)),
            baseline: "\(BenchReport.rate(BenchReport.median(copy), "rows/s")) COPY, \(BenchReport.rate(BenchReport.median(multiRow), "rows/s")) multi-row INSERT",
            ratio: BenchReport.median(bulkRatios), target: 0.8)
        return "bulk append, ledger ev/s / COPY rows/s / multi-row INSERT rows/s by round: "
            + zip(zip(bulk, copy), zip(multiRow, bulkRatios)).map { String(format: "%.0f / %.0f / %.0f = %.2f×", $0.0, $0.1, $1.0, $1.1) }.joined(separator: "; ")
    }

    /// Single appends by `count` writers against pgbench's one-row INSERT, round by round; adds the row and returns the rounds' note.
    private func measureSingle(
        writers count: Int, store: EventStore, database: BenchDatabase, client: PostgresClient, into report: inout BenchReport
    ) async throws -> String {
        let script = "INSERT INTO bench.raw_events VALUES " + BenchDatabase.rawValuesSQL(stream: "'raw-' || :client_id") + ";\n"
        var rates: [Double] = [], baselines: [Double] = [], ratios: [Double] = []
        var latency = LatencySample()
        var paths = AppendPathCounts()
        for round in 1...rounds {
            progress("single appends, \(count) writer(s), round \(round) of \(rounds): \(seconds)s ledger, then \(seconds)s pgbench…")
            await database.settle(client)
            let before = store.appendPathCounts
            let (rate, sample) = try await singleAppends(store: store, writers: count, seconds: seconds)
            let after = store.appendPathCounts
            paths.planned += after.planned - before.planned
            paths.locked += after.locked - before.locked
            paths.lateWitnesses += after.lateWitnesses - before.lateWitnesses
            await database.settle(client)
            let baseline = try await database.pgbench(script: script, clients: count, seconds: seconds)
            rates.append(rate)
            baselines.append(baseline)
            ratios.append(rate / baseline)
            latency.values += sample.values
        }
        let name = "single append, \(count) writer\(count == 1 ? "" : "s")"
        report.add(
            name,
            ledger: BenchReport.rate(BenchReport.median(rates)) + String(format: " (p50 %.2f ms, p99 %.2f ms)", latency.percentile(0.5) * 1000, latency.percentile(0.99) * 1000),
            baseline: BenchReport.rate(BenchReport.median(baselines), "rows/s") + " pgbench one-row INSERT",
            ratio: BenchReport.median(ratios), target: Self.target(writers: count))
        return "\(name), ledger ev/s / pgbench rows/s by round: "
            + zip(zip(rates, baselines), ratios).map { String(format: "%.0f / %.0f = %.2f×", $0.0, $0.1, $1) }.joined(separator: "; ")
            + " (batches: \(paths.planned) planned, \(paths.locked) locked; \(paths.lateWitnesses) commit(s) proven by a second query)"
    }

    /// What issue 27 asks of one-row appends against pgbench's one-row INSERT, by writers.
    static func target(writers: Int) -> Double? {
        switch writers {
        case 1: 0.7
        case 4: 0.8
        case 16: 1.2
        default: nil
        }
    }

    private func progress(_ message: String) {
        if !connection.quiet { printError("bench: \(message)") }
    }

    /// `writers` tasks, each appending one event at a time to its own stream with an exact expected version.
    private func singleAppends(store: EventStore, writers: Int, seconds: Int) async throws -> (Double, LatencySample) {
        let clock = ContinuousClock()
        let run = UUID().uuidString.prefix(8)
        let start = clock.now
        let deadline = start.advanced(by: .seconds(seconds))
        let samples = try await withThrowingTaskGroup(of: LatencySample.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var sample = LatencySample()
                    let stream = try StreamID("bench\(writer)-\(run)")
                    var version: Int64 = 0
                    while clock.now < deadline {
                        let event = try NewEvent(type: "LogLine", data: BenchDatabase.payload,
                                                 metadata: EventMetadata(actor: "bench", organisation: "org-bench", source: "bench"))
                        let began = clock.now
                        _ = try await store.append(to: stream, expectedVersion: .exact(version), events: [event])
                        sample.add(clock.now - began)
                        version += 1
                    }
                    return sample
                }
            }
            return try await group.reduce(into: LatencySample()) { $0.values += $1.values }
        }
        let elapsed = (clock.now - start).seconds
        return (Double(samples.values.count) / elapsed, samples)
    }

    /// `events` events in appends of 1,000, one after another, to new streams of this round.
    private func bulkAppends(store: EventStore, events: Int, round: Int) async throws -> Double {
        let clock = ContinuousClock()
        let metadata = EventMetadata(actor: "bench", organisation: "org-bench", source: "bench")
        let batches = events / 1_000
        let prepared = try (0..<batches).map { index in
            (try StreamID("bulk\(round)-\(index)"), try (0..<1_000).map { _ in try NewEvent(type: "LogLine", data: BenchDatabase.payload, metadata: metadata) })
        }
        let start = clock.now
        for (stream, batch) in prepared {
            _ = try await store.append(to: stream, expectedVersion: .noStream, events: batch)
        }
        return Double(batches * 1_000) / (clock.now - start).seconds
    }

    /// COPY of the same rows (text format) through the same client library, into `bench.bulk_copy`
    /// after the rows of the earlier rounds.
    private func copyBaseline(database: BenchDatabase, client: PostgresClient, rows: Int, round: Int) async throws -> Double {
        let data = "\\\\x" + BenchDatabase.hex(BenchDatabase.payload)
        let metadata = "\\\\x" + BenchDatabase.hex(BenchDatabase.metadata)
        let zero = "\\\\x" + String(repeating: "00", count: 32)
        let clock = ContinuousClock()
        let start = clock.now
        try await client.withConnection { connection in
            // copyFrom quotes the table name as one identifier, so the schema comes from the path.
            try await connection.query("SET search_path TO bench, public", logger: database.logger)
            try await connection.copyFrom(
                table: "bulk_copy",
                columns: ["position", "event_id", "stream_id", "stream_version", "category", "event_type", "schema_version",
                          "data", "metadata", "actor", "organisation", "recorded_at", "prev_hash", "hash"],
                logger: database.logger
            ) { writer in
                var buffer = ByteBuffer()
                for index in (round - 1) * rows + 1...round * rows {
                    let id = UUID().uuidString
                    buffer.writeString("\(index)\t\(id)\tcopy-\(index / 1_000)\t\(index)\tcopy\tLogLine\t1\t\(data)\t\(metadata)\tbench\torg-bench\t2026-01-01 00:00:00+00\t\(zero)\t\(zero)\n")
                    if buffer.readableBytes > 256 * 1024 {
                        try await writer.write(buffer)
                        buffer.clear()
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
            try await connection.query("RESET search_path", logger: database.logger)
        }
        return Double(rows) / (clock.now - start).seconds
    }

    /// pgbench sending one INSERT of 1,000 literal rows per transaction, one client, into
    /// `bench.bulk_multi` after the rows of the earlier rounds.
    private func multiRowBaseline(database: BenchDatabase, rows: Int) async throws -> Double {
        let values = (0..<1_000).map { _ in BenchDatabase.rawValuesSQL(stream: "'multi-1'") }.joined(separator: ",\n")
        let script = "INSERT INTO bench.bulk_multi VALUES \n\(values);\n"
        return try await database.pgbench(script: script, clients: 1, transactions: rows / 1_000) * 1_000
    }
}
