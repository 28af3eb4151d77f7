import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import NIOCore
import Projections

/// Writes an event stream's messages: what a client missed, from the feed's recent events or
/// from the log, then the feed's items as they come (``EventStreamController``).
enum EventStreamWriter {
    static func response(_ body: ResponseBody) -> Response {
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

