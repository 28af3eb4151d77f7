import Ledger
import Foundation

// A deployment's request and its environment's "ended" each carry the whole configuration (and
// the git reference): few events, but `JSONDecoder` spent about a tenth of a rebuild's CPU on
// them. Like the other fast decoders, these read the plain shape the types encode to — every
// key known, at most once, required ones present — and answer nil for anything else (a
// promotion or break-glass record, an exotic number, an unknown key), which `JSONDecoder`
// then decides.

extension DeploymentRequested {
    public static func fastDecode(_ data: Data) -> DeploymentRequested? {
        var deploymentID: String?, environmentID: String?, projectID: String?, organisationID: String?, requestedBy: String?
        var number: Int?, trigger: DeploymentTrigger?, git: GitReference?, configuration: EnvironmentConfiguration?, force: Bool?
        var requester = OptionalMember<String>(), retryOf = OptionalMember<String>(), rollbackTo = OptionalMember<String>()
        var deleteData = OptionalMember<Bool>(), pipeline = OptionalMember<PlannedPipeline>()
        var promotion = OptionalMember<Never>(), breakGlass = OptionalMember<Never>()
        let parsed = JSONScanner.object(in: data) { scanner, key in
            switch key {
            case "deploymentID": return scanner.once(&deploymentID) { $0.string() }
            case "environmentID": return scanner.once(&environmentID) { $0.string() }
            case "projectID": return scanner.once(&projectID) { $0.string() }
            case "organisationID": return scanner.once(&organisationID) { $0.string() }
            case "requestedBy": return scanner.once(&requestedBy) { $0.string() }
            case "number": return scanner.once(&number) { $0.int() }
            case "trigger": return scanner.once(&trigger) { $0.string().flatMap(DeploymentTrigger.init(rawValue:)) }
            case "git": return scanner.once(&git) { GitReference.scan(&$0) }
            case "configuration": return scanner.once(&configuration) { EnvironmentConfiguration.scan(&$0) }
            case "force": return scanner.once(&force) { $0.bool() }
            case "requester": return requester.read(&scanner) { $0.string() }
            case "retryOf": return retryOf.read(&scanner) { $0.string() }
            case "rollbackTo": return rollbackTo.read(&scanner) { $0.string() }
            case "deleteData": return deleteData.read(&scanner) { $0.bool() }
            case "pipeline": return pipeline.read(&scanner) { PlannedPipeline.scan(&$0) }
            // Only their absence is read here; a record of either goes to `JSONDecoder`.
            case "promotion": return promotion.read(&scanner) { _ in nil }
            case "breakGlass": return breakGlass.read(&scanner) { _ in nil }
            default: return false
            }
        }
        guard parsed, let deploymentID, let environmentID, let projectID, let organisationID, let requestedBy, let number, let trigger,
            let git, let configuration, let force
        else { return nil }
        return DeploymentRequested(
            deploymentID: deploymentID, environmentID: environmentID, projectID: projectID, organisationID: organisationID,
            number: number, trigger: trigger, git: git, requestedBy: requestedBy, retryOf: retryOf.value, rollbackTo: rollbackTo.value,
            force: force, configuration: configuration, deleteData: deleteData.value, pipeline: pipeline.value,
            requester: requester.value)
    }
}

extension EnvironmentDeploymentEnded {
    public static func fastDecode(_ data: Data) -> EnvironmentDeploymentEnded? {
        var environmentID: String?, deploymentID: String?, number: Int?, status: DeploymentStatus?
        var git: GitReference?, configuration: EnvironmentConfiguration?, rollbackTo = OptionalMember<String>()
        let parsed = JSONScanner.object(in: data) { scanner, key in
            switch key {
            case "environmentID": return scanner.once(&environmentID) { $0.string() }
            case "deploymentID": return scanner.once(&deploymentID) { $0.string() }
            case "number": return scanner.once(&number) { $0.int() }
            case "status": return scanner.once(&status) { $0.string().flatMap(DeploymentStatus.init(rawValue:)) }
            case "git": return scanner.once(&git) { GitReference.scan(&$0) }
            case "configuration": return scanner.once(&configuration) { EnvironmentConfiguration.scan(&$0) }
            case "rollbackTo": return rollbackTo.read(&scanner) { $0.string() }
            default: return false
            }
        }
        guard parsed, let environmentID, let deploymentID, let number, let status, let git, let configuration else { return nil }
        return EnvironmentDeploymentEnded(
            environmentID: environmentID, deploymentID: deploymentID, number: number, status: status, git: git,
            configuration: configuration, rollbackTo: rollbackTo.value)
    }
}

extension EnvironmentConfiguration {
    /// One configuration object at the scanner, in the plain shape; nil otherwise.
    static func scan(_ scanner: inout JSONScanner) -> EnvironmentConfiguration? {
        var host: String?, sshUser: String?, sshPort: Int?, pipeline: [DeploymentStep]?, resources: Resources?, branch: String?
        var autoDeploy: Bool?, server = OptionalMember<String>(), settings = OptionalMember<[String: String]>()
        var autoDelete = OptionalMember<Bool>(), pushAutomation = OptionalMember<Bool>()
        let parsed = scanner.object { scanner, key in
            switch key {
            case "host": return scanner.once(&host) { $0.string() }
            case "sshUser": return scanner.once(&sshUser) { $0.string() }
            case "sshPort": return scanner.once(&sshPort) { $0.int() }
            case "pipeline": return scanner.once(&pipeline) { $0.steps() }
            case "resources": return scanner.once(&resources) { Resources.scan(&$0) }
            case "branch": return scanner.once(&branch) { $0.string() }
            case "autoDeploy": return scanner.once(&autoDeploy) { $0.bool() }
            case "server": return server.read(&scanner) { $0.string() }
            case "settings": return settings.read(&scanner) { $0.stringDictionary() }
            case "autoDelete": return autoDelete.read(&scanner) { $0.bool() }
            case "pushAutomation": return pushAutomation.read(&scanner) { $0.bool() }
            default: return false
            }
        }
        guard parsed, let host, let sshUser, let sshPort, let pipeline, let resources, let branch, let autoDeploy else { return nil }
        var configuration = EnvironmentConfiguration(
            host: host, sshUser: sshUser, sshPort: sshPort, pipeline: pipeline, resources: resources, branch: branch,
            autoDeploy: autoDeploy, server: server.value, settings: settings.value)
        configuration.autoDelete = autoDelete.value
        configuration.pushAutomation = pushAutomation.value
        return configuration
    }
}

extension Resources {
    static func scan(_ scanner: inout JSONScanner) -> Resources? {
        var cpu: Int?, memory: Int?, disk: Int?
        let parsed = scanner.object { scanner, key in
            switch key {
            case "cpuMillicores": return scanner.once(&cpu) { $0.int() }
            case "memoryMB": return scanner.once(&memory) { $0.int() }
            case "diskGB": return scanner.once(&disk) { $0.int() }
            default: return false
            }
        }
        guard parsed, let cpu, let memory, let disk else { return nil }
        return Resources(cpuMillicores: cpu, memoryMB: memory, diskGB: disk)
    }
}

extension GitReference {
    static func scan(_ scanner: inout JSONScanner) -> GitReference? {
        var branch = OptionalMember<String>(), commit = OptionalMember<String>(), tag = OptionalMember<String>()
        var message = OptionalMember<String>(), author = OptionalMember<String>(), changedFiles = OptionalMember<[String]>()
        let parsed = scanner.object { scanner, key in
            switch key {
            case "branch": return branch.read(&scanner) { $0.string() }
            case "commit": return commit.read(&scanner) { $0.string() }
            case "tag": return tag.read(&scanner) { $0.string() }
            case "message": return message.read(&scanner) { $0.string() }
            case "author": return author.read(&scanner) { $0.string() }
            case "changedFiles": return changedFiles.read(&scanner) { $0.strings() }
            default: return false
            }
        }
        guard parsed else { return nil }
        return GitReference(
            branch: branch.value, commit: commit.value, tag: tag.value, message: message.value, author: author.value,
            changedFiles: changedFiles.value)
    }
}

extension PlannedPipeline {
    static func scan(_ scanner: inout JSONScanner) -> PlannedPipeline? {
        var name: String?, fingerprint: String?, steps: [DeploymentStep]?
        let parsed = scanner.object { scanner, key in
            switch key {
            case "name": return scanner.once(&name) { $0.string() }
            case "fingerprint": return scanner.once(&fingerprint) { $0.string() }
            case "steps": return scanner.once(&steps) { $0.steps() }
            default: return false
            }
        }
        guard parsed, let name, let fingerprint, let steps else { return nil }
        return PlannedPipeline(name: name, fingerprint: fingerprint, steps: steps)
    }
}

/// An optional member: absent or `null` is nil, as `decodeIfPresent` reads it; a second
/// occurrence is refused.
private struct OptionalMember<Value> {
    private(set) var value: Value?
    private var seen = false

    mutating func read(_ scanner: inout JSONScanner, _ parse: (inout JSONScanner) -> Value?) -> Bool {
        guard !seen else { return false }
        seen = true
        if scanner.consumeNull() { return true }
        value = parse(&scanner)
        return value != nil
    }
}

extension JSONScanner {
    /// Reads a required member's value into `slot` unless it was read before (a duplicate key).
    fileprivate mutating func once<Value>(_ slot: inout Value?, _ parse: (inout JSONScanner) -> Value?) -> Bool {
        guard slot == nil else { return false }
        slot = parse(&self)
        return slot != nil
    }

    fileprivate mutating func int() -> Int? {
        int64().flatMap { Int(exactly: $0) }
    }

    fileprivate mutating func strings() -> [String]? {
        var values: [String] = []
        let parsed = array { scanner in
            guard let value = scanner.string() else { return false }
            values.append(value)
            return true
        }
        return parsed ? values : nil
    }

    fileprivate mutating func steps() -> [DeploymentStep]? {
        var steps: [DeploymentStep] = []
        let parsed = array { scanner in
            guard let step = scanner.string().flatMap(DeploymentStep.init(rawValue:)) else { return false }
            steps.append(step)
            return true
        }
        return parsed ? steps : nil
    }

    /// An object of string values, each key once.
    fileprivate mutating func stringDictionary() -> [String: String]? {
        var values: [String: String] = [:]
        let parsed = object { scanner, key in
            guard values[key] == nil, let value = scanner.string() else { return false }
            values[key] = value
            return true
        }
        return parsed ? values : nil
    }
}
