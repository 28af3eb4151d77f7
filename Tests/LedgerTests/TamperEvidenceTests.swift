import Foundation
import Testing
import Ledger
import LedgerTestSupport

/// Invariant 8: tampering by a superuser who bypasses the triggers is caught by verify, which
/// names the first bad position and its stream.
@Suite struct TamperEvidenceTests {
    /// 30 events over three streams, the first 24 sealed.
    func seedLog(_ db: TestContext) async throws {
        for index in 0..<24 {
            _ = try await db.store.append(to: Fixture.stream("deployment-\(index % 3)"), events: [Fixture.event("Step", #"{"i":\#(index)}"#)])
        }
        try await db.store.seal(maximumEvents: 10)
        for index in 24..<30 {
            _ = try await db.store.append(to: Fixture.stream("deployment-\(index % 3)"), events: [Fixture.event("Step", #"{"i":\#(index)}"#)])
        }
    }

    @Test func untouchedLogVerifiesClean() async throws {
        try await TestDatabase.withDatabase { db in
            try await seedLog(db)
            let report = try await db.store.verify()
            #expect(report.isClean)
            #expect(report.eventsChecked == 30 && report.sealsChecked == 3)
        }
    }

    @Test func editedPayloadIsCaughtAtItsPosition() async throws {
        try await TestDatabase.withDatabase { db in
            try await seedLog(db)
            try await db.tamper(#"UPDATE ledger.events SET data = convert_to('{"i":999}', 'UTF8') WHERE position = 14"#)
            let problem = try #require(try await db.store.verify().firstProblem)
            #expect(problem.position == 14 && problem.streamID == "deployment-1" && problem.kind == .contentMismatch)
        }
    }

    @Test func rewrittenHistoryWithRecomputedHashesIsCaughtByTheSeal() async throws {
        try await TestDatabase.withDatabase { db in
            try await seedLog(db)
            // deployment-2 holds positions 3, 6, …, 30; position 24 is its last sealed event.
            // A careful forger edits it and re-chains everything after it, stream record included.
            var events = try await db.store.read(stream: Fixture.stream("deployment-2"), from: 8)
            #expect(events.map(\.position) == [24, 27, 30])
            events[0].data = Data(#"{"i":-1}"#.utf8)
            for index in events.indices {
                if index > 0 { events[index].previousHash = events[index - 1].hash }
                events[index].hash = EventHasher.expectedHash(of: events[index])
                try await db.tamper("""
                    UPDATE ledger.events SET data = '\\x\(Data(events[index].data).map { String(format: "%02x", $0) }.joined())',
                        prev_hash = '\\x\(events[index].previousHash.hex)', hash = '\\x\(events[index].hash.hex)'
                    WHERE position = \(events[index].position)
                    """)
            }
            try await db.tamper("UPDATE ledger.streams SET last_hash = '\\x\(events[2].hash.hex)' WHERE stream_id = 'deployment-2'")
            let report = try await db.store.verify()
            #expect(report.problems.map(\.kind) == [.sealMismatch])
            #expect(report.firstProblem?.position == 21)
        }
    }

    @Test func deletedRowIsCaughtAsAHoleAndABrokenStream() async throws {
        try await TestDatabase.withDatabase { db in
            try await seedLog(db)
            try await db.tamper("DELETE FROM ledger.events WHERE position = 7")
            let report = try await db.store.verify()
            let problem = try #require(report.firstProblem)
            #expect(problem.position == 7 && problem.kind == .positionHole)
            // Position 10 is the next event of the same stream (deployment-0): its chain no longer links.
            #expect(report.problems.contains { $0.position == 10 && $0.streamID == "deployment-0" && $0.kind == .versionGap })
        }
    }

    @Test func swappedRowContentsAreCaught() async throws {
        try await TestDatabase.withDatabase { db in
            try await seedLog(db)
            try await db.tamper("""
                WITH a AS (SELECT data FROM ledger.events WHERE position = 4), b AS (SELECT data FROM ledger.events WHERE position = 5)
                UPDATE ledger.events e SET data = CASE WHEN e.position = 4 THEN (SELECT data FROM b) ELSE (SELECT data FROM a) END
                WHERE e.position IN (4, 5)
                """)
            let problem = try #require(try await db.store.verify().firstProblem)
            #expect(problem.position == 4 && problem.streamID == "deployment-0")
        }
    }

    @Test func swappedWholeRowsAreCaught() async throws {
        try await TestDatabase.withDatabase { db in
            try await seedLog(db)
            // Exchange the two rows' places: each event now stands at the other's position.
            try await db.tamper("UPDATE ledger.events SET position = position + 1000000 WHERE position IN (25, 26)")
            try await db.tamper("UPDATE ledger.events SET position = CASE WHEN position = 1000025 THEN 26 ELSE 25 END WHERE position > 1000000")
            let problem = try #require(try await db.store.verify().firstProblem)
            #expect(problem.position == 25)
        }
    }

    @Test func forgedRowIsCaught() async throws {
        try await TestDatabase.withDatabase { db in
            try await seedLog(db)
            let last = try await db.store.read(stream: Fixture.stream("deployment-0"), direction: .backward, limit: 1)[0]
            // A forged "approval" appended to a stream with a well-formed prev_hash and a made-up hash.
            try await db.tamper("""
                INSERT INTO ledger.events (position, event_id, stream_id, stream_version, category, event_type, schema_version,
                    data, metadata, recorded_at, prev_hash, hash)
                VALUES (31, gen_random_uuid(), 'deployment-0', \(last.streamVersion + 1), 'deployment', 'Approved', 1,
                    convert_to('{}', 'UTF8'), convert_to('{}', 'UTF8'), now(), '\\x\(last.hash.hex)', sha256('forged'))
                """)
            let problem = try #require(try await db.store.verify().firstProblem)
            #expect(problem.position == 31 && problem.streamID == "deployment-0")
        }
    }

    @Test func forgedRowWithACorrectlyComputedHashIsCaughtByTheHeadAndStreamRecords() async throws {
        try await TestDatabase.withDatabase { db in
            try await seedLog(db)
            let last = try await db.store.read(stream: Fixture.stream("deployment-0"), direction: .backward, limit: 1)[0]
            var forged = last
            forged.id = UUID()
            forged.position = 31
            forged.streamVersion = last.streamVersion + 1
            forged.previousHash = last.hash
            forged.hash = EventHasher.expectedHash(of: forged)
            try await db.tamper("""
                INSERT INTO ledger.events (position, event_id, stream_id, stream_version, category, event_type, schema_version,
                    data, metadata, recorded_at, prev_hash, hash)
                SELECT 31, '\(forged.id.uuidString)', stream_id, \(forged.streamVersion), category, event_type, schema_version,
                    data, metadata, recorded_at, hash, '\\x\(forged.hash.hex)'
                FROM ledger.events WHERE position = \(last.position)
                """)
            let report = try await db.store.verify()
            #expect(report.problems.contains { $0.kind == .headMismatch })
            #expect(report.firstProblem?.position == 31 || report.firstProblem?.streamID == "deployment-0")
        }
    }
}
