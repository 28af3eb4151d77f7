import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// The answers of the API's hottest reads — a deployment, its progress, a page of the list —
/// kept as the bytes sent, for as long as nothing they show can have changed: a dashboard that
/// polls a deployment is then answered from memory, not PostgreSQL.
///
/// An answer reflects the log up to its position. The gateway's ``LiveFeed`` reads every
/// deployment event (see ``noteEvents(_:through:caughtUp:)``): an answer is served only while no
/// event of its deployment (of any deployment, for a list page) lies past its position. A write
/// made through this gateway drops every answer from before it (``noteWrite(at:)``), so its
/// caller reads it next. The cache is in use only while the feed is caught up with the log; it
/// empties when the feed stops or falls behind. Every answer also expires after
/// a time to live (2 s by default), which bounds how long a projection that is fixed and replayed (its answers
/// change with no new event) can be seen as it was. Whether the caller may see an answer is
/// checked on every hit, from the organisation and project kept with it.
final class HotReadCache: Sendable {
    enum Key: Hashable, Sendable {
        case deployment(String)
        case progress(String)
        /// A page of the list, by the caller's scope and the query string.
        case list(String)
    }

    struct Answer: Sendable {
        let body: ByteBuffer
        let headers: HTTPFields
        /// The log position the answer reflects.
        let position: Int64
        /// The deployment shown (nil for a list page), with its organisation and project.
        let deployment: String?
        let organisation: String?
        let project: String?
        var storedAt = ContinuousClock.now

        func response() -> Response {
            Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }

    static let defaultTimeToLive: Duration = .seconds(2)
    static let capacity = 2_000
    /// Beyond this many deployments remembered, the memory of their last events starts over.
    static let trackedDeployments = 100_000

    private struct State {
        /// The feed is caught up with the log: every deployment event up to `seen` is noted.
        var active = false
        var seen: Int64 = 0
        /// Answers from before this position are never used (the last time memory started over).
        var floor: Int64 = 0
        /// The position of each deployment's newest event noted since `floor`.
        var latest: [String: Int64] = [:]
        /// The newest deployment event noted, of any deployment.
        var latestAny: Int64 = 0
        var answers: [Key: Answer] = [:]
        /// The position of the newest write answered through this gateway.
        var lastWrite: Int64 = 0
    }

    private let state = Mutex(State())
    private let served = Counter(label: "ledger_http_hot_reads_total")
    private let timeToLive: Duration

    init(timeToLive: Duration = defaultTimeToLive) {
        self.timeToLive = timeToLive
    }

    /// A kept answer that is still exact, if there is one.
    func answer(_ key: Key) -> Answer? {
        let found = state.withLock { state -> Answer? in
            guard state.active, let answer = state.answers[key] else { return nil }
            guard Self.isCurrent(answer, in: state), ContinuousClock.now - answer.storedAt < timeToLive else {
                state.answers[key] = nil
                return nil
            }
            return answer
        }
        if found != nil { served.increment() }
        return found
    }

    /// Keeps an answer just read from the projections (ignored when it is already stale).
    func keep(_ key: Key, _ answer: Answer) {
        state.withLock { state in
            guard state.active, Self.isCurrent(answer, in: state) else { return }
            if state.answers.count >= Self.capacity { state.answers.removeAll(keepingCapacity: true) }
            state.answers[key] = answer
        }
    }

    private static func isCurrent(_ answer: Answer, in state: State) -> Bool {
        guard answer.position >= state.floor else { return false }
        if let deployment = answer.deployment { return answer.position >= state.latest[deployment, default: 0] }
        return answer.position >= state.latestAny
    }

    /// The feed read deployment events (by deployment and position) up to `position`;
    /// `caughtUp` says whether that is where the log ends for now.
    func noteEvents(_ events: [(deployment: String, position: Int64)], through position: Int64, caughtUp: Bool) {
        state.withLock { state in
            if state.latest.count + events.count > Self.trackedDeployments { Self.startOver(&state) }
            for (deployment, at) in events {
                state.latest[deployment] = max(state.latest[deployment, default: 0], at)
                state.latestAny = max(state.latestAny, at)
            }
            state.seen = max(state.seen, position)
            if caughtUp, !state.active {
                // Events before this were not all noted: nothing read before now is used.
                Self.startOver(&state)
                state.active = true
            } else if !caughtUp, state.active {
                state.active = false
                state.answers.removeAll()
            }
        }
    }

    /// A write made through this gateway was answered at `position`: its caller may read it
    /// next, whatever streams it touched, so nothing kept from before it is used again.
    func noteWrite(at position: Int64) {
        state.withLock { state in
            state.floor = max(state.floor, position)
            state.lastWrite = max(state.lastWrite, position)
        }
    }

    /// The position of the newest write answered through this gateway: a read of the
    /// projections behind it waits for them, so that the writer reads its write.
    var lastWrite: Int64 { state.withLock { $0.lastWrite } }

    /// The feed stopped: nothing is served until it is caught up again.
    func suspend() {
        state.withLock { state in
            state.active = false
            state.answers.removeAll()
        }
    }

    private static func startOver(_ state: inout State) {
        state.answers.removeAll()
        state.latest.removeAll()
        state.floor = max(state.floor, state.seen, state.latestAny)
    }
}
