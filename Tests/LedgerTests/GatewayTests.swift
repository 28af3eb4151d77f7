import ChildProcess
import Foundation
import LedgerClient
import Gateway
import Ledger
import LedgerDomain
import LedgerAccess
import LedgerTestSupport
import LedgerZstd
import PostgresNIO
import Projections
import Testing

/// The HTTP API's logs endpoint: the same pages as the projection reader, zstd on the wire when
/// the client accepts it, and clear JSON errors for bad requests.
@Suite struct GatewayTests {
    @Test func acceptEncodingIsReadWithItsQualities() {
        #expect(ContentEncoding.acceptsZstd("zstd"))
        #expect(ContentEncoding.acceptsZstd("gzip, br, ZSTD;q=0.5"))
        #expect(ContentEncoding.acceptsZstd("gzip;q=1, *;q=0.1"))
        #expect(!ContentEncoding.acceptsZstd("zstd;q=0"))
        #expect(!ContentEncoding.acceptsZstd("zstd;q=0, *"))
        #expect(!ContentEncoding.acceptsZstd("gzip, deflate"))
        #expect(!ContentEncoding.acceptsZstd("*;q=0"))
        #expect(!ContentEncoding.acceptsZstd(nil))
    }

    @Test func timestampsKeepMicroseconds() {
        for micros: Int64 in [0, 1, 1_763_700_000_123_456, 1_763_700_000_000_000, -1] {
            let text = Timestamps.format(micros)
            #expect(text.hasSuffix("Z") && Timestamps.parseExact(text) == micros, "\(text)")
        }
        #expect(Timestamps.format(1_763_700_005_000_042) == "2025-11-21T04:40:05.000042Z")
        #expect(Timestamps.parseExact("2025-11-21T04:40:05Z") == nil)
    }

    @Test func oneShotZstdRoundTripsAndRefusesATruncatedFrame() throws {
        let text = Array(String(repeating: "step deploying: pulling image layer 7/12\n", count: 200).utf8)
        let frame = try Zstd.compress(text)
        #expect(frame.count < text.count / 10)
        #expect(try Zstd.decompress(frame) == text)
        #expect(throws: ZstdError.self) { try Zstd.decompress(frame.dropLast(3)) }
        #expect(throws: ZstdError.self) { try Zstd.decompress(frame, limit: 100) }
    }

    /// API tokens on the test database, issued through the service as every command is.
    static func tokens(_ db: TestContext) -> TokenStore {
        TokenStore(service: DeploymentService(store: db.store, source: "test"), client: db.client, logger: TestDatabase.logger)
    }

    /// A history with log lines, the projections caught up, and a gateway on a free port; the
    /// client carries a portal admin token.
    static func withGateway(
        requestTimeout: Duration = .seconds(10), _ body: @escaping @Sendable (TestContext, GatewayClient, ProjectionReader) async throws -> Void
    ) async throws {
        try await TestDatabase.withDatabase { db in
            try await ArchiveTests.history(db, events: 1_500)
            // Issued first: its events are in the log the projections then catch up with.
            let (admin, _) = try await tokens(db).issue(
                name: "test", role: .portalAdmin, organisation: nil, project: nil, context: CommandContext(actor: "test"))
            for projection in ProjectionCatalog.all {
                let caughtUp = try await ProjectionRebuildTests.runner(projection, db).catchUp()
                #expect(caughtUp)
            }
            let reader = ProjectionReader(client: db.client, logger: TestDatabase.logger)
            let server = GatewayServer(
                reader: reader, store: db.store, tokens: tokens(db), port: 0, requestTimeout: requestTimeout, logger: TestDatabase.logger)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run { port in continuation.yield(port) } }
                var iterator = ports.makeAsyncIterator()
                let port = try #require(await iterator.next())
                var client = try GatewayClient(url: "http://127.0.0.1:\(port)")
                client.token = admin.text
                try await body(db, client, reader)
                group.cancelAll()
            }
        }
    }

    /// The deployment with the most log lines in the test history.
    static func busiestDeployment(_ db: TestContext) async throws -> String {
        let rows = try await db.client.query(
            "SELECT deployment_id FROM proj_logs.batches GROUP BY deployment_id ORDER BY sum(line_count) DESC, deployment_id LIMIT 1",
            logger: TestDatabase.logger)
        for try await id in rows.decode(String.self) { return id }
        throw LedgerError(.database, "the test history has no log lines")
    }

    @Test func logsComeZstdCompressedWhenAcceptedAndEqualTheProjection() async throws {
        try await Self.withGateway { db, client, reader in
            let id = try await Self.busiestDeployment(db)
            let expected = try await reader.logs(deployment: id, skip: 0, limit: 500)
            #expect(expected.count > 20)

            let compressed = try await client.get("/api/v1/deployments/\(id)/logs")
            #expect(compressed.status == 200)
            #expect(compressed.contentEncoding == "zstd")
            #expect(compressed.wireBodyBytes * 3 < compressed.body.count, "zstd should shrink log JSON well")
            let page = try LedgerJSON.decode(LogsPage.self, from: Data(compressed.body))
            #expect(page.deploymentID == id && page.skip == 0 && page.limit == 500)
            #expect(page.entries == expected)

            // The same bytes uncompressed when the client does not ask for zstd.
            let plain = try await client.get("/api/v1/deployments/\(id)/logs", acceptZstd: false)
            #expect(plain.status == 200 && plain.contentEncoding == nil)
            #expect(plain.body == compressed.body && plain.wireBodyBytes == plain.body.count)

            // Paging and filters match the reader's.
            let second = try await client.get("/api/v1/deployments/\(id)/logs?skip=5&limit=7")
            let secondPage = try LedgerJSON.decode(LogsPage.self, from: Data(second.body))
            #expect(secondPage.entries == Array(expected[5..<12]))
            let infoOnly = try await client.get("/api/v1/deployments/\(id)/logs?level=info")
            let infoPage = try LedgerJSON.decode(LogsPage.self, from: Data(infoOnly.body))
            #expect(infoPage.entries == (try await reader.logs(deployment: id, level: .info)))

            // A tiny page is not worth a frame: it goes out as it is.
            let tiny = try await client.get("/api/v1/deployments/\(id)/logs?limit=1")
            #expect(tiny.body.count < ContentEncoding.minimumCompressedSize && tiny.contentEncoding == nil)
        }
    }

    @Test func badRequestsGetJSONErrorsWithTheirStatus() async throws {
        try await Self.withGateway { db, client, _ in
            let id = try await Self.busiestDeployment(db)
            let cases: [(String, Int, String)] = [
                ("/api/v1/deployments/no-such-deployment/logs", 404, "not_found"),
                ("/api/v1/deployments/\(id)/logs?limit=0", 400, "bad_request"),
                ("/api/v1/deployments/\(id)/logs?limit=501", 400, "bad_request"),
                ("/api/v1/deployments/\(id)/logs?skip=-1", 400, "bad_request"),
                ("/api/v1/deployments/\(id)/logs?level=loud", 400, "bad_request"),
            ]
            for (path, status, code) in cases {
                let reply = try await client.get(path)
                #expect(reply.status == status, "\(path)")
                let body = try? JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: [String: String]]
                #expect(body?["error"]?["code"] == code, "\(path): \(String(decoding: reply.body, as: UTF8.self))")
                #expect(body?["error"]?["message"]?.isEmpty == false)
            }
        }
    }

    @Test func metricsShowEachProjectionsPositionAndAFailureWithItsEvent() async throws {
        try await Self.withGateway { db, client, _ in
            let head = try await db.store.headPosition()
            let healthy = String(decoding: try await client.get("/metrics").body, as: UTF8.self)
            #expect(healthy.contains("ledger_head_position \(head).0\n"))
            for projection in ProjectionCatalog.all {
                #expect(healthy.contains("ledger_projection_position{projection=\"\(projection.name)\"} \(head).0\n"), "\(projection.name)")
                #expect(healthy.contains("ledger_projection_failed{projection=\"\(projection.name)\"} 0.0\n"))
            }
            #expect(!healthy.contains("ledger_projection_failure_info{"))

            let bad = try await db.store.append(
                to: DomainIDs.deploymentStream("broken"), events: [try NewEvent(type: DeploymentQueued.eventType, data: Data(#"{"nope":1}"#.utf8))])
            let caughtUp = try await ProjectionRebuildTests.runner(ProjectionCatalog.named("deployments")!, db).catchUp()
            #expect(!caughtUp)
            let failing = String(decoding: try await client.get("/metrics").body, as: UTF8.self)
            #expect(failing.contains("ledger_projection_failed{projection=\"deployments\"} 1.0\n"))
            #expect(failing.contains(
                "ledger_projection_failure_info{projection=\"deployments\",position=\"\(bad.firstPosition)\",event_type=\"DeploymentQueued\"} 1.0\n"))
            #expect(failing.contains("ledger_projection_lag_events{projection=\"deployments\"} 1.0\n"))
            // Requests are counted by route pattern and status, with a latency histogram.
            #expect(failing.contains(#"ledger_http_requests_total{route="/metrics",method="GET",status="200"}"#))
            #expect(failing.contains(#"ledger_http_request_duration_seconds_bucket{route="/metrics",method="GET",status="200",le="+Inf"}"#))
        }
    }

    @Test func aTakenPortIsAClearErrorNotAHang() async throws {
        try await Self.withGateway { db, client, reader in
            let second = GatewayServer(reader: reader, store: db.store, tokens: Self.tokens(db), port: client.port, logger: TestDatabase.logger)
            let error = await #expect(throws: LedgerError.self) { try await second.run() }
            #expect(error?.message.contains("cannot listen on 127.0.0.1:\(client.port) (the address is in use)") == true, "\(String(describing: error))")
        }
    }

    @Test func theAPINeedsAValidTokenAndATokenSeesOnlyItsOwnOrganisation() async throws {
        try await Self.withGateway { db, client, reader in
            let id = try await Self.busiestDeployment(db)
            let deployment = try #require(try await reader.deployment(id))
            let path = "/api/v1/deployments/\(id)/logs?limit=1"
            let ops = CommandContext(actor: "test")
            let service = DeploymentService(store: db.store, source: "test")
            try await service.createOrganisation(id: "stranger", name: "Stranger", context: ops)
            let (stranger, _) = try await Self.tokens(db).issue(name: "s", role: .orgOwner, organisation: "stranger", project: nil, context: ops)
            let (member, _) = try await Self.tokens(db).issue(
                name: "m", role: .orgMember, organisation: deployment.organisationID, project: nil, context: ops)
            let (revoked, record) = try await Self.tokens(db).issue(
                name: "r", role: .orgOwner, organisation: deployment.organisationID, project: nil, context: ops)
            try await Self.tokens(db).revoke(record.tokenID, context: ops)

            for (token, status, code) in [
                (nil, 401, "unauthenticated"), ("ldg_notatoken", 401, "unauthenticated"), (TokenSecret.generate().text, 401, "unauthenticated"),
                (revoked.text, 401, "unauthenticated"), (stranger.text, 404, "not_found"),
            ] as [(String?, Int, String)] {
                let answer = try await HTTP.get(
                    client.port, path, headers: (token.map { ["Authorization: Bearer \($0)"] } ?? []) + ["X-Request-Id: probe-\(status)"])
                #expect(answer.status == status, "\(token ?? "no token"): \(answer.body)")
                let body = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: [String: String]]
                #expect(body?["error"]?["code"] == code && body?["error"]?["request_id"] == "probe-\(status)", "\(answer.body)")
                #expect(answer.headers.lowercased().contains("x-request-id: probe-\(status)"))
            }
            let allowed = try await HTTP.get(client.port, path, headers: ["Authorization: bearer \(member.text)"])
            #expect(allowed.status == 200, "the scheme's name is case-insensitive: \(allowed.body)")
            #expect(allowed.headers.lowercased().contains("x-request-id: "), "every response names its request")
        }
    }

    @Test func theOpenAPIDocumentDescribesExactlyTheRoutesServed() async throws {
        try await Self.withGateway { db, client, reader in
            let server = GatewayServer(reader: reader, store: db.store, tokens: Self.tokens(db), port: 0, logger: TestDatabase.logger)
            #expect(server.registeredRoutes.count > 20)
            #expect(server.registeredRoutes.subtracting(GatewayServer.documentedRoutes).isEmpty, "served but not documented")
            #expect(GatewayServer.documentedRoutes.subtracting(server.registeredRoutes).isEmpty, "documented but not served")
            let served = try await client.get("/openapi.json")
            let document = try JSONSerialization.jsonObject(with: Data(served.body)) as? [String: Any]
            #expect(served.status == 200 && document?["openapi"] as? String == "3.1.0")
            let paths = try #require(document?["paths"] as? [String: [String: Any]])
            let fromJSON = Set(paths.flatMap { path, methods in methods.keys.map { "\($0.uppercased()) \(path)" } })
            #expect(fromJSON == Set(OpenAPIDocument.operations.map { "\($0.method.uppercased()) \($0.path)" }))
            #expect(fromJSON.count == GatewayServer.documentedRoutes.count, "no two documented paths differ only in parameter names")
        }
    }

    @Test func readyOnlyOnceTheDatabaseAnswersAndIsMigrated() async throws {
        try await Self.withGateway { db, client, reader in
            #expect(try await client.get("/healthz").status == 200)
            #expect(try await client.get("/readyz").status == 200)
            try await db.tamper("DELETE FROM ledger.schema_migrations WHERE version = (SELECT max(version) FROM ledger.schema_migrations)")
            let unready = try await client.get("/readyz")
            #expect(unready.status == 503)
            #expect(String(decoding: unready.body, as: UTF8.self).contains("not_ready"))
        }
    }

    @Test func aMethodAPathDoesNotTakeIs405WithAllowAndAnUnknownPathAJSON404() async throws {
        try await Self.withGateway { _, client, _ in
            let wrong = try await HTTP.send("PUT", client.port, "/api/v1/deployments")
            #expect(wrong.status == 405 && wrong.body.contains(#""code":"method_not_allowed""#), "\(wrong.body)")
            #expect(wrong.headers.lowercased().contains("allow: get, post"))
            let withID = try await HTTP.send("DELETE", client.port, "/api/v1/deployments/some-id/progress")
            #expect(withID.status == 405 && withID.headers.lowercased().contains("allow: get"))
            let unknown = try await HTTP.get(client.port, "/api/v1/no-such-thing")
            #expect(unknown.status == 404 && unknown.body.contains(#""code":"not_found""#))
        }
    }

    @Test func theClientGivesUpOnAServerThatSaysNothing() async throws {
        let port = try freePort()
        let silent = Task {
            try await ShellCommand.run(
                "python3 -c \"import socket,time; s=socket.socket(); s.bind(('127.0.0.1',\(port))); s.listen(); c,_=s.accept(); time.sleep(20)\"")
        }
        defer { silent.cancel() }
        var client = try GatewayClient(url: "http://127.0.0.1:\(port)")
        client.readTimeout = .seconds(1)
        try await waitUntil("the silent server listens", within: .seconds(10)) { (try? await ShellCommand.run("bash -c '</dev/tcp/127.0.0.1/\(port)'")) == 0 }
        // Ended by the client's read timeout (a Failure), not by the test's own (TimedOut).
        await #expect(throws: GatewayClient.Failure.self) {
            try await withTimeout(.seconds(10)) { [client] in _ = try await client.get("/api/v1/deployments") }
        }
    }

    @Test func metricNamesAreValidPrometheusNames() {
        #expect(GatewayMetrics.prometheusName("hb.requests") == "ledger_http_requests_total")
        #expect(GatewayMetrics.prometheusName("some.thing-else") == "some_thing_else")
        #expect(GatewayMetrics.prometheusLabel("http.response.status_code") == "status")
    }
}
