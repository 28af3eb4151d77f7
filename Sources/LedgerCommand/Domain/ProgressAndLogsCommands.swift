import CommandRuntime
import ArgumentParser
import Foundation
import LedgerClient
import Gateway
import Ledger
import LedgerDomain
import Projections

/// `ledger progress ID [--follow]`: "step 5 of 14, 65 %" and every step.
struct ProgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "progress", abstract: "Show a deployment's steps and percent complete.")
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var id: String
    @Flag(help: "Keep printing as it changes, until the deployment finishes.") var follow = false
    @Option(help: "Read through a ledger server's HTTP API and its live event stream, e.g. http://127.0.0.1:8480 (default: $LEDGER_SERVER).")
    var server: String?
    @Option(help: "The API token for --server (default: $LEDGER_TOKEN).")
    var token: String?

    func run() async throws {
        try await reportingErrors {
            if let server = server ?? Environment.value("LEDGER_SERVER") {
                var client = try GatewayClient(url: server)
                client.token = token ?? Environment.value("LEDGER_TOKEN")
                try await followThroughServer(client)
                return
            }
            _ = try await DomainSession.run(connection, deadline: follow ? .longRunning : .command) { [id, follow, options] session in
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

    /// `GET …/progress` once, then again on every status and progress event of the live stream.
    private func followThroughServer(_ client: GatewayClient) async throws {
        let path = "/api/v1/deployments/\(id)/progress"
        var last: String?
        func show() async throws -> Bool {
            let reply = try await client.get(path)
            try Self.check(reply)
            guard let body = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any] else {
                throw GatewayClient.Failure(description: "the server's answer is not a deployment's progress")
            }
            let status = body["status"] as? String ?? "?"
            let current = (body["current_step"] as? String).map { " — \($0)" } ?? ""
            let line = "\(status): step \(body["step_number"] as? Int ?? 0) of \(body["total_steps"] as? Int ?? 0), \(body["progress_percent"] as? Int ?? 0) %\(current)"
            if last != line {
                printLine(options.json ? String(decoding: reply.body, as: UTF8.self) : line)
                last = line
            }
            return DeploymentStatus(rawValue: status)?.isTerminal ?? false
        }
        if try await show() || !follow { return }
        try await client.followEvents(query: "deployment_id=\(id)") { event in
            if event.event == "deployment.progress" || event.event == "deployment.status" { _ = try await show() }
        }
        // The stream ends with the final event; the read model follows within moments.
        for _ in 0..<50 {
            if try await show() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Turns an error answer into the CLI's errors.
    static func check(_ reply: GatewayClient.Reply) throws {
        switch reply.status {
        case 200: return
        case 404: throw CommandRejection(.notFound, reply.errorMessage)
        case 401, 403: throw GatewayClient.Failure(description: "the server refused: \(reply.errorMessage); give an API token with --token or LEDGER_TOKEN")
        case 400..<500: throw CommandRejection(.invalid, reply.errorMessage)
        default: throw GatewayClient.Failure(description: "the server failed: \(reply.errorMessage)")
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
    static let configuration = CommandConfiguration(
        commandName: "logs", abstract: "Print a deployment's log lines in order.",
        discussion: """
            Reads the database directly, or with --server (or LEDGER_SERVER) a running `ledger run`'s HTTP API, \
            asking for zstd-compressed pages.
            """)
    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: DomainOptions
    @Argument var id: String
    @Option(help: "debug, info, warning or error.") var level: String?
    @Option(help: "Only this step's lines.") var step: String?
    @Option(help: "Lines to skip.") var skip = 0
    @Option(help: "Most lines to print (1–500 a page; with --follow, per page).") var limit = 500
    @Flag(help: "Keep printing new lines until the deployment finishes.") var follow = false
    @Option(help: "Read through a ledger server's HTTP API, e.g. http://127.0.0.1:8480 (default: $LEDGER_SERVER; none: the database).")
    var server: String?

    @Option(help: "The API token for --server (default: $LEDGER_TOKEN).")
    var token: String?

    func validate() throws {
        if let level, LogLevel(rawValue: level) == nil { throw ValidationError("unknown level '\(level)'") }
        guard skip >= 0, (1...500).contains(limit) else { throw ValidationError("--skip must be ≥ 0 and --limit 1–500") }
    }

    func run() async throws {
        try await reportingErrors {
            if let server = server ?? Environment.value("LEDGER_SERVER") {
                var client = try GatewayClient(url: server)
                client.token = token ?? Environment.value("LEDGER_TOKEN")
                try await followThroughServer(client)
                return
            }
            _ = try await DomainSession.run(connection, deadline: follow ? .longRunning : .command) { [id, level, step, skip, limit, follow, options] session in
                var offset = skip
                while true {
                    try await session.catchUp(["logs", "deployments"])
                    guard let deployment = try await session.reader.deployment(id) else { throw CommandRejection(.notFound, "no such deployment") }
                    let lines = try await session.reader.logs(
                        deployment: id, level: level.flatMap(LogLevel.init(rawValue:)), step: step, skip: offset, limit: limit)
                    for line in lines { try Self.print(line, json: options.json) }
                    offset += lines.count
                    if lines.count == limit { continue }
                    if !follow || deployment.status.isTerminal { return }
                    try await session.session.store.waitForAppend(after: try await session.session.store.headPosition(), timeout: .seconds(2))
                }
            }
        }
    }

    /// The same pages through `GET /api/v1/deployments/{id}/logs`, zstd-compressed on the wire;
    /// with --follow, the deployment's live event stream (from its first line, resumed after a
    /// dropped connection without a gap or a repeat) until it ends.
    private func followThroughServer(_ client: GatewayClient) async throws {
        if follow {
            var seen = 0
            let json = options.json
            try await client.followEvents(query: "deployment_id=\(id)") { event in
                guard event.event == "deployment.log", let batch = try? LedgerJSON.decode(LiveLogBatch.self, from: Data(event.data.utf8)) else { return }
                for line in batch.lines where (level == nil || line.level == level) && (step == nil || line.step == step) {
                    seen += 1
                    guard seen > skip else { continue }
                    if json {
                        printLine(String(decoding: try JSONEncoder().encode(line), as: UTF8.self))
                    } else {
                        printLine("\(line.timestamp) \(line.level.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) [\(line.step ?? "-")] \(line.message)")
                    }
                }
            }
            return
        }
        var offset = skip
        while true {
            var query = [URLQueryItem(name: "skip", value: "\(offset)"), URLQueryItem(name: "limit", value: "\(limit)")]
            if let level { query.append(URLQueryItem(name: "level", value: level)) }
            if let step { query.append(URLQueryItem(name: "step", value: step)) }
            var components = URLComponents()
            components.path = "/api/v1/deployments/\(id)/logs"
            components.queryItems = query
            let reply = try await client.get(components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? ""))
            switch reply.status {
            default: try ProgressCommand.check(reply)
            }
            guard let page = try? LedgerJSON.decode(LogsPage.self, from: Data(reply.body)), let lines = page.entries else {
                throw GatewayClient.Failure(description: "the server's answer is not a page of log lines")
            }
            for line in lines { try Self.print(line, json: options.json) }
            offset += lines.count
            if lines.count == limit { continue }
            if !follow || DeploymentStatus(rawValue: page.deploymentStatus)?.isTerminal != false { return }
            try await Task.sleep(for: .seconds(1))
        }
    }

    private static func print(_ line: LogEntry, json: Bool) throws {
        if json { try Output.json(line) } else {
            printLine("\(Output.time(line.atMicroseconds)) \(line.level.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)) [\(line.step ?? "-")] \(line.message)")
        }
    }
}
