import Hummingbird
import Ledger
import LedgerDomain
import Projections

/// The query parameters of the logs endpoint, checked: a bad value is a 400, not a guess.
struct LogsQuery {
    var level: LogLevel?
    var step: String?
    var skip = 0
    var limit = ProjectionReader.maximumLogPage

    init(_ parameters: Parameters) throws {
        if let text = parameters["level"] {
            guard let level = LogLevel(rawValue: String(text)) else {
                throw APIError.badRequest("level must be one of debug, info, warning, error (got '\(text)')")
            }
            self.level = level
        }
        step = parameters["step"].map(String.init)
        if let text = parameters["skip"] {
            guard let skip = Int(text), skip >= 0 else { throw APIError.badRequest("skip must be a whole number ≥ 0 (got '\(text)')") }
            self.skip = skip
        }
        if let text = parameters["limit"] {
            guard let limit = Int(text), (1...ProjectionReader.maximumLogPage).contains(limit) else {
                throw APIError.badRequest("limit must be a whole number from 1 to \(ProjectionReader.maximumLogPage) (got '\(text)')")
            }
            self.limit = limit
        }
    }
}
