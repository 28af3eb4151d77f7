import ChildProcess
import Foundation
import LedgerClient
import Gateway
import Testing
import Ledger
import LedgerDomain
import PostgresNIO
import Projections
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

    @Test func logsThroughTheServerPrintWhatTheDatabasePrints() async throws {
        try await GatewayTests.withGateway { db, client, _ in
            let id = try await GatewayTests.busiestDeployment(db)
            let server = "http://\(client.host):\(client.port) --token \(client.token!)"
            let anonymous = try await ledger("logs \(id) --server http://\(client.host):\(client.port)", on: db)
            #expect(anonymous.status == 1 && anonymous.errors.contains("API token"), "\(anonymous.errors)")
            for options in ["", "--json", "--level info --skip 3 --limit 9"] {
                let direct = try await ledger("logs \(id) \(options)", on: db)
                let remote = try await ledger("logs \(id) \(options) --server \(server)", on: db)
                #expect(direct.status == 0 && remote.status == 0, "\(remote.errors)")
                #expect(direct.output.split(separator: "\n").count > 5)
                #expect(remote.output == direct.output, "logs \(options)")
            }
            let missing = try await ledger("logs no-such-deployment --server \(server)", on: db)
            #expect(missing.status == 2 && missing.errors.contains("no deployment 'no-such-deployment'"))
            let unreachable = try await ledger("logs \(id) --server http://127.0.0.1:1", on: db)
            #expect(unreachable.status == 5 && unreachable.errors.contains("cannot reach the ledger server"), "unreachable: the try-again class")
        }
    }

    @Test func followingThroughTheServerPrintsEveryLineAndEndsWithTheDeployment() async throws {
        try await GatewayTests.withGateway { db, client, reader in
            let id = try await GatewayTests.busiestDeployment(db)
            // A finished deployment: its stream ends after its final event, and so do the commands.
            try #require(try await reader.deployment(id)?.status.isTerminal == true)
            let server = "http://\(client.host):\(client.port) --token \(client.token!)"
            func messages(_ output: String) -> [String] {
                output.split(separator: "\n").compactMap { line in line.range(of: "] ").map { String(line[$0.upperBound...]) } }
            }
            let direct = try await ledger("logs \(id) --level info", on: db)
            let followed = try await ledger("logs \(id) --level info --follow --server \(server)", on: db)
            #expect(followed.status == 0, "\(followed.errors)")
            #expect(messages(direct.output).count > 5)
            #expect(messages(followed.output) == messages(direct.output), "the live stream carries every line the database has")
            let progress = try await ledger("progress \(id) --follow --server \(server)", on: db)
            let final = try #require(try await reader.deployment(id)?.status.rawValue)
            #expect(progress.status == 0 && progress.output.hasPrefix("\(final): step"), "\(progress.output) \(progress.errors)")
        }
    }

    /// A commit message or author from a push can hold terminal escape sequences; the CLI shows
    /// them as visible escapes and never sends an ESC or a C1 control to the terminal.
    @Test func terminalEscapesFromAPushAreShownVisiblyNeverRaw() async throws {
        try await TestDatabase.withDatabase { db in
            let (service, ops) = try await Fixture.acmeShop(db)
            try await service.createEnvironment(
                id: "shop-prod", project: "shop", name: "prod",
                configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 1, diskGB: 1)), context: ops)
            let id = try #require(try await service.deploy(
                environment: "shop-prod",
                git: GitReference(branch: "main", commit: "abc1234", message: "fix\u{1B}]0;owned\u{07}\u{1B}[2J\nstatus      success", author: "eve\u{9B}31m"),
                context: ops
            ).deploymentID)
            for command in ["deployments show \(id)", "deployments list --environment shop-prod"] {
                let run = try await ledger(command, on: db)
                #expect(run.status == 0, "\(run.errors)")
                let raw = run.output.unicodeScalars
                #expect(!raw.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B }, "\(command): \(run.output.debugDescription)")
            }
            let shown = try await ledger("deployments show \(id)", on: db)
            #expect(shown.output.contains("\\u001B]0;owned\\u0007"), "\(shown.output)")
            #expect(!shown.output.contains("\nstatus      success"), "a newline in a message cannot forge a line")
        }
    }

    @Test func aWebhookSecretIsSetButNeverShown() async throws {
        try await TestDatabase.withDatabase { db in
            _ = try await ledger("orgs create acme --name Acme", on: db)
            _ = try await ledger("projects create shop --org acme", on: db)
            let short = try await ledger("projects configure shop --webhook-secret tooshort", on: db)
            #expect(short.status == 2 && short.errors.contains("16–256 characters"), "\(short.errors)")
            let secret = "a-long-enough-webhook-secret"
            let set = try await ledger("projects configure shop --webhook-secret \(secret)", on: db)
            #expect(set.status == 0 && set.output.contains("set the webhook secret of project shop"))
            #expect(!(set.output + set.errors).contains(secret))
            let log = try await ledger("read project-shop", on: db)
            #expect(log.output.contains(ProjectWebhookSecretSet.eventType) && !log.output.contains(secret))
            let stored = try await db.client.liveQuery("SELECT secret FROM hooks.secrets WHERE project_id = 'shop'", logger: TestDatabase.logger)
            #expect(try stored.first?.decode(String.self) == secret)
        }
    }

    /// A project's repository is set (and changed) from the CLI, checked as an address; results
    /// print once: nothing with --quiet, a JSON object with --json.
    @Test func aProjectsRepositoryIsConfiguredAndResultsPrintAsAsked() async throws {
        try await TestDatabase.withDatabase { db in
            let quiet = try await ledger("orgs create acme --name Acme --quiet", on: db)
            #expect(quiet.status == 0 && quiet.output.isEmpty && quiet.errors.isEmpty, "--quiet prints nothing: \(quiet.output)")
            let json = try await ledger("projects create shop --org acme --json", on: db)
            let object = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: String]
            #expect(json.status == 0 && object?["created"] == "project" && object?["id"] == "shop", "\(json.output)")
            for bad in ["'ext::sh -c touch% /tmp/x'", "--upload-pack=touch", "'https://x y'"] {
                let refused = try await ledger("projects configure shop --repository=\(bad)", on: db)
                #expect(refused.status == 2 && refused.errors.contains("repository must"), "\(bad): \(refused.errors)")
            }
            let set = try await ledger("projects configure shop --repository https://git.example/acme/shop.git", on: db)
            #expect(set.status == 0 && set.output.contains("set the repository of project shop"), "\(set.errors)")
            let again = try await ledger("projects configure shop --repository https://git.example/acme/shop.git", on: db)
            #expect(again.status == 0 && again.output.contains("already deploys from"))
            let service = DeploymentService(store: db.store, source: "test")
            #expect(try await service.project("shop")?.repository == "https://git.example/acme/shop.git")
            let changes = try await service.records(of: DomainIDs.projectStream("shop")).filter {
                if case .projectRepositoryChanged = $0.event { true } else { false }
            }
            #expect(changes.count == 1, "the same address again writes nothing")
            let listed = try await ledger("projects list --json", on: db)
            #expect(listed.output.contains("https://git.example/acme/shop.git"), "\(listed.output)")
            let missing = try await ledger("servers show nope --json", on: db)
            #expect(missing.status == 2 && missing.errors.contains("no such server"), "--json is taken; the server is not found: \(missing.errors)")
        }
    }

    @Test func archiveThenVerifyTheArchiveWithNoDatabaseAndPruneThroughIt() async throws {
        try await TestDatabase.withDatabase { db in
            for index in 0..<30 {
                _ = try await db.store.append(to: Fixture.stream("deployment-\(index % 3)"), events: [Fixture.event()])
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-cli-archive-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let archived = try await ledger("archive --from 1 --out \(directory) --segment-events 10 --quiet", on: db)
            #expect(archived.status == 0, "\(archived.errors)")
            #expect(archived.output.contains("archive: 30 events, positions 1–30, 3 segments"))

            // No database at all: DATABASE_URL unset and a data directory that does not exist.
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized
            let binary = ShellCommand.quote(root.appendingPathComponent(".build/debug/ledger").path)
            let out = directory + ".out"
            defer { try? FileManager.default.removeItem(atPath: out) }
            let offline = "env -u DATABASE_URL LEDGER_DATA_DIR=/nonexistent/ledger \(binary) verify --quiet --archive \(ShellCommand.quote(directory)) > \(out) 2>&1"
            #expect(try await ShellCommand.run(offline) == 0)
            #expect(try String(contentsOfFile: out, encoding: .utf8).contains("verify: OK — archive of positions 1–30, 30 events in 3 segments"))
            let segment = directory + "/segment-000002.zst"
            var bytes = try Data(contentsOf: URL(fileURLWithPath: segment))
            bytes[bytes.count / 2] ^= 0xFF
            try bytes.write(to: URL(fileURLWithPath: segment))
            #expect(try await ShellCommand.run(offline) == 4)
            #expect(try String(contentsOfFile: out, encoding: .utf8).contains("verify: FAILED — segment-000002.zst, position 11"))

            let refused = try await ledger("prune --before 0d --archive \(directory) --types all --categories all", on: db)
            #expect(refused.status == 1 && refused.errors.contains("does not verify"))
            #expect(try await db.store.headPosition() == 30)
        }
    }
}
