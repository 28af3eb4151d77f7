import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import PostgresNIO
@testable import Projections
import Testing

/// The logs projection keeps each event's lines as JSON and the reader expands them in SQL:
/// what comes out must be exactly the lines Swift decodes, awkward text included.
@Suite struct LogsProjectionTests {
    @Test func theReaderReturnsExactlyTheDecodedLinesInOrder() async throws {
        try await TestDatabase.withDatabase { db in
            let stream = DomainIDs.deploymentStream("awkward")
            var generator = SystemRandomNumberGenerator()
            var expected: [LogLine] = []
            // Events whose lines the projection must keep itself: NUL and unusual JSON.
            var expectedKept = 2
            for _ in 0..<40 {
                var event = LogLinesFastDecodingTests.randomEvent(&generator)
                event.deploymentID = "awkward"
                if event.lines.contains(where: { $0.message.contains("\0") }) { expectedKept += 1 }
                _ = try await db.store.append(to: stream, events: [try NewEvent(event)])
                expected += event.lines
            }
            // NUL, which PostgreSQL text cannot hold, in a message and in data.
            let nul = LogLinesAppended(deploymentID: "awkward", lines: [LogLine(level: .info, step: nil, message: "a\0b", data: ["k": "v\0"], atMicroseconds: 3)])
            _ = try await db.store.append(to: stream, events: [try NewEvent(nul)])
            expected += nul.lines
            // Valid JSON the fast path leaves alone (an extra key, a spaced layout): stored re-encoded.
            let unusual = #"{ "deploymentID": "awkward", "lines": [ {"level": "warning", "message": "spaced", "atMicroseconds": 5, "note": 1} ] }"#
            _ = try await db.store.append(to: stream, events: [try NewEvent(type: LogLinesAppended.eventType, data: Data(unusual.utf8))])
            expected.append(LogLine(level: .warning, step: nil, message: "spaced", atMicroseconds: 5))

            let caughtUp = try await ProjectionRebuildTests.runner(LogsProjection(), db).catchUp()
            #expect(caughtUp)
            // Lines are stored once, in the log: only events with NUL and the unusual one keep theirs here.
            for try await (rows, kept) in try await db.client.query(
                "SELECT count(*)::int8, count(body)::int8 FROM proj_logs.batches", logger: TestDatabase.logger
            ).decode((Int64, Int64).self) {
                #expect(rows == 42)
                #expect(kept == expectedKept)
            }
            let reader = ProjectionReader(client: db.client, logger: TestDatabase.logger)
            var read: [LogEntry] = []
            while true {
                let page = try await reader.logs(deployment: "awkward", skip: read.count, limit: 97)
                read += page
                if page.count < 97 { break }
            }
            let shown = expected.map { line in
                // The one change the read model makes: NUL, which PostgreSQL text cannot hold.
                LogLine(
                    level: line.level, step: line.step, message: line.message.replacingOccurrences(of: "\0", with: "\u{FFFD}"),
                    data: line.data?.mapValues { $0.replacingOccurrences(of: "\0", with: "\u{FFFD}") }, atMicroseconds: line.atMicroseconds)
            }
            #expect(read.count == shown.count)
            #expect(read.map { LogLine(level: $0.level, step: $0.step.flatMap(DeploymentStep.init(rawValue:)), message: $0.message, data: $0.data, atMicroseconds: $0.atMicroseconds) } == shown)
            #expect(zip(read, read.dropFirst()).allSatisfy { ($0.position, $0.line) < ($1.position, $1.line) })

            // Filters agree with filtering the decoded lines.
            let errors = try await reader.logs(deployment: "awkward", level: .error)
            #expect(errors.map(\.message) == Array(shown.filter { $0.level == .error }.map(\.message).prefix(500)))
            let step = DeploymentStep.standardPipeline[0]
            let stepped = try await reader.logs(deployment: "awkward", step: step.rawValue)
            #expect(stepped.map(\.message) == Array(shown.filter { $0.step == step }.map(\.message).prefix(500)))
        }
    }

    /// A log line's message becomes its step's latest message in `progress`, a jsonb row, which
    /// cannot hold NUL either: it must show U+FFFD there too instead of stopping the projection.
    @Test func aNulInALogLineDoesNotStopProgress() async throws {
        try await TestDatabase.withDatabase { db in
            let (service, _) = try await Fixture.acmeShop(db)
            let step = DeploymentStep.standardPipeline[0]
            try await service.createEnvironment(
                id: "shop-prod", project: "shop", name: "prod",
                configuration: EnvironmentConfiguration(host: "h", pipeline: [step], resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)),
                context: .init(actor: "ana"))
            let d1 = try await service.deploy(environment: "shop-prod", git: GitReference(commit: "abc1234"), context: .init(actor: "ana")).deploymentID!
            try await service.execute(deployment: d1, context: .init(actor: "executor")) { state, _ in try ExecutionDecisions.queue(state) }
            try await service.execute(deployment: d1, context: .init(actor: "executor")) { state, _ in try ExecutionDecisions.start(state, executor: "t", lease: "l") }
            try await service.execute(deployment: d1, context: .init(actor: "executor")) { state, progress in try ExecutionDecisions.startStep(state, progress, step: step) }
            try await service.execute(deployment: d1, context: .init(actor: "executor")) { state, _ in
                try ExecutionDecisions.appendLogs(state, lines: [LogLine(level: .info, step: step, message: "before\0after", atMicroseconds: 1)])
            }
            let caughtUp = try await ProjectionRebuildTests.runner(KeyedStateProjection<ProgressFold>(), db).catchUp()
            #expect(caughtUp)
            let progress = try await ProjectionReader(client: db.client, logger: TestDatabase.logger).progress(d1)
            #expect(progress?.steps.first?.latestMessage == "before\u{FFFD}after")
        }
    }
}

/// The scan for an escaped NUL (which keeps an event's lines in the read model) finds it
/// wherever it is and only there.
@Suite struct EscapedNULScanTests {
    @Test func anEscapedNULIsFoundWhereverItIsAndOnlyThere() {
        func scan(_ text: String) -> Bool { LogsProjection.containsEscapedNUL(Data(text.utf8)) }
        #expect(scan(#"\u0000"#))
        #expect(scan(#"{"m":"a\u0000"}"#))
        #expect(scan(#"{"m":"\\ \n \u0041 \u0000 x"}"#))
        #expect(scan(String(repeating: "x", count: 1_000) + #"\u0000"#))
        #expect(!scan(""))
        #expect(!scan(#"\u000"#))
        #expect(!scan(#"{"m":"\u0001 \\u000 \u00000"}"#.replacingOccurrences(of: #"\u00000"#, with: #"\u00010"#)))
        #expect(!scan(#"{"m":"no escapes at all"}"#))
        #expect(!scan(String(repeating: #"\"#, count: 9)))
    }
}
