/// The rules of group commit's drain, as a value the coordinator holds under its lock and
/// tests exhaustively: which requests wait, whether a drain task serves them, which task is the
/// current one, and the batch that task holds. ``AppendCoordinator`` does the I/O each
/// ``Action`` asks for (start a task, write a batch, answer it, take over after a closed
/// connection); nothing here waits, writes or answers.
///
/// Drain tasks are numbered. A task whose connection closed is replaced by the next number: the
/// replacement redoes the batch the old task held, and the old task, should it ever wake, finds
/// its number stale and stops — so every request is answered once, by the current task.
struct AppendDrain<Item: AppendDrainItem> {
    enum Event {
        /// A caller queued a request.
        case submitted(Item)
        /// Drain task `drain` is ready for its next batch.
        case batchWanted(drain: Int)
        /// Drain task `drain` has its batch's outcome and wants to answer it.
        case batchDone(drain: Int)
        /// The connection of drain task `drain` closed under it.
        case connectionClosed(drain: Int)
        /// Drain task `drain` found the queue empty and would end.
        case queueEmptied(drain: Int)
        /// Requests a batch deferred (planned behind a conflict of their own batch): first in line.
        case deferred([Item])
    }

    enum Action {
        /// Nothing to do.
        case none
        /// Start drain task `number`.
        case startDrain(Int)
        /// Write this batch (now held by the task).
        case write([Item])
        /// Nothing is queued: the task may end (it says so with ``Event/queueEmptied(drain:)``).
        case queueIsEmpty
        /// The task was replaced (or the queue stayed empty): it ends without answering anything.
        case stop
        /// The task answers its batch: it still holds it.
        case answer
        /// Requests came while it looked: the task goes on.
        case keepDraining
        /// Start drain task `drain`, which first redoes `redo` (the closed task's batch).
        case takeOver(drain: Int, redo: [Item])
    }

    let limits: AppendBatchLimits
    private(set) var queue: [Item] = []
    private(set) var draining = false
    /// The current drain task's number.
    private(set) var current = 0
    /// The batch the current task took and has not yet claimed back to answer.
    private(set) var inHand: [Item] = []

    init(limits: AppendBatchLimits) {
        self.limits = limits
    }

    mutating func handle(_ event: Event) -> Action {
        switch event {
        case .submitted(let item):
            queue.append(item)
            guard !draining else { return .none }
            draining = true
            current += 1
            return .startDrain(current)
        case .batchWanted(let drain):
            guard draining, drain == current else { return .stop }
            guard !queue.isEmpty else { return .queueIsEmpty }
            inHand = takeBatch()
            return .write(inHand)
        case .batchDone(let drain):
            guard draining, drain == current else { return .stop }
            inHand = []
            return .answer
        case .connectionClosed(let drain):
            guard draining, drain == current else { return .none }
            current += 1
            defer { inHand = [] }
            return .takeOver(drain: current, redo: inHand)
        case .queueEmptied(let drain):
            guard draining, drain == current else { return .stop }
            guard queue.isEmpty else { return .keepDraining }
            draining = false
            return .stop
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
