import Ledger
import LedgerDomain
import Foundation
import Logging
import PostgresNIO

/// Each project's git webhook secret and the deliveries received. The secret is kept in
/// `hooks.secrets` and never in the log, a response or a log line: setting it records only
/// ``ProjectWebhookSecretSet``. Deliveries are remembered so that one sent again starts nothing.
public struct WebhookSecrets: Sendable {
    public let service: DeploymentService
    public let client: PostgresClient
    public let logger: Logger

    /// Shortest secret accepted: a guessable one would make signatures meaningless.
    public static let minimumLength = 16

    public init(service: DeploymentService, client: PostgresClient, logger: Logger) {
        self.service = service
        self.client = client
        self.logger = logger
    }

    /// Sets (or replaces) the project's secret, within the caller's scope.
    public func set(project id: String, secret: String, context: CommandContext) async throws {
        guard secret.count >= Self.minimumLength, secret.count <= 256, !secret.contains("\0") else {
            throw CommandRejection(.invalid, "a webhook secret is \(Self.minimumLength)–256 characters")
        }
        guard let project = try await service.project(id) else { throw CommandRejection(.notFound, "no such project") }
        try context.requireInScope(organisation: project.organisationID, project: project.projectID, what: "project")
        // The secret's row commits with its event: the audit trail never misses a change, nor
        // records one that did not happen.
        let logger = logger
        try await service.execute(context, alongside: { connection in
            try await connection.query(
                """
                INSERT INTO hooks.secrets (project_id, secret) VALUES (\(id), \(secret))
                ON CONFLICT (project_id) DO UPDATE SET secret = excluded.secret, updated_at = clock_timestamp()
                """, logger: logger)
        }) {
            .init(
                Decision([.init(DomainIDs.projectStream(id), expectedVersion: .any, [.projectWebhookSecretSet(ProjectWebhookSecretSet(projectID: id))])]),
                organisation: project.organisationID, project: project.projectID)
        }
    }

    /// The project's secret, if one is set.
    public func secret(of project: String) async throws -> String? {
        try await client.liveQuery("SELECT secret FROM hooks.secrets WHERE project_id = \(project)", logger: logger)
            .first?.decode(String.self)
    }

    /// The projects that have a secret, with their repositories' addresses as registered.
    public func projectsWithSecrets() async throws -> [String] {
        try await client.liveQuery("SELECT project_id FROM hooks.secrets ORDER BY project_id", logger: logger).map { try $0.decode(String.self) }
    }

    /// The answer given to a delivery this project already received, if it did. Delivery ids
    /// are the project's own: another project's delivery with the same id is another delivery.
    public func answer(provider: String, project: String, delivery: String) async throws -> Data? {
        guard let row = try await client.liveQuery(
            """
            SELECT answer FROM hooks.deliveries
            WHERE provider = \(provider) AND project_id = \(project) AND delivery_id = \(delivery) AND answer IS NOT NULL
            """,
            logger: logger
        ).first else { return nil }
        return Data(try row.decode(String.self).utf8)
    }

    /// Remembers a delivery and the answer it got.
    public func record(provider: String, delivery: String, project: String, answer: Data) async throws {
        _ = try await client.liveQuery(
            """
            INSERT INTO hooks.deliveries (provider, delivery_id, project_id, answer) VALUES (\(provider), \(delivery), \(project), \(String(decoding: answer, as: UTF8.self)))
            ON CONFLICT (provider, project_id, delivery_id) DO UPDATE SET answer = excluded.answer
            """, logger: logger)
    }
}
