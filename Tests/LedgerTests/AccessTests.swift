import Foundation
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerTestSupport
import Testing

/// API tokens and roles: the token format, the permission matrix, and the token store.
@Suite struct AccessTests {
    @Test func aTokenParsesOnlyWithItsPrefixAndChecksum() throws {
        let secret = TokenSecret.generate()
        #expect(secret.text.hasPrefix("ldg_") && secret.text.count == 40)
        #expect(TokenSecret(parsing: secret.text)?.hash == secret.hash)
        var characters = Array(secret.text)
        characters[10] = characters[10] == "a" ? "b" : "a"
        #expect(TokenSecret(parsing: String(characters)) == nil, "a mistyped token fails its checksum")
        #expect(TokenSecret(parsing: "ghp_" + secret.text.dropFirst(4)) == nil)
        #expect(TokenSecret(parsing: secret.text + "x") == nil)
        #expect(!"\(secret)".contains(secret.text.dropFirst(8)), "printing a token shows only its hint")
        #expect(TokenSecret.generate().text != secret.text)
        // Tokens already issued keep parsing: the checksum is base62 of the IEEE CRC-32 (zlib's).
        #expect(TokenSecret(parsing: "ldg_Abcdefghijklmnopqrstuvwxyz01231mwNOK") != nil)
        #expect(TokenSecret(parsing: "ldg_Abcdefghijklmnopqrstuvwxyz01231mwNOL") == nil)
    }

    @Test func eachRoleMayDoWhatTheRolesBelowItMay() {
        let chain: [Role] = [.portalAdmin, .orgOwner, .orgAdmin, .projectAdmin, .projectMember]
        for (higher, lower) in zip(chain, chain.dropFirst()) {
            #expect(higher.permissions.isSuperset(of: lower.permissions), "\(higher) ⊇ \(lower)")
            #expect(higher.permissions != lower.permissions)
        }
        #expect(Role.orgAdmin.permissions.isSuperset(of: Role.orgMember.permissions))
        #expect(!Role.projectMember.permissions.contains(.deploy) && !Role.orgMember.permissions.contains(.cancelDeployments))
        #expect(Role.projectAdmin.permissions.isSuperset(of: [.deploy, .cancelDeployments, .viewDeployments]))
        #expect(!Role.orgAdmin.permissions.contains(.manageTokens) && Role.orgOwner.permissions.contains(.manageTokens))
        #expect(Role.portalAdmin.permissions == Set(Permission.allCases))
    }

    @Test func aPrincipalSeesOnlyItsOrganisationAndProject() {
        let member = Principal(tokenID: "t", name: "ci", role: .projectMember, organisation: "acme", project: "shop")
        #expect(member.sees(organisation: "acme", project: "shop"))
        #expect(!member.sees(organisation: "acme", project: "blog"))
        #expect(!member.sees(organisation: "other", project: "shop"))
        let admin = Principal(tokenID: "t", name: "root", role: .portalAdmin, organisation: nil, project: nil)
        #expect(admin.sees(organisation: "anything"))
        #expect(member.context(requestID: "r", idempotencyKey: nil).scope == .init(organisation: "acme", project: "shop"))
        #expect(admin.context(requestID: nil, idempotencyKey: nil).scope == nil)
    }

    @Test func anIssuedTokenWorksUntilRevokedOrExpiredAndTheLogNeverHoldsItsSecret() async throws {
        try await TestDatabase.withDatabase { db in
            let (service, ops) = try await Fixture.acmeShop(db)
            let tokens = TokenStore(service: service, client: db.client, logger: TestDatabase.logger)

            let (secret, record) = try await tokens.issue(name: "ci", role: .projectAdmin, organisation: "acme", project: "shop", context: ops)
            #expect(try await tokens.verify(secret.text) == Principal(tokenID: record.tokenID, name: "ci", role: .projectAdmin, organisation: "acme", project: "shop"))
            #expect(try await tokens.verify(TokenSecret.generate().text) == nil, "an unknown token")
            #expect(try await tokens.list(organisation: "acme").map(\.tokenID) == [record.tokenID])
            #expect(try await tokens.list(organisation: "acme").first?.lastUsedAtMicroseconds != nil, "its use is recorded")

            let hashHex = secret.hash.map { String(format: "%02x", $0) }.joined()
            for event in try await db.store.readAll(after: 0).events {
                let text = String(decoding: event.data + event.metadataJSON, as: UTF8.self)
                #expect(!text.contains(secret.text) && !text.contains(hashHex) && !text.contains(secret.text.dropFirst(8)))
            }

            try await tokens.revoke(record.tokenID, context: ops)
            #expect(try await tokens.verify(secret.text) == nil, "revoked: refused from the next request on")
            #expect(try await tokens.list(organisation: "acme").first?.revoked == true)
            let types = try await db.store.read(stream: DomainIDs.tokenStream(record.tokenID)).map(\.type)
            #expect(types == [ApiTokenCreated.eventType, ApiTokenRevoked.eventType])

            let (brief, briefRecord) = try await tokens.issue(name: "brief", role: .orgMember, organisation: "acme", project: nil, context: ops)
            #expect(try await tokens.verify(brief.text) != nil)
            // Its expiry passes (set in the past rather than waited for: a loaded machine may take a second between two lines).
            try await db.tamper("UPDATE auth.tokens SET expires_at = clock_timestamp() - interval '1 second' WHERE token_id = '\(briefRecord.tokenID)'")
            #expect(try await tokens.verify(brief.text) == nil, "expired")
        }
    }

    @Test func aTokenForAMissingOrganisationOrAForeignProjectIsRefused() async throws {
        try await TestDatabase.withDatabase { db in
            let service = DeploymentService(store: db.store, source: "test")
            let ops = CommandContext(actor: "ops")
            try await service.createOrganisation(id: "acme", name: "Acme", context: ops)
            try await service.createOrganisation(id: "other", name: "Other", context: ops)
            try await service.createProject(id: "blog", organisation: "other", name: "Blog", context: ops)
            let tokens = TokenStore(service: service, client: db.client, logger: TestDatabase.logger)
            let head = try await db.store.headPosition()
            for (role, organisation, project) in [
                (Role.orgAdmin, "nowhere", nil), (.projectMember, "acme", "blog"), (.projectMember, "acme", nil), (.orgAdmin, "acme", "blog"),
            ] as [(Role, String, String?)] {
                await #expect(throws: CommandRejection.self) {
                    try await tokens.issue(name: "x", role: role, organisation: organisation, project: project, context: ops)
                }
            }
            await #expect(throws: CommandRejection.self) {
                try await tokens.issue(name: "x", role: .orgAdmin, organisation: "acme", project: nil, expiresIn: .seconds(400 * 86_400), context: ops)
            }
            #expect(try await db.store.headPosition() == head, "nothing was written")
        }
    }
}
