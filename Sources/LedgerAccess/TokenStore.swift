import Ledger
import LedgerDomain
import Foundation
import Logging
import PostgresNIO

/// Issues, checks, lists and revokes API tokens. A token's text is returned once by
/// ``issue(name:role:organisation:project:expiresIn:context:)`` and only its SHA-256 is kept
/// (`auth.tokens`); issuing and revoking are also events on `token-<id>` for the audit trail.
public struct TokenStore: Sendable {
    /// What an operator sees of a token (never its secret).
    public struct Record: Sendable, Codable, Equatable {
        public var tokenID: String
        public var name: String
        public var hint: String
        public var role: Role
        public var organisationID: String?
        public var projectID: String?
        public var expiresAtMicroseconds: Int64
        public var revoked: Bool
        public var lastUsedAtMicroseconds: Int64?
        public var user: String?
    }

    /// The longest and the default lifetime of a token: expiry is mandatory.
    public static let maximumLifetime: Duration = .seconds(366 * 86_400)
    public static let defaultLifetime: Duration = .seconds(90 * 86_400)

    let service: DeploymentService
    let client: PostgresClient
    let logger: Logger
    /// Principals of tokens seen lately; in use while its ``TokenCache/run()`` runs.
    public let cache: TokenCache

    public init(service: DeploymentService, client: PostgresClient, logger: Logger) {
        self.service = service
        self.client = client
        self.logger = logger
        self.cache = TokenCache(client: client, logger: logger)
    }

    /// Issues a token and returns its secret (to show once) with its record.
    public func issue(
        name: String, role: Role, organisation: String?, project: String?, user: String? = nil, expiresIn lifetime: Duration = defaultLifetime,
        context: CommandContext
    ) async throws -> (secret: TokenSecret, record: Record) {
        if let user, !ProtectionRules.isPersonName(user) {
            throw CommandRejection(.invalid, "a token's user is a person's name or address of 1–200 printable characters")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 100 else {
            throw CommandRejection(.invalid, "a token's name must be 1–100 characters")
        }
        guard lifetime > .zero, lifetime <= Self.maximumLifetime else {
            throw CommandRejection(.invalid, "a token expires after 1 second to 366 days")
        }
        if role == .portalAdmin {
            guard organisation == nil, project == nil else { throw CommandRejection(.invalid, "a portal admin token has no organisation or project") }
        } else {
            guard let organisation, try await service.organisation(organisation) != nil else {
                throw CommandRejection(.invalid, "a \(role.rawValue) token needs an existing organisation")
            }
            if role.isProjectRole {
                guard let project, let found = try await service.project(project), found.organisationID == organisation else {
                    throw CommandRejection(.invalid, "a \(role.rawValue) token needs a project of organisation \(organisation)")
                }
            } else if project != nil {
                throw CommandRejection(.invalid, "only project roles name a project")
            }
        }
        let secret = TokenSecret.generate()
        let tokenID = UUID().uuidString.lowercased()
        let expires = Int64(Date().timeIntervalSince1970 * 1_000_000) + Int64(lifetime.seconds * 1_000_000)
        let created = ApiTokenCreated(
            tokenID: tokenID, name: name, role: role, organisationID: organisation, projectID: project, hint: secret.hint,
            expiresAtMicroseconds: expires, user: user)
        // The hash's row commits with the creation event: no usable token without its audit
        // record, and no record of a token that cannot be used.
        let (logger, actor) = (logger, context.actor)
        try await service.execute(context, alongside: { connection in
            try await connection.query(
                """
                INSERT INTO auth.tokens (token_id, secret_hash, hint, name, role, organisation, project, created_by, expires_at, user_name)
                VALUES (\(UUID(uuidString: tokenID)!), \(ByteBuffer(bytes: secret.hash)), \(secret.hint), \(name), \(role.rawValue),
                        \(organisation), \(project), \(actor), to_timestamp(\(Double(expires) / 1_000_000)), \(user))
                """, logger: logger)
        }) {
            .init(
                Decision([.init(DomainIDs.tokenStream(tokenID), expectedVersion: .noStream, [.apiTokenCreated(created)])]),
                organisation: organisation, project: project)
        }
        let record = Record(
            tokenID: tokenID, name: name, hint: secret.hint, role: role, organisationID: organisation, projectID: project,
            expiresAtMicroseconds: expires, revoked: false, lastUsedAtMicroseconds: nil, user: user)
        return (secret, record)
    }

    /// The principal a presented token stands for, or nil when it is malformed, unknown,
    /// expired or revoked. Records its use (at most once a minute per token). Served from the
    /// cache while it hears revocations; otherwise, and on a miss, read from the database.
    public func verify(_ presented: String) async throws -> Principal? {
        guard let secret = TokenSecret(parsing: presented) else { return nil }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        if let (principal, useDue) = cache.principal(forHash: secret.hash, nowMicroseconds: now) {
            if useDue { try await recordUse(of: principal.tokenID) }
            return principal
        }
        let generation = cache.generation()
        // A plain read; the use is recorded (a write) at most once a minute.
        let found = try await client.liveQuery(
            """
            SELECT token_id, name, role, organisation, project, (extract(epoch FROM expires_at) * 1000000)::int8,
                   last_used_at IS NULL OR last_used_at < clock_timestamp() - interval '60 seconds', user_name
            FROM auth.tokens
            WHERE secret_hash = \(ByteBuffer(bytes: secret.hash)) AND revoked_at IS NULL AND expires_at > clock_timestamp()
            """, logger: logger)
        guard let row = found.first else { return nil }
        let (id, name, role, organisation, project, expires, stale, user) = try row.decode(
            (UUID, String, String, String?, String?, Int64, Bool, String?).self)
        guard let role = Role(rawValue: role) else { return nil }
        let principal = Principal(
            tokenID: id.uuidString.lowercased(), name: name, role: role, organisation: organisation, project: project, user: user)
        if stale { try await recordUse(of: principal.tokenID) }
        if let generation { cache.keep(principal, hash: secret.hash, expiresAtMicroseconds: expires, since: generation) }
        return principal
    }

    /// The principal of a token served from the cache with no work to do (its use recorded
    /// lately), without suspending; nil means ask ``verify(_:)``.
    public func cachedPrincipal(_ presented: String) -> Principal? {
        guard let secret = TokenSecret(parsing: presented),
            let (principal, useDue) = cache.principal(
                forHash: secret.hash, nowMicroseconds: Int64(Date().timeIntervalSince1970 * 1_000_000), claimingUse: false),
            !useDue
        else { return nil }
        return principal
    }

    private func recordUse(of tokenID: String) async throws {
        guard let id = UUID(uuidString: tokenID) else { return }
        _ = try await client.liveQuery("UPDATE auth.tokens SET last_used_at = clock_timestamp() WHERE token_id = \(id)", logger: logger)
    }

    /// Revokes a token; from the next request on it is refused. Revoking a revoked token changes nothing.
    public func revoke(_ tokenID: String, context: CommandContext) async throws {
        guard let id = UUID(uuidString: tokenID) else { throw CommandRejection(.invalid, "'\(tokenID)' is not a token id") }
        let rows = try await client.liveQuery(
            "SELECT organisation, project, revoked_at IS NOT NULL FROM auth.tokens WHERE token_id = \(id)", logger: logger)
        guard let row = rows.first else { throw CommandRejection(.notFound, "no such token") }
        let (organisation, project, revoked) = try row.decode((String?, String?, Bool).self)
        try context.requireInScope(organisation: organisation, project: nil, what: "organisation")
        if revoked { return }
        // The revocation commits with its event, and takes effect from the next request on:
        // every process caching tokens hears the NOTIFY (sent at commit); this one forgets it
        // before answering. One racing another for the same token finds it revoked and drops
        // its whole transaction, event included: the audit trail records one revocation.
        struct RevokedMeanwhile: Error {}
        let logger = logger
        let notified = id.uuidString.lowercased()
        do {
            try await service.execute(context, alongside: { connection in
                var updated = false
                for try await _ in try await connection.query(
                    "UPDATE auth.tokens SET revoked_at = clock_timestamp() WHERE token_id = \(id) AND revoked_at IS NULL RETURNING token_id",
                    logger: logger)
                {
                    updated = true
                }
                guard updated else { throw RevokedMeanwhile() }
                try await connection.query("SELECT pg_notify(\(TokenCache.channel), \(notified))", logger: logger)
            }) {
                .init(
                    Decision([.init(DomainIDs.tokenStream(notified), expectedVersion: .any, [.apiTokenRevoked(ApiTokenRevoked(tokenID: notified))])]),
                    organisation: organisation, project: project)
            }
        } catch is RevokedMeanwhile {}
        cache.forget(tokenID: notified)
    }

    /// The tokens of an organisation (every token with nil), newest first.
    public func list(organisation: String?) async throws -> [Record] {
        let rows = try await client.liveQuery(
            """
            SELECT token_id, name, hint, role, organisation, project, (extract(epoch FROM expires_at) * 1000000)::int8,
                   revoked_at IS NOT NULL, (extract(epoch FROM last_used_at) * 1000000)::int8, user_name
            FROM auth.tokens WHERE \(organisation)::text IS NULL OR organisation = \(organisation) ORDER BY created_at DESC
            """, logger: logger)
        return try rows.compactMap { row in
            let (id, name, hint, role, organisation, project, expires, revoked, used, user) = try row.decode(
                (UUID, String, String, String, String?, String?, Int64, Bool, Int64?, String?).self)
            guard let role = Role(rawValue: role) else { return nil }
            return Record(
                tokenID: id.uuidString.lowercased(), name: name, hint: hint, role: role, organisationID: organisation, projectID: project,
                expiresAtMicroseconds: expires, revoked: revoked, lastUsedAtMicroseconds: used, user: user)
        }
    }
}
