/// An error with a stable code that scripts and the API can switch on; its `description` is
/// safe to show (no SQL, no bound values, no secrets).
public protocol CodedError: Error, CustomStringConvertible {
    /// Stable and snake_case; new codes may be added without breaking callers.
    var errorCode: String { get }
}

/// The one table from every error code to what a caller sees: the `ledger` command's exit code
/// and the HTTP API's status. The CLI and the gateway both read it, so they cannot disagree.
public enum ErrorTable {
    /// One row of the table.
    public struct Entry: Sendable, Equatable {
        public let code: String
        public let exitCode: Int32
        public let httpStatus: Int

        public init(code: String, exitCode: Int32, httpStatus: Int) {
            self.code = code
            self.exitCode = exitCode
            self.httpStatus = httpStatus
        }
    }

    /// Every code, in the order the README lists them.
    public static let entries: [Entry] = [
        // Refusals of a command (nothing written): exit 2.
        Entry(code: "invalid", exitCode: 2, httpStatus: 422),
        Entry(code: "not_found", exitCode: 2, httpStatus: 404),
        Entry(code: "already_exists", exitCode: 2, httpStatus: 409),
        Entry(code: "deployment_in_flight", exitCode: 2, httpStatus: 409),
        Entry(code: "wrong_status", exitCode: 2, httpStatus: 400),
        Entry(code: "illegal_transition", exitCode: 2, httpStatus: 400),
        Entry(code: "environment_unavailable", exitCode: 2, httpStatus: 400),
        Entry(code: "already_deployed", exitCode: 2, httpStatus: 409),
        Entry(code: "conflict", exitCode: 2, httpStatus: 409),
        Entry(code: "quota_exceeded", exitCode: 2, httpStatus: 422),
        Entry(code: "capacity_exceeded", exitCode: 2, httpStatus: 422),
        Entry(code: "stale_lease", exitCode: 2, httpStatus: 409),
        Entry(code: "forbidden", exitCode: 2, httpStatus: 403),
        Entry(code: "host_key_unconfirmed", exitCode: 2, httpStatus: 422),
        Entry(code: "unknown_key", exitCode: 2, httpStatus: 422),
        Entry(code: "idempotency_key_reused", exitCode: 2, httpStatus: 422),
        // Refusals by a host (nothing registered, nothing run): exit 2.
        Entry(code: "host_key_mismatch", exitCode: 2, httpStatus: 422),
        Entry(code: "ssh_authentication_failed", exitCode: 2, httpStatus: 422),
        Entry(code: "ssh_key_file_refused", exitCode: 2, httpStatus: 422),
        Entry(code: "ssh_no_server", exitCode: 2, httpStatus: 422),
        // Optimistic concurrency and idempotency of raw appends: exit 3.
        Entry(code: "version_conflict", exitCode: 3, httpStatus: 409),
        Entry(code: "event_id_reused", exitCode: 3, httpStatus: 409),
        // Bad input to the log itself: exit 1.
        Entry(code: "invalid_stream_id", exitCode: 1, httpStatus: 422),
        Entry(code: "invalid_event", exitCode: 1, httpStatus: 422),
        Entry(code: "invalid_argument", exitCode: 1, httpStatus: 422),
        Entry(code: "archive_invalid", exitCode: 1, httpStatus: 422),
        // The database away or too slow: exit 5, 503 — try again.
        Entry(code: "database_unavailable", exitCode: 5, httpStatus: 503),
        Entry(code: "timed_out", exitCode: 5, httpStatus: 503),
        // A read model behind the log past the read's wait (its runner is away or stopped).
        Entry(code: "projection_behind", exitCode: 5, httpStatus: 503),
        // A host (or the ledger's server) that cannot be reached or drops the connection: exit 5 — try
        // again. Over HTTP an unreachable host is the request's (422), not the service's.
        Entry(code: "ssh_connect_failed", exitCode: 5, httpStatus: 422),
        Entry(code: "ssh_failed", exitCode: 5, httpStatus: 422),
        Entry(code: "server_unreachable", exitCode: 5, httpStatus: 503),
        // Failures of ours or of the machine: exit 1, 500.
        Entry(code: "database", exitCode: 1, httpStatus: 500),
        Entry(code: "migration", exitCode: 1, httpStatus: 500),
        Entry(code: "immutable", exitCode: 1, httpStatus: 500),
        Entry(code: "missing_dependency", exitCode: 1, httpStatus: 500),
        Entry(code: "archive_io", exitCode: 1, httpStatus: 500),
        Entry(code: "internal", exitCode: 1, httpStatus: 500),
    ]

    private static let byCode = Dictionary(uniqueKeysWithValues: entries.map { ($0.code, $0) })

    /// The row for a code (`internal` for a code the table does not know).
    public static func entry(code: String) -> Entry { byCode[code] ?? byCode["internal"]! }

    /// The row for an error: a database that is away first (whatever type says so), then the
    /// error's own code, else `internal`.
    public static func entry(for error: any Error) -> Entry {
        if DatabaseAvailability.isUnavailable(error) {
            if let coded = error as? LedgerError, coded.code == .timedOut { return entry(code: "timed_out") }
            return entry(code: "database_unavailable")
        }
        if let coded = error as? any CodedError { return entry(code: coded.errorCode) }
        return entry(code: "internal")
    }
}
