import Logging
import PostgresNIO

/// One connection kept LISTENing on a channel for as long as the calling task runs, reconnecting
/// after failures (waiting `reconnectDelay` × failures so far, at most ×10). On each connection,
/// `connected` runs once LISTEN is in place (the moment to read what a notification could have
/// preceded), then every notification's payload goes to `heard`; `lost` runs whenever the
/// connection ends — told whether it ended because the database is unavailable — and once more
/// when the task is cancelled. Used by the process's head listener and its token cache.
public struct ListeningConnection: Sendable {
    let client: PostgresClient
    let channel: String
    let reconnectDelay: Duration
    let logger: Logger

    public init(client: PostgresClient, channel: String, reconnectDelay: Duration, logger: Logger) {
        self.client = client
        self.channel = channel
        self.reconnectDelay = reconnectDelay
        self.logger = logger
    }

    /// Listens until cancelled; a lost connection is logged as a warning saying `lostMessage`.
    public func run(
        lostMessage: Logger.Message, connected: @escaping @Sendable (PostgresConnection) async throws -> Void,
        heard: @escaping @Sendable (String) -> Void, lost: @Sendable (_ databaseAway: Bool) -> Void
    ) async {
        var failures = 0
        while !Task.isCancelled {
            var away = false
            do {
                try await client.withLiveConnection(evenIfAway: true) { [channel] connection in
                    try await connection.listen(on: channel) { notifications in
                        try await connected(connection)
                        for try await notification in notifications { heard(notification.payload) }
                    }
                }
            } catch {
                if Task.isCancelled { break }
                failures += 1
                away = DatabaseAvailability.isUnavailable(error)
                logger.warning(lostMessage, metadata: ["error": "\(PostgresErrorText.safe(error))"])
            }
            lost(away)
            do { try await Task.sleep(for: reconnectDelay * min(max(failures, 1), 10)) } catch { break }
        }
        lost(false)
    }
}
