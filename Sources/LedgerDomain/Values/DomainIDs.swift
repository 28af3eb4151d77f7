import Ledger
import Foundation

/// The identifiers of the deployment domain and the streams they live in.
///
/// Organisation, project and environment ids are chosen by people (`acme`, `shop-staging`):
/// 1–63 lowercase letters, digits, `.`, `_` or `-`, starting with a letter or digit.
/// Deployment ids are generated UUIDs.
public enum DomainIDs {
    /// Checks a human-chosen id.
    public static func validate(_ id: String, kind: String) throws {
        let allowed = id.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-"
        }
        guard !id.isEmpty, id.count <= 63, allowed, let first = id.unicodeScalars.first,
            ("a"..."z").contains(first) || ("0"..."9").contains(first)
        else {
            throw CommandRejection(.invalid, "\(kind) id '\(id)' must be 1–63 lowercase letters, digits, '.', '_' or '-'")
        }
    }

    /// A new deployment id.
    public static func newDeploymentID() -> String { UUID().uuidString.lowercased() }

    public static func organisationStream(_ id: String) -> StreamID { StreamID(unchecked: "organisation-" + id) }
    public static func tokenStream(_ id: String) -> StreamID { StreamID(unchecked: "token-" + id) }
    public static func projectStream(_ id: String) -> StreamID { StreamID(unchecked: "project-" + id) }
    public static func environmentStream(_ id: String) -> StreamID { StreamID(unchecked: "environment-" + id) }
    public static func serverStream(_ id: String) -> StreamID { StreamID(unchecked: "server-" + id) }
    /// An organisation's SSH keys (ids and fingerprints, never the keys).
    public static func keyringStream(_ organisation: String) -> StreamID { StreamID(unchecked: "keyring-" + organisation) }
    public static func deploymentStream(_ id: String) -> StreamID { StreamID(unchecked: "deployment-" + id) }
    /// The pipelines executors published (one stream for the whole ledger).
    public static let pipelineCatalogStream = StreamID(unchecked: "pipelines-catalog")

    /// The id part of a domain stream name (`deployment-42` → `42`).
    public static func id(of stream: StreamID) -> String {
        let raw = stream.rawValue
        guard let dash = raw.firstIndex(of: "-") else { return raw }
        return String(raw[raw.index(after: dash)...])
    }
}
