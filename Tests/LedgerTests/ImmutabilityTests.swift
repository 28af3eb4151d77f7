import Foundation
import PostgresNIO
import Testing
import Ledger
import LedgerSchema
import LedgerTestSupport

/// Invariant 2: the database itself refuses to change or remove history.
@Suite struct ImmutabilityTests {
    func sqlState(of sql: PostgresQuery, on db: TestContext) async -> String? {
        do {
            try await db.client.query(sql, logger: TestDatabase.logger)
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.sqlState]
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test(arguments: [
        "UPDATE ledger.events SET event_type = 'Changed'",
        "DELETE FROM ledger.events WHERE position = 1",
        "DELETE FROM ledger.events WHERE position = 999999",
        "TRUNCATE ledger.events",
        "TRUNCATE ledger.events CASCADE",
        "UPDATE ledger.seals SET event_count = 0",
        "DELETE FROM ledger.seals",
        "TRUNCATE ledger.seals",
        "DELETE FROM ledger.streams",
    ])
    func changingHistoryIsRefusedByTheDatabase(_ sql: String) async throws {
        try await TestDatabase.withDatabase { db in
            _ = try await db.store.append(to: Fixture.stream("order-1"), events: [Fixture.event("Placed")])
            try await db.store.seal()
            #expect(await sqlState(of: PostgresQuery(unsafeSQL: sql), on: db) == "LDG01")
            let events = try await db.store.read(stream: Fixture.stream("order-1"))
            #expect(events.map(\.type) == ["Placed"])
            #expect(try await db.store.seals().count == 1)
            #expect(try await db.store.verify().isClean)
        }
    }

    @Test func migratingTwiceChangesNothing() async throws {
        try await TestDatabase.withDatabase(migrate: false) { db in
            let migrator = SchemaMigrator(client: db.client, logger: TestDatabase.logger)
            let first = try await migrator.migrate()
            let second = try await migrator.migrate()
            #expect(first.map(\.version) == Migrations.all.map(\.version))
            #expect(second.isEmpty)
        }
    }

    @Test func everyFileInSchemaIsAMigration() throws {
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../schema/sql").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: schema.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == Migrations.all.map(\.fileName))
        #expect(Migrations.all.map(\.version) == Array(1...Migrations.all.count))
    }
}
