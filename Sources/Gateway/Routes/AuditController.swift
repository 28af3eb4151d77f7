import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import Projections

/// What auditors read: the audit trail (JSON pages, CSV or NDJSON downloads), the integrity
/// summary (head, last seal, last verification), a full verification of the log, and an
/// environment's compliance report (JSON or CSV).
struct AuditController: Sendable {
    let reader: ProjectionReader
    let store: EventStore

    var routes: RouteCollection<GatewayContext> {
        let routes = RouteCollection(context: GatewayContext.self)
        routes.get("/audit", use: audit)
        routes.get("/integrity", use: integrity)
        // Reads the whole log: bounded by its own pace, not the request deadline (see GatewayServer.unbounded).
        routes.get("/verify", use: verify)
        // Reads and checks the log range of a period: bounded the same way.
        routes.get("/compliance/report", use: complianceReport)
        return routes
    }

    /// `GET /audit`: an organisation's trail, filtered, as a page or a download.
    @Sendable func audit(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.viewAudit)
        var query = try AuditQuery(request.uri.queryParameters)
        if let organisation = principal.organisation {
            if let asked = query.filter.organisation, asked != organisation { throw APIError.notFound("no organization '\(asked)'") }
            query.filter.organisation = organisation
        }
        try await reader.awaitPosition(nil, of: ["audit"], store: store)
        switch query.format {
        case .json:
            let page = try await reader.audit(query.filter)
            let next = page.count == query.filter.limit ? page.last.map { ListCursor.make("audit", position: $0.position) } : nil
            return try JSONResponse.encode(AuditPageBody(entries: page.map(AuditRow.init), nextCursor: next), status: .ok)
        case .csv, .ndjson:
            return AuditDownload.response(query, reader: reader)
        }
    }

    /// `GET /compliance/report`: every change of an environment in the period, with the rules in
    /// force then, and the integrity of the log range it was read from.
    @Sendable func complianceReport(_ request: Request, context: GatewayContext) async throws -> Response {
        let principal = try context.require(.viewAudit)
        let query = try ComplianceQuery(request.uri.queryParameters)
        let context = principal.context(requestID: nil, idempotencyKey: nil)
        let report = try await DeploymentService(store: store, source: "api").complianceReport(
            environment: query.environmentID, from: query.from, to: query.to, context: context)
        switch query.format {
        case .json: return try JSONResponse.encode(ComplianceReportBody(report), status: .ok)
        case .ndjson:
            // A line per change (the JSON answer's changes, one by one); the integrity stays in the JSON answer.
            let lines = try ComplianceReportBody(report).changes.map { String(decoding: try APIJSON.encode($0), as: UTF8.self) }
            var headers = HTTPFields()
            headers[.contentType] = "application/x-ndjson; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: lines.map { $0 + "\n" }.joined())))
        case .csv:
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"compliance-\(query.environmentID).csv\""
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: ComplianceExport.csv(report))))
        }
    }

    /// `GET /integrity`.
    @Sendable func integrity(_ request: Request, context: GatewayContext) async throws -> Response {
        _ = try context.require(.viewAudit)
        return try JSONResponse.encode(IntegrityBody(try await store.integritySummary()), status: .ok)
    }

    /// `GET /verify`: checks every event's hash and chain and every seal (portal admins).
    @Sendable func verify(_ request: Request, context: GatewayContext) async throws -> Response {
        _ = try context.require(.administer)
        return try JSONResponse.encode(VerifyBody(try await store.verify()), status: .ok)
    }
}
