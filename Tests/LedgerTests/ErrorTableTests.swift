import Executors
import Ledger
import LedgerArchive
import Testing

/// One table gives every error code its CLI exit code and HTTP status.
@Suite struct ErrorTableTests {
    @Test func everyCodeTheLedgerRaisesHasItsOwnRow() {
        let rejections: [CommandRejection.Code] = [
            .invalid, .notFound, .alreadyExists, .deploymentInFlight, .wrongStatus, .illegalTransition, .environmentUnavailable,
            .alreadyDeployed, .conflict, .quotaExceeded, .forbidden, .hostKeyUnconfirmed, .unknownKey, .capacityExceeded, .staleLease,
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
        #expect(ErrorTable.entry(for: CommandRejection(.quotaExceeded, "over")) == .init(code: "quota_exceeded", exitCode: 2, httpStatus: 422))
        #expect(ErrorTable.entry(for: CommandRejection(.deploymentInFlight, "busy")).httpStatus == 409)
        #expect(ErrorTable.entry(for: CommandRejection(.notFound, "none")).httpStatus == 404)
        let conflict = AppendConflict(streamID: try! StreamID("deployment-1"), expected: .noStream, actual: 1)
        #expect(ErrorTable.entry(for: conflict) == .init(code: "version_conflict", exitCode: 3, httpStatus: 409))
    }

    @Test func aDatabaseThatIsAwayIsExitFiveAnd503WhicheverErrorSaysSo() {
        for error: any Error in [
            ConnectionClosed(), LedgerError(.unavailable, "no lease"), LedgerError(.database, "read failed", underlying: ConnectionClosed()),
        ] {
            #expect(ErrorTable.entry(for: error) == .init(code: "database_unavailable", exitCode: 5, httpStatus: 503), "\(error)")
        }
        #expect(ErrorTable.entry(for: LedgerError(.timedOut, "slow")).code == "timed_out")
        struct Unknown: Error {}
        #expect(ErrorTable.entry(for: Unknown()) == .init(code: "internal", exitCode: 1, httpStatus: 500))
    }
}
