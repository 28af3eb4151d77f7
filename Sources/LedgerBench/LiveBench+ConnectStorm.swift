import CommandRuntime
import Foundation
import Ledger
import Projections
import LedgerDomain
import NIOCore
import NIOPosix
import Synchronization

/// The connect storm of `ledger-bench live`: how much one client's database reads slow down
/// while a thousand event streams connect at once without a position.
extension LiveBench {
    /// Deployment events in the log before the connect storm: what a stream that started at
    /// position 0 would replay.
    static let stormHistory = 600

    /// GET latencies with no stream connecting, then while `stormClients` streams connect at
    /// once without a position (each of them closed again afterwards).
    func connectStorm(
        service: DeploymentService, worker: FencedExecution, deployment: String, token: String, port: Int
    ) async throws -> (quiet: LatencySample, during: LatencySample) {
        status("writing \(Self.stormHistory) deployment events of history…")
        for n in 0..<Self.stormHistory {
            try await service.execute(deployment: deployment, context: CommandContext(actor: "bench")) { state, _ in
                try worker.appendLogs(state, lines: [LogLine(level: .info, step: nil, message: "history \(n)", atMicroseconds: Int64(n))])
            }
        }
        // The read models first hold that history (their runner is this process's), so both
        // phases read the same audit trail.
        try await ProjectionReader(client: client, awaitTimeout: .seconds(120), logger: logger)
            .awaitPosition(nil, of: ProjectionCatalog.all.map(\.name), store: service.store)
        let probe = BlockingHTTPProbe(port: port, path: "/api/v1/audit?limit=5", token: token)
        status("GET loop alone for 3 s…")
        let quietEnd = ContinuousClock.now + .seconds(3)
        let quiet = await probe.run { ContinuousClock.now >= quietEnd }
        status("GET loop while \(stormClients) streams connect at once…")
        let storming = StopSignal()
        // Awaited once the storm is over: the GET loop runs beside the connecting streams.
        let during = Task { await probe.run { storming.isSet } }
        let opened = DeliveryLog()
        let channels = try await withThrowingTaskGroup(of: (any Channel).self) { group in
            for _ in 0..<stormClients {
                group.addTask { try await SSEProbe.connect(group: MultiThreadedEventLoopGroup.singleton, port: port, path: "/api/v1/events", token: token, log: opened) }
            }
            return try await group.reduce(into: [any Channel]()) { $0.append($1) }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while opened.opened < stormClients, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .seconds(1))
        storming.set()
        let sample = await during.value
        for channel in channels { channel.close(promise: nil) }
        guard opened.opened == stormClients else { throw LedgerError(.unavailable, "only \(opened.opened) of \(stormClients) storm streams opened") }
        return (quiet, sample)
    }
}

/// Set once by one task, read by another's thread: when a benchmark's loop should end.
final class StopSignal: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
