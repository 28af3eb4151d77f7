import Foundation
import PostgresNIO

/// A parsed `postgres://user:password@host:port/database` URL (also `postgresql://`, and a
/// `?host=/path/to/socket/dir` query for Unix sockets). Its description hides the password.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// A Unix socket directory, used instead of host and port when set.
    public var socketDirectory: String?

    public init(username: String, password: String? = nil, host: String = "127.0.0.1", port: Int = 5432, database: String, socketDirectory: String? = nil) {
        self.username = username
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.socketDirectory = socketDirectory
    }

    public init(parsing text: String) throws(LedgerError) {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme)
        else {
            throw LedgerError(.invalidArgument, "a database URL looks like postgres://user:password@host:5432/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw LedgerError(.invalidArgument, "the database URL names no database (postgres://…/DATABASE)")
        }
        self.username = components.user ?? "postgres"
        self.password = components.password
        self.host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        self.port = components.port ?? 5432
        self.database = database
        self.socketDirectory = components.queryItems?.first { $0.name == "host" }?.value
    }

    /// The same server, another database.
    public func with(database: String) -> DatabaseURL {
        var copy = self
        copy.database = database
        return copy
    }

    /// A client configuration for this URL, with the session settings the ledger relies on.
    public func clientConfiguration(maximumConnections: Int = 20, applicationName: String = "ledger") -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(
                unixSocketPath: "\(socketDirectory)/.s.PGSQL.\(port)", username: username, password: password, database: database)
        } else {
            configuration = .init(host: host, port: port, username: username, password: password, database: database, tls: .disable)
        }
        configuration.options.maximumConnections = maximumConnections
        // A forgotten open transaction must not hold the head lock (and so every writer) for ever.
        configuration.options.additionalStartupParameters = [
            ("idle_in_transaction_session_timeout", "30s"),
            // The ledger's queries are short and indexed; JIT compilation only adds ~100 ms to them.
            ("jit", "off"),
            ("application_name", applicationName),
        ]
        return configuration
    }

    /// The URL with the password masked, safe for logs and messages.
    public var description: String {
        let credentials = password == nil ? username : "\(username):***"
        let location = socketDirectory.map { "?host=\($0)" } ?? ""
        return "postgres://\(credentials)@\(host):\(port)/\(database)\(location)"
    }

    /// The URL with its password, for child processes such as psql and pgbench.
    public var connectionString: String {
        var components = URLComponents()
        components.scheme = "postgresql"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        if let socketDirectory { components.queryItems = [URLQueryItem(name: "host", value: socketDirectory)] }
        return components.string ?? ""
    }
}
