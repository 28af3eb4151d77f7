import CommandRuntime
import Executors
import Foundation
@testable import Gateway
import Ledger
import LedgerDomain
import LedgerArchive
import Testing

/// One table gives every error code its class; the CLI's exit code and the API's status derive
/// from it (`ExitCodes`, `HTTPStatuses`), and the README's table says the same.
@Suite struct ErrorTableTests {
    /// Code, exit code and HTTP status of an error, as the two faces answer it.
    struct Row: Equatable {
        var code: String
        var exitCode: Int32
        var httpStatus: Int
        init(code: String, exitCode: Int32, httpStatus: Int) {
            self.code = code
            self.exitCode = exitCode
            self.httpStatus = httpStatus
        }
        init(_ entry: ErrorTable.Entry) {
            self.init(code: entry.code, exitCode: ExitCodes.exitCode(for: entry), httpStatus: HTTPStatuses.status(for: entry))
        }
    }

    static func row(for error: any Error) -> Row { Row(ErrorTable.entry(for: error)) }

    @Test func everyCodeTheLedgerRaisesHasItsOwnRow() {
        let rejections: [CommandRejection.Code] = [
            .invalid, .notFound, .alreadyExists, .deploymentInFlight, .wrongStatus, .illegalTransition, .environmentUnavailable,
            .alreadyDeployed, .conflict, .quotaExceeded, .forbidden, .hostKeyUnconfirmed, .unknownKey, .capacityExceeded, .staleLease,
            .notPromoted, .frozen,
        ]
        let ledger: [LedgerError.Code] = [
            .invalidStreamID, .invalidEvent, .invalidArgument, .database, .migration, .immutable, .notFound, .missingDependency,
            .unavailable, .timedOut,
        ]
        let codes = rejections.map { CommandRejection($0, "x").errorCode } + ledger.map { LedgerError($0, "x").errorCode }
            + [ArchiveError.invalid("x").errorCode, ArchiveError.io("x", 2).errorCode]
            + [SSHError.Code.connectFailed, .hostKeyMismatch, .authenticationFailed, .keyFileRefused, .noServer, .protocolFailed].map { SSHError($0, "x").errorCode }
        for code in codes {
            #expect(ErrorTable.entry(code: code).code == code, "no row for \(code)")
        }
        #expect(Set(ErrorTable.entries.map(\.code)).count == ErrorTable.entries.count, "a code appears twice")
    }

    @Test func refusalsExitTwoWithTheirStatusAndConflictsExitThree() {
        #expect(Self.row(for: CommandRejection(.quotaExceeded, "over")) == .init(code: "quota_exceeded", exitCode: 2, httpStatus: 422))
        #expect(Self.row(for: CommandRejection(.deploymentInFlight, "busy")).httpStatus == 409)
        #expect(Self.row(for: CommandRejection(.notFound, "none")).httpStatus == 404)
        let conflict = AppendConflict(streamID: try! StreamID("deployment-1"), expected: .noStream, actual: 1)
        #expect(Self.row(for: conflict) == .init(code: "version_conflict", exitCode: 3, httpStatus: 409))
    }

    @Test func aDatabaseThatIsAwayIsExitFiveAnd503WhicheverErrorSaysSo() {
        for error: any Error in [
            ConnectionClosed(), LedgerError(.unavailable, "no lease"), LedgerError(.database, "read failed", underlying: ConnectionClosed()),
        ] {
            #expect(Self.row(for: error) == .init(code: "database_unavailable", exitCode: 5, httpStatus: 503), "\(error)")
        }
        #expect(ErrorTable.entry(for: LedgerError(.timedOut, "slow")).code == "timed_out")
        struct Unknown: Error {}
        #expect(Self.row(for: Unknown()) == .init(code: "internal", exitCode: 1, httpStatus: 500))
    }

    /// The README's table of codes (`| `a`, `b` | exit | HTTP |`) names every code once, with the
    /// exit code and status the faces answer it with.
    @Test func theReadmeTableSaysWhatTheFacesAnswer() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        var listed: [String: Row] = [:]
        let row = try NSRegularExpression(pattern: #"^\| (`[a-z_]+`(?:, `[a-z_]+`)*)[^|]*\| (\d+) \| (\d+) \|$"#, options: .anchorsMatchLines)
        for match in row.matches(in: readme, range: NSRange(readme.startIndex..., in: readme)) {
            let cell = String(readme[Range(match.range(at: 1), in: readme)!])
            let exit = Int32(readme[Range(match.range(at: 2), in: readme)!])!
            let status = Int(readme[Range(match.range(at: 3), in: readme)!])!
            for code in cell.split(separator: ",").map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: "` ")) }) {
                #expect(listed[code] == nil, "\(code) is listed twice")
                listed[code] = Row(code: code, exitCode: exit, httpStatus: status)
            }
        }
        #expect(Set(listed.keys) == Set(ErrorTable.entries.map(\.code)), "the README lists \(listed.keys.sorted())")
        for entry in ErrorTable.entries { #expect(listed[entry.code] == Row(entry), "\(entry.code)") }
    }
}
