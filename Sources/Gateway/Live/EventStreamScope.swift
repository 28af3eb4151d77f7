import Ledger
import LedgerAccess

/// Which deployment events a stream shows: those of the caller's organisation (and project),
/// narrowed to a project, environment or deployment when asked.
struct EventStreamScope: Sendable {
    let principal: Principal
    var project: String?
    var environment: String?
    var deployment: String?

    init(principal: Principal, project: String?) {
        self.principal = principal
        self.project = project
    }

    func includes(_ event: LiveEvent) -> Bool {
        if let deployment, deployment != event.deployment { return false }
        guard principal.sees(organisation: event.organisation, project: event.project) else { return false }
        if let project, event.project != project { return false }
        if let environment, event.environment != environment { return false }
        return true
    }
}
