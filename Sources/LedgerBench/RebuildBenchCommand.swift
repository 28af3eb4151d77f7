import CommandRuntime
import ArgumentParser
import ChildProcess
import Executors
import Foundation
import Ledger
import LedgerDomain
import Logging
import PostgresNIO
import Projections

/// `ledger-bench rebuild`: generates a realistic log (mostly log lines), rebuilds every
/// projection from position 0, and compares with `COPY … TO` of the same rows in the same run.
struct RebuildBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Benchmark rebuilding every projection from position 0 against a raw COPY … TO scan.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .customLong("events"), help: "How many events to generate first.")
    var events: Int = 1_000_000

    @Option(name: .customLong("rounds"), help: "Alternating rounds of COPY TO and rebuilding all at once; the medians are reported.")
    var rounds: Int = 3

    @Flag(name: .customLong("keep-database"), help: "Keep the generated database afterwards (its URL is printed), e.g. to profile one projection's rebuild.")
    var keepDatabase = false

    func validate() throws {
        guard events >= 10_000 else { throw ValidationError("--events must be at least 10000") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be 1–20") }
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await LedgerRuntime.run(connection, deadline: .longRunning) { [events, rounds, keepDatabase, quiet = connection.quiet] session in
                try await BenchDatabase.with(server: session.url, logger: session.logger, keep: keepDatabase) { database, client in
                    let store = EventStore(client: client, logger: session.logger)
                    let clock = ContinuousClock()
                    let writeStart = clock.now
                    var history = SyntheticHistory()
                    history.environmentsPerOrganisation = 250
                    let written = try await history.append(events: events, to: store) { count in
                        if !quiet && count % 100_000 < 5_000 { printError("bench: generated \(count) of \(events) events") }
                    }
                    let writeRate = Double(written) / (clock.now - writeStart).seconds
                    try await client.query("VACUUM ANALYZE ledger.events", logger: session.logger)
                    let logEvents = try await Self.count(LogLinesAppended.eventType, client: client, logger: session.logger)

                    await database.settle(client)
                    if !quiet { printError("bench: COPY (SELECT …) TO of the same rows…") }
                    let copyRate = Double(written) / (try await database.copyOutSeconds())

                    var report = BenchReport(
                        title: "ledger-bench rebuild — \(written) events (\(logEvents) of them log lines), \(ProcessInfo.processInfo.activeProcessorCount) cores")
                    let say: @Sendable (String) -> Void = { if !quiet { printError("bench: \($0)") } }
                    try await Self.rebuildEach(
                        written: written, copyRate: copyRate, store: store, database: database, client: client, logger: session.logger, report: &report, say: say)
                    // The baseline again, next to each measurement it is compared with (the
                    // machine drifts over a run, and the single rebuilds above took a minute),
                    // then all together in one pass over the log, as `ledger projections rebuild
                    // all` does; alternating rounds, medians reported.
                    var allRates: [Double] = [], allCopyRates: [Double] = [], ratios: [Double] = []
                    for round in 1...rounds {
                        await database.settle(client)
                        say("round \(round) of \(rounds): COPY (SELECT …) TO again…")
                        let allCopyRate = Double(written) / (try await database.copyOutSeconds())
                        await database.settle(client)
                        say("round \(round) of \(rounds): rebuilding all projections at once…")
                        let allStart = clock.now
                        let outcome = try await ProjectionSetRebuilder(runners: Self.runners(store: store, client: client, logger: session.logger)).rebuild()
                        guard outcome.failed.isEmpty else { throw LedgerError(.invalidEvent, "rebuild failed: \(outcome.failed)") }
                        let allRate = Double(written) / (clock.now - allStart).seconds
                        allRates.append(allRate)
                        allCopyRates.append(allCopyRate)
                        ratios.append(allRate / allCopyRate)
                    }
                    report.add(
                        "rebuild all \(ProjectionCatalog.all.count) projections at once (median of \(rounds))", ledger: BenchReport.rate(BenchReport.median(allRates)),
                        baseline: BenchReport.rate(BenchReport.median(allCopyRates), "rows/s") + " COPY (SELECT …) TO (psql), alternating",
                        ratio: BenchReport.median(ratios), target: 0.4)
                    report.notes = [
                        "Rates are log events covered per second (all \(written) events / wall time); alone, each projection reads only its own event types;",
                        "all at once is one pass: each page read and decoded once, applied to the seven fresh copies concurrently.",
                        "COPY TO of the same rows ran at \(BenchReport.rate(copyRate, "rows/s")) before the single rebuilds; all at once, round by round: "
                            + zip(allRates, allCopyRates).map { "\(BenchReport.rate($0)) vs \(BenchReport.rate($1, "rows/s")) (\(String(format: "%.2f", $0 / $1))×)" }.joined(separator: ", ") + ".",
                        "Generating the log ran at \(BenchReport.rate(writeRate)) (decisions in memory, then bulk appends).",
                    ]
                    printLine(report.render())
                }
            }
        }
    }

    /// A runner of every projection, with the default configuration.
    static func runners(store: EventStore, client: PostgresClient, logger: Logger) -> [ProjectionRunner] {
        ProjectionCatalog.all.map { ProjectionRunner(projection: $0, store: store, client: client, configuration: ProjectionRunnerConfiguration(), logger: logger) }
    }

    /// Rebuilds each projection alone (each reads only its own event types) and adds its row.
    static func rebuildEach(
        written: Int, copyRate: Double, store: EventStore, database: BenchDatabase, client: PostgresClient, logger: Logger, report: inout BenchReport,
        say: @Sendable (String) -> Void
    ) async throws {
        let clock = ContinuousClock()
        for runner in runners(store: store, client: client, logger: logger) {
            say("rebuilding \(runner.projection.name)…")
            await database.settle(client)
            let start = clock.now
            let summary = try await ProjectionRebuilder(runner: runner).rebuild()
            let rate = Double(written) / (clock.now - start).seconds
            report.add(
                "rebuild \(runner.projection.name) (\(summary.events) events of its types)", ledger: BenchReport.rate(rate),
                baseline: BenchReport.rate(copyRate, "rows/s") + " COPY TO", ratio: rate / copyRate, target: nil)
        }
    }

    static func count(_ type: String, client: PostgresClient, logger: Logger) async throws -> Int {
        for try await count in try await client.query("SELECT count(*) FROM ledger.events WHERE event_type = \(type)", logger: logger).decode(Int.self) {
            return count
        }
        return 0
    }
}
