/// Runs a pipeline step's shell command on a host — over SSH or as a local process — streaming
/// its output as it arrives and stopping it for real when asked.
///
/// One runner is opened per deployment and reused for all its steps (one SSH connection per
/// deployment). Every command runs in a process group of its own, so a stop reaches everything
/// it started, not only the shell.
public protocol CommandRunner: Sendable {
    /// Runs `command` with `/bin/sh`, handing stdout and stderr to `output` chunk by chunk, until
    /// it exits, `timeout` passes or `stop` is pulled (then TERM to its group, KILL after the
    /// stop's grace period).
    func run(
        _ command: String, timeout: Duration, stop: StopSwitch,
        output: @escaping @Sendable (OutputChunk) -> Void
    ) async throws -> CommandOutcome

    /// Ends the connection; later runs fail.
    func close() async
}

/// Some bytes a command wrote.
public struct OutputChunk: Sendable {
    public enum Stream: Sendable { case stdout, stderr }
    public var stream: Stream
    public var bytes: [UInt8]
    public init(_ stream: Stream, _ bytes: [UInt8]) {
        self.stream = stream
        self.bytes = bytes
    }
}

/// How a command ended.
public struct CommandOutcome: Sendable, Equatable {
    /// The exit status, when it exited by itself.
    public var exitStatus: Int32?
    /// The signal that ended it (`TERM`, `KILL`), when one did.
    public var signal: String?
    /// The process group it ran in, when the host reported one.
    public var processGroup: Int32?
    /// What was done to stop it, when it was stopped or timed out.
    public var stop: StopReport?
    /// Whether it ran past its timeout.
    public var timedOut: Bool
    /// Wall time from start to end.
    public var duration: Duration

    public init(
        exitStatus: Int32?, signal: String? = nil, processGroup: Int32? = nil, stop: StopReport? = nil, timedOut: Bool = false,
        duration: Duration
    ) {
        self.exitStatus = exitStatus
        self.signal = signal
        self.processGroup = processGroup
        self.stop = stop
        self.timedOut = timedOut
        self.duration = duration
    }

    /// True when it exited with status 0.
    public var succeeded: Bool { exitStatus == 0 && stop == nil && !timedOut }
}

/// What a runner did to stop a command's process group.
public struct StopReport: Sendable, Equatable, Codable {
    /// The process group signalled.
    public var processGroup: Int32?
    /// The last signal sent: `TERM`, or `KILL` when the group outlived the grace period.
    public var signal: String
    /// How long from the stop request until the command was gone, in milliseconds.
    public var elapsedMs: Int
    /// Whether a process that left the group still held the command's output when the runner
    /// gave up waiting for it (``StopSwitch/escapeBound`` after the grace period).
    public var escaped: Bool
    /// `pid command` of each such process the runner could find.
    public var escapedProcesses: [String]

    public init(processGroup: Int32?, signal: String, elapsedMs: Int, escaped: Bool = false, escapedProcesses: [String] = []) {
        self.processGroup = processGroup
        self.signal = signal
        self.elapsedMs = elapsedMs
        self.escaped = escaped
        self.escapedProcesses = escapedProcesses
    }
}
