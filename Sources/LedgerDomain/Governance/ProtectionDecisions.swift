import Ledger

/// Setting and removing an environment's protection rules, as a pure decision on its stream.
public enum ProtectionDecisions {
    /// Sets `rules` on `environment` (nil or rules that demand nothing: removes them). Setting
    /// what is already in force writes nothing.
    public static func protect(_ environment: EnvironmentState?, rules: ProtectionRules?) throws -> Decision {
        guard let environment else { throw CommandRejection(.notFound, "no such environment") }
        if let rules {
            let problems = rules.problems
            guard problems.isEmpty else { throw CommandRejection(.invalid, "invalid protection rules: " + problems.joined(separator: "; ")) }
        }
        let next = rules.flatMap { $0.demandsSomething ? $0 : nil }
        guard next != environment.protection else { return .nothing }
        return Decision([
            .init(DomainIDs.environmentStream(environment.environmentID), expectedVersion: .exact(environment.version), [
                .environmentProtectionChanged(EnvironmentProtectionChanged(environmentID: environment.environmentID, rules: next))
            ])
        ])
    }
}
