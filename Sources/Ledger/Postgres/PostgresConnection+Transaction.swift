import Logging
import PostgresNIO

extension PostgresConnection {
    /// BEGIN, `body`, COMMIT — or ROLLBACK and rethrow `body`'s own error unchanged (postgres-nio's
    /// `withTransaction` wraps it, which hides typed errors such as a projection's bad event).
    public func inTransaction<T: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await query("BEGIN", logger: logger)
        do {
            let value = try await body(self)
            try await query("COMMIT", logger: logger)
            return value
        } catch {
            _ = try? await query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
