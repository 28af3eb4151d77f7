import Foundation

/// Decides, with the head lock held, what a batch of append requests writes.
///
/// Pure: it takes the log's state as read under the lock and returns the rows to insert and
/// one outcome per request. Requests are considered in order, each seeing the streams as the
/// earlier requests of the batch left them, so one batch is equivalent to running its requests
/// one after another — a conflicting request is refused alone, without failing its neighbours.
struct AppendPlanner {
    /// A stream's state as the next append sees it.
    struct StreamState: Hashable, Sendable {
        var version: Int64
        var lastHash: EventHash
        var lastPosition: Int64

        static let absent = StreamState(version: 0, lastHash: .zero, lastPosition: 0)
    }

    /// An event already in the log that carries one of the batch's ids.
    struct ExistingEvent: Hashable, Sendable {
        var streamID: String
        var streamVersion: Int64
        var position: Int64
        var type: String
        var data: Data
    }

    /// What became of one request.
    enum Outcome: Sendable {
        /// Written by this batch.
        case appended(AppendResult)
        /// Every id was already in the log with the same content: the original result, nothing written.
        case alreadyAppended(AppendResult)
        /// Refused; nothing of it written.
        case rejected(any Error)
        /// Shares an event id with an earlier request of this batch; try it again in the next batch.
        case deferred
    }

    /// Everything the batch writes.
    struct Plan: Sendable {
        var rows: [RecordedEvent] = []
        var metadata: [EventMetadata] = []
        var streamUpdates: [StreamID: StreamState] = [:]
        var outcomes: [Outcome] = []
        var newHead: Int64
    }

    var head: Int64
    var nowMicroseconds: Int64
    var streams: [StreamID: StreamState]
    var existing: [UUID: ExistingEvent]

    func plan(_ requests: [AppendRequest]) -> Plan {
        var plan = Plan(newHead: head)
        let eventCount = requests.reduce(0) { $0 + $1.eventCount }
        plan.rows.reserveCapacity(eventCount)
        plan.metadata.reserveCapacity(eventCount)
        var current = streams
        var idsInBatch = Set<UUID>()

        for (index, request) in requests.enumerated() {
            let ids = request.streams.flatMap { $0.events.map(\.id) }
            if !idsInBatch.isEmpty && ids.contains(where: idsInBatch.contains) {
                plan.outcomes.append(.deferred)
                continue
            }
            if let replay = replayOutcome(of: request) {
                plan.outcomes.append(replay)
                continue
            }
            if let conflict = request.streams.lazy.compactMap({ append -> AppendConflict? in
                let actual = current[append.streamID, default: .absent].version
                return append.expectedVersion.isSatisfied(byCurrentVersion: actual)
                    ? nil : AppendConflict(streamID: append.streamID, expected: append.expectedVersion, actual: actual)
            }).first {
                plan.outcomes.append(.rejected(conflict))
                continue
            }

            let firstPosition = plan.newHead + 1
            var results: [AppendResult.StreamResult] = []
            for append in request.streams {
                var state = current[append.streamID, default: .absent]
                let firstVersion = state.version + 1
                for event in append.events {
                    plan.newHead += 1
                    state.version += 1
                    let metadataJSON = event.metadataJSON
                    let hash = EventHasher.hash(
                        previous: state.lastHash, position: plan.newHead, streamVersion: state.version,
                        schemaVersion: event.schemaVersion, recordedAtMicroseconds: nowMicroseconds,
                        eventID: event.id, streamID: append.streamID.rawValue, type: event.type,
                        data: event.data, metadata: metadataJSON)
                    plan.rows.append(RecordedEvent(
                        id: event.id, streamID: append.streamID, streamVersion: state.version, position: plan.newHead,
                        type: event.type, schemaVersion: event.schemaVersion, data: event.data, metadataJSON: metadataJSON,
                        recordedAtMicroseconds: nowMicroseconds, previousHash: state.lastHash, hash: hash))
                    plan.metadata.append(event.metadata)
                    state.lastHash = hash
                    state.lastPosition = plan.newHead
                }
                current[append.streamID] = state
                plan.streamUpdates[append.streamID] = state
                results.append(.init(streamID: append.streamID, version: state.version, firstVersion: firstVersion, lastPosition: state.lastPosition))
            }
            // Only later requests of the batch are checked against these ids.
            if index < requests.count - 1 { idsInBatch.formUnion(ids) }
            var appended = AppendResult(streams: results, firstPosition: firstPosition, lastPosition: plan.newHead, wasAlreadyAppended: false)
            appended.recordedAtMicroseconds = nowMicroseconds
            plan.outcomes.append(.appended(appended))
        }
        return plan
    }

    /// nil when none of the request's ids are in the log yet; otherwise the original result
    /// (a faithful retry) or the error for an id reused with different content.
    private func replayOutcome(of request: AppendRequest) -> Outcome? {
        var matched: [(StreamAppend, [ExistingEvent])] = []
        var anyFound = false
        var firstMissing: UUID?
        for append in request.streams {
            var found: [ExistingEvent] = []
            for event in append.events {
                guard let old = existing[event.id] else {
                    firstMissing = firstMissing ?? event.id
                    continue
                }
                anyFound = true
                guard old.streamID == append.streamID.rawValue, old.type == event.type, old.data == event.data else {
                    return .rejected(EventIDReused(eventID: event.id, existingPosition: old.position))
                }
                found.append(old)
            }
            matched.append((append, found))
        }
        guard anyFound else { return nil }
        if firstMissing != nil {
            let reused = request.events.first { existing[$0.id] != nil }!
            return .rejected(EventIDReused(eventID: reused.id, existingPosition: existing[reused.id]!.position))
        }
        let results = matched.map { append, found in
            AppendResult.StreamResult(
                streamID: append.streamID,
                version: found.map(\.streamVersion).max()!,
                firstVersion: found.map(\.streamVersion).min()!,
                lastPosition: found.map(\.position).max()!)
        }
        let positions = matched.flatMap { $0.1.map(\.position) }
        return .alreadyAppended(AppendResult(
            streams: results, firstPosition: positions.min()!, lastPosition: positions.max()!, wasAlreadyAppended: true))
    }
}
