import PostgresNIO

/// Turns database errors into text that is safe to show: the server's message and SQLSTATE,
/// never the query or its bound values (which may hold payloads).
public enum PostgresErrorText {
    public static func safe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                let state = psql.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + state
            }
            switch psql.code {
            case .connectionError: return "cannot connect to PostgreSQL"
            case .serverClosedConnection, .uncleanShutdown: return "PostgreSQL closed the connection"
            default: return "\(psql.code)"
            }
        }
        if let legacy = error as? PostgresError {
            // The simple-query protocol's error: its description is the server's message.
            return legacy.description
        }
        if let ledger = error as? LedgerError { return ledger.message }
        if let closed = error as? ConnectionClosed { return closed.description }
        if error is CancellationError { return "cancelled" }
        return String(describing: type(of: error))
    }

    /// The SQLSTATE of a server error, if it is one.
    public static func sqlState(_ error: any Error) -> String? {
        if let psql = error as? PSQLError { return psql.serverInfo?[.sqlState] }
        if case .server(let message) = error as? PostgresError { return message.fields[.sqlState] }
        return nil
    }
}
