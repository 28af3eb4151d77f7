/// The rules of group commit's drain, as a value the coordinator holds under its lock and
/// tests exhaustively: which requests wait, and whether a writer serves them.
/// ``AppendCoordinator`` does the I/O each ``Action`` asks for (write its own request, start the
/// drain task, write a batch); nothing here waits, writes or answers.
///
/// A request that finds nobody writing is written by its own caller, in its own task: an
/// append with no other in flight costs no hop to another task. Requests that come meanwhile
/// queue, and the caller hands them to a drain task when it is done. There is at most one
/// writer, the caller or the task. The drain task ends only when it finds the queue empty, and
/// that finding and its end are one step under the lock: a request queued a moment later
/// finds nobody writing, and none is ever left queued with nobody to serve it.
struct AppendDrain<Item: AppendDrainItem> {
    enum Event {
        /// A caller brings a request.
        case submitted(Item)
        /// The caller told to write its own request has written it.
        case ownWritten
        /// The drain task is ready for its next batch.
        case batchWanted
        /// Requests a batch deferred (planned behind a conflict of their own batch): first in line.
        case deferred([Item])
    }

    enum Action {
        /// Nothing to do: the request is queued.
        case none
        /// Nobody was writing: the caller writes its own request (it is not queued).
        case writeOwn
        /// Start the drain task for what is queued.
        case startDrain
        /// Write this batch.
        case write([Item])
        /// Nothing is queued: the writer ends.
        case stop
    }

    let limits: AppendBatchLimits
    private(set) var queue: [Item] = []
    /// Whether a writer (a caller writing its own request, or the drain task) is at work.
    private(set) var draining = false

    init(limits: AppendBatchLimits) {
        self.limits = limits
    }

    mutating func handle(_ event: Event) -> Action {
        switch event {
        case .submitted(let item):
            guard draining else {
                draining = true
                return .writeOwn
            }
            queue.append(item)
            return .none
        case .ownWritten:
            guard !queue.isEmpty else {
                draining = false
                return .stop
            }
            return .startDrain
        case .batchWanted:
            guard !queue.isEmpty else {
                draining = false
                return .stop
            }
            return .write(takeBatch())
        case .deferred(let items):
            queue.insert(contentsOf: items, at: 0)
            return .none
        }
    }

    /// The front of the queue up to the limits (always at least one request).
    private mutating func takeBatch() -> [Item] {
        var count = 0
        var events = 0
        for item in queue {
            let size = item.eventCount
            if count > 0 && (count >= limits.maximumRequests || events + size > limits.maximumEvents) { break }
            count += 1
            events += size
        }
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        return batch
    }
}

/// How much one batch of group commit may hold.
struct AppendBatchLimits: Sendable {
    var maximumRequests: Int
    var maximumEvents: Int
}

/// What the drain needs to know of a queued request: how many events it brings.
protocol AppendDrainItem {
    var eventCount: Int { get }
}

extension AppendDrain: Sendable where Item: Sendable {}
extension AppendDrain.Event: Sendable where Item: Sendable {}
extension AppendDrain.Action: Sendable where Item: Sendable {}
