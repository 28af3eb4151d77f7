import Foundation

/// What checking a range of the log found: the positions checked (widened to the seals that
/// cover the range, so each seal is checked whole), the seals checked, and the problems.
public struct RangeVerification: Sendable, Codable, Equatable {
    public var fromPosition: Int64
    public var toPosition: Int64
    public var eventsChecked: Int64
    /// The numbers of the seals that cover the range and were checked against its events.
    public var seals: [Int64]
    /// Each problem, as `ledger verify` words it (`position 12 (deployment-…): …`).
    public var problems: [String]
    /// The last position a seal covers; positions after it are chained but not yet sealed.
    public var sealedThrough: Int64?

    public var isClean: Bool { problems.isEmpty }
}

extension EventStore {
    /// Re-checks the events from `range.lowerBound` to `range.upperBound` (widened to whole seals):
    /// each one's content against its hash, each stream's chain within the range (a stream's
    /// first event there anchors it), positions without holes, and every seal that covers the
    /// range. What a report on part of the log needs, without reading all of it.
    public func verify(positions range: ClosedRange<Int64>, batchSize: Int = 5_000) async throws -> RangeVerification {
        let allSeals = try await seals()
        let covering = allSeals.filter { $0.toPosition >= range.lowerBound && $0.fromPosition <= range.upperBound }
        let from = min(range.lowerBound, covering.first?.fromPosition ?? range.lowerBound)
        let to = max(range.upperBound, covering.last?.toPosition ?? range.upperBound)
        var verifier = ChainVerifier(seals: covering, startingAfter: from - 1, streamsBeforeUnknown: true)
        var after = from - 1
        reading: while after < to {
            let entries = try await fetchEntries(after: after, limit: batchSize)
            guard !entries.isEmpty else { break }
            for (event, pruned) in entries {
                guard event.position <= to else { break reading }
                if pruned { verifier.checkPruned(event) } else { verifier.check(event) }
                after = event.position
            }
        }
        verifier.finish(headPosition: nil, streamHeads: nil)
        if verifier.lastPosition < range.upperBound {
            return RangeVerification(
                fromPosition: from, toPosition: to, eventsChecked: verifier.eventsChecked, seals: covering.map(\.number),
                problems: verifier.problems.map(\.description) + ["the log ends at \(verifier.lastPosition), before \(range.upperBound)"],
                sealedThrough: allSeals.last?.toPosition)
        }
        return RangeVerification(
            fromPosition: from, toPosition: to, eventsChecked: verifier.eventsChecked, seals: covering.map(\.number),
            problems: verifier.problems.map(\.description), sealedThrough: allSeals.last?.toPosition)
    }
}
