import ChildProcess
import Foundation
import Ledger
import LedgerDomain
import LedgerTestSupport
import PostgresNIO
import Synchronization
import Testing

/// PostgreSQL crashing under the `ledger` processes: nothing hangs, nothing acknowledged is
/// lost, the service answers 503 while the database is away and carries on after it. Each test
/// crashes a private cluster of its own, so the rest of `make test` is undisturbed.
@Suite(.serialized) struct CrashRecoveryTests {
    @Test func appendingProcessesSurviveFiveCrashesEndInTimeAndLoseNothingAcknowledged() async throws {
        try await PrivateCluster.with { cluster in
            let url = cluster.url.with(database: "postgres")
            let migrated = try await LedgerBinary.run("migrate --quiet", databaseURL: url.connectionString)
            try #require(migrated.status == 0, "\(migrated.errors)")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-crash-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let binary = ShellCommand.quote(try LedgerBinary.path())
            // Each writer is a shell loop of separate `ledger append` processes, each with a
            // 20 s bound and killed at 60 s: a kill (137) would be a hang.
            let writers = (1...4).map { writer in
                Task {
                    try await ShellCommand.run("""
                        export DATABASE_URL=\(ShellCommand.quote(url.connectionString))
                        while [ ! -e \(directory)/stop ]; do
                          id=$(cat /proc/sys/kernel/random/uuid); start=$(date +%s%N)
                          timeout -s KILL 60 \(binary) append crash-\(writer) --type Probe --data '{"writer":\(writer)}' --id $id --timeout 20 \
                            > /dev/null 2>> \(directory)/errors-\(writer)
                          status=$?; echo "$status $id $(( ($(date +%s%N) - start) / 1000000 ))" >> \(directory)/results-\(writer)
                        done
                        """)
                }
            }
            try await Task.sleep(for: .seconds(2))
            for _ in 0..<5 {
                try await cluster.crash()
                try await Task.sleep(for: .seconds(1))
                try await cluster.startServer()
                try await Task.sleep(for: .seconds(2))
            }
            _ = FileManager.default.createFile(atPath: directory + "/stop", contents: nil)
            for writer in writers { _ = try await writer.value }

            var acknowledged: [UUID] = []
            var failed = 0
            for writer in 1...4 {
                let lines = try String(contentsOfFile: "\(directory)/results-\(writer)", encoding: .utf8).split(separator: "\n")
                for line in lines {
                    let fields = line.split(separator: " ")
                    let status = Int(fields[0]) ?? -1, milliseconds = Int(fields[2]) ?? .max
                    #expect(status == 0 || status == 5, "an append ended with \(status): \(line)")
                    #expect(milliseconds < 25_000, "an append took \(milliseconds) ms, past its 20 s bound")
                    if status == 0 { acknowledged.append(UUID(uuidString: String(fields[1]))!) } else { failed += 1 }
                }
            }
            #expect(acknowledged.count > 20)
            try await TestDatabase.withClient(url) { [acknowledged] client in
                var stored = Set<UUID>()
                for row in try await client.liveQuery("SELECT event_id FROM ledger.events WHERE event_type = 'Probe'", logger: TestDatabase.logger) {
                    stored.insert(try row.decode(UUID.self))
                }
                let lost = acknowledged.filter { !stored.contains($0) }
                #expect(lost.isEmpty, "\(lost.count) acknowledged appends are missing")
            }
            let verify = try await LedgerBinary.run("verify --quiet", databaseURL: url.connectionString)
            #expect(verify.status == 0, "\(verify.output) \(verify.errors)")
        }
    }

    @Test func theServiceAnswers503WhileTheDatabaseIsAwayThenResumesAndStopsOnSigterm() async throws {
        try await PrivateCluster.with { cluster in
            let url = cluster.url.with(database: "postgres").connectionString
            let port = try SampleApp.freePort()
            let service = try await LedgerBinary.start("run --listen 127.0.0.1:\(port) --seal-every 1 --grace-period 5", databaseURL: url)
            defer { service.signal(SIGKILL) }
            try await waitUntil("the HTTP API listens") { service.errors.contains("HTTP API on") }
            #expect(try await HTTP.get(port, "/metrics").status == 200)

            try await cluster.crash()
            let away = try await HTTP.get(port, "/metrics")
            #expect(away.status == 503)
            #expect(away.body.contains(#""code":"database_unavailable""#))
            #expect(away.seconds < 15, "a request waited \(away.seconds) s, past its 10 s deadline")

            try await cluster.startServer()
            try await waitUntil("the API answers again") { (try? await HTTP.get(port, "/metrics").status) == 200 }
            let created = try await LedgerBinary.run("orgs create after-crash --name After --quiet", databaseURL: url)
            try #require(created.status == 0, "\(created.errors)")
            try await waitUntil("the projections catch up after the restart") {
                let metrics = (try? await HTTP.get(port, "/metrics").body) ?? ""
                let lags = metrics.split(separator: "\n").filter { $0.hasPrefix("ledger_projection_lag_events{") }
                return !lags.isEmpty && lags.allSatisfy { Double($0.split(separator: " ").last ?? "") == 0 }
            }

            service.signal(SIGTERM)
            let ended = await service.wait()
            #expect(ended.status == 143)
            #expect(ended.errors.contains("SIGTERM: stopping"))
        }
    }

    /// A minute without PostgreSQL is not a failure: the worker that runs a deployment keeps
    /// it — its writes wait, its lease (10 s here) is renewed once the database is back, since
    /// nobody could take the deployment over meanwhile — and the deployment succeeds. While the
    /// database is away the API answers 503 at once, not after the pool's 10 s deadline.
    @Test func aRunningDeploymentRidesOutAMinuteWithoutItsDatabase() async throws {
        try await PrivateCluster.with { cluster in
            let url = cluster.url.with(database: "postgres")
            let migrated = try await LedgerBinary.run("migrate --quiet", databaseURL: url.connectionString)
            try #require(migrated.status == 0, "\(migrated.errors)")
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-outage-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory + "/pipelines", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: directory + "/work", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try """
                steps:
                  - id: waiting
                    timeout: 5m
                    run: i=0; while [ $i -lt 80 ]; do echo tick $i; i=$((i+1)); sleep 1; done
                """.write(toFile: directory + "/pipelines/deploy.yml", atomically: true, encoding: .utf8)
            let port = try SampleApp.freePort()
            let ledger = try await LedgerBinary.start(
                "run --work --local \(directory)/work --pipelines \(directory)/pipelines --listen 127.0.0.1:\(port) --lease 10 --renew 2 --grace-period 5 --log-level info",
                databaseURL: url.connectionString)
            defer { ledger.signal(SIGKILL) }
            do {
                try await waitUntil("the API listens and the worker works") { ledger.errors.contains("HTTP API on") && ledger.errors.contains("working") }
            } catch {
                Issue.record("ledger run did not come up; it said: \(ledger.errors.suffix(4_000))")
                throw error
            }
            let id = try await TestDatabase.withClient(url, maximumConnections: 2) { client in
                let (service, ops) = try await Fixture.acmeShop(store: EventStore(client: client, logger: TestDatabase.logger))
                try await service.createEnvironment(
                    id: "shop-dev", project: "shop", name: "dev",
                    configuration: EnvironmentConfiguration(host: "localhost", resources: Resources(cpuMillicores: 10, memoryMB: 10, diskGB: 1)), context: ops)
                let id = try #require(try await service.deploy(environment: "shop-dev", git: GitReference(branch: "main"), context: ops).deploymentID)
                try await waitUntil("the step runs", within: .seconds(30)) {
                    try await service.records(of: DomainIDs.deploymentStream(id)).contains {
                        if case .logLinesAppended(let e) = $0.event { e.lines.contains { $0.message == "tick 2" } } else { false }
                    }
                }
                return id
            }

            try await cluster.crash()
            try await waitUntil("the API says the database is away", within: .seconds(15)) { (try? await HTTP.get(port, "/metrics").status) == 503 }
            let away = try await HTTP.get(port, "/metrics")
            #expect(away.status == 503 && away.body.contains(#""code":"database_unavailable""#))
            #expect(away.seconds < 1, "a request waited \(away.seconds) s although the database was known to be away")
            try await Task.sleep(for: .seconds(60))
            try await cluster.startServer()

            try await TestDatabase.withClient(url, maximumConnections: 2) { client in
                let service = DeploymentService(store: EventStore(client: client, logger: TestDatabase.logger), source: "test")
                try await waitUntil("the deployment ends", within: .seconds(120)) {
                    (try? await service.deployment(id))??.status.isTerminal == true
                }
                let state = try #require(try await service.deployment(id))
                #expect(state.status == .success, "\(state.status): \(state.error ?? "")")
                let records = try await service.records(of: DomainIDs.deploymentStream(id))
                #expect(!records.contains { if case .deploymentTakenOver = $0.event { true } else { false } }, "nobody took it over")
                let lines = records.flatMap { record -> [String] in
                    if case .logLinesAppended(let e) = record.event { e.lines.map(\.message) } else { [] }
                }
                #expect(lines.filter { $0.hasPrefix("tick ") }.count == 80, "every line of the step, once each")
            }
            #expect(try await HTTP.get(port, "/metrics").status == 200)
        }
    }

    /// `make run 2>&1 | tee run.log`, then Ctrl-C: the reader of the service's output is gone
    /// by the time the service writes "stopping". The service still stops its embedded
    /// PostgreSQL and Redis, instead of dying on that write (a trap in Foundation's write, or SIGPIPE).
    @Test func aServiceWhoseOutputReaderIsGoneStillStopsItsEmbeddedServersOnCtrlC() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-pipe-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try await ShellCommand.run("chmod 755 \(ShellCommand.quote(directory))")
        defer {
            _ = Task { [directory] in
                _ = try? await ShellCommand.run("pkill -f \(ShellCommand.quote(directory)); sleep 1; rm -rf \(ShellCommand.quote(directory))")
            }
        }
        let script = """
            import os, signal, subprocess, sys, time
            binary, data = sys.argv[1], sys.argv[2]
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            r, w = os.pipe()
            p = subprocess.Popen([binary, "run", "--listen", "127.0.0.1:0", "--data-dir", data], stdout=w, stderr=w, env=env)
            os.close(w)
            seen, end = b"", time.time() + 240
            while b"HTTP API on" not in seen and time.time() < end:
                chunk = os.read(r, 65536)
                if not chunk: break
                seen += chunk
            if b"HTTP API on" not in seen:
                p.kill(); print("never listened:", seen.decode(errors="replace")); sys.exit(2)
            os.close(r)  # the reader goes away, as tee does on Ctrl-C
            p.send_signal(signal.SIGINT)
            print(p.wait(timeout=120))
            """
        try script.write(toFile: directory + "/run.py", atomically: true, encoding: .utf8)
        let binary = try LedgerBinary.path()
        let status = try await ShellCommand.run(
            "python3 \(directory)/run.py \(ShellCommand.quote(binary)) \(directory)/data > \(directory)/out 2>&1")
        let out = (try? String(contentsOfFile: directory + "/out", encoding: .utf8)) ?? ""
        #expect(status == 0, "\(out)")
        #expect(out.trimmingCharacters(in: .whitespacesAndNewlines) == "130", "the service ended as on SIGINT, not on its write to the closed pipe: \(out)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/data/pg/postmaster.pid"), "the embedded PostgreSQL was stopped")
        #expect(!FileManager.default.fileExists(atPath: directory + "/data/redis/redis.pid"), "the embedded Redis was stopped")
    }

    @Test func sigtermEndsACommandBlockedOnTheDatabaseWithinItsGracePeriod() async throws {
        try await TestDatabase.withDatabase { db in
            try await db.client.withConnection { holder in
                // Every append waits for the head row; hold it in an open transaction.
                try await holder.query("BEGIN", logger: TestDatabase.logger)
                try await holder.query("SELECT position FROM ledger.head FOR UPDATE", logger: TestDatabase.logger)
                let append = try await LedgerBinary.start(
                    #"append blocked-1 --type T --data '{}' --timeout 120 --grace-period 2"#, databaseURL: db.url.connectionString)
                try await Task.sleep(for: .seconds(2))
                let signalled = ContinuousClock.now
                append.signal(SIGTERM)
                let ended = await append.wait()
                let afterSignal = (ContinuousClock.now - signalled) / .seconds(1)
                try await holder.query("ROLLBACK", logger: TestDatabase.logger)
                #expect(ended.status == 143, "\(ended.errors)")
                #expect(afterSignal < 6, "it took \(afterSignal) s to end after SIGTERM")
            }
        }
    }

    @Test func aStopShutsEveryServiceDownInTurnAndCancelsNone() async throws {
        try await TestDatabase.withDatabase { db in
            let pipelines = ExecutorEndToEndTests.pipelines
            let service = try await LedgerBinary.start(
                "run --work --pipelines \(ShellCommand.quote(pipelines)) --listen 127.0.0.1:0 --log-level debug", databaseURL: db.url.connectionString)
            defer { service.signal(SIGKILL) }
            try await waitUntil("the API listens and the worker works") {
                service.errors.contains("HTTP API on") && service.errors.contains("[Executors] working")
            }
            service.signal(SIGTERM)
            let ended = await service.wait()
            #expect(ended.status == 143)
            // One service that throws while it stops makes ServiceLifecycle cancel all the others,
            // cutting their graceful shutdown short (the HTTP server then logs errors).
            #expect(!ended.errors.contains("Service threw error during graceful shutdown"), "\(ended.errors.suffix(3_000))")
            #expect(!ended.errors.contains("Caught cancellation"))
            let errorLines = ended.errors.split(separator: "\n").filter { $0.contains(" error ledger") }
            #expect(errorLines.isEmpty, "\(errorLines)")
            #expect(ended.errors.contains("Service lifecycle ended"))
        }
    }

    @Test func anIdleServiceHoldsAtMostThreeConnections() async throws {
        try await TestDatabase.withDatabase { db in
            let service = try await LedgerBinary.start("run --listen off", databaseURL: db.url.connectionString)
            defer { service.signal(SIGKILL) }
            try await waitUntil("every projection exists") {
                let rows = try? await db.client.liveQuery("SELECT count(*) FROM projections.registry", logger: TestDatabase.logger)
                return (try? rows?.first?.decode(Int.self)) == 7
            }
            try await Task.sleep(for: .seconds(3))
            let held = try await db.client.liveQuery(
                """
                SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ledger'
                """, logger: TestDatabase.logger)[0].decode(Int.self)
            #expect(held >= 2 && held <= 3, "an idle `ledger run` holds \(held) connections")
            service.signal(SIGINT)
            #expect(await service.wait().status == 130)
        }
    }

    @Test func aThousandIdleSubscribersShareTheOneListeningConnection() async throws {
        try await TestDatabase.withDatabase { db in
            try await TestDatabase.withClient(db.url, maximumConnections: 2) { client in
                let store = EventStore(client: client, logger: TestDatabase.logger)
                let listener = Task { try await store.headListener.run() }
                defer { listener.cancel() }
                try await waitUntil("the listener listens") { store.headListener.isListening }
                let received = Counter()
                let subscribers = (0..<1_000).map { _ in
                    Task {
                        for try await _ in store.subscribe(after: 0) {
                            received.add()
                            return
                        }
                    }
                }
                defer { for subscriber in subscribers { subscriber.cancel() } }
                try await waitUntil("all subscribers wait") { store.headListener.waiterCount == 1_000 }
                // The 1,000 wait on the listener and hold no connection: the pool of two (one
                // of them the listener's) is all this store has, and the test's own pool is
                // the only other client of the database.
                let connections = try await db.client.liveQuery(
                    """
                    SELECT count(*) FROM pg_stat_activity
                    WHERE datname = current_database() AND application_name = 'ledger-tests' AND pid <> pg_backend_pid()
                    """, logger: TestDatabase.logger)[0].decode(Int.self)
                #expect(connections <= 3)
                _ = try await db.store.append(to: Fixture.stream("wake-1"), events: [Fixture.event()])
                try await waitUntil("every subscriber got the event") { received.value == 1_000 }
            }
        }
    }
}

