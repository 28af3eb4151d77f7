import PostgresNIO

extension PostgresClient {
    /// Runs the pool for exactly as long as `body`: starts `run()` beside it and cancels it when
    /// `body` returns or throws. For commands and tests, which own their client; a long-running
    /// service runs the client in its service group instead.
    public func runningWhile<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                await self.run()
                return nil
            }
            defer { group.cancelAll() }
            return try await body(self)
        }
    }
}
