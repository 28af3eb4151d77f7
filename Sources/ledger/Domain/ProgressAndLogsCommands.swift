import ArgumentParser
import Foundation
import Ledger
import Projections

/// `ledger progress ID [--follow]`: "step 5 of 14, 65 %" and every step.
struct ProgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "progress", abstract: "Show a deployment's steps and percent complete.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var id: String
    @Flag(help: "Keep printing as it changes, until the deployment finishes.") var follow = false

    func run() async throws {
        try await reportingErrors {
            _ = try await DomainSession.run(connection) { [id, follow, options] session in
                var last: DeploymentProgress?
                while true {
                    try await session.catchUp(["progress"])
                    guard let progress = try await session.reader.progress(id) else { throw CommandRejection(.notFound, "no such deployment") }
                    if progress != last {
                        if options.json { try Output.json(progress) } else { Self.print(progress, onlyHeadline: follow && last != nil) }
                        last = progress
                    }
                    if !follow || progress.status.isTerminal { return }
                    try await session.session.store.waitForAppend(after: try await session.session.store.headPosition(), timeout: .seconds(2))
                }
            }
        }
    }

    static func print(_ progress: DeploymentProgress, onlyHeadline: Bool) {
        let current = progress.currentStep.map { " — \($0.displayName)" } ?? ""
        printLine("\(progress.status.rawValue): step \(progress.stepNumber) of \(progress.steps.count), \(progress.percent) %\(current)")
        if onlyHeadline { return }
        Output.table(
            ["STEP", "STATUS", "STARTED", "DURATION", "LATEST MESSAGE"],
            progress.steps.map {
                [$0.step.rawValue, $0.status.rawValue, Output.time($0.startedAtMicroseconds), Output.duration($0.durationMs.map(Int64.init)), $0.latestMessage ?? ""]
            })
    }
}

/// `ledger logs ID [--level] [--step] [--follow]`.
struct LogsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a deployment's log lines in order.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var id: String
    @Option(help: "debug, info, warning or error.") var level: String?
    @Option(help: "Only this step's lines.") var step: String?
    @Option(help: "Lines to skip.") var skip = 0
    @Option(help: "Most lines to print (1–500 a page; with --follow, per page).") var limit = 500
    @Flag(help: "Keep printing new lines until the deployment finishes.") var follow = false

    func validate() throws {
        if let level, LogLevel(rawValue: level) == nil { throw ValidationError("unknown level '\(level)'") }
        guard skip >= 0, (1...500).contains(limit) else { throw ValidationError("--skip must be ≥ 0 and --limit 1–500") }
    }

    func run() async throws {
        try await reportingErrors {
            _ = try await DomainSession.run(connection) { [id, level, step, skip, limit, follow, options] session in
                var offset = skip
                while true {
                    try await session.catchUp(["logs", "deployments"])
                    guard let deployment = try await session.reader.deployment(id) else { throw CommandRejection(.notFound, "no such deployment") }
                    let lines = try await session.reader.logs(
                        deployment: id, level: level.flatMap(LogLevel.init(rawValue:)), step: step, skip: offset, limit: limit)
                    for line in lines {
                        if options.json { try Output.json(line) } else {
                            printLine("\(Output.time(line.atMicroseconds)) \(line.level.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) [\(line.step ?? "-")] \(line.message)")
                        }
                    }
                    offset += lines.count
                    if lines.count == limit { continue }
                    if !follow || deployment.status.isTerminal { return }
                    try await session.session.store.waitForAppend(after: try await session.session.store.headPosition(), timeout: .seconds(2))
                }
            }
        }
    }
}
