import Foundation
import Testing
import Ledger
import LedgerArchive
import LedgerTestSupport
import Projections
import Executors

/// Archives: export in zstd segments, offline verification that names the segment and position
/// of any damage, and import into an empty database that reproduces the log exactly.
@Suite struct ArchiveTests {
    static func scratchDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-archive-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A realistic history of at least `events` events, sealed in seals of 1,000.
    static func history(_ db: TestContext, events: Int = 3_000) async throws {
        var history = SyntheticHistory()
        history.seed = 7
        history.organisations = 2
        history.environmentsPerOrganisation = 4
        history.appendBatchEvents = 500
        try await history.append(events: events, to: db.store)
        try await db.store.seal(maximumEvents: 1_000)
    }

    static func export(_ db: TestContext, from: Int64 = 1, through: Int64? = nil, segmentEvents: Int64 = 700) async throws -> (String, ArchiveManifest) {
        let directory = try scratchDirectory() + "/archive"
        var exporter = ArchiveExporter(store: db.store)
        exporter.options.segmentEvents = segmentEvents
        let manifest = try await exporter.export(from: from, through: through, to: directory)
        return (directory, manifest)
    }

    static let ledgerTables = ["ledger.events", "ledger.streams", "ledger.head", "ledger.seals"]

    @Test func anArchiveVerifiesOfflineAndImportsIntoAnEmptyDatabaseExactly() async throws {
        try await TestDatabase.withDatabase { source in
            try await Self.history(source)
            let head = try await source.store.headPosition()
            let (directory, manifest) = try await Self.export(source)
            #expect(manifest.fromPosition == 1 && manifest.toPosition == head && manifest.eventCount == head)
            #expect(manifest.segments.count == Int((head + 699) / 700))
            #expect(manifest.compressedBytes < manifest.uncompressedBytes / 3, "log lines compress well")

            let report = try ArchiveVerifier(directory: directory).verify()
            #expect(report.isClean, "\(report.problems)")
            #expect(report.eventsChecked == head)
            #expect(report.sealsChecked == manifest.seals.count && report.sealsChecked >= 3)

            try await TestDatabase.withDatabase { target in
                let summary = try await ArchiveImporter(client: target.client, logger: TestDatabase.logger).importArchives([directory])
                #expect(summary.events == head && summary.lastPosition == head)
                for table in Self.ledgerTables where table != "ledger.seals" {
                    let left = try await ProjectionComparison.fingerprint(table, client: source.client, logger: TestDatabase.logger)
                    let right = try await ProjectionComparison.fingerprint(table, client: target.client, logger: TestDatabase.logger)
                    #expect(left == right, "\(table) differs after import")
                }
                // Seals are the same apart from when they were written.
                let sealColumns = "(SELECT seal_number, from_position, to_position, event_count, digest, previous_digest FROM ledger.seals)"
                #expect(try await ProjectionComparison.fingerprint(sealColumns, client: source.client, logger: TestDatabase.logger)
                    == (try await ProjectionComparison.fingerprint(sealColumns, client: target.client, logger: TestDatabase.logger)))
                #expect(try await target.store.verify().isClean)

                // Projections built from the imported log equal the source's.
                for projection in ProjectionCatalog.all {
                    for db in [source, target] {
                        #expect(try await ProjectionRebuildTests.runner(projection, db).catchUp())
                    }
                    for table in projection.tables {
                        let name = ProjectionSchema.live(projection).name + "." + table
                        let left = try await ProjectionComparison.fingerprint(name, client: source.client, logger: TestDatabase.logger)
                        let right = try await ProjectionComparison.fingerprint(name, client: target.client, logger: TestDatabase.logger)
                        #expect(left == right, "\(name) differs after import")
                        #expect(!left.hasPrefix("0 rows"), "\(name) is empty")
                    }
                }

                // A second import is refused and changes nothing.
                let before = try await ProjectionComparison.fingerprint("ledger.events", client: target.client, logger: TestDatabase.logger)
                let again = await #expect(throws: ArchiveError.self) {
                    try await ArchiveImporter(client: target.client, logger: TestDatabase.logger).importArchives([directory])
                }
                #expect(again.map { "\($0)" }?.contains("not empty") == true)
                #expect(try await ProjectionComparison.fingerprint("ledger.events", client: target.client, logger: TestDatabase.logger) == before)
            }
        }
    }

    @Test func aPartialRangeVerifiesWithItsChainsAnchoredAtTheStart() async throws {
        try await TestDatabase.withDatabase { db in
            try await Self.history(db)
            let (directory, manifest) = try await Self.export(db, from: 1_001, through: 2_500)
            #expect(manifest.fromPosition == 1_001 && manifest.toPosition == 2_500)
            let report = try ArchiveVerifier(directory: directory).verify()
            #expect(report.isClean, "\(report.problems)")
            #expect(report.eventsChecked == 1_500)
            // Seal 2 (1,001–2,000) lies inside the range; seal 3 (2,001–3,000) only partly.
            #expect(report.sealsChecked == 1 && report.sealsPartlyCovered == 1)
            // An archive that does not start at position 1 cannot be imported alone.
            try await TestDatabase.withDatabase { target in
                let error = await #expect(throws: ArchiveError.self) {
                    try await ArchiveImporter(client: target.client, logger: TestDatabase.logger).importArchives([directory])
                }
                #expect(error.map { "\($0)" }?.contains("starts at position 1001") == true)
                let head = try await target.store.headPosition()
                #expect(head == 0)
            }
        }
    }

    @Test func damageIsReportedWithItsSegmentAndPosition() async throws {
        try await TestDatabase.withDatabase { db in
            try await Self.history(db)
            let (original, manifest) = try await Self.export(db)
            let second = manifest.segments[1], third = manifest.segments[2]

            func damaged(_ damage: (String) throws -> Void) throws -> ArchiveVerificationReport {
                let copy = try Self.scratchDirectory() + "/copy"
                try FileManager.default.copyItem(atPath: original, toPath: copy)
                try damage(copy)
                return try ArchiveVerifier(directory: copy).verify()
            }

            // A flipped byte in the middle of the second segment.
            let flipped = try damaged { directory in
                let path = directory + "/" + second.file
                var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                bytes[bytes.count / 2] ^= 0x40
                try bytes.write(to: URL(fileURLWithPath: path))
            }
            #expect(!flipped.isClean)
            #expect(flipped.problems.allSatisfy { $0.segment == second.file }, "\(flipped.problems)")
            #expect(flipped.problems.contains { ($0.position ?? 0) >= second.fromPosition && ($0.position ?? 0) <= second.toPosition })

            // A missing segment.
            let missing = try damaged { directory in try FileManager.default.removeItem(atPath: directory + "/" + third.file) }
            #expect(missing.problems.contains { $0.segment == third.file && $0.position == third.fromPosition && $0.detail.contains("missing") }, "\(missing.problems)")

            // Two segments swapped (their files renamed into each other's place).
            let swapped = try damaged { directory in
                let a = directory + "/" + second.file, b = directory + "/" + third.file
                try FileManager.default.moveItem(atPath: a, toPath: a + ".tmp")
                try FileManager.default.moveItem(atPath: b, toPath: a)
                try FileManager.default.moveItem(atPath: a + ".tmp", toPath: b)
            }
            #expect(swapped.problems.contains { $0.segment == second.file && $0.position == third.fromPosition }, "\(swapped.problems)")
            #expect(swapped.problems.contains { $0.segment == second.file && $0.detail.contains("SHA-256") })

            // An edited manifest: one segment claims fewer events, or a seal digest is changed.
            let edited = try damaged { directory in
                let path = directory + "/manifest.json"
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let changed = text.replacingOccurrences(of: "\"to_position\" : \(third.toPosition)", with: "\"to_position\" : \(third.toPosition - 1)")
                #expect(changed != text)
                try changed.write(toFile: path, atomically: true, encoding: .utf8)
            }
            #expect(edited.problems.contains { $0.segment == nil && $0.detail.contains("manifest was edited") }, "\(edited.problems)")

            // The untouched original still verifies, and a damaged copy cannot be imported.
            #expect(try ArchiveVerifier(directory: original).verify().isClean)
            let badCopy = try Self.scratchDirectory() + "/bad"
            try FileManager.default.copyItem(atPath: original, toPath: badCopy)
            let path = badCopy + "/" + second.file
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count / 3] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
            try await TestDatabase.withDatabase { target in
                await #expect(throws: ArchiveError.self) {
                    try await ArchiveImporter(client: target.client, logger: TestDatabase.logger).importArchives([badCopy])
                }
                let head = try await target.store.headPosition()
                let events = try await ProjectionComparison.fingerprint("ledger.events", client: target.client, logger: TestDatabase.logger)
                #expect(head == 0 && events.hasPrefix("0 rows"))
            }
        }
    }

    @Test func anArchiveGoesOnlyIntoAnEmptyDirectoryAndOnlyOverExistingPositions() async throws {
        try await TestDatabase.withDatabase { db in
            try await Self.history(db, events: 200)
            let directory = try Self.scratchDirectory()
            try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/something"))
            await #expect(throws: ArchiveError.self) {
                try await ArchiveExporter(store: db.store).export(from: 1, through: nil, to: directory)
            }
            let head = try await db.store.headPosition()
            await #expect(throws: ArchiveError.self) {
                try await ArchiveExporter(store: db.store).export(from: head + 1, through: nil, to: try Self.scratchDirectory() + "/a")
            }
        }
    }
}
