import Foundation

/// A request body's schema from the OpenAPI document, compiled once, and the check that a body
/// keeps to it: the API refuses what its own document forbids (an unknown field, a value of the
/// wrong type, out of range, too long or not matching its pattern) with a 422 naming the field,
/// instead of ignoring it. Keywords it does not know (`if`/`then`, `anyOf`, `not`) are left to
/// the domain's own checks.
final class RequestSchema: @unchecked Sendable {
    // Immutable after init; NSRegularExpression is immutable and safe to share.
    private let types: Set<String>?
    private let properties: [String: RequestSchema]
    private let additional: RequestSchema?
    private let closed: Bool
    private let required: [String]
    private let minimum: Double?
    private let maximum: Double?
    private let minLength: Int?
    private let maxLength: Int?
    private let maxItems: Int?
    private let pattern: (text: String, regex: NSRegularExpression)?
    private let allowed: [String]?
    private let items: RequestSchema?
    private let allOf: [RequestSchema]
    private let propertyNames: RequestSchema?

    /// The schemas of every request body the document names `…Request`, by that name (which is
    /// also the name of the type the route decodes).
    static let requests: [String: RequestSchema] = {
        let all = OpenAPIDocument.schemas
        var compiled: [String: RequestSchema] = [:]
        for (name, schema) in all where name.hasSuffix("Request") {
            if let schema = schema as? [String: Any] { compiled[name] = RequestSchema(schema, all: all) }
        }
        return compiled
    }()

    init(_ schema: [String: Any], all: [String: Any]) {
        var schema = schema
        if let ref = schema["$ref"] as? String, let target = all[String(ref.split(separator: "/").last ?? "")] as? [String: Any] {
            schema = target.merging(schema.filter { $0.key != "$ref" }) { first, _ in first }
        }
        switch schema["type"] {
        case let one as String: types = [one]
        case let many as [String]: types = Set(many)
        default: types = nil
        }
        var properties: [String: RequestSchema] = [:]
        for (name, property) in schema["properties"] as? [String: [String: Any]] ?? [:] { properties[name] = RequestSchema(property, all: all) }
        self.properties = properties
        closed = (schema["additionalProperties"] as? Bool) == false
        additional = (schema["additionalProperties"] as? [String: Any]).map { RequestSchema($0, all: all) }
        required = schema["required"] as? [String] ?? []
        minimum = (schema["minimum"] as? NSNumber)?.doubleValue
        maximum = (schema["maximum"] as? NSNumber)?.doubleValue
        minLength = schema["minLength"] as? Int
        maxLength = schema["maxLength"] as? Int
        maxItems = schema["maxItems"] as? Int ?? schema["maxProperties"] as? Int
        pattern = (schema["pattern"] as? String).flatMap { text in (try? NSRegularExpression(pattern: text)).map { (text, $0) } }
        allowed = schema["enum"] as? [String]
        items = (schema["items"] as? [String: Any]).map { RequestSchema($0, all: all) }
        allOf = (schema["allOf"] as? [[String: Any]] ?? []).map { RequestSchema($0, all: all) }
        propertyNames = (schema["propertyNames"] as? [String: Any]).map { RequestSchema($0, all: all) }
    }

    /// The first way `value` breaks the schema, naming where (`capacity.cpu_millicores`), or nil.
    func problem(with value: JSONValue, at path: String = "") -> String? {
        let name = path.isEmpty ? "the body" : path
        if let types, !types.contains(value.typeName), !(types.contains("number") && value.typeName == "integer") {
            return "\(name) must be \(types.sorted().joined(separator: " or ")), not \(value.typeName)"
        }
        for schema in allOf { if let problem = schema.problem(with: value, at: path) { return problem } }
        switch value {
        case .integer(let number): return bounds(Double(number), name)
        case .number(let number): return bounds(number, name)
        case .string(let text):
            if let allowed, !allowed.contains(text) { return "\(name) must be one of \(allowed.joined(separator: ", "))" }
            let length = text.unicodeScalars.count
            if let minLength, length < minLength { return "\(name) must be at least \(minLength) characters" }
            if let maxLength, length > maxLength { return "\(name) must be at most \(maxLength) characters" }
            if let pattern, pattern.regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                return "\(name) is not valid here (it must match \(pattern.text))"
            }
        case .array(let elements):
            if let maxItems, elements.count > maxItems { return "\(name) may have at most \(maxItems) items" }
            if let items {
                for (index, element) in elements.enumerated() {
                    if let problem = items.problem(with: element, at: "\(name)[\(index)]") { return problem }
                }
            }
        case .object(let fields):
            if let maxItems, fields.count > maxItems { return "\(name) may have at most \(maxItems) fields" }
            for field in required where fields[field] == nil { return "\(join(path, field)) is required" }
            for (field, element) in fields.sorted(by: { $0.key < $1.key }) {
                if let propertyNames, let problem = propertyNames.problem(with: .string(field), at: "the field name '\(field)'") { return problem }
                if let schema = properties[field] ?? additional {
                    if let problem = schema.problem(with: element, at: join(path, field)) { return problem }
                } else if closed {
                    return "unknown field '\(join(path, field))'"
                }
            }
        case .null, .bool: break
        }
        return nil
    }

    private func bounds(_ number: Double, _ name: String) -> String? {
        if let minimum, number < minimum { return "\(name) must be at least \(Self.format(minimum))" }
        if let maximum, number > maximum { return "\(name) must be at most \(Self.format(maximum))" }
        return nil
    }

    private static func format(_ number: Double) -> String { number == number.rounded() ? String(Int64(number)) : String(number) }
    private func join(_ path: String, _ field: String) -> String { path.isEmpty ? field : path + "." + field }
}
