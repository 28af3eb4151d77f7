import CommandRuntime
import ArgumentParser
import Foundation
import Ledger
import LedgerDomain

/// `ledger history STREAM --at TIME | --position N`: time travel, folded from the log itself.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "The state of an environment or deployment at a past instant or position, computed from the log.",
        discussion: "STREAM is environment-<id> or deployment-<id>. Without --at or --position: now.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument(help: "environment-<id> or deployment-<id>.") var stream: String
    @Option(help: "An instant (RFC 3339), e.g. 2026-11-21T10:30:00Z.") var at: String?
    @Option(help: "A global position.") var position: Int64?

    func validate() throws {
        if let at, Timestamps.parse(at) == nil { throw ValidationError("--at must be an RFC 3339 time, not '\(at)'") }
        if at != nil && position != nil { throw ValidationError("give --at or --position, not both") }
        guard stream.hasPrefix("environment-") || stream.hasPrefix("deployment-") else {
            throw ValidationError("STREAM must be environment-<id> or deployment-<id>")
        }
    }

    func run() async throws {
        try await reportingErrors {
            let streamID = try StreamID(stream)
            let point: HistoryPoint = if let position { .position(position) } else if let at, let micros = Timestamps.parse(at) { .instant(microseconds: micros) } else { .now }
            _ = try await DomainSession.run(connection) { [options] session in
                let id = DomainIDs.id(of: streamID)
                func asOf(_ position: Int64, _ micros: Int64) -> String { "as of position \(position) (\(Output.time(micros)) UTC)" }
                if streamID.category == "environment" {
                    guard let snapshot = try await session.service.environment(id, at: point) else {
                        throw CommandRejection(.notFound, "\(streamID) did not exist then")
                    }
                    let state = snapshot.state
                    if options.json { return try Output.json(state) }
                    printLine("\(state.environmentID) \(asOf(snapshot.position, snapshot.recordedAtMicroseconds))")
                    printLine("status \(state.status.rawValue), \(state.active ? "active" : "inactive"), in flight: \(state.inFlight ?? "none")")
                    printLine("running: " + (state.currentRelease.map { "#\($0.number) \($0.deploymentID) \($0.git.shortDescription)" } ?? "nothing"))
                    printLine("last stable: " + (state.lastStableRelease.map { "#\($0.number) \($0.deploymentID) \($0.git.shortDescription)" } ?? "none"))
                    if let c = state.configuration { printLine("configuration: \(c.sshUser)@\(c.host):\(c.sshPort), \(Output.resources(c.resources))") }
                } else {
                    guard let snapshot = try await session.service.deployment(id, at: point) else {
                        throw CommandRejection(.notFound, "\(streamID) did not exist then")
                    }
                    if options.json {
                        try Output.json(snapshot.state.deployment)
                        return try Output.json(snapshot.state.progress)
                    }
                    printLine("deployment \(snapshot.state.deployment.deploymentID) \(asOf(snapshot.position, snapshot.recordedAtMicroseconds))")
                    ProgressCommand.print(snapshot.state.progress, onlyHeadline: false)
                }
            }
        }
    }
}
