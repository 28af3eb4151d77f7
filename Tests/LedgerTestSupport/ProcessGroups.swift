import ChildProcess
@_exported import LoopbackSSH

/// Whether no process of `group` runs on this machine any more (zombies waiting to be reaped by
/// whoever adopted them do not count: they run nothing).
public func processGroupIsGone(_ group: Int32) async throws -> Bool {
    try await ShellCommand.run("ps -eo pgid=,stat= | awk '$1==\(group) && $2 !~ /^Z/ {f=1} END {exit !f}'") != 0
}
