/// An error with a stable code that scripts and the API can switch on; its `description` is
/// safe to show (no SQL, no bound values, no secrets).
public protocol CodedError: Error, CustomStringConvertible {
    /// Stable and snake_case; new codes may be added without breaking callers.
    var errorCode: String { get }
}

/// What kind of failure an error is, by which every face answers it: the CLI's exit code and
/// the HTTP API's status derive from it (`ExitCodes` in the CLI's runtime, `HTTPStatuses` in the
/// Gateway), so neither face can disagree with the other about what an error means.
public enum ErrorClass: String, Sendable, CaseIterable {
    /// A command refused; nothing was written.
    case refused
    /// A raw append's optimistic concurrency or idempotency check failed.
    case conflict
    /// Bad input to the log itself.
    case badInput
    /// Something needed is away or too slow: try again.
    case unavailable
    /// A failure of ours or of the machine.
    case failure
}

/// The one table of every error code and its class. The CLI and the gateway both read it.
public enum ErrorTable {
    /// One row of the table.
    public struct Entry: Sendable, Equatable {
        public let code: String
        public let errorClass: ErrorClass

        public init(code: String, _ errorClass: ErrorClass) {
            self.code = code
            self.errorClass = errorClass
        }
    }

    /// Every code, in the order the README lists them.
    public static let entries: [Entry] = [
        // Refusals of a command (nothing written).
        Entry(code: "invalid", .refused),
        Entry(code: "not_found", .refused),
        Entry(code: "already_exists", .refused),
        Entry(code: "deployment_in_flight", .refused),
        Entry(code: "wrong_status", .refused),
        Entry(code: "illegal_transition", .refused),
        Entry(code: "environment_unavailable", .refused),
        Entry(code: "already_deployed", .refused),
        Entry(code: "conflict", .refused),
        Entry(code: "quota_exceeded", .refused),
        Entry(code: "capacity_exceeded", .refused),
        Entry(code: "stale_lease", .refused),
        Entry(code: "forbidden", .refused),
        Entry(code: "host_key_unconfirmed", .refused),
        Entry(code: "unknown_key", .refused),
        Entry(code: "idempotency_key_reused", .refused),
        Entry(code: "not_promoted", .refused),
        Entry(code: "frozen", .refused),
        // Refusals by a host (nothing registered, nothing run).
        Entry(code: "host_key_mismatch", .refused),
        Entry(code: "ssh_authentication_failed", .refused),
        Entry(code: "ssh_key_file_refused", .refused),
        Entry(code: "ssh_no_server", .refused),
        // Optimistic concurrency and idempotency of raw appends.
        Entry(code: "version_conflict", .conflict),
        Entry(code: "event_id_reused", .conflict),
        // Bad input to the log itself.
        Entry(code: "invalid_stream_id", .badInput),
        Entry(code: "invalid_event", .badInput),
        Entry(code: "invalid_argument", .badInput),
        Entry(code: "archive_invalid", .badInput),
        // The database away or too slow: try again.
        Entry(code: "database_unavailable", .unavailable),
        Entry(code: "timed_out", .unavailable),
        // A read model behind the log past the read's wait (its runner is away or stopped).
        Entry(code: "projection_behind", .unavailable),
        // A host (or the ledger's server) that cannot be reached or drops the connection: try again.
        Entry(code: "ssh_connect_failed", .unavailable),
        Entry(code: "ssh_failed", .unavailable),
        Entry(code: "server_unreachable", .unavailable),
        // Failures of ours or of the machine.
        Entry(code: "database", .failure),
        Entry(code: "migration", .failure),
        Entry(code: "immutable", .failure),
        Entry(code: "missing_dependency", .failure),
        Entry(code: "archive_io", .failure),
        Entry(code: "internal", .failure),
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
