import ChildProcess

/// Wraps a step's command so it runs in a process group of its own and reports the group's id
/// first thing on stderr — the handle a stop needs to reach every process the step started
/// (without it, killing the shell leaves its children running on the host).
enum ProcessGroupWrapper {
    static let marker = "ledger-pgid "

    /// `setsid -w` makes the inner shell a session (and group) leader, so its pid is the group id,
    /// and still waits for it, so the exit status is the command's own.
    static func wrap(_ command: String) -> String {
        "exec setsid -w /bin/sh -c 'printf \"\(marker)%s\\n\" \"$$\" >&2; exec /bin/sh -c \"$0\"' " + ShellCommand.quote(command)
    }

    /// Reads the group id off the head of stderr, passing on what follows it.
    struct MarkerReader {
        private var head: [UInt8] = []
        private(set) var processGroup: Int32?
        private var done = false

        /// The stderr bytes that belong to the command (the marker line removed).
        mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
            if done { return bytes }
            head += bytes
            guard let newline = head.firstIndex(of: 0x0A) else {
                // A command cannot write before the marker; a long head without it is not ours.
                if head.count > 64 { done = true; defer { head = [] }; return head }
                return []
            }
            done = true
            let line = String(decoding: head[..<newline], as: UTF8.self)
            let rest = Array(head[(newline + 1)...])
            head = []
            if line.hasPrefix(Self.markerText), let group = Int32(line.dropFirst(Self.markerText.count)) {
                processGroup = group
                return rest
            }
            return Array(line.utf8) + [0x0A] + rest
        }

        /// Whatever was held back when the stream ended.
        mutating func finish() -> [UInt8] {
            defer { head = []; done = true }
            return head
        }

        private static var markerText: String { ProcessGroupWrapper.marker }
    }
}
