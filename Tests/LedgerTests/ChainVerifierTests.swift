import Foundation
import Testing
@testable import Ledger
import LedgerDomain
import LedgerTestSupport

@Suite struct ChainVerifierTests {
    /// A small valid log over two streams, built by the same planner the store uses.
    func log() -> [RecordedEvent] {
        var planner = AppendPlanner(head: 0, nowMicroseconds: 1_000, streams: [:], existing: [:])
        var rows: [RecordedEvent] = []
        for index in 0..<6 {
            let stream = Fixture.stream(index % 2 == 0 ? "a-1" : "b-1")
            let plan = planner.plan([AppendRequest([StreamAppend(streamID: stream, events: [Fixture.event("E", #"{"i":\#(index)}"#)])])])
            rows += plan.rows
            planner.head = plan.newHead
            for (id, state) in plan.streamUpdates { planner.streams[id] = state }
        }
        return rows
    }

    func verify(_ events: [RecordedEvent], seals: [Seal] = []) -> ChainVerifier {
        var verifier = ChainVerifier(seals: seals)
        events.forEach { verifier.check($0) }
        verifier.finish(headPosition: nil, streamHeads: nil)
        return verifier
    }

    @Test func aHashKeepsItsBytesInOrderAndComparesByAllOfThem() throws {
        let bytes: [UInt8] = (0..<32).map { UInt8($0 * 7 + 1) }
        let hash = try EventHash(bytes: bytes)
        #expect(hash.bytes == bytes)
        #expect(hash.hex == bytes.map { String(format: "%02x", $0) }.joined())
        for index in [0, 7, 8, 31] {
            var changed = bytes
            changed[index] ^= 0x80
            let other = try EventHash(bytes: changed)
            #expect(other != hash)
            #expect(Set([hash, other]).count == 2)
        }
        #expect(try EventHash(bytes: bytes) == hash)
        #expect(EventHash.zero.bytes == [UInt8](repeating: 0, count: 32))
        #expect(throws: LedgerError.self) { try EventHash(bytes: bytes.dropLast()) }
    }

    @Test func untouchedLogVerifiesClean() {
        #expect(verify(log()).problems.isEmpty)
    }

    @Test func editedPayloadIsAContentMismatchAtItsPosition() {
        var events = log()
        events[3].data = Data(#"{"i":99}"#.utf8)
        let problem = verify(events).firstProblem
        #expect(problem?.kind == .contentMismatch && problem?.position == 4 && problem?.streamID == "b-1")
    }

    @Test func missingEventIsAHoleAtItsPosition() {
        var events = log()
        events.remove(at: 2)
        let problem = verify(events).firstProblem
        #expect(problem?.kind == .positionHole && problem?.position == 3)
    }

    @Test func sealCatchesARewrittenRangeEvenWithRecomputedHashes() {
        let events = log()
        var digest = SealDigest(previous: .zero, fromPosition: 1, toPosition: 6)
        events.forEach { digest.add($0.hash) }
        let seal = Seal(number: 1, fromPosition: 1, toPosition: 6, eventCount: 6, digest: digest.finalize(), previousDigest: .zero)
        #expect(verify(events, seals: [seal]).problems.isEmpty)

        // A forger who rewrites the last event and recomputes its hash keeps the chain valid…
        var forged = events
        forged[5].data = Data(#"{"i":-1}"#.utf8)
        forged[5].hash = EventHasher.expectedHash(of: forged[5])
        let problems = verify(forged, seals: [seal]).problems
        // …but not the seal.
        #expect(problems.map(\.kind) == [.sealMismatch])
    }

    /// The documented formula, pinned: archives and auditors' own tools recompute these bytes.
    @Test func hashMatchesTheDocumentedFormula() {
        let hash = EventHasher.hash(
            previous: EventHash.zero, position: 7, streamVersion: 3, schemaVersion: 2, recordedAtMicroseconds: 1_800_000_000_000_000,
            eventID: UUID(uuidString: "6F1B7E0E-1111-4222-8333-444455556666")!, streamID: "deployment-1", type: "StepStarted",
            data: Data(#"{"step":"build"}"#.utf8), metadata: Data(#"{"actor":"ana"}"#.utf8))
        #expect(hash.hex == "cfaad9931accb167abff50674bef5879e8ec6cd1498803802d10fee7096a3010")
    }

    @Test func hashIsStableForTheSameContent() {
        let id = UUID(uuidString: "00000000-0000-0000-0000-000000000001")!
        let hash = EventHasher.hash(
            previous: .zero, position: 1, streamVersion: 1, schemaVersion: 1, recordedAtMicroseconds: 0,
            eventID: id, streamID: "a-1", type: "E", data: Data("{}".utf8), metadata: Data("{}".utf8))
        let again = EventHasher.hash(
            previous: .zero, position: 1, streamVersion: 1, schemaVersion: 1, recordedAtMicroseconds: 0,
            eventID: id, streamID: "a-1", type: "E", data: Data("{}".utf8), metadata: Data("{}".utf8))
        let moved = EventHasher.hash(
            previous: .zero, position: 2, streamVersion: 1, schemaVersion: 1, recordedAtMicroseconds: 0,
            eventID: id, streamID: "a-1", type: "E", data: Data("{}".utf8), metadata: Data("{}".utf8))
        #expect(hash == again)
        #expect(hash != moved)
    }
}
