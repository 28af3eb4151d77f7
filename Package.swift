// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// The executables allocate with jemalloc (Debian's libjemalloc-dev) instead of glibc's malloc:
// rebuilds and reads make and free millions of small objects from several threads, where
// glibc's arenas spent about a seventh of the process's CPU (docs/performance.md).
let fastAllocator: [LinkerSetting] = [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]

let package = Package(
    name: "deployment-ledger",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "ledger", targets: ["LedgerCommand"]),
        // The benchmarks, kept out of the shipped binary (`swift build -c release` builds both).
        .executable(name: "ledger-bench", targets: ["LedgerBench"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LedgerDomain", targets: ["LedgerDomain"]),
        .library(name: "Projections", targets: ["Projections"]),
        .library(name: "Executors", targets: ["Executors"]),
        .library(name: "Gateway", targets: ["Gateway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // Only the HTTP server; its optional swift-configuration support is left out.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The numbered SQL migrations in schema/, embedded in the binary so it never needs the source tree.
        .target(
            name: "LedgerSchema",
            path: "schema",
            resources: [.embedInCode("sql")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Ledger",
            dependencies: [
                "LedgerSchema",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The deployment domain on the log: events, state folds, pure decisions, DeploymentService.
        .target(
            name: "LedgerDomain",
            dependencies: [
                "Ledger",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Who may do what: tokens (stored hashed), principals, webhook secrets, idempotency keys —
        // the sole owner of the `auth` and `hooks` schemas, between the domain and the faces.
        .target(
            name: "LedgerAccess",
            dependencies: [
                "Ledger", "LedgerDomain",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // libzstd from the system (Debian's libzstd-dev), for archives.
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        // Streaming and one-shot zstd over libzstd, for archives and HTTP bodies.
        .target(name: "LedgerZstd", dependencies: ["CZstd"], swiftSettings: swiftSettings),
        // Verifiable zstd archives of the log: export, offline verification, import.
        .target(
            name: "LedgerArchive",
            dependencies: [
                "Ledger", "LedgerDomain", "LedgerZstd",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Runs PostgreSQL's own tools (initdb, pg_ctl, pgbench, psql) from async code.
        .target(name: "ChildProcess", swiftSettings: swiftSettings),
        // A private OpenSSH server on loopback, for the executor's tests and benchmark.
        .target(name: "LoopbackSSH", dependencies: ["ChildProcess"], swiftSettings: swiftSettings),
        .target(
            name: "Projections",
            dependencies: [
                "Ledger", "LedgerDomain",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // libssh2 from the system (Debian's libssh2-1-dev), for the SSH runner.
        .systemLibrary(name: "CSSH2", path: "Sources/CSSH2"),
        .target(
            name: "Executors",
            dependencies: [
                "Ledger", "LedgerDomain", "CSSH2", "ChildProcess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // libhiredis from the system (Debian's libhiredis-dev): Redis is a helper for live
        // streams and shared rate limits, never a store of record.
        .systemLibrary(name: "CHiredis", path: "Sources/CHiredis"),
        .target(name: "LedgerRedis", dependencies: ["CHiredis", "ChildProcess"], swiftSettings: swiftSettings),
        // The HTTP/SSE client of the gateway's API, for the CLI (`--server`): no server code in it.
        .target(
            name: "LedgerClient",
            dependencies: [
                "LedgerZstd",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Gateway",
            dependencies: [
                "Ledger", "LedgerDomain", "LedgerAccess", "Projections", "Executors", "LedgerZstd", "LedgerRedis", "LedgerClient",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The dashboard page, served from the binary.
            resources: [.embedInCode("Dashboard")],
            swiftSettings: swiftSettings
        ),
        // What every command-line executable shares: connection options, the embedded
        // PostgreSQL, the session and its deadlines, signals, logging to the terminal.
        .target(
            name: "CommandRuntime",
            dependencies: [
                "Ledger", "LedgerDomain", "LedgerAccess", "Projections", "Executors", "Gateway", "LedgerClient", "ChildProcess", "LedgerArchive", "LedgerRedis",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LedgerCommand",
            dependencies: [
                "CommandRuntime", "Ledger", "LedgerDomain", "LedgerAccess", "Projections", "Executors", "Gateway", "LedgerClient", "ChildProcess", "LedgerArchive",
                "LoopbackSSH", "LedgerRedis",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: fastAllocator
        ),
        // `ledger-bench append|read|rebuild|archive|http|executor|live`.
        .executableTarget(
            name: "LedgerBench",
            dependencies: [
                "CommandRuntime", "Ledger", "LedgerDomain", "LedgerAccess", "Projections", "Executors", "Gateway", "LedgerClient", "ChildProcess", "LedgerArchive",
                "LoopbackSSH", "LedgerRedis", "LedgerZstd",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings,
            linkerSettings: fastAllocator
        ),
        .target(
            name: "LedgerTestSupport",
            dependencies: [
                "Ledger", "LedgerDomain", "ChildProcess", "LoopbackSSH", "LedgerRedis",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/LedgerTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LedgerTests",
            dependencies: ["Ledger", "LedgerDomain", "LedgerAccess", "CommandRuntime", "Projections", "Executors", "LedgerSchema", "LedgerTestSupport", "ChildProcess", "LedgerArchive", "LedgerZstd", "Gateway", "LedgerClient", "LedgerRedis", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
