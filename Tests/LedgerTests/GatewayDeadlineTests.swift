import Foundation
import Gateway
import LedgerClient
import LedgerTestSupport
import Logging
import PostgresNIO
import Testing

/// Every request is bounded by one deadline around the router (`DeadlineResponder`), not by a
/// wrapper each handler must remember: a request stuck behind PostgreSQL is answered 503 in the
/// JSON error shape, with its request id, while the database still holds it.
@Suite(.serialized) struct GatewayDeadlineTests {
    @Test func aRequestStuckBehindALockedTableIsAnswered503WhileTheLockIsStillHeld() async throws {
        try await GatewayTests.withGateway(requestTimeout: .seconds(1)) { db, client, _ in
            var client = client
            client.readTimeout = .seconds(15)
            let id = try await GatewayTests.busiestDeployment(db)
            let (locked, lockTaken) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseLock) = AsyncStream.makeStream(of: Void.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Held until the answer has come: without the deadline the request would wait
                // for the lock, the lock for the answer, and the client gives up (15 s).
                group.addTask {
                    try await db.client.withTransaction(logger: TestDatabase.logger) { connection in
                        try await connection.query("LOCK TABLE proj_deployments.state IN ACCESS EXCLUSIVE MODE", logger: TestDatabase.logger)
                        lockTaken.yield()
                        for await _ in release { break }
                    }
                }
                for await _ in locked { break }
                let reply = try await client.get("/api/v1/deployments/\(id)/logs")
                releaseLock.yield()
                #expect(reply.status == 503, "\(reply.errorMessage)")
                let body = try JSONDecoder().decode(APIErrorBody.self, from: Data(reply.body))
                // As every answer while the database is away: 503 and the code scripts retry on.
                #expect(body.error.code == "database_unavailable", "\(body)")
                #expect(body.error.requestID?.isEmpty == false)
                try await group.waitForAll()
            }
            // Once the lock is gone the same request is answered.
            #expect(try await client.get("/api/v1/deployments/\(id)/logs").status == 200)
        }
    }
}
