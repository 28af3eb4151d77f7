import PostgresNIO

extension PostgresClient {
    /// Runs the pool for exactly as long as `body`: starts `run()` beside it, and stops it only
    /// after `body` has returned or thrown. For commands and tests, which own their client; a
    /// long-running service runs the client in its service group instead.
    ///
    /// The pool runs in a task of its own, not a child task, on purpose: cancelling the caller
    /// must cancel `body` first and leave the pool serving while `body` unwinds (an unlock, an
    /// UNLISTEN). A child task would be cancelled at the same moment, and a query sent to a
    /// connection the shutting-down pool is closing can wait forever.
    public func runningWhile<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        let pool = Task { await self.run() }
        do {
            let result = try await body(self)
            pool.cancel()
            await pool.value
            return result
        } catch {
            pool.cancel()
            await pool.value
            throw error
        }
    }
}
