import Foundation
import PostgresNIO
import Testing
@testable import Ledger
import LedgerTestSupport

/// A single append is one statement in an implicit transaction; it is answered only once the
/// token it notifies on its connection's private channel has arrived, which PostgreSQL sends only
/// after the commit (see `CommitWitness`). `DurableAnswerTests` drops the connection between the
/// statement's answer and its commit; these cover a commit that fails and the witness's rules.
/// (That steady appends are proven this way, not redone on the locked path, is `AppendPathTests`.)
@Suite struct CommitWitnessTests {
    /// A deferred constraint trigger refuses the row at commit time, after the statement's
    /// CommandComplete said the head moved. Taken from the rows, the append would be answered as
    /// written and not be in the log; it must fail instead (and stay out of the log).
    @Test func anAppendWhoseCommitFailsIsNotAnsweredAsWritten() async throws {
        try await TestDatabase.withDatabase { db in
            try await Self.refuseAtCommit(db)
            let stream = Fixture.stream("order-1")
            // Warm the writer (its cache, its connection's witness) with an ordinary append.
            _ = try await db.store.append(to: stream, expectedVersion: .exact(0), events: [Fixture.event()])
            let refused = Fixture.event("RefusedAtCommit")
            await #expect(throws: (any Error).self) {
                try await db.store.append(to: stream, expectedVersion: .exact(1), events: [refused])
            }
            #expect(try await !db.store.read(stream: stream).map(\.id).contains(refused.id))
            // The writer goes on: the next append lands where the refused one would have.
            let next = try await db.store.append(to: stream, expectedVersion: .exact(1), events: [Fixture.event()])
            #expect(next.streams[0].version == 2)
            #expect(try await db.store.verify().isClean)
        }
    }

    /// The same under group commit: eight writers, some of whose events a deferred trigger
    /// refuses at commit, so that batches fail after their statements ran and are redone. Each
    /// append is either answered and in the log, or failed and not in it.
    @Test func sharedBatchesWhoseCommitFailsAnswerOnlyWhatIsInTheLog() async throws {
        try await TestDatabase.withDatabase { db in
            try await Self.refuseAtCommit(db)
            let outcomes = try await withThrowingTaskGroup(of: [(UUID, Bool)].self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        var outcomes: [(UUID, Bool)] = []
                        for index in 0..<30 {
                            let event = Fixture.event(index % 7 == writer % 7 ? "RefusedAtCommit" : "Something")
                            let answered = (try? await db.store.append(to: Fixture.stream("order-\(writer)-\(index)"), events: [event])) != nil
                            outcomes.append((event.id, answered))
                        }
                        return outcomes
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let stored = try await db.client.query("SELECT event_id FROM ledger.events", logger: TestDatabase.logger)
            var inLog = Set<UUID>()
            for try await id in stored.decode(UUID.self) { inLog.insert(id) }
            let answered = outcomes.filter(\.1).map(\.0)
            let failed = outcomes.filter { !$0.1 }.map(\.0)
            #expect(!failed.isEmpty && answered.count > failed.count)
            let answeredButMissing = answered.filter { !inLog.contains($0) }.count
            let failedButStored = failed.filter(inLog.contains).count
            #expect(answeredButMissing == 0, "\(answeredButMissing) appends were answered but are not in the log")
            #expect(failedButStored == 0, "\(failedButStored) appends failed but are in the log")
            #expect(try await db.store.verify().isClean)
        }
    }

    /// A deferred constraint trigger that fails the commit of any transaction that inserted an
    /// event of type `RefusedAtCommit`: after the statement's CommandComplete, before its commit.
    private static func refuseAtCommit(_ db: TestContext) async throws {
        try await db.client.query("""
            CREATE FUNCTION public.refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused at commit'; END $$
            """, logger: TestDatabase.logger)
        try await db.client.query("""
            CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON ledger.events
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.event_type = 'RefusedAtCommit')
            EXECUTE FUNCTION public.refuse_at_commit()
            """, logger: TestDatabase.logger)
    }

    @Test func aTokenWitnessesOnlyItsOwnStatementAndOnlyOnce() {
        let witness = CommitWitness(channel: "ledger_witness_test")
        let first = witness.nextToken(), second = witness.nextToken()
        #expect(first != second)
        witness.receive(second)
        #expect(!witness.claim(first))
        #expect(witness.claim(second))
        #expect(!witness.claim(second))
        // Tokens nobody claims are not kept without bound.
        for _ in 0..<100 { witness.receive(witness.nextToken()) }
        witness.receive(first)
        #expect(witness.claim(first))
    }
}
