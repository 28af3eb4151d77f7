import Ledger

/// The HTTP status of every error code: by its class (``ErrorClass``), except where a code says
/// more — a refusal of something not there is 404, of something in the way 409, of a state that
/// does not allow it 400, of a token's role 403; a host that cannot be reached is the request's
/// problem (422), not the service's.
enum HTTPStatuses {
    static func status(for entry: ErrorTable.Entry) -> Int {
        if let own = byCode[entry.code] { return own }
        switch entry.errorClass {
        case .refused, .badInput: return 422
        case .conflict: return 409
        case .unavailable: return 503
        case .failure: return 500
        }
    }

    private static let byCode: [String: Int] = [
        "not_found": 404,
        "already_exists": 409, "deployment_in_flight": 409, "already_deployed": 409, "conflict": 409, "stale_lease": 409,
        "not_promoted": 409, "frozen": 409,
        "wrong_status": 400, "illegal_transition": 400, "environment_unavailable": 400,
        "forbidden": 403,
        "ssh_connect_failed": 422, "ssh_failed": 422,
    ]
}
