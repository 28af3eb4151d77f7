import Ledger

/// The `ledger` command's exit code of every error, by its class (``ErrorClass``): 2 refused
/// (nothing written), 3 a version conflict, 5 try again (a database or host away or too slow),
/// 1 anything else. 4 (an integrity problem) and 64 (bad arguments) are the commands' own.
package enum ExitCodes {
    package static func exitCode(for entry: ErrorTable.Entry) -> Int32 {
        switch entry.errorClass {
        case .refused: 2
        case .conflict: 3
        case .unavailable: 5
        case .badInput, .failure: 1
        }
    }
}
