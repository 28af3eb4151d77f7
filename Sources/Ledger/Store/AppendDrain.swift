/// The rules of group commit's drain, as a value the coordinator holds under its lock and
/// tests exhaustively: which requests wait, and whether a drain task serves them.
/// ``AppendCoordinator`` does the I/O each ``Action`` asks for (start the task, write a batch);
/// nothing here waits, writes or answers.
///
/// There is at most one drain task. It ends only when it finds the queue empty, and that
/// finding and its end are one step under the lock: a request queued a moment later starts a
/// new task, and none is ever left queued with no task to serve it.
struct AppendDrain<Item: AppendDrainItem> {
    enum Event {
        /// A caller queued a request.
        case submitted(Item)
        /// The drain task is ready for its next batch.
        case batchWanted
        /// Requests a batch deferred (planned behind a conflict of their own batch): first in line.
        case deferred([Item])
    }

    enum Action {
        /// Nothing to do.
        case none
        /// Start the drain task.
        case startDrain
        /// Write this batch.
        case write([Item])
        /// Nothing is queued: the drain task ends.
        case stop
    }

    let limits: AppendBatchLimits
    private(set) var queue: [Item] = []
    private(set) var draining = false

    init(limits: AppendBatchLimits) {
        self.limits = limits
    }

    mutating func handle(_ event: Event) -> Action {
        switch event {
        case .submitted(let item):
            queue.append(item)
            guard !draining else { return .none }
            draining = true
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
