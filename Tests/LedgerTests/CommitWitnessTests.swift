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
            try await db.client.query("""
                CREATE FUNCTION public.refuse_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'refused at commit'; END $$
                """, logger: TestDatabase.logger)
            try await db.client.query("""
                CREATE CONSTRAINT TRIGGER refuse_at_commit AFTER INSERT ON ledger.events
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.event_type = 'RefusedAtCommit')
                EXECUTE FUNCTION public.refuse_at_commit()
                """, logger: TestDatabase.logger)
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
