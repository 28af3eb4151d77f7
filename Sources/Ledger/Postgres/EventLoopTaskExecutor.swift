import NIOCore
import Synchronization

/// Runs tasks on one NIO event loop: for short work that only waits on a connection of that loop,
/// so that its answers resume it on the loop's own thread instead of waking another one.
final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    let loop: any EventLoop

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    /// A loop that has shut down drops the job: its connections are closed by then, and whoever
    /// waits on one of them is answered by that close (``ClosingConnections``).
    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    private static let executors = Mutex<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    /// The executor of `loop` (one per loop, kept for the process's life: loops are few).
    static func of(_ loop: any EventLoop) -> EventLoopTaskExecutor {
        executors.withLock { executors in
            let key = ObjectIdentifier(loop)
            if let existing = executors[key] { return existing }
            let made = EventLoopTaskExecutor(loop: loop)
            executors[key] = made
            return made
        }
    }
}
