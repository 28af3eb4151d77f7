import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore
import Projections

/// `GET /api/v1/events`: the caller's deployment events live, as Server-Sent Events, from the
/// log — optionally only one project's, environment's or deployment's. A client that
/// reconnects with `Last-Event-ID` (or `?after=`) gets everything after that position in order,
/// then goes live: no gap, no duplicate. A comment every 15 s keeps idle streams open; a
/// stream of one deployment ends after its final event; `follow=false` ends once caught up.
extension GatewayServer {
    func addEventStreamRoutes(to api: RouterGroup<GatewayContext>) {
        let reader = reader, store = store, logger = logger, timeout = requestTimeout

        api.get("/events") { request, context in
            await Self.answering(logger, within: timeout, requestID: context.requestID) {
                let principal = try context.require(.viewDeployments)
                let query = request.uri.queryParameters
                let resumeFrom = request.headers[HTTPField.Name("Last-Event-ID")!] ?? query.get("after")
                guard let after = resumeFrom.map({ Int64($0) }) ?? 0, after >= 0 else {
                    throw APIError.badRequest("Last-Event-ID and after take a log position (a whole number ≥ 0)")
                }
                guard let follow = query.get("follow").map({ ["true": true, "false": false][$0] }) ?? true else {
                    throw APIError.badRequest("follow takes true or false")
                }
                var scope = EventStreamScope(principal: principal, project: query.get("project_id"))
                if let id = query.get("deployment_id") {
                    guard let view = try await reader.deploymentView(id), principal.sees(organisation: view.state.organisationID, project: view.state.projectID)
                    else { throw APIError.notFound("no deployment '\(id)'") }
                    scope.deployment = id
                    // Already over, and the caller has its last event: nothing will come.
                    if view.state.status.isTerminal,
                        let last = try await store.read(stream: DomainIDs.deploymentStream(id), direction: .backward, limit: 1).first,
                        after >= last.position
                    {
                        return Self.eventStreamResponse(ResponseBody { writer in try await writer.finish(nil) })
                    }
                }
                if let id = query.get("environment_id") {
                    guard let environment = try await reader.environment(id), principal.sees(organisation: environment.organisationID, project: environment.projectID)
                    else { throw APIError.notFound("no environment '\(id)'") }
                    scope.environment = id
                }
                let body = ResponseBody { [scope] writer in
                    try await Self.stream(after: after, scope: scope, follow: follow, store: store, reader: reader) { text in
                        try await writer.write(ByteBuffer(string: text))
                    }
                    try await writer.finish(nil)
                }
                return Self.eventStreamResponse(body)
            }
        }
    }

    static func eventStreamResponse(_ body: ResponseBody) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Writes the scope's events after `position` until the scoped deployment ends, the client
    /// goes away (a write fails) or the task is cancelled.
    static func stream(
        after position: Int64, scope: EventStreamScope, follow: Bool = true, store: EventStore, reader: ProjectionReader,
        write: (String) async throws -> Void
    ) async throws {
        try await write("retry: \(ServerSentEvents.retryMilliseconds)\n\n")
        var position = position
        var scope = scope
        var lastWrite = ContinuousClock.now
        let filter = EventFilter(categories: ["deployment"])
        while !Task.isCancelled {
            let page = try await store.readAll(after: position, filter: filter, limit: 500)
            for event in page.events {
                let record = try DomainRecord(event)
                guard try await scope.includes(record, metadata: (try? event.metadata()) ?? EventMetadata(), reader: reader), let message = ServerSentEvents.message(for: record) else {
                    continue
                }
                try await write(message)
                lastWrite = .now
                if scope.deployment != nil, ServerSentEvents.ends(record) { return }
            }
            position = max(position, page.scannedThrough)
            guard page.events.count < 500 else { continue }
            if !follow { return }
            let heartbeatDue = lastWrite + .seconds(15)
            try await store.waitForAppend(after: position, timeout: max(.milliseconds(10), ContinuousClock.now.duration(to: heartbeatDue)))
            if ContinuousClock.now >= heartbeatDue {
                try await write(ServerSentEvents.heartbeat)
                lastWrite = .now
            }
        }
    }
}

/// Which deployment events a stream shows: those of the caller's organisation (and project),
/// narrowed to a project, environment or deployment when asked.
struct EventStreamScope: Sendable {
    let principal: Principal
    var project: String?
    var environment: String?
    var deployment: String?
    /// Deployments known to belong (or not) to the asked environment.
    private var environmentOf: [String: String] = [:]

    init(principal: Principal, project: String?) {
        self.principal = principal
        self.project = project
    }

    mutating func includes(_ record: DomainRecord, metadata: EventMetadata, reader: ProjectionReader) async throws -> Bool {
        let id = DomainIDs.id(of: record.streamID)
        if let deployment, deployment != id { return false }
        guard principal.sees(organisation: metadata.organisation, project: metadata.project) else { return false }
        if let project, metadata.project != project { return false }
        if let environment {
            if case .deploymentRequested(let e) = record.event { environmentOf[id] = e.environmentID }
            if environmentOf[id] == nil { environmentOf[id] = try await reader.deployment(id)?.environmentID ?? "" }
            return environmentOf[id] == environment
        }
        return true
    }
}
