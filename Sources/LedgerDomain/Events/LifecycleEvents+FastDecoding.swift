import Ledger
import Foundation

// The small lifecycle events every deployment writes once or twice (queued, started,
// succeeded, and the environment's "began"). Each `JSONDecoder` call costs far more than
// their few bytes; like the step and log-line decoders, these read the plain shape they encode
// to and answer nil for anything else, which `JSONDecoder` then decides.

extension DeploymentQueued {
    public static func fastDecode(_ data: Data) -> DeploymentQueued? {
        guard let object = FlatJSONObject(data, keys: ["deploymentID"]), let id = object.string("deploymentID") else { return nil }
        return DeploymentQueued(deploymentID: id)
    }
}

extension DeploymentSucceeded {
    public static func fastDecode(_ data: Data) -> DeploymentSucceeded? {
        guard let object = FlatJSONObject(data, keys: ["deploymentID"]), let id = object.string("deploymentID") else { return nil }
        return DeploymentSucceeded(deploymentID: id)
    }
}

extension DeploymentStarted {
    public static func fastDecode(_ data: Data) -> DeploymentStarted? {
        guard let object = FlatJSONObject(data, keys: ["deploymentID", "executor", "lease"]),
            let id = object.string("deploymentID"), let executor = object.string("executor"), let lease = object.string("lease")
        else { return nil }
        return DeploymentStarted(deploymentID: id, executor: executor, lease: lease)
    }
}

extension EnvironmentDeploymentBegan {
    public static func fastDecode(_ data: Data) -> EnvironmentDeploymentBegan? {
        guard let object = FlatJSONObject(data, keys: ["environmentID", "deploymentID", "number", "trigger"]),
            let environmentID = object.string("environmentID"), let deploymentID = object.string("deploymentID"),
            let number = object.integer("number").flatMap({ Int(exactly: $0) }),
            let trigger = object.string("trigger").flatMap(DeploymentTrigger.init(rawValue:))
        else { return nil }
        return EnvironmentDeploymentBegan(environmentID: environmentID, deploymentID: deploymentID, number: number, trigger: trigger)
    }
}

/// One JSON object of string and integer members, each key one of `keys` and present at most
/// once; nil for any other shape (nested values, other keys, duplicates, trailing bytes).
struct FlatJSONObject {
    private var strings: [(String, String)] = []
    private var integers: [(String, Int64)] = []

    init?(_ data: Data, keys: Set<String>) {
        var seen: Set<String> = []
        var strings: [(String, String)] = [], integers: [(String, Int64)] = []
        let parsed = JSONScanner.object(in: data) { scanner, key in
            guard keys.contains(key), seen.insert(key).inserted else { return false }
            if scanner.peek() == UInt8(ascii: "\"") {
                guard let text = scanner.string() else { return false }
                strings.append((key, text))
            } else {
                guard let number = scanner.int64() else { return false }
                integers.append((key, number))
            }
            return true
        }
        guard parsed else { return nil }
        self.strings = strings
        self.integers = integers
    }

    func string(_ key: String) -> String? { strings.first { $0.0 == key }?.1 }
    func integer(_ key: String) -> Int64? { integers.first { $0.0 == key }?.1 }
}
