import PostgresNIO
import Synchronization

/// Which clients' PostgreSQL is known to be away right now, as their process's head listener
/// found when its connection dropped: requests then fail at once as unavailable (an API answers
/// 503 in milliseconds) instead of each waiting out the pool's connect deadline. Cleared as soon
/// as the listener is connected again.
public enum DatabaseStatus {
    private static let away = Mutex<Set<ObjectIdentifier>>([])

    /// Whether `client`'s database is known to be away.
    public static func isAway(_ client: PostgresClient) -> Bool {
        let id = ObjectIdentifier(client)
        return away.withLock { $0.contains(id) }
    }

    static func markAway(_ client: PostgresClient) {
        let id = ObjectIdentifier(client)
        away.withLock { _ = $0.insert(id) }
    }

    static func markBack(_ client: PostgresClient) {
        let id = ObjectIdentifier(client)
        away.withLock { _ = $0.remove(id) }
    }
}
