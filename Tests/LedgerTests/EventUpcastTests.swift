import Foundation
import Ledger
import LedgerDomain
import Testing

/// Old event shapes still decode.
@Suite struct EventUpcastTests {
    @Test func aVersionOneDeploymentRequestReadsAsTodaysShape() throws {
        let version1 = Data("""
            {"deploymentID":"d1","environmentID":"e","projectID":"p","organisationID":"o","number":4,"trigger":"git_push",
             "branch":"main","commit":"abc1234","commitMessage":"Fix login","requestedBy":"ana",
             "configuration":{"host":"h","sshUser":"deploy","sshPort":22,"pipeline":["initializing"],
               "resources":{"cpuMillicores":500,"memoryMB":512,"diskGB":5},"branch":"main","autoDeploy":true}}
            """.utf8)
        guard case .deploymentRequested(let event) = try DomainEvent(type: "DeploymentRequested", schemaVersion: 1, data: version1) else {
            Issue.record("not a request")
            return
        }
        #expect(event.git == GitReference(branch: "main", commit: "abc1234", message: "Fix login"))
        #expect(event.trigger == .gitPush)
        #expect(event.force == false)
        #expect(event.number == 4)
        #expect(throws: LedgerError.self) { try DomainEvent(type: "DeploymentRequested", schemaVersion: 3, data: version1) }
        #expect(throws: LedgerError.self) { try DomainEvent(type: "NoSuchEvent", schemaVersion: 1, data: Data("{}".utf8)) }
    }

    @Test func everyCurrentEventRoundTrips() throws {
        let event = DomainEvent.logLinesAppended(LogLinesAppended(deploymentID: "d", lines: [
            LogLine(level: .warning, step: DeploymentStep(rawValue: "connecting"), message: "slow", data: ["ms": "900"], atMicroseconds: 42)
        ]))
        let new = try event.newEvent(metadata: EventMetadata(actor: "ana"))
        #expect(new.type == "LogLinesAppended")
        #expect(try DomainEvent(type: new.type, schemaVersion: new.schemaVersion, data: new.data) == event)
    }
}
