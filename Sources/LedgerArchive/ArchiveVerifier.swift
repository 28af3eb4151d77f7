import Ledger

/// One thing wrong with an archive, located by segment file and position where possible.
public struct ArchiveProblem: Sendable, Hashable, CustomStringConvertible {
    /// The segment file, or nil for the manifest itself.
    public var segment: String?
    /// The first position affected, when known.
    public var position: Int64?
    public var streamID: String?
    public var detail: String

    public init(segment: String?, position: Int64? = nil, streamID: String? = nil, detail: String) {
        self.segment = segment
        self.position = position
        self.streamID = streamID
        self.detail = detail
    }

    public var description: String {
        var parts = [segment ?? ArchiveManifest.fileName]
        if let position { parts.append("position \(position)") }
        if let streamID { parts.append("stream \(streamID)") }
        return parts.joined(separator: ", ") + ": " + detail
    }
}

/// What `ledger verify --archive` found.
public struct ArchiveVerificationReport: Sendable {
    public var manifest: ArchiveManifest
    public var eventsChecked: Int64
    public var sealsChecked: Int
    /// Seals that overlap the range only partly: their digests cannot be recomputed from the archive.
    public var sealsPartlyCovered: Int
    public var problems: [ArchiveProblem]
    public var isClean: Bool { problems.isEmpty }
}

/// Checks an archive with no database: the manifest's digest and consistency, every segment's
/// hash, that every segment decompresses, that positions run without holes from the first to
/// the last, every stream's hash chain, every event's own hash, and the seals' digests.
public struct ArchiveVerifier {
    public let directory: String
    /// Called after every few thousand events with (events, compressed bytes) done so far.
    public var progress: (Int64, Int64) -> Void = { _, _ in }
    /// Called with every event read, in position order (for checks of callers' own).
    public var onEvent: (RecordedEvent) -> Void = { _ in }

    public init(directory: String) {
        self.directory = directory
    }

    public func verify() throws -> ArchiveVerificationReport {
        let manifest = try ArchiveManifest.read(from: directory)
        var problems = Self.manifestProblems(manifest)
        let coveredSeals = manifest.seals.filter { $0.fromPosition >= manifest.fromPosition && $0.toPosition <= manifest.toPosition }
        var chain = ChainVerifier(seals: coveredSeals, startingAfter: manifest.fromPosition - 1, streamsBeforeUnknown: true)
        // Totals of chains already given up on (see below).
        var earlier: (events: Int64, seals: Int) = (0, 0)
        var bytesDone: Int64 = 0
        for segment in manifest.segments {
            let (found, bytesRead) = check(segment, chain: &chain, checkedBefore: earlier.events, bytesBefore: bytesDone)
            problems += found
            bytesDone += bytesRead
            if !found.isEmpty {
                // This segment cannot be trusted: check the rest as an archive of its own that
                // starts after it, so one damaged segment is reported once, not again as holes
                // and broken chains in every segment after it.
                earlier = (earlier.events + chain.eventsChecked, earlier.seals + chain.sealsChecked)
                chain = ChainVerifier(
                    seals: coveredSeals.filter { $0.fromPosition > segment.toPosition }, startingAfter: segment.toPosition,
                    streamsBeforeUnknown: true)
            }
        }
        let known = chain.problems.count
        chain.finish(headPosition: manifest.toPosition, streamHeads: nil)
        for problem in chain.problems[known...] {
            problems.append(ArchiveProblem(segment: nil, position: problem.position, streamID: problem.streamID, detail: "\(problem.kind.rawValue): \(problem.detail)"))
        }
        progress(earlier.events + chain.eventsChecked, bytesDone)
        return ArchiveVerificationReport(
            manifest: manifest, eventsChecked: earlier.events + chain.eventsChecked, sealsChecked: earlier.seals + chain.sealsChecked,
            sealsPartlyCovered: manifest.seals.count - coveredSeals.count, problems: problems)
    }

    /// Reads one segment through `chain`: every event in its range and its chain, then the
    /// file's hash and count against the manifest. Returns its problems and the bytes read.
    private func check(
        _ segment: ArchiveManifest.Segment, chain: inout ChainVerifier, checkedBefore: Int64, bytesBefore: Int64
    ) -> (problems: [ArchiveProblem], bytesRead: Int64) {
        var problems: [ArchiveProblem] = []
        var reader: SegmentReader?
        var lastGood: Int64?
        var count: Int64 = 0
        do {
            let opened = try SegmentReader(directory: directory, segment: segment)
            reader = opened
            while let event = try opened.next() {
                let known = chain.problems.count
                if event.position < segment.fromPosition || event.position > segment.toPosition {
                    problems.append(ArchiveProblem(
                        segment: segment.file, position: event.position, streamID: event.streamID.rawValue,
                        detail: "the segment should hold positions \(segment.fromPosition)–\(segment.toPosition) (reordered or swapped segments?)"))
                }
                chain.check(event)
                onEvent(event)
                for problem in chain.problems[known...] {
                    problems.append(ArchiveProblem(segment: segment.file, position: problem.position, streamID: problem.streamID, detail: "\(problem.kind.rawValue): \(problem.detail)"))
                }
                lastGood = event.position
                count += 1
                if (checkedBefore + chain.eventsChecked) % 20_000 == 0 { progress(checkedBefore + chain.eventsChecked, bytesBefore + opened.compressedBytesRead) }
            }
            if opened.fileHash() != segment.sha256 {
                problems.append(ArchiveProblem(segment: segment.file, position: segment.fromPosition, detail: "the file's SHA-256 differs from the manifest's (the file was altered or replaced)"))
            }
            if count != segment.eventCount {
                problems.append(ArchiveProblem(segment: segment.file, position: lastGood.map { $0 + 1 } ?? segment.fromPosition, detail: "holds \(count) events; the manifest says \(segment.eventCount)"))
            }
        } catch {
            problems.append(ArchiveProblem(
                segment: segment.file, position: lastGood.map { $0 + 1 } ?? segment.fromPosition,
                detail: "\(error)\(lastGood.map { " after position \($0), the last one that reads" } ?? "")"))
        }
        return (problems, reader?.compressedBytesRead ?? 0)
    }

    /// What the manifest gets wrong on its own: a digest that does not match its content, or
    /// segments that do not tile the range.
    static func manifestProblems(_ manifest: ArchiveManifest) -> [ArchiveProblem] {
        var problems: [ArchiveProblem] = []
        if manifest.computeDigest() != manifest.digest {
            problems.append(ArchiveProblem(segment: nil, detail: "the digest does not match the manifest's content (the manifest was edited)"))
        }
        var expected = manifest.fromPosition
        for (index, segment) in manifest.segments.enumerated() {
            if segment.number != index + 1 {
                problems.append(ArchiveProblem(segment: segment.file, position: segment.fromPosition, detail: "is listed as segment \(index + 1) but numbered \(segment.number) (reordered?)"))
            }
            if segment.fromPosition != expected {
                problems.append(ArchiveProblem(segment: segment.file, position: expected, detail: "starts at position \(segment.fromPosition); the range needs \(expected) next (a missing or reordered segment)"))
            }
            if segment.toPosition - segment.fromPosition + 1 != segment.eventCount {
                problems.append(ArchiveProblem(segment: segment.file, position: segment.fromPosition, detail: "claims \(segment.eventCount) events for \(segment.fromPosition)–\(segment.toPosition)"))
            }
            expected = max(expected, segment.toPosition + 1)
        }
        if expected != manifest.toPosition + 1 {
            problems.append(ArchiveProblem(segment: nil, position: expected, detail: "the segments end at \(expected - 1) but the archive claims \(manifest.fromPosition)–\(manifest.toPosition)"))
        }
        if manifest.segments.reduce(0, { $0 + $1.eventCount }) != manifest.eventCount || manifest.eventCount != manifest.toPosition - manifest.fromPosition + 1 {
            problems.append(ArchiveProblem(segment: nil, detail: "the event count \(manifest.eventCount) does not match the range and segments"))
        }
        return problems
    }
}
