import Foundation
import Ledger
import LedgerDomain

/// A small deterministic random number generator (SplitMix64), so a seeded simulation or
/// benchmark log is the same on every run.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What a simulated deployment will do: per step, how long it takes, the log lines it prints
/// (in batches, as an executor flushes them), and whether it fails there.
public struct SimulationScript: Sendable {
    /// One step's plan.
    public struct Step: Sendable {
        public var step: DeploymentStep
        public var durationMs: Int
        /// Batches of log lines, each one `LogLinesAppended` event.
        public var logBatches: [[LogLine]]
        public var summary: String
        /// Set when the deployment fails in this step, with the error.
        public var failure: String?
    }

    public var steps: [Step]

    /// Plans a run of `pipeline`: step durations of ~0.3–9 s, 1–`maximumLogBatches` batches of
    /// 1–`maximumLinesPerBatch` lines each, and a failure in some step with `failureRate`.
    public static func make(
        pipeline: [DeploymentStep], failureRate: Double, maximumLogBatches: Int = 3, maximumLinesPerBatch: Int = 4,
        startMicroseconds: Int64, random: inout some RandomNumberGenerator
    ) -> SimulationScript {
        let failingStep: Int? = Double.random(in: 0..<1, using: &random) < failureRate ? Int.random(in: 0..<pipeline.count, using: &random) : nil
        var clock = startMicroseconds
        var steps: [Step] = []
        for (index, step) in pipeline.enumerated() {
            let duration = Int.random(in: 300...9_000, using: &random)
            var batches: [[LogLine]] = []
            let batchCount = Int.random(in: 1...max(1, maximumLogBatches), using: &random)
            for batch in 0..<batchCount {
                var lines: [LogLine] = []
                for line in 0..<Int.random(in: 1...max(1, maximumLinesPerBatch), using: &random) {
                    clock += Int64(duration) * 1_000 / Int64(batchCount * 8)
                    let message = batch == 0 && line == 0 ? Messages.start(step) : Messages.detail(step, line, random: &random)
                    let level: LogLevel = Int.random(in: 0..<20, using: &random) == 0 ? .warning : (line % 5 == 4 ? .debug : .info)
                    lines.append(LogLine(
                        level: level, step: step, message: message,
                        data: line == 0 ? ["attempt": "1", "host_step": "\(index + 1)"] : nil, atMicroseconds: clock))
                }
                batches.append(lines)
            }
            let fails = failingStep == index
            if fails {
                batches.append([LogLine(level: .error, step: step, message: Messages.failure(step), atMicroseconds: clock + 1_000)])
            }
            steps.append(Step(
                step: step, durationMs: duration, logBatches: batches,
                summary: "\(step.displayName) done (\(String(format: "%.1f", Double(duration) / 1_000))s)",
                failure: fails ? Messages.failure(step) : nil))
            if fails { break }
        }
        return SimulationScript(steps: steps)
    }

    /// Log texts in the seed platform's voice.
    enum Messages {
        static func start(_ step: DeploymentStep) -> String {
            switch step.rawValue {
            case "initializing": "Initializing deployment..."
            case "connecting": "Connecting to server..."
            case "pulling_image": "Pulling image..."
            case "starting_container": "Starting container..."
            case "health_check": "Performing health check..."
            case "completed": "Deployment completed!"
            default: "\(step.displayName)..."
            }
        }

        static func detail(_ step: DeploymentStep, _ line: Int, random: inout some RandomNumberGenerator) -> String {
            let elapsed = String(format: "%.1f", Double.random(in: 0.1...9, using: &random))
            return "\(step.displayName): part \(line + 1) ready (\(elapsed)s)"
        }

        static func failure(_ step: DeploymentStep) -> String {
            switch step.rawValue {
            case "connecting": "SSH connection timeout after 30 seconds"
            case "pulling_image": "Docker registry rate limit reached"
            case "health_check": "Health check failed: HTTP 502 from the application"
            default: "\(step.displayName) failed: exit status 1"
            }
        }
    }
}
