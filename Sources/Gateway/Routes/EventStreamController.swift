import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
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
struct EventStreamController: Sendable {
    let reader: ProjectionReader
    let store: EventStore
    let live: GatewayLive
    /// How long subscribing may take (the request's deadline).
    let timeout: Duration

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.get("/events", use: events)
        return routes
    }

    /// `GET /events?project_id=&environment_id=&deployment_id=&after=&follow=`.
    @Sendable func events(_ request: Request, context: GatewayContext) async throws -> Response {
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
            scope.deployment = try await visibleDeployment(id, to: principal)
            // One deployment's history is its own stream's: a new client gets it from the start.
            resume = resume ?? 0
            if try await hasEnded(id, before: resume ?? 0) { return EventStreamWriter.response(ResponseBody { writer in try await writer.finish(nil) }) }
        }
        if let id = query.get("environment_id") {
            guard let environment = try await reader.environment(id), principal.sees(organisation: environment.organisationID, project: environment.projectID)
            else { throw APIError.notFound("no environment '\(id)'") }
            scope.environment = id
        }
        let body = follow ? try await liveBody(scope, after: resume, channel: context.channel) : logBody(scope, after: resume ?? 0)
        return EventStreamWriter.response(body)
    }

    /// Deployment `id` when this principal may see it — from its own stream, so that streams
    /// never wait for a read model.
    private func visibleDeployment(_ id: String, to principal: Principal) async throws -> String {
        guard let first = try await store.read(stream: DomainIDs.deploymentStream(id), limit: 1).first,
            let metadata = try? first.metadata(), principal.sees(organisation: metadata.organisation, project: metadata.project)
        else { throw APIError.notFound("no deployment '\(id)'") }
        return id
    }

    /// True when deployment `id` is over and the caller has its last event: nothing will come.
    private func hasEnded(_ id: String, before resume: Int64) async throws -> Bool {
        guard let last = try await store.read(stream: DomainIDs.deploymentStream(id), direction: .backward, limit: 1).first,
            let record = try? DomainRecord(last)
        else { return false }
        return ServerSentEvents.ends(record) && resume >= last.position
    }

    /// A live stream: subscribed now (within the request's deadline), written as the feed goes.
    /// A client that hangs up ends its stream at once and stops counting as connected.
    private func liveBody(_ scope: EventStreamScope, after resume: Int64?, channel: any Channel) async throws -> ResponseBody {
        let (live, store, reader, slots) = (live, store, reader, live.replaySlots)
        let subscription = try await live.feed.subscribe(scope: scope, after: resume, within: timeout)
        await ClientHangUpHandler.hangUp(of: channel)?.whenComplete { _ in live.feed.unsubscribe(subscription.id) }
        return ResponseBody { writer in
            defer { live.feed.unsubscribe(subscription.id) }
            try await EventStreamWriter.streamLive(subscription, scope: scope, store: store, reader: reader, slots: slots) { text in
                try await writer.write(ByteBuffer(string: text))
            }
            try await writer.finish(nil)
        }
    }

    /// What the log holds after `resume`, then the end (`follow=false`).
    private func logBody(_ scope: EventStreamScope, after resume: Int64) -> ResponseBody {
        let (store, reader, slots) = (store, reader, live.replaySlots)
        return ResponseBody { writer in
            try await EventStreamWriter.streamFromLog(after: resume, through: nil, scope: scope, store: store, reader: reader, slots: slots) { text in
                try await writer.write(ByteBuffer(string: text))
            }
            try await writer.finish(nil)
        }
    }
}
