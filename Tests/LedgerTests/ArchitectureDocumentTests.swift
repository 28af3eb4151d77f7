import Foundation
import Testing

/// `docs/architecture.md` describes the targets as `Package.swift` wires them: the same targets,
/// each with the same dependencies on the package's own targets.
@Suite struct ArchitectureDocumentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theTargetTableMatchesThePackage() throws {
        let package = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let document = try String(contentsOf: Self.root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let wired = Self.targets(inPackage: package)
        let described = Self.targets(inDocument: document)
        #expect(wired.count > 10, "Package.swift read: \(wired.keys.sorted())")
        #expect(Set(described.keys) == Set(wired.keys), "targets: the page has \(described.keys.sorted()), the package \(wired.keys.sorted())")
        for (name, dependencies) in wired {
            #expect(described[name] == dependencies, "\(name): the page says \(described[name]?.sorted() ?? []), the package \(dependencies.sorted())")
        }
    }

    /// Every file or folder the page names by its path (`Sources/…`, `schema/…`) is there: a hop whose file
    /// moved fails until the page follows it.
    @Test func everyPathThePageNamesExists() throws {
        let document = try String(contentsOf: Self.root.appendingPathComponent("docs/architecture.md"), encoding: .utf8)
        let path = try NSRegularExpression(pattern: #"`((?:Sources|schema)/[^`]+)`"#)
        let named = path.matches(in: document, range: NSRange(document.startIndex..., in: document)).map {
            String(document[Range($0.range(at: 1), in: document)!])
        }
        #expect(named.count > 15)
        for file in named {
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(file).path), "\(file) is named but not there")
        }
    }

    /// Target name → the package's own targets it depends on (products of other packages left out).
    static func targets(inPackage text: String) -> [String: Set<String>] {
        let body = text[(text.range(of: "targets:")?.upperBound ?? text.startIndex)...]
        let declaration = try! NSRegularExpression(pattern: #"\.(target|executableTarget|testTarget|systemLibrary)\(\s*name:\s*"([^"]+)""#)
        let whole = String(body)
        let matches = declaration.matches(in: whole, range: NSRange(whole.startIndex..., in: whole))
        var targets: [String: Set<String>] = [:]
        for (index, match) in matches.enumerated() {
            let name = String(whole[Range(match.range(at: 2), in: whole)!])
            let end = index + 1 < matches.count ? Range(matches[index + 1].range, in: whole)!.lowerBound : whole.endIndex
            let chunk = whole[Range(match.range, in: whole)!.upperBound..<end]
            targets[name] = dependencies(in: String(chunk))
        }
        return targets
    }

    /// The quoted names in a target's `dependencies: [...]`, without `.product(...)` entries.
    static func dependencies(in chunk: String) -> Set<String> {
        guard let start = chunk.range(of: "dependencies:"), let open = chunk[start.upperBound...].firstIndex(of: "[") else { return [] }
        var depth = 0, close = open
        for index in chunk[open...].indices {
            if chunk[index] == "[" { depth += 1 }
            if chunk[index] == "]" { depth -= 1; if depth == 0 { close = index; break } }
        }
        let inner = String(chunk[chunk.index(after: open)..<close])
            .replacingOccurrences(of: #"\.product\([^)]*\)"#, with: "", options: .regularExpression)
        let quoted = try! NSRegularExpression(pattern: #""([^"]+)""#)
        return Set(quoted.matches(in: inner, range: NSRange(inner.startIndex..., in: inner)).map { String(inner[Range($0.range(at: 1), in: inner)!]) })
    }

    /// Target name → dependencies, from the page's table rows: | `Name` | holds | `A`, `B` |.
    static func targets(inDocument text: String) -> [String: Set<String>] {
        var targets: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let dependencies = cells[cells.count - 1] == "—" ? [] : cells[cells.count - 1].split(separator: ",")
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "` ")) }
            targets[name] = Set(dependencies)
        }
        return targets
    }
}
