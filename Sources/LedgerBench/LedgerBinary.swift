import Foundation
import Ledger

/// The `ledger` the benchmarks start as a child (`ledger serve`): the one built beside this
/// `ledger-bench` (`swift build -c release` builds both into the same directory).
enum LedgerBinary {
    static func path() throws -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let ledger = URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("ledger").path
        guard FileManager.default.isExecutableFile(atPath: ledger) else {
            throw LedgerError(.missingDependency, "no ledger beside \(me): build both with `swift build -c release`")
        }
        return ledger
    }
}
