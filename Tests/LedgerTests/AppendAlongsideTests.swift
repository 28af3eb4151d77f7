import Foundation
import PostgresNIO
import Testing
@testable import Ledger
import LedgerTestSupport

/// A row written alongside an append commits exactly when the events do: a failing side write
/// leaves no event, a refused append leaves no row, and a resend does not write it again.
@Suite struct AppendAlongsideTests {
    struct SideWriteFailed: Error {}

    @Test func theSideRowAndTheEventsCommitTogetherOrNotAtAll() async throws {
        try await TestDatabase.withDatabase { db in
            _ = try await db.client.query("CREATE TABLE public.side (note text NOT NULL)", logger: TestDatabase.logger)
            let stream = Fixture.stream("token-1")
            func sideRows() async throws -> [String] {
                try await db.client.query("SELECT note FROM public.side ORDER BY note", logger: TestDatabase.logger)
                    .collect().map { try $0.decode(String.self) }
            }

            // The side write fails after the events were inserted: neither is kept.
            await #expect(throws: SideWriteFailed.self) {
                try await db.store.append(
                    AppendRequest([StreamAppend(streamID: stream, expectedVersion: .noStream, events: [Fixture.event()])])
                ) { connection in
                    try await connection.query("INSERT INTO public.side VALUES ('lost')", logger: TestDatabase.logger)
                    throw SideWriteFailed()
                }
            }
            #expect(try await db.store.read(stream: stream).isEmpty)
            #expect(try await sideRows().isEmpty)

            // Both commit.
            let event = Fixture.event()
            let request = AppendRequest([StreamAppend(streamID: stream, expectedVersion: .noStream, events: [event])])
            let first = try await db.store.append(request) { connection in
                try await connection.query("INSERT INTO public.side VALUES ('created')", logger: TestDatabase.logger)
            }
            #expect(first.streams[0].version == 1)
            #expect(try await sideRows() == ["created"])

            // A resend is answered with its first result and does not write the row again.
            let again = try await db.store.append(request) { connection in
                try await connection.query("INSERT INTO public.side VALUES ('created again')", logger: TestDatabase.logger)
            }
            #expect(again.wasAlreadyAppended && again.streams == first.streams && again.lastPosition == first.lastPosition)
            #expect(try await sideRows() == ["created"])

            // A refused append writes no row.
            await #expect(throws: AppendConflict.self) {
                try await db.store.append(
                    AppendRequest([StreamAppend(streamID: stream, expectedVersion: .noStream, events: [Fixture.event()])])
                ) { connection in
                    try await connection.query("INSERT INTO public.side VALUES ('refused')", logger: TestDatabase.logger)
                }
            }
            #expect(try await sideRows() == ["created"])
            #expect(try await db.store.read(stream: stream).count == 1)
            #expect(try await db.store.verify().isClean)
        }
    }
}
