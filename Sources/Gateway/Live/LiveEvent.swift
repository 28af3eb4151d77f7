import Ledger
import LedgerDomain
import Synchronization

/// One committed deployment event as live streams serve it: its SSE message, rendered once when
/// the first stream needs it, and what a stream's scope is checked against (organisation,
/// project, environment, deployment), so that a thousand clients share one decoding and one
/// rendering — and a gateway no stream listens to renders nothing.
struct LiveEvent: Sendable {
    let position: Int64
    let organisation: String?
    let project: String?
    let environment: String?
    let deployment: String
    /// Whether streams show this event at all (known without rendering it).
    let isShown: Bool
    private let rendering: LazyMessage
    /// Whether the deployment is over for good with this event.
    let ends: Bool
    /// When it was committed (for measuring delivery delay).
    let recordedAtMicroseconds: Int64
    /// Rough size in memory, for bounding the feed's recent-event buffer: the stored event's
    /// size, which its message follows closely.
    let approximateBytes: Int

    /// The SSE message (`id:`, `event:`, `data:`), or nil for an event streams do not show.
    var message: String? { rendering.text }

    /// Reads one recorded event; `environmentOf` says which environment a deployment belongs to
    /// (from memory, or the read model for a deployment first seen mid-way).
    static func make(
        _ event: RecordedEvent, environmentOf: (String, DomainRecord) async throws -> String?
    ) async throws -> LiveEvent? {
        guard let record = try? DomainRecord(event) else { return nil }
        let metadata = (try? event.metadata()) ?? EventMetadata()
        let deployment = DomainIDs.id(of: record.streamID)
        let isShown = ServerSentEvents.name(of: record.event) != nil
        return LiveEvent(
            position: record.position, organisation: metadata.organisation, project: metadata.project,
            environment: try await environmentOf(deployment, record), deployment: deployment,
            isShown: isShown, rendering: LazyMessage(isShown ? record : nil), ends: ServerSentEvents.ends(record),
            recordedAtMicroseconds: record.recordedAtMicroseconds, approximateBytes: event.data.count + 192)
    }
}

/// An event's SSE message, rendered the first time it is asked for; the decoded event is let go
/// once it is.
final class LazyMessage: Sendable {
    private enum State {
        case pending(DomainRecord)
        case rendered(String?)
    }
    private let state: Mutex<State>

    /// Nil for an event that has no message.
    init(_ record: DomainRecord?) { state = Mutex(record.map { .pending($0) } ?? .rendered(nil)) }

    var text: String? {
        state.withLock { state in
            switch state {
            case .rendered(let text): return text
            case .pending(let record):
                let text = ServerSentEvents.message(for: record)
                state = .rendered(text)
                return text
            }
        }
    }
}

/// Which environment each deployment belongs to, learned from `DeploymentRequested` as it
/// streams past, and for deployments that began before the stream did, from the first event of
/// their own stream (the log itself: no read model needs to be there or caught up).
struct EnvironmentDirectory: Sendable {
    private var known: [String: String] = [:]
    private let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    mutating func environment(of deployment: String, _ record: DomainRecord, store: EventStore) async throws -> String? {
        if case .deploymentRequested(let requested) = record.event { remember(deployment, requested.environmentID) }
        if let environment = known[deployment] { return environment.isEmpty ? nil : environment }
        var environment: String?
        if let first = try await store.read(stream: DomainIDs.deploymentStream(deployment), limit: 1).first,
            case .deploymentRequested(let requested)? = try? DomainRecord(first).event
        {
            environment = requested.environmentID
        }
        remember(deployment, environment ?? "")
        return environment
    }

    private mutating func remember(_ deployment: String, _ environment: String) {
        // Old deployments rarely stream again; forgetting all at once keeps this bounded and simple.
        if known.count >= capacity { known.removeAll(keepingCapacity: true) }
        known[deployment] = environment
    }
}
