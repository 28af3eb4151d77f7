import ChildProcess
import Foundation
import Testing
import Ledger
import LedgerTestSupport

/// The `ledger` binary as people and scripts use it: its exit codes and messages.
@Suite struct CommandLineTests {
    struct Run {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs the built `ledger` against the test's database.
    func ledger(_ arguments: String, on db: TestContext) async throws -> Run {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
        let binary = root.appendingPathComponent(".build/debug/ledger").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the package first (make test does)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("out").path, err = directory.appendingPathComponent("err").path
        let status = try await ShellCommand.run(
            "DATABASE_URL=\(ShellCommand.quote(db.url.connectionString)) \(ShellCommand.quote(binary)) \(arguments) > \(out) 2> \(err)")
        return Run(
            status: status, output: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            errors: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    @Test func appendPrintsTheResultAndAStaleVersionExitsThreeWritingNothing() async throws {
        try await TestDatabase.withDatabase { db in
            let first = try await ledger(#"append deployment-1 --type Requested --data '{"branch":"main"}' --expected-version no-stream --actor ana"#, on: db)
            #expect(first.status == 0)
            #expect(first.output.contains(#""first_position":1"#))
            let stale = try await ledger(#"append deployment-1 --type Requested --data '{}' --expected-version no-stream"#, on: db)
            #expect(stale.status == 3)
            #expect(stale.errors.contains("version conflict on stream deployment-1: expected no-stream, but it is at version 1"))
            let invalid = try await ledger(#"append deployment-1 --type Requested --data '[not json'"#, on: db)
            #expect(invalid.status == 1)
            #expect(invalid.errors.contains("JSON object"))
            #expect(try await db.store.headPosition() == 1)
            let read = try await ledger("read deployment-1", on: db)
            #expect(read.output.contains(#""data":{"branch":"main"}"#) && read.output.contains(#""actor":"ana""#))
        }
    }

    @Test func verifyExitsFourNamingTheFirstBadPositionAndStream() async throws {
        try await TestDatabase.withDatabase { db in
            for index in 0..<6 {
                _ = try await db.store.append(to: Fixture.stream("deployment-\(index % 2)"), events: [Fixture.event()])
            }
            let clean = try await ledger("verify --quiet", on: db)
            #expect(clean.status == 0 && clean.output.contains("verify: OK — 6 events"))
            try await db.tamper(#"UPDATE ledger.events SET data = convert_to('{"n":2}', 'UTF8') WHERE position = 4"#)
            let tampered = try await ledger("verify --quiet", on: db)
            #expect(tampered.status == 4)
            #expect(tampered.output.contains("first bad position 4 in stream deployment-1"))
        }
    }

    @Test func badArgumentsExitWithUsageErrorAndAMessage() async throws {
        try await TestDatabase.withDatabase { db in
            let run = try await ledger("append deployment-1 --type T --data '{}' --expected-version soon", on: db)
            #expect(run.status == 64)
            #expect(run.errors.contains("--expected-version must be any, no-stream or a version number"))
        }
    }
}
