/// A failure of the ledger that is not a concurrency conflict: bad input, a broken database, a
/// failed migration. The ``code`` is stable for callers to switch on; ``message`` is safe to show
/// and never contains SQL or secrets, while ``debugDescription`` adds the underlying error.
public struct LedgerError: CodedError, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is. New codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        public static let invalidStreamID = Code(name: "invalid_stream_id")
        public static let invalidEvent = Code(name: "invalid_event")
        public static let invalidArgument = Code(name: "invalid_argument")
        public static let database = Code(name: "database")
        public static let migration = Code(name: "migration")
        public static let immutable = Code(name: "immutable")
        public static let notFound = Code(name: "not_found")
        /// A program or file the ledger needs is not installed (PostgreSQL's tools, say).
        public static let missingDependency = Code(name: "missing_dependency")
        /// PostgreSQL could not be reached, or did not answer, within the time allowed: the
        /// request may be retried (an append by resending the same event ids).
        public static let unavailable = Code(name: "database_unavailable")
        /// A read model had not reached the position a read waits for within its wait: its
        /// runner is away (`ledger run`, `ledger project`) or stopped by a bad event.
        public static let projectionBehind = Code(name: "projection_behind")
        /// A whole command did not finish within its deadline.
        public static let timedOut = Code(name: "timed_out")
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?
    public var file: String
    public var line: Int

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    public var description: String { message }
    public var errorCode: String { code.name }

    /// Wraps any error as a ledger error whose message is safe to show (for database errors:
    /// the server's message and SQLSTATE, never the query or its values).
    public static func wrapping(_ error: any Error, _ context: String, file: String = #fileID, line: Int = #line) -> LedgerError {
        if let ledger = error as? LedgerError { return ledger }
        return LedgerError(.database, "\(context): \(PostgresErrorText.safe(error))", underlying: error, file: file, line: line)
    }

    public var debugDescription: String {
        var text = "LedgerError(\(code)) at \(file):\(line): \(message)"
        if let underlying { text += " — underlying: \(String(reflecting: underlying))" }
        return text
    }
}
