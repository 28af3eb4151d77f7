import Foundation
import Testing
@testable import Ledger
import LedgerDomain

/// The streaming encoder must write JSON that means exactly what `JSONEncoder` writes (same
/// keys, same values) and decodes to the same value.
@Suite struct StreamingJSONEncoderTests {
    enum Colour: String, Codable, Equatable { case red, green }

    struct Inner: Codable, Equatable {
        var name: String
        var tags: [String]
        var score: Double?
    }

    /// Every kind of value a synthesised conformance writes.
    struct Everything: Codable, Equatable {
        var text: String
        var flag: Bool
        var small: Int8
        var big: Int64
        var unsigned: UInt64
        var fraction: Double
        var single: Float
        var absent: String?
        var present: Int?
        var colour: Colour
        var inner: Inner
        var inners: [Inner]
        var grid: [[Int]]
        var byName: [String: Int]
        var byNumber: [Int: String]
        var optionals: [String?]
        var date: Date
        var bytes: Data
        var link: URL
        var empty: [Inner]
    }

    static let awkward = ["", "plain", "quote \" backslash \\ slash /", "tab\tnew\nline\rback\u{8}feed\u{C}", "control \u{01}\u{1F}", "é 🚀 👩‍💻"]

    static func everything(_ random: inout some RandomNumberGenerator) -> Everything {
        func text() -> String { awkward.randomElement(using: &random)! + String(Int.random(in: 0...99, using: &random)) }
        let inners = (0..<Int.random(in: 0...3, using: &random)).map { _ in
            Inner(name: text(), tags: [text(), text()], score: Bool.random(using: &random) ? nil : Double.random(in: -1e6...1e6, using: &random))
        }
        return Everything(
            text: text(), flag: Bool.random(using: &random), small: Int8.random(in: .min ... .max, using: &random),
            big: Int64.random(in: .min ... .max, using: &random), unsigned: UInt64.random(in: 0 ... .max, using: &random),
            fraction: Double.random(in: -1e300...1e300, using: &random), single: Float.random(in: -1e30...1e30, using: &random),
            absent: nil, present: Bool.random(using: &random) ? nil : 7, colour: Bool.random(using: &random) ? .red : .green,
            inner: Inner(name: text(), tags: [], score: 0.1), inners: inners, grid: [[1, 2], [], [3]],
            byName: [text(): 1, text() + "x": -2], byNumber: [1: text(), -5: text()], optionals: [nil, text()],
            date: Date(timeIntervalSince1970: Double(Int.random(in: 0...2_000_000_000, using: &random))),
            bytes: Data((0..<Int.random(in: 0...20, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }),
            link: URL(string: "https://example.com/a?b=\(Int.random(in: 0...9, using: &random))")!, empty: [])
    }

    /// Both encodings parsed back into plain dictionaries and arrays: equal when they say the same.
    func expectSameMeaning<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let streamed = try StreamingJSONEncoder().encode(value)
        let reference = try LedgerJSON.encode(value)
        let left = try JSONSerialization.jsonObject(with: Data(streamed.utf8), options: [.fragmentsAllowed]) as? NSObject
        let right = try JSONSerialization.jsonObject(with: reference, options: [.fragmentsAllowed]) as? NSObject
        #expect(left != nil && left == right, "\(streamed)\nvs\n\(String(decoding: reference, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    @Test func randomValuesMeanWhatJSONEncoderWritesAndDecodeToThemselves() throws {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let value = Self.everything(&random)
            try expectSameMeaning(value)
            let decoded = try LedgerJSON.decode(Everything.self, from: Data(try StreamingJSONEncoder().encode(value).utf8))
            #expect(decoded == value)
        }
    }

    @Test func projectionStatesRoundTrip() throws {
        var log = DomainLogBuffer()
        let configuration = EnvironmentConfiguration(
            host: "10.0.0.5", pipeline: DeploymentStep.standardPipeline, resources: Resources(cpuMillicores: 1_000, memoryMB: 2_048, diskGB: 20))
        try log.apply(SetupDecisions.createOrganisation(id: "acme", name: "Acme \"Inc\"", quota: nil, existing: nil))
        try log.apply(SetupDecisions.createProject(id: "shop", name: "Shop", repository: "git@x:y.git", organisation: log.organisation("acme"), existing: nil))
        try log.apply(SetupDecisions.createEnvironment(
            id: "shop-prod", name: "production", project: log.project("shop"), existing: nil, configuration: configuration))
        try log.apply(DeploymentDecisions.deploy(
            log.environment("shop-prod"), git: GitReference(branch: "main", commit: "abc1234", message: "Fix \"quotes\"\n"), force: false,
            request: .init(actor: "ana", deploymentID: "d1")))
        try log.apply(ExecutionDecisions.queue(log.deployment("d1")!))
        try log.apply(ExecutionDecisions.start(log.deployment("d1")!, executor: "test", lease: "l1"))
        for step in configuration.pipeline.prefix(4) {
            try log.apply(ExecutionDecisions.startStep(log.deployment("d1")!, log.progress("d1")!, step: step))
            try log.apply(ExecutionDecisions.appendLogs(
                log.deployment("d1")!, lines: [LogLine(level: .info, step: step, message: "working on \(step) – ✓", atMicroseconds: 5)]))
            try log.apply(ExecutionDecisions.completeStep(log.deployment("d1")!, log.progress("d1")!, step: step, durationMs: 1_500, summary: nil))
        }
        let progress = try #require(log.progress("d1")), deployment = try #require(log.deployment("d1"))
        let environment = try #require(log.environment("shop-prod"))
        try expectSameMeaning(progress)
        try expectSameMeaning(deployment)
        try expectSameMeaning(environment)
        let encoder = StreamingJSONEncoder()
        #expect(try LedgerJSON.decode(DeploymentProgress.self, from: Data(encoder.encode(progress).utf8)) == progress)
        #expect(try LedgerJSON.decode(DeploymentState.self, from: Data(encoder.encode(deployment).utf8)) == deployment)
        #expect(try LedgerJSON.decode(EnvironmentState.self, from: Data(encoder.encode(environment).utf8)) == environment)
    }

    @Test func nulBecomesAReplacementCharacterOnlyWhenAsked() throws {
        let inner = Inner(name: "a\u{0}b", tags: ["\u{0}"], score: nil)
        #expect(try StreamingJSONEncoder().encode(inner) == #"{"name":"a\u0000b","tags":["\u0000"]}"#)
        #expect(try StreamingJSONEncoder(replacesNUL: true).encode(inner) == "{\"name\":\"a\u{FFFD}b\",\"tags\":[\"\u{FFFD}\"]}")
    }

    /// A value that writes nothing, and top-level values that are not objects.
    struct Silent: Encodable { func encode(to encoder: any Encoder) throws {} }

    @Test func edgeShapesMatchJSONEncoder() throws {
        #expect(try StreamingJSONEncoder().encode(Silent()) == "{}")
        #expect(try StreamingJSONEncoder().encode(["a": Silent()]) == #"{"a":{}}"#)
        #expect(try StreamingJSONEncoder().encode([Int]()) == "[]")
        #expect(try StreamingJSONEncoder().encode("top") == #""top""#)
        #expect(try StreamingJSONEncoder().encode(Optional<Int>.none) == "null")
        try expectSameMeaning([[String: [Int?]]]([["x": [1, nil]], [:]]))
    }

    @Test func nonFiniteNumbersAreRefusedAsJSONEncoderRefusesThem() {
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder().encode(Inner(name: "n", tags: [], score: .nan)) }
        #expect(throws: EncodingError.self) { try StreamingJSONEncoder().encode([Double.infinity]) }
    }
}
