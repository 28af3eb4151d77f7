import Foundation

/// Who and what caused an event: stored beside every event and used by audits.
///
/// Every field is optional so the generic store accepts events from any source; the
/// deployment commands fill in what they know. It must never carry a secret.
public struct EventMetadata: Codable, Hashable, Sendable {
    /// The person or service account that caused the event.
    public var actor: String?
    /// The organisation the event belongs to.
    public var organisation: String?
    /// The project the event belongs to.
    public var project: String?
    /// Groups every event caused by one user intent, across streams.
    public var correlationID: UUID?
    /// The event or command that directly caused this one.
    public var causationID: UUID?
    /// The API request that carried the command, when there was one.
    public var requestID: String?
    /// Which program wrote the event (`cli`, `api`, `executor`, `simulator`, …).
    public var source: String?

    public init(
        actor: String? = nil, organisation: String? = nil, project: String? = nil,
        correlationID: UUID? = nil, causationID: UUID? = nil, requestID: String? = nil, source: String? = nil
    ) {
        self.actor = actor
        self.organisation = organisation
        self.project = project
        self.correlationID = correlationID
        self.causationID = causationID
        self.requestID = requestID
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case actor, organisation, project
        case correlationID = "correlation_id"
        case causationID = "causation_id"
        case requestID = "request_id"
        case source
    }
}
