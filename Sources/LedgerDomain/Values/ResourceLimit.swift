import Ledger

/// The one check behind quotas and server capacity: would giving an environment `requested`
/// instead of what it has take the total past a limit? Only resources that grow are checked,
/// so shrinking is always allowed; a limit of 0 means none.
public struct ResourceOverrun: Sendable, Equatable {
    /// `CPU`, `RAM` or `disk`, and its unit.
    public var name: String
    public var unit: String
    /// What the other environments use, what was asked for, and the limit.
    public var usedByOthers: Int
    public var requested: Int
    public var limit: Int

    /// The first resource over its limit, or nil when the allocation fits.
    public static func first(
        requested: Resources, current: Resources, used: Resources, limits: Resources, zeroMeansUnlimited: Bool
    ) -> ResourceOverrun? {
        let checks: [(String, String, KeyPath<Resources, Int>)] = [
            ("CPU", "millicores", \.cpuMillicores), ("RAM", "MB", \.memoryMB), ("disk", "GB", \.diskGB),
        ]
        for (name, unit, path) in checks {
            let others = Resources.saturating(used[keyPath: path], plus: -current[keyPath: path])
            let limit = limits[keyPath: path]
            if zeroMeansUnlimited && limit == 0 { continue }
            if requested[keyPath: path] > current[keyPath: path], Resources.saturating(others, plus: requested[keyPath: path]) > limit {
                return ResourceOverrun(name: name, unit: unit, usedByOthers: others, requested: requested[keyPath: path], limit: limit)
            }
        }
        return nil
    }
}
