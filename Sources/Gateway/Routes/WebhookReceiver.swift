import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerDomain
import LedgerAccess
import NIOCore
import Projections

/// Handles one webhook delivery; see ``WebhookController``.
struct WebhookReceiver: Sendable {
    let provider: WebhookProvider
    let service: DeploymentService
    let secrets: WebhookSecrets
    let reader: ProjectionReader
    let limiter: RateLimiter
    /// Told of every deployment a push starts, so a read that follows the 202 sees it (as after any other write).
    let hotReads: HotReadCache

    func receive(_ request: Request, requestID: String) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: WebhookController.maximumWebhookBytes)
        } catch {
            throw APIError(.contentTooLarge, "payload_too_large", "a webhook payload may be at most \(WebhookController.maximumWebhookBytes >> 20) MB")
        }
        let payload = Data(body.readableBytesView)
        let header = { (name: String) in request.headers[HTTPField.Name(name)!] }
        // The signature first: until it holds, the delivery is nobody's and nothing is said about projects.
        let unauthenticated = APIError(
            .unauthorized, "invalid_signature",
            "the delivery is not signed with the webhook secret of a project (name it with ?project_id=; set the secret with `ledger projects configure ID --webhook-secret`)")
        guard let project = try await project(for: request, payload: payload), let secret = try await secrets.secret(of: project.projectID) else {
            throw unauthenticated
        }
        let valid =
            switch provider {
            case .github: WebhookSignature.gitHubValid(header("X-Hub-Signature-256"), body: payload, secret: secret)
            case .gitlab: WebhookSignature.gitLabValid(header("X-Gitlab-Token"), secret: secret)
            }
        guard valid else { throw unauthenticated }
        guard let delivery = header(provider.deliveryHeader), (1...128).contains(delivery.count) else {
            throw APIError.badRequest("the delivery id (\(provider.deliveryHeader)) is missing")
        }
        if let first = try await secrets.answer(provider: provider.rawValue, project: project.projectID, delivery: delivery) {
            var response = Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: first)))
            response.headers[HTTPField.Name("X-Ledger-Duplicate-Delivery")!] = "true"
            return response
        }
        try await limiter.admit(.webhooks, organisation: project.organisationID)
        let event = header(provider.eventHeader) ?? ""
        var answer: [String: Any] = ["delivery_id": delivery, "project_id": project.projectID, "event": event, "deployments": [[String: Any]](), "skipped": [[String: Any]]()]
        if provider.isPush(event) {
            guard let push = GitPush(payload: payload) else { throw APIError(.unprocessableContent, "invalid", "a push payload needs a JSON object with ref") }
            answer.merge(try await deploy(push, project: project, delivery: delivery, requestID: requestID)) { $1 }
        } else if !provider.isPing(event) {
            answer["ignored"] = "only push events deploy"
        }
        let data = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])
        try await secrets.record(provider: provider.rawValue, delivery: delivery, project: project.projectID, answer: data)
        return Response(status: .accepted, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The project named by `?project_id=`, or else the one with a secret whose repository the payload names.
    private func project(for request: Request, payload: Data) async throws -> ProjectState? {
        // A malformed id names no project: the same 401 as any unknown one, nothing more said.
        if let id = request.uri.queryParameters.get("project_id") { return (try? DomainIDs.validate(id, kind: "project")) == nil ? nil : try await service.project(id) }
        guard let push = GitPush.repositories(in: payload), !push.isEmpty else { return nil }
        for id in try await secrets.projectsWithSecrets() {
            if let project = try await service.project(id), GitPush.repositories(push, include: project.repository) { return project }
        }
        return nil
    }

    /// Deploys the push to every environment that auto-deploys its branch (a deleted branch:
    /// destroys those that auto-delete with it). An environment whose push automation is off is
    /// skipped, and says so.
    private func deploy(_ push: GitPush, project: ProjectState, delivery: String, requestID: String) async throws -> [String: Any] {
        var deployments: [[String: Any]] = []
        var skipped: [[String: Any]] = []
        guard let branch = push.branch else { return ["ignored": "not a branch push"] }
        let tracking = try await reader.environments(project: project.projectID)
            .filter { $0.status != .destroyed && $0.configuration?.branch == branch }
        for environment in tracking where environment.configuration?.pushAutomation == false {
            skipped.append(["environment_id": environment.environmentID, "code": "push_automation_off", "message": "push automation is off for this environment"])
        }
        let automated = tracking.filter { $0.configuration?.pushAutomation != false }
        if push.deleted {
            return try await destroy(automated.filter { $0.configuration?.autoDelete == true }, push: push, branch: branch, delivery: delivery, requestID: requestID, skipped: skipped)
        }
        let mode = DeployMode.choose(trigger: .gitPush, git: push.reference)
        for environment in automated where environment.configuration?.autoDeploy == true {
            do {
                let outcome = try await service.deploy(
                    environment: environment.environmentID, git: push.reference, trigger: .gitPush,
                    context: context(of: push, for: environment, delivery: delivery, requestID: requestID))
                if let position = outcome.position { hotReads.noteWrite(at: position) }
                deployments.append(["environment_id": environment.environmentID, "deployment_id": outcome.deploymentID ?? "", "mode": mode.rawValue])
            } catch let rejection as CommandRejection {
                skipped.append(["environment_id": environment.environmentID, "code": rejection.code.description, "message": rejection.message])
            }
        }
        return ["branch": branch, "commit": push.commit ?? "", "mode": mode.rawValue, "deployments": deployments, "skipped": skipped]
    }

    /// The context of what a push does to `environment`: keyed by the delivery (a redelivery
    /// does nothing twice), with the commit's author as the requester of record — the one
    /// person who may not approve it.
    private func context(of push: GitPush, for environment: EnvironmentState, delivery: String, requestID: String) -> CommandContext {
        var context = CommandContext(
            actor: push.requester.map { "git:\($0)" } ?? "", source: provider.rawValue, requestID: requestID,
            idempotencyKey: "webhook:\(provider.rawValue):\(delivery):\(environment.environmentID)",
            scope: .init(organisation: environment.organisationID, project: environment.projectID))
        context.person = push.requester
        return context
    }

    /// Destroys the environments that auto-delete with their deleted branch (never a production
    /// one: its type locks auto-delete off).
    private func destroy(
        _ environments: [EnvironmentState], push: GitPush, branch: String, delivery: String, requestID: String, skipped: [[String: Any]]
    ) async throws -> [String: Any] {
        var destroyed: [[String: Any]] = []
        var skipped = skipped
        for environment in environments {
            do {
                let outcome = try await service.destroy(
                    environment: environment.environmentID, deleteData: false,
                    context: context(of: push, for: environment, delivery: delivery, requestID: requestID))
                if let position = outcome.position { hotReads.noteWrite(at: position) }
                destroyed.append(["environment_id": environment.environmentID, "deployment_id": outcome.deploymentID ?? ""])
            } catch let rejection as CommandRejection {
                skipped.append(["environment_id": environment.environmentID, "code": rejection.code.description, "message": rejection.message])
            }
        }
        return ["branch": branch, "deleted": true, "destroyed": destroyed, "deployments": [[String: Any]](), "skipped": skipped]
    }
}
