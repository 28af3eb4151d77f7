import Ledger

/// Why a command was refused. Nothing was written. The ``code`` is stable for callers (the
/// HTTP API maps it to a status); the ``message`` is for people and names the reason.
public struct CommandRejection: CodedError, Sendable, Equatable, CustomStringConvertible {
    /// The kind of refusal. New codes may be added without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        public var description: String { name }

        /// The input itself is malformed (bad id, empty git reference, invalid configuration).
        public static let invalid = Code(name: "invalid")
        /// What the command names does not exist.
        public static let notFound = Code(name: "not_found")
        /// What the command would create exists already.
        public static let alreadyExists = Code(name: "already_exists")
        /// The environment already has a deployment in flight.
        public static let deploymentInFlight = Code(name: "deployment_in_flight")
        /// The deployment's status does not allow the command (e.g. retrying a success).
        public static let wrongStatus = Code(name: "wrong_status")
        /// The status change is not in the transition table.
        public static let illegalTransition = Code(name: "illegal_transition")
        /// The environment is destroyed or not configured yet.
        public static let environmentUnavailable = Code(name: "environment_unavailable")
        /// The environment already runs exactly this; `force` redeploys anyway.
        public static let alreadyDeployed = Code(name: "already_deployed")
        /// The allocation would take the organisation over its CPU, RAM or disk quota.
        public static let quotaExceeded = Code(name: "quota_exceeded")
        /// An executor wrote under a lease it no longer holds (another worker took over).
        public static let staleLease = Code(name: "stale_lease")
        /// A server's capacity cannot hold the allocation.
        public static let capacityExceeded = Code(name: "capacity_exceeded")
        /// The caller may not do this: e.g. change settings that are code without the
        /// permission `org.pipelines.manage`.
        public static let forbidden = Code(name: "forbidden")
        /// The command lost a race with another writer too many times; try again.
        public static let conflict = Code(name: "conflict")
        /// A server's host key was shown but not confirmed (no expected fingerprint given):
        /// nothing is registered until someone checks it on the host and passes it.
        public static let hostKeyUnconfirmed = Code(name: "host_key_unconfirmed")
        /// The environment takes only commits that succeeded in its upstream environment first.
        public static let notPromoted = Code(name: "not_promoted")
        /// A freeze window is in force on the environment (a break-glass deploy may pass, with a reason).
        public static let frozen = Code(name: "frozen")
        /// A server names a key its organisation's keyring does not hold.
        public static let unknownKey = Code(name: "unknown_key")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
    public var errorCode: String { code.name }
}

/// What a decision wants written: events for one or several streams, each at the version the
/// decision saw, appended atomically or not at all.
public struct Decision: Sendable, Equatable {
    /// Events for one stream and the version that stream must still be at.
    public struct Write: Sendable, Equatable {
        public var streamID: StreamID
        public var expectedVersion: ExpectedVersion
        public var events: [DomainEvent]

        public init(_ streamID: StreamID, expectedVersion: ExpectedVersion, _ events: [DomainEvent]) {
            self.streamID = streamID
            self.expectedVersion = expectedVersion
            self.events = events
        }
    }

    public var writes: [Write]

    public init(_ writes: [Write]) {
        self.writes = writes.filter { !$0.events.isEmpty }
    }

    /// Nothing to write (an idempotent command that already happened).
    public static let nothing = Decision([])

    /// The events for `stream`, in order.
    public func events(for stream: StreamID) -> [DomainEvent] {
        writes.first { $0.streamID == stream }?.events ?? []
    }
}
