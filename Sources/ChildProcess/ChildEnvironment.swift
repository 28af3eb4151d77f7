#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a child process starts with: no descriptor but 0–2 and only the variables it is given.
/// A service holds database connections, a listening socket and secrets in its environment
/// (`DATABASE_URL`, tokens); a step or an application it starts must see none of them.
public enum ChildEnvironment {
    /// The variables a step gets from this process: where programs are, the home directory and
    /// the language — never the database URL, a token or another secret.
    public static let passedOn = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME"]

    /// `NAME=value` lines for a step: ``passedOn`` from this process (with a default `PATH`),
    /// then `extra`.
    public static func minimal(adding extra: [String: String] = [:]) -> [String] {
        var values: [String: String] = [:]
        for name in passedOn {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        if values["PATH"] == nil { values["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        for (name, value) in extra { values[name] = value }
        return values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// Adds to `actions` the closing of every descriptor from 3 up, after the actions already
    /// there (which set up 0–2): the child inherits nothing else, whatever another thread
    /// opened without close-on-exec.
    public static func closeInherited(_ actions: inout posix_spawn_file_actions_t) {
        _ = addCloseFrom(&actions, 3)
    }

    /// Runs `body` with a NULL-terminated C array of `lines`, for `posix_spawn`'s `envp`.
    public static func withCArray<T>(_ lines: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> T) rethrows -> T {
        var pointers: [UnsafeMutablePointer<CChar>?] = lines.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return try pointers.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which the Glibc module hides.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
