import Foundation
import HTTPTypes
import Ledger
import LedgerDomain

/// A freeze window as the API reads and shows it: recurring (`cron_start`, `cron_end`,
/// `time_zone`) or once (`from`, `to`, RFC 3339).
struct FreezeWindowBody: Codable, Sendable {
    var name: String
    var cronStart: String?
    var cronEnd: String?
    var timeZone: String?
    var from: String?
    var to: String?
    var allowRollbacks: Bool?

    init(_ window: FreezeWindow) {
        name = window.name
        cronStart = window.cronStart
        cronEnd = window.cronEnd
        timeZone = window.timeZone
        from = window.fromMicroseconds.map(Timestamps.format)
        to = window.toMicroseconds.map(Timestamps.format)
        allowRollbacks = window.allowRollbacks
    }

    /// The window, or a 422 naming what is wrong with an instant.
    func window() throws -> FreezeWindow {
        func instant(_ text: String?, _ field: String) throws -> Int64? {
            guard let text else { return nil }
            guard let parsed = Timestamps.parse(text) else { throw APIError(.unprocessableContent, "invalid", "\(field) must be an RFC 3339 instant") }
            return parsed
        }
        return FreezeWindow(
            name: name, cronStart: cronStart, cronEnd: cronEnd, timeZone: timeZone, fromMicroseconds: try instant(from, "from"),
            toMicroseconds: try instant(to, "to"), allowRollbacks: allowRollbacks ?? false)
    }
}

/// `PUT /environments/{id}/freeze-windows` and `PUT /projects/{id}/freeze-windows`.
struct FreezeWindowsRequest: Decodable, Sendable {
    var windows: [FreezeWindowBody]
}

/// The freeze windows of an environment or project, and whether one is in force now.
struct FreezeWindowsBody: Encodable, Sendable {
    var scope: String
    var targetID: String
    var windows: [FreezeWindowBody]
    /// For an environment: its project's windows, which apply to it too.
    var projectWindows: [FreezeWindowBody]
    /// The windows in force now (its own and, for an environment, its project's).
    var activeNow: [String]

    init(
        scope: String, targetID: String, _ windows: [FreezeWindow], projectWindows: [FreezeWindow] = [],
        nowMicroseconds: Int64 = Int64(Date().timeIntervalSince1970 * 1_000_000)
    ) {
        self.scope = scope
        self.targetID = targetID
        self.windows = windows.map(FreezeWindowBody.init)
        self.projectWindows = projectWindows.map(FreezeWindowBody.init)
        activeNow = (windows + projectWindows).filter { $0.state(at: nowMicroseconds).active }.map(\.name)
    }
}
