/// Checks a log, fed event by event in position order, against its hash chains and seals.
///
/// Pure, so the same checks serve `ledger verify` on the database and, later, archives with no
/// database at all. Feed every event with ``check(_:)``, then call ``finish(headPosition:streamHeads:)``.
public struct ChainVerifier {
    /// What a stream's last event left behind.
    public struct StreamHead: Sendable, Hashable {
        public var version: Int64
        public var hash: EventHash
        public var position: Int64

        public init(version: Int64, hash: EventHash, position: Int64) {
            self.version = version
            self.hash = hash
            self.position = position
        }
    }

    /// Problems found so far, in the order found (which is position order).
    public private(set) var problems: [IntegrityProblem] = []
    public private(set) var eventsChecked: Int64 = 0
    public private(set) var sealsChecked = 0
    /// The stream heads the events imply.
    public private(set) var streams: [String: StreamHead] = [:]
    /// The last position seen.
    public private(set) var lastPosition: Int64

    /// Stop recording after this many problems (the first ones matter most).
    public var maximumProblems = 100

    private let seals: [Seal]
    private var sealIndex = 0
    private var sealDigest: SealDigest?
    private var previousSealDigest = EventHash.zero

    /// True when the events start in the middle of the log (an archive of a later range): a
    /// stream's first event seen then anchors its chain instead of having to link to one before.
    private let streamsBeforeUnknown: Bool

    /// - Parameters:
    ///   - seals: every seal that covers the positions to be checked, in order.
    ///   - startingAfter: the position before the first event to be fed (0 for a whole log).
    ///   - streamsBeforeUnknown: the events before `startingAfter` are not available, so a
    ///     stream's first event seen may continue a chain that started earlier.
    public init(seals: [Seal], startingAfter position: Int64 = 0, streamsBeforeUnknown: Bool = false) {
        self.seals = seals.sorted { $0.number < $1.number }
        self.lastPosition = position
        self.streamsBeforeUnknown = streamsBeforeUnknown && position > 0
        if let first = self.seals.first { previousSealDigest = first.previousDigest }
        checkSealLinks()
    }

    /// The first problem, which `ledger verify` names (see ``IntegrityProblem/first(of:)``).
    public var firstProblem: IntegrityProblem? { IntegrityProblem.first(of: problems) }

    public mutating func check(_ event: RecordedEvent) {
        check(event, contentKnown: true)
    }

    /// Checks the stub a pruning left of an event whose payload is archived: its place in the
    /// positions, its stream's chain and the seals, but not its content, which the archive holds.
    public mutating func checkPruned(_ event: RecordedEvent) {
        check(event, contentKnown: false)
    }

    private mutating func check(_ event: RecordedEvent, contentKnown: Bool) {
        let stream = event.streamID.rawValue
        if event.position != lastPosition + 1 {
            record(.positionHole, at: min(lastPosition + 1, event.position), stream,
                   "expected position \(lastPosition + 1), found \(event.position)")
        }
        let head = streams[stream]
        let anchored = head == nil && streamsBeforeUnknown && event.streamVersion > 1
        let expectedVersion = (head?.version ?? 0) + 1
        if event.streamVersion != expectedVersion && !anchored {
            record(.versionGap, at: event.position, stream, "expected version \(expectedVersion), found \(event.streamVersion)")
        }
        if event.previousHash != (head?.hash ?? .zero) && !anchored {
            record(.chainBroken, at: event.position, stream, "prev_hash does not match the stream's previous event")
        }
        if contentKnown && EventHasher.expectedHash(of: event) != event.hash {
            record(.contentMismatch, at: event.position, stream, "the stored content does not produce the stored hash")
        }
        streams[stream] = StreamHead(version: event.streamVersion, hash: event.hash, position: event.position)
        feedSeals(event)
        lastPosition = max(lastPosition, event.position)
        eventsChecked += 1
    }

    /// Final checks once every event was fed: the seals ran to their ends, and (when given)
    /// the head counter and the recorded stream heads agree with the events.
    public mutating func finish(headPosition: Int64?, streamHeads: [String: StreamHead]?) {
        if let digest = sealDigest, sealIndex < seals.count {
            let seal = seals[sealIndex]
            if digest.eventCount != seal.eventCount {
                record(.sealMismatch, at: lastPosition + 1, nil,
                       "seal \(seal.number) covers \(seal.fromPosition)–\(seal.toPosition) but the log ends at \(lastPosition)")
            }
            sealDigest = nil
        }
        if let headPosition, headPosition != lastPosition {
            record(.headMismatch, at: min(headPosition, lastPosition) + 1, nil,
                   "the head counter says \(headPosition) but the last event is at \(lastPosition)")
        }
        guard let streamHeads else { return }
        for (stream, recorded) in streamHeads.sorted(by: { $0.value.position < $1.value.position }) {
            let found = streams[stream]
            if found?.version != recorded.version || found?.hash != recorded.hash {
                // Events past the recorded head were added behind the store's back; a recorded head
                // past the events means the stream's tail was removed.
                let position = (found?.version ?? 0) > recorded.version ? found!.position : recorded.position
                record(.headMismatch, at: position, stream,
                       "the stream is recorded at version \(recorded.version) but its events end at version \(found?.version ?? 0)")
            }
        }
        for (stream, found) in streams where streamHeads[stream] == nil {
            record(.headMismatch, at: found.position, stream, "events exist for a stream the log has no record of")
        }
    }

    private mutating func feedSeals(_ event: RecordedEvent) {
        while sealIndex < seals.count {
            let seal = seals[sealIndex]
            if event.position < seal.fromPosition { return }
            if sealDigest == nil {
                sealDigest = SealDigest(previous: seal.previousDigest, fromPosition: seal.fromPosition, toPosition: seal.toPosition)
            }
            if event.position <= seal.toPosition {
                sealDigest!.add(event.hash)
                if event.position == seal.toPosition { closeSeal(seal) }
                return
            }
            // The log jumped past the seal's end: the seal cannot match.
            closeSeal(seal)
        }
    }

    private mutating func closeSeal(_ seal: Seal) {
        guard let digest = sealDigest else { return }
        if digest.finalize() != seal.digest || digest.eventCount != seal.eventCount {
            record(.sealMismatch, at: seal.fromPosition, nil,
                   "seal \(seal.number) over \(seal.fromPosition)–\(seal.toPosition) does not match the events in that range")
        }
        sealsChecked += 1
        sealDigest = nil
        sealIndex += 1
    }

    private mutating func checkSealLinks() {
        for (earlier, later) in zip(seals, seals.dropFirst()) {
            if later.previousDigest != earlier.digest || later.fromPosition != earlier.toPosition + 1 {
                record(.sealMismatch, at: later.fromPosition, nil, "seal \(later.number) does not follow seal \(earlier.number)")
            }
        }
    }

    private mutating func record(_ kind: IntegrityProblem.Kind, at position: Int64, _ stream: String?, _ detail: String) {
        guard problems.count < maximumProblems else { return }
        problems.append(IntegrityProblem(kind: kind, position: position, streamID: stream, detail: detail))
    }
}
