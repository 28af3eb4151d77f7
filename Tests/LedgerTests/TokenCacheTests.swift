import Foundation
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerTestSupport
import Testing

/// Tokens checked from memory: served without a database read while revocations are heard,
/// dropped when one is revoked in any process, never served while revocations could be missed,
/// and refused once expired.
@Suite struct TokenCacheTests {
    @Test func aCachedTokenIsDroppedByARevocationElsewhereAndNothingIsServedWhileUnheard() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            try await service.createOrganisation(id: "acme", name: "Acme", context: ops)
            let gateway = TokenStore(service: service, client: db.client, logger: TestDatabase.logger)
            // Another process: it revokes, and caches nothing.
            let elsewhere = TokenStore(service: service, client: db.client, logger: TestDatabase.logger)
            let listening = Task { await gateway.cache.run() }
            defer { listening.cancel() }
            try await waitUntil("the cache listens", within: .seconds(10)) { gateway.cache.isListening }

            // Served from memory: a change the database makes behind its back goes unseen...
            let (quiet, _) = try await gateway.issue(name: "quiet", role: .orgMember, organisation: "acme", project: nil, context: ops)
            #expect(try await gateway.verify(quiet.text) != nil)
            try await db.tamper("UPDATE auth.tokens SET revoked_at = clock_timestamp() WHERE name = 'quiet'")
            #expect(try await gateway.verify(quiet.text) != nil, "a cached token is not read again")

            // ...but a revocation, wherever it is made, is heard.
            let (ci, ciRecord) = try await gateway.issue(name: "ci", role: .orgMember, organisation: "acme", project: nil, context: ops)
            #expect(try await gateway.verify(ci.text) != nil)
            try await elsewhere.revoke(ciRecord.tokenID, context: ops)
            try await waitUntil("the revocation is heard", within: .seconds(15)) { try await gateway.verify(ci.text) == nil }

            // Losing the connection empties the cache: revocations may be missed meanwhile.
            try await db.terminateOtherBackends()
            try await waitUntil("the cached token is read again", within: .seconds(10)) { try await gateway.verify(quiet.text) == nil }
            try await waitUntil("the cache listens again", within: .seconds(10)) { gateway.cache.isListening }
            #expect(try await gateway.verify(quiet.text) == nil)

            // Expiry is checked on every hit: once cached, the token is never read again, yet it
            // stops being served when it expires (5 s leaves room for a loaded machine's issue).
            let (brief, _) = try await gateway.issue(
                name: "brief", role: .orgMember, organisation: "acme", project: nil, expiresIn: .seconds(5), context: ops)
            #expect(try await gateway.verify(brief.text) != nil)
            try await waitUntil("the cached token expires", within: .seconds(20)) { try await gateway.verify(brief.text) == nil }
        }
    }

    @Test func tokensRevokedTwiceAtOnceAreRecordedAsRevokedOnce() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            try await service.createOrganisation(id: "acme", name: "Acme", context: ops)
            let tokens = TokenStore(service: service, client: db.client, logger: TestDatabase.logger)
            let (secret, record) = try await tokens.issue(name: "ci", role: .orgMember, organisation: "acme", project: nil, context: ops)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { try await tokens.revoke(record.tokenID, context: ops) } }
                try await group.waitForAll()
            }
            #expect(try await tokens.verify(secret.text) == nil)
            let types = try await db.store.read(stream: DomainIDs.tokenStream(record.tokenID)).map(\.type)
            #expect(types == [ApiTokenCreated.eventType, ApiTokenRevoked.eventType])
        }
    }
}
