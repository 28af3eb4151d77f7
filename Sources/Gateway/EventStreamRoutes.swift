import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import NIOCore
import Projections

/// `GET /api/v1/events`: the caller's deployment events live, as Server-Sent Events, from the
/// log — optionally only one project's, environment's or deployment's. A new stream starts
/// live, at the head (one deployment's stream from that deployment's first event); a client
/// that reconnects with `Last-Event-ID` (or `?after=`) gets everything after that position in
/// order, then goes live: no gap, no duplicate. Catching up reads the log page by page, a few
/// streams at a time (``ReplaySlots``), so reconnecting clients cannot take the database from
/// other requests. A comment every 15 s keeps idle streams open; a stream of one deployment
/// ends after its final event; `follow=false` reads what is there (from `after`, default 0) and ends.
extension GatewayServer {
    func addEventStreamRoutes(to api: RouterGroup<GatewayContext>) {
        let reader = reader, store = store, timeout = requestTimeout, live = live

        api.get("/events") { request, context in
            await Self.answering(context, within: timeout) {
                let principal = try context.require(.viewDeployments)
                let query = request.uri.queryParameters
                let resumeFrom = request.headers[HTTPField.Name("Last-Event-ID")!] ?? query.get("after")
                let given = resumeFrom.map { Int64($0) }
                guard given.map({ ($0 ?? -1) >= 0 }) ?? true else {
                    throw APIError.badRequest("Last-Event-ID and after take a log position (a whole number ≥ 0)")
                }
                var resume: Int64? = given ?? nil
                guard let follow = query.get("follow").map({ ["true": true, "false": false][$0] }) ?? true else {
                    throw APIError.badRequest("follow takes true or false")
                }
                var scope = EventStreamScope(principal: principal, project: query.get("project_id"))
                if let id = query.get("deployment_id") {
                    // From the deployment's own stream, so that streams never wait for a read model.
                    let stream = DomainIDs.deploymentStream(id)
                    guard let first = try await store.read(stream: stream, limit: 1).first,
                        let metadata = try? first.metadata(), principal.sees(organisation: metadata.organisation, project: metadata.project)
                    else { throw APIError.notFound("no deployment '\(id)'") }
                    scope.deployment = id
                    // One deployment's history is its own stream's: a new client gets it from the start.
                    resume = resume ?? 0
                    // Already over, and the caller has its last event: nothing will come.
                    if let last = try await store.read(stream: stream, direction: .backward, limit: 1).first,
                        let record = try? DomainRecord(last), ServerSentEvents.ends(record), (resume ?? 0) >= last.position
                    {
                        return Self.eventStreamResponse(ResponseBody { writer in try await writer.finish(nil) })
                    }
                }
                if let id = query.get("environment_id") {
                    guard let environment = try await reader.environment(id), principal.sees(organisation: environment.organisationID, project: environment.projectID)
                    else { throw APIError.notFound("no environment '\(id)'") }
                    scope.environment = id
                }
                let body: ResponseBody
                let slots = live.replaySlots
                if follow {
                    let subscription = try await live.feed.subscribe(scope: scope, after: resume, within: timeout)
                    // A client that hangs up ends its stream at once (the feed finishes its items),
                    // and stops counting as connected.
                    await ClientHangUpHandler.hangUp(of: context.channel)?.whenComplete { _ in live.feed.unsubscribe(subscription.id) }
                    body = ResponseBody { [scope] writer in
                        defer { live.feed.unsubscribe(subscription.id) }
                        try await Self.streamLive(subscription, scope: scope, store: store, reader: reader, slots: slots) { text in
                            try await writer.write(ByteBuffer(string: text))
                        }
                        try await writer.finish(nil)
                    }
                } else {
                    body = ResponseBody { [scope, resume] writer in
                        try await Self.streamFromLog(after: resume ?? 0, through: nil, scope: scope, store: store, reader: reader, slots: slots) { text in
                            try await writer.write(ByteBuffer(string: text))
                        }
                        try await writer.finish(nil)
                    }
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

    /// Writes a live stream: what the client missed (from the feed's recent events, or from the
    /// log when it is further behind), then the feed's items as they come, until the scoped
    /// deployment ends, the client goes away (a write fails), the client fell too far behind
    /// (the feed cut it off; it resumes by `Last-Event-ID`) or the task is cancelled.
    static func streamLive(
        _ subscription: LiveFeed.Subscription, scope: EventStreamScope, store: EventStore, reader: ProjectionReader, slots: ReplaySlots,
        write: (String) async throws -> Void
    ) async throws {
        try await write("retry: \(ServerSentEvents.retryMilliseconds)\n\n")
        let after = subscription.start
        var last = after
        switch subscription.catchUp {
        case .recent(let events):
            for event in events {
                guard let message = event.message else { continue }
                try await write(message)
                last = event.position
                if scope.deployment != nil, event.ends { return }
            }
        case .log(let through):
            guard
                let reached = try await streamFromLog(
                    after: after, through: through, scope: scope, store: store, reader: reader, slots: slots, write: write, retry: false)
            else { return }
            last = reached
        }
        for await item in subscription.items {
            switch item {
            case .heartbeat:
                try await write(ServerSentEvents.heartbeat)
            case .event(let event):
                guard event.position > last, let message = event.message else { continue }
                try await write(message)
                last = event.position
                if scope.deployment != nil, event.ends { return }
            }
        }
    }

    /// Writes the scope's events after `position` from the log, up to `through` (or the head,
    /// waiting for nothing). Returns the position reached, or nil when the scoped deployment
    /// ended on the way.
    @discardableResult
    static func streamFromLog(
        after position: Int64, through: Int64?, scope: EventStreamScope, store: EventStore, reader: ProjectionReader, slots: ReplaySlots,
        write: (String) async throws -> Void, retry: Bool = true
    ) async throws -> Int64? {
        if retry { try await write("retry: \(ServerSentEvents.retryMilliseconds)\n\n") }
        var position = position
        var directory = EnvironmentDirectory()
        /// Writes one recorded event if the scope shows it; true when the scoped deployment ended with it.
        func send(_ recorded: RecordedEvent) async throws -> Bool {
            guard let event = try await LiveEvent.make(recorded, environmentOf: { try await directory.environment(of: $0, $1, store: store) }),
                scope.includes(event), let message = event.message
            else { return false }
            try await write(message)
            position = event.position
            return scope.deployment != nil && event.ends
        }
        // One deployment's events are its own stream's: read that, not the whole log.
        if let deployment = scope.deployment {
            var version: Int64 = 1
            while !Task.isCancelled {
                let page = try await slots.withSlot { try await store.read(stream: DomainIDs.deploymentStream(deployment), from: version, limit: 500) }
                for recorded in page {
                    version = recorded.streamVersion + 1
                    guard recorded.position > position else { continue }
                    if let through, recorded.position > through { return position }
                    if try await send(recorded) { return nil }
                }
                if page.count < 500 { return max(position, through ?? position) }
            }
            return position
        }
        let filter = EventFilter(categories: ["deployment"])
        while !Task.isCancelled {
            let page = try await slots.withSlot { try await store.readAll(after: position, filter: filter, limit: 500) }
            for recorded in page.events {
                if let through, recorded.position > through { return position }
                if try await send(recorded) { return nil }
            }
            position = max(position, through.map { min($0, page.scannedThrough) } ?? page.scannedThrough)
            if page.events.count < 500 { return position }
        }
        return position
    }
}

