import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import Projections

/// A JSON answer of any `Encodable` value, with its status.
enum JSONResponse {
    static func encode<T: Encodable>(_ value: T, status: HTTPResponse.Status) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try APIJSON.encode(value))))
    }
}

/// The query of `GET /api/v1/deployments`, checked: a bad value is a 400 naming it.
struct DeploymentListQuery {
    static let maximumLimit = 100
    /// `X-Total-Count` is given while at most this many deployments match (counting more costs more).
    static let countedTotal = 10_000
    var filter = ProjectionReader.DeploymentFilter()

    init(_ parameters: Parameters) throws {
        filter.project = parameters["project_id"].map(String.init)
        filter.environment = parameters["environment_id"].map(String.init)
        if let text = parameters["status"] {
            guard let status = DeploymentStatus(rawValue: String(text)) else { throw APIError.badRequest("status '\(text)' is not a deployment status") }
            filter.status = status
        }
        if let text = parameters["trigger"] {
            guard let trigger = DeploymentTrigger(rawValue: String(text)) else { throw APIError.badRequest("trigger '\(text)' is not a trigger") }
            filter.trigger = trigger
        }
        if let text = parameters["skip"] {
            guard let skip = Int(text), skip >= 0 else { throw APIError.badRequest("skip must be a whole number ≥ 0 (got '\(text)')") }
            filter.skip = skip
        }
        filter.gitBranch = parameters["git_branch"].map(String.init)
        if let text = parameters["git_commit"] {
            guard text.count >= 7, text.allSatisfy(\.isHexDigit) else { throw APIError.badRequest("git_commit must be at least 7 hex digits (got '\(text)')") }
            filter.gitCommit = text.lowercased()
        }
        filter.actor = parameters["triggered_by"].map(String.init)
        for (name, keyPath) in [
            ("created_from", \ProjectionReader.DeploymentFilter.createdFromMicroseconds), ("created_before", \.createdBeforeMicroseconds),
            ("finished_from", \.finishedFromMicroseconds), ("finished_before", \.finishedBeforeMicroseconds),
        ] {
            if let text = parameters[Substring(name)] {
                guard let micros = Timestamps.parse(String(text)) else { throw APIError.badRequest("\(name) must be an RFC 3339 time (got '\(text)')") }
                filter[keyPath: keyPath] = micros
            }
        }
        if let text = parameters["cursor"], !text.isEmpty { filter.beforePosition = try ListCursor.position(text, of: "deployments") }
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...Self.maximumLimit).contains(limit) else {
                throw APIError.badRequest("limit must be a whole number from 1 to \(Self.maximumLimit) (got '\(text)')")
            }
            filter.limit = limit
        }
    }
}

/// `true`/`false` query values.
enum BooleanQuery {
    static func value(_ text: Substring?, name: String) throws -> Bool? {
        guard let text else { return nil }
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError.badRequest("\(name) must be true or false (got '\(text)')")
        }
    }
}

/// `GET /api/v1/deployments/{id}/progress`: "step 5 of 14", percent, and every step, under
/// the seed's names (`progress_percent`, `started_at`).
struct ProgressBody: Encodable, Sendable {
    var deploymentID: String
    var status: String
    var stepNumber: Int
    var totalSteps: Int
    var progressPercent: Int
    var currentStep: Nullable<String>
    var steps: [DeploymentBody.Step]
    var startedAt: Nullable<String>
    var position: Int64

    init(_ progress: DeploymentProgress, position: Int64) {
        deploymentID = progress.deploymentID
        status = progress.status.rawValue
        stepNumber = progress.stepNumber
        totalSteps = progress.steps.count
        progressPercent = progress.percent
        currentStep = Nullable(progress.currentStep?.rawValue)
        startedAt = Nullable(progress.startedAtMicroseconds.map(Timestamps.format))
        steps = progress.steps.map(DeploymentBody.Step.init)
        self.position = position
    }
}

extension GatewayContext {
    /// The command context of this request: the token's scope and name, the request id, and
    /// the caller's `Idempotency-Key` (kept apart per token, so two callers' keys never meet),
    /// refused if it came before with another body.
    func commandContext(_ principal: Principal, _ request: Request, body: ByteBuffer, keys: IdempotencyKeys) async throws -> CommandContext {
        let key = request.headers[HTTPField.Name("Idempotency-Key")!].map { "\(principal.tokenID):\($0)" }
        if let key {
            guard key.count <= 300 else { throw APIError.badRequest("an Idempotency-Key may be at most 255 characters") }
            try await keys.check(key, body: body)
        }
        return principal.context(requestID: requestID, idempotencyKey: key)
    }
}
