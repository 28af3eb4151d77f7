import Ledger
import LedgerDomain
import Testing

/// Step ids: what is accepted, and how a step is named for people.
@Suite struct DeploymentStepTests {
    @Test(arguments: [("pulling_image", "Pulling image"), ("build", "Build"), ("run_2_checks", "Run 2 checks"), ("9_lives", "9 lives"), ("_x_", " x ")])
    func aDisplayNameCapitalisesTheFirstLetterAndSpacesTheWords(id: String, name: String) {
        #expect(DeploymentStep(rawValue: id)?.displayName == name)
    }

    @Test(arguments: ["", "Build", "pulling-image", "étape", String(repeating: "a", count: 65)])
    func anIdOutsideLowercaseLettersDigitsAndUnderscoresIsRefused(id: String) {
        #expect(DeploymentStep(rawValue: id) == nil)
    }
}
