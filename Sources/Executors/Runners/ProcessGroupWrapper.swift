import ChildProcess

/// Wraps a step's command so it runs in a process group of its own and reports the group's id
/// first thing on stderr — the handle a stop needs to reach every process the step started
/// (without it, killing the shell leaves its children running on the host).
enum ProcessGroupWrapper {
    static let marker = "ledger-pgid "

    /// `setsid -w` makes the inner shell a session (and group) leader, so its pid is the group id,
    /// and still waits for it, so the exit status is the command's own.
    /// The marker also names the step's stdout (`pipe:[inode]` on Linux), so that a stop can
    /// find a process that left the group but still holds the output.
    static func wrap(_ command: String) -> String {
        "exec setsid -w /bin/sh -c 'printf \"\(marker)%s %s\\n\" \"$$\" \"$(readlink /proc/$$/fd/1 2>/dev/null)\" >&2; exec /bin/sh -c \"$0\"' "
            + ShellCommand.quote(command)
    }

    /// Reads the group id off the head of stderr, passing on what follows it.
    struct MarkerReader {
        private var head: [UInt8] = []
        private(set) var processGroup: Int32?
        /// What the step's stdout is on its host (`pipe:[1234]`), when the host said.
        private(set) var output: String?
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
            let fields = line.dropFirst(Self.markerText.count).split(separator: " ", maxSplits: 1)
            if line.hasPrefix(Self.markerText), let first = fields.first, let group = Int32(first) {
                processGroup = group
                output = fields.count > 1 && fields[1].hasPrefix("pipe:[") ? String(fields[1]) : nil
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
