import PostgresNIO

/// Tells a database that is away (down, restarting, unreachable, dropping connections) from a
/// request that failed on its own merits, by the error's type and code, never its text.
public enum DatabaseAvailability {
    /// Whether `error` means PostgreSQL could not be reached or did not answer: the request
    /// may succeed if sent again later.
    public static func isUnavailable(_ error: any Error) -> Bool {
        if error is ConnectionClosed { return true }
        if let ledger = error as? LedgerError {
            if ledger.code == .unavailable || ledger.code == .timedOut { return true }
            return ledger.underlying.map(isUnavailable) ?? false
        }
        if let psql = error as? PSQLError {
            switch psql.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .poolClosed, .uncleanShutdown: return true
            case .server:
                // Class 57 (operator intervention: admin shutdown, crash shutdown, cannot connect
                // now) and class 08 (connection exceptions).
                let state = psql.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("57") || state.hasPrefix("08")
            default: return false
            }
        }
        return false
    }
}
