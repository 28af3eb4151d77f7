import Foundation
import Testing
import Ledger
import LedgerDomain
import LedgerArchive
import LedgerTestSupport
import PostgresNIO
import Executors

/// `ledger prune`: old log lines leave the hot log only behind a verified archive of this very
/// log, the pruning is recorded, and `ledger verify` still proves the whole history.
@Suite struct RetentionTests {
    static func pruner(_ db: TestContext) -> ArchivePruner {
        ArchivePruner(store: db.store, client: db.client, logger: TestDatabase.logger)
    }

    static func count(_ db: TestContext, _ sql: String) async throws -> Int64 {
        for try await count in try await db.client.query(PostgresQuery(unsafeSQL: sql), logger: TestDatabase.logger).decode(Int64.self) {
            return count
        }
        return -1
    }

    @Test func pruningRemovesArchivedLogLinesAndVerifyStillPasses() async throws {
        try await TestDatabase.withDatabase { db in
            try await ArchiveTests.history(db)
            let head = try await db.store.headPosition()
            let logLines = try await Self.count(db, "SELECT count(*) FROM ledger.events WHERE event_type = 'LogLinesAppended'")
            #expect(logLines > head / 3)
            let (archive, _) = try await ArchiveTests.export(db, through: 2_000)

            let outcome = try await Self.pruner(db).prune(.init(before: Date().addingTimeInterval(3_600), archive: archive, actor: "ana"))
            let pruned = try #require(outcome.pruned)
            let inRange = try await Self.count(db, "SELECT count(*) FROM ledger.pruned_events")
            #expect(pruned.eventCount == inRange && inRange > 0)
            // Only log lines, only inside the archive's range.
            #expect(try await Self.count(db, "SELECT count(*) FROM ledger.events WHERE event_type = 'LogLinesAppended' AND position <= 2000") == 0)
            #expect(try await Self.count(db, "SELECT count(*) FROM ledger.events WHERE event_type = 'LogLinesAppended'") == logLines - inRange)
            #expect(try await Self.count(db, "SELECT count(*) FROM ledger.events WHERE event_type <> 'LogLinesAppended' AND position <= 2000") > 0)

            // The pruning is in the log itself, with its range, digest, archive and actor.
            let recorded = try await db.store.read(stream: try StreamID(EventsPruned.stream))
            #expect(recorded.count == 1)
            let event = try recorded[0].decode(as: EventsPruned.self)
            #expect(event.pruningNumber == pruned.pruningNumber && event.eventCount == pruned.eventCount && event.digest == pruned.digest)
            #expect(event.fromPosition == 1 && event.toPosition == 2_000 && event.archiveDigest == outcome.archive.digest.hex && event.actor == "ana")

            // verify still passes, through the stubs; the archive still verifies on its own.
            let report = try await db.store.verify()
            #expect(report.isClean, "\(report.problems)")
            #expect(report.eventsChecked == head + 1)
            #expect(try ArchiveVerifier(directory: archive).verify().isClean)

            // A plain DELETE is still refused, and so is one that sets the pruning flag itself
            // for a row that has no stub; a stub cannot be edited unseen.
            await #expect(throws: (any Error).self) {
                try await db.client.query("DELETE FROM ledger.events WHERE position = 1", logger: TestDatabase.logger)
            }
            await #expect(throws: (any Error).self) {
                try await db.client.withTransaction(logger: TestDatabase.logger) { connection in
                    try await connection.query("SELECT set_config('ledger.pruning', 'on', true)", logger: TestDatabase.logger)
                    try await connection.query("DELETE FROM ledger.events WHERE position = 1", logger: TestDatabase.logger)
                }
            }
            #expect(try await Self.count(db, "SELECT count(*) FROM ledger.events WHERE position = 1") == 1)
            try await db.tamper("UPDATE ledger.pruned_events SET hash = sha256(hash) WHERE position = (SELECT min(position) FROM ledger.pruned_events)")
            let tampered = try await db.store.verify()
            #expect(!tampered.isClean)
        }
    }

    @Test func aPruningWhoseEventWasNeverAppendedGetsItOnTheNextPrune() async throws {
        try await TestDatabase.withDatabase { db in
            try await ArchiveTests.history(db)
            // A crash between the pruning's transaction and its event: the function ran, the
            // append never happened.
            let archiveDigest = ByteBuffer(bytes: [UInt8](repeating: 0xAB, count: 32))
            try await db.client.query("""
                SELECT * FROM ledger.prune_events(1, 1500, now() + interval '1 hour', ARRAY['deployment'], ARRAY['LogLinesAppended'],
                                                  \(archiveDigest), 'ana')
                """, logger: TestDatabase.logger)
            let stream = try StreamID(EventsPruned.stream)
            #expect(try await db.store.read(stream: stream).isEmpty)

            let pruner = Self.pruner(db)
            #expect(try await pruner.recordMissingEvents() == 1)
            #expect(try await pruner.recordMissingEvents() == 0)
            let recorded = try await db.store.read(stream: stream)
            #expect(recorded.count == 1)
            let event = try recorded[0].decode(as: EventsPruned.self)
            let stubs = try await Self.count(db, "SELECT count(*) FROM ledger.pruned_events")
            #expect(event.pruningNumber == 1 && event.fromPosition == 1 && event.toPosition == 1_500)
            #expect(event.eventCount == stubs && stubs > 0 && event.actor == "ana" && event.archiveDigest == String(repeating: "ab", count: 32))
            #expect(event.categories == ["deployment"] && event.eventTypes == ["LogLinesAppended"])
            let report = try await db.store.verify()
            #expect(report.isClean, "\(report.problems)")
        }
    }

    @Test func pruningRefusesAnArchiveThatDoesNotVerifyOrIsNotThisLogs() async throws {
        try await TestDatabase.withDatabase { db in
            try await ArchiveTests.history(db)
            let (archive, manifest) = try await ArchiveTests.export(db)
            let before = try await Self.count(db, "SELECT count(*) FROM ledger.events")

            // A damaged archive.
            let damaged = try ArchiveTests.scratchDirectory() + "/damaged"
            try FileManager.default.copyItem(atPath: archive, toPath: damaged)
            let path = damaged + "/" + manifest.segments[0].file
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count / 2] ^= 0x10
            try bytes.write(to: URL(fileURLWithPath: path))
            let refused = await #expect(throws: ArchiveError.self) {
                try await Self.pruner(db).prune(.init(before: Date().addingTimeInterval(3_600), archive: damaged, actor: "ana"))
            }
            #expect(refused.map { "\($0)" }?.contains("does not verify") == true)

            // An intact archive of another log.
            try await TestDatabase.withDatabase { other in
                var history = SyntheticHistory()
                history.seed = 99
                try await history.append(events: 3_000, to: other.store)
                let (foreign, _) = try await ArchiveTests.export(other)
                let error = await #expect(throws: ArchiveError.self) {
                    try await Self.pruner(db).prune(.init(before: Date().addingTimeInterval(3_600), archive: foreign, actor: "ana"))
                }
                #expect(error.map { "\($0)" }?.contains("are not this log's") == true)
            }
            let after = try await Self.count(db, "SELECT count(*) FROM ledger.events")
            #expect(after == before)
            #expect(try await Self.count(db, "SELECT count(*) FROM ledger.prunings") == 0)
        }
    }
}
