import Foundation
import Testing
import Ledger
import LedgerDomain

/// The hand-written decoders of the configuration-carrying events (a deployment's request and
/// its environment's "ended") must read exactly what `JSONDecoder` reads, and step aside (nil)
/// for anything they do not handle.
@Suite struct ConfigurationFastDecodingTests {
    static let texts = ["plain", "", "quote \" and backslash \\", "tab\tnew\nline", "é ü ß 🚀", "json {\"a\":[1,2]}"]

    static func randomConfiguration(_ generator: inout some RandomNumberGenerator) -> EnvironmentConfiguration {
        var configuration = EnvironmentConfiguration(
            host: "10.0.\(Int.random(in: 0...255, using: &generator)).1", sshUser: texts.randomElement(using: &generator)!,
            sshPort: Int.random(in: 1...65_535, using: &generator),
            pipeline: Array(DeploymentStep.standardPipeline.prefix(Int.random(in: 0...17, using: &generator))),
            resources: Resources(
                cpuMillicores: Int.random(in: 0...64_000, using: &generator), memoryMB: Int.random(in: 0...Int.max, using: &generator),
                diskGB: Int.random(in: -5...500, using: &generator)),
            branch: texts.randomElement(using: &generator)!, autoDeploy: Bool.random(using: &generator),
            server: Bool.random(using: &generator) ? nil : "server-\(Int.random(in: 0...9, using: &generator))",
            settings: Bool.random(using: &generator) ? nil : ["deploy_path": "/srv/app", "quote": "\"", "": "é"])
        configuration.autoDelete = [nil, true, false].randomElement(using: &generator)!
        configuration.pushAutomation = [nil, true, false].randomElement(using: &generator)!
        return configuration
    }

    static func randomGit(_ generator: inout some RandomNumberGenerator) -> GitReference {
        func maybe(_ text: String) -> String? { Bool.random(using: &generator) ? nil : text }
        return GitReference(
            branch: maybe("main"), commit: maybe("0123abc"), tag: maybe("v1.2"), message: maybe(texts.randomElement(using: &generator)!),
            author: maybe("ana@example.com"), changedFiles: Bool.random(using: &generator) ? nil : ["Package.swift", "a b/c.txt"])
    }

    static func randomRequest(_ generator: inout some RandomNumberGenerator) -> DeploymentRequested {
        func maybe(_ text: String) -> String? { Bool.random(using: &generator) ? nil : text }
        return DeploymentRequested(
            deploymentID: "dep-\(Int.random(in: 0...99, using: &generator))", environmentID: "env", projectID: "app", organisationID: "org",
            number: Int.random(in: 1...10_000, using: &generator), trigger: DeploymentTrigger.allCases.randomElement(using: &generator)!,
            git: randomGit(&generator), requestedBy: texts.randomElement(using: &generator)!, retryOf: maybe("dep-1"), rollbackTo: maybe("dep-2"),
            force: Bool.random(using: &generator), configuration: randomConfiguration(&generator),
            deleteData: [nil, true, false].randomElement(using: &generator)!,
            pipeline: Bool.random(using: &generator) ? nil : PlannedPipeline(name: "deploy", fingerprint: "sha256:ab", steps: DeploymentStep.standardPipeline),
            requester: maybe("user:ana@example.com"))
    }

    @Test func whatTheEncoderWritesDecodesToTheSameValue() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let request = Self.randomRequest(&generator)
            let data = try LedgerJSON.encode(request)
            let fast = try #require(DeploymentRequested.fastDecode(data), "\(String(decoding: data, as: UTF8.self))")
            #expect(fast == request)
            #expect(fast == (try LedgerJSON.decode(DeploymentRequested.self, from: data)))
            #expect(try DomainEvent.decode(type: DeploymentRequested.eventType, schemaVersion: DeploymentRequested.schemaVersion, data: data)
                == (.deploymentRequested(request), true))

            let ended = EnvironmentDeploymentEnded(
                environmentID: "env", deploymentID: request.deploymentID, number: request.number,
                status: DeploymentStatus.allCases.randomElement(using: &generator)!, git: request.git, configuration: request.configuration,
                rollbackTo: request.rollbackTo)
            let endedData = try LedgerJSON.encode(ended)
            #expect(EnvironmentDeploymentEnded.fastDecode(endedData) == ended)
            #expect(EnvironmentDeploymentEnded.fastDecode(endedData) == (try LedgerJSON.decode(EnvironmentDeploymentEnded.self, from: endedData)))
        }
    }

    /// A promotion or break-glass record is left to `JSONDecoder`, which still reads it.
    @Test func governanceRecordsAreLeftToTheFullDecoder() throws {
        var generator = SystemRandomNumberGenerator()
        var request = Self.randomRequest(&generator)
        request.promotion = PromotionEvidence(environmentID: "staging", deploymentID: "dep-9", commit: "abc", deployedAtMicroseconds: 7)
        var data = try LedgerJSON.encode(request)
        #expect(DeploymentRequested.fastDecode(data) == nil)
        #expect(try DomainEvent.decode(type: DeploymentRequested.eventType, schemaVersion: 2, data: data) == (.deploymentRequested(request), false))

        request.promotion = nil
        request.breakGlass = BreakGlass(reason: "outage", windows: ["friday"])
        data = try LedgerJSON.encode(request)
        #expect(DeploymentRequested.fastDecode(data) == nil)
        #expect(try DomainEvent.decode(type: DeploymentRequested.eventType, schemaVersion: 2, data: data) == (.deploymentRequested(request), false))
    }

    /// Anything but the plain shape is refused, and `JSONDecoder` decides: what it reads, it
    /// reads; what it rejects stays rejected.
    @Test func otherShapesAreLeftToTheFullDecoder() throws {
        let ended = EnvironmentDeploymentEnded(
            environmentID: "env", deploymentID: "dep", number: 3, status: .success, git: GitReference(branch: "main"),
            configuration: EnvironmentConfiguration(host: "h", resources: Resources(cpuMillicores: 1, memoryMB: 2, diskGB: 3)))
        let plain = String(decoding: try LedgerJSON.encode(ended), as: UTF8.self)
        #expect(EnvironmentDeploymentEnded.fastDecode(Data(plain.utf8)) == ended)
        let variants = [
            plain.replacingOccurrences(of: #""number":3"#, with: #""number":3.0"#),  // a number in another notation
            plain.replacingOccurrences(of: #""number":3"#, with: #""number":3,"number":4"#),  // a duplicate
            plain.replacingOccurrences(of: #""number":3"#, with: #""number":3,"extra":1"#),  // an unknown key
            plain.replacingOccurrences(of: #""diskGB":3"#, with: #""diskGB":3,"diskGB":3"#),  // a duplicate inside
            plain.replacingOccurrences(of: #""autoDeploy":false"#, with: #""autoDeploy":0"#),  // not a Bool
            plain.replacingOccurrences(of: #""autoDeploy":false,"#, with: ""),  // a required key missing
            plain.replacingOccurrences(of: #""status":"success""#, with: #""status":"sucess""#),  // not a status
            plain.replacingOccurrences(of: #""initializing""#, with: #""Not A Step""#),  // not a step
            plain + " x",  // trailing bytes
        ]
        for variant in variants {
            #expect(variant != plain)
            #expect(EnvironmentDeploymentEnded.fastDecode(Data(variant.utf8)) == nil, "\(variant)")
            let full = try? LedgerJSON.decode(EnvironmentDeploymentEnded.self, from: Data(variant.utf8))
            let decoded = try? DomainEvent.decode(type: EnvironmentDeploymentEnded.eventType, schemaVersion: 1, data: Data(variant.utf8))
            #expect(decoded?.event == full.map(DomainEvent.environmentDeploymentEnded), "\(variant)")
        }
        // Optional members may be null, as `decodeIfPresent` reads them.
        let nulls = plain.replacingOccurrences(of: #""number":3"#, with: #""number":3,"rollbackTo":null"#)
            .replacingOccurrences(of: #""branch":"main"}"#, with: #""branch":"main","tag":null}"#)
        #expect(nulls != plain)
        #expect(EnvironmentDeploymentEnded.fastDecode(Data(nulls.utf8)) == ended)
    }
}
