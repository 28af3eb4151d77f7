import Ledger
import LedgerDomain

extension OpenAPIDocument {
    /// Servers, tokens, the session, integrity and webhook answers.
    static var accessSchemas: [String: Any] {
        [
            "Server": object(
                [
                    "id": string, "organization_id": string, "host": string, "port": integer, "user": string, "key_id": nullableString,
                    "key_fingerprint": string, "host_key_type": string, "host_key_fingerprint": string, "capacity": resources, "allocated": resources,
                    "environments": array(string), "removed": boolean,
                ], required: ["id", "organization_id", "host", "host_key_fingerprint", "removed"]),
            "ServerList": array(ref("Server")),
            "Token": object(
                [
                    "id": string, "name": string, "hint": string, "role": string, "organization_id": nullableString, "expires_at": string,
                    "revoked": boolean, "user": nullableString,
                ],
                required: ["id", "role", "revoked"]),
            "TokenList": array(ref("Token")),
            "IssuedToken": object(["token": string, "record": ref("Token")], required: ["token", "record"]),
            "Me": object(
                [
                    "token_id": string, "name": string, "role": string, "organization_id": nullableString, "project_id": nullableString,
                    "permissions": array(string), "user": nullableString,
                ],
                required: ["token_id", "role", "permissions"]),
            "Integrity": object(
                [
                    "head_position": integer, "unsealed_events": integer,
                    "last_seal": ["type": ["object", "null"], "properties": ["seal_number": integer, "to_position": integer, "sealed_at": string]],
                    "last_verification": [
                        "type": ["object", "null"],
                        "properties": ["ok": boolean, "events_checked": integer, "first_bad_position": nullableInteger, "verified_at": string],
                    ],
                ], required: ["head_position", "unsealed_events"]),
            "WebhookAnswer": object(
                [
                    "delivery_id": string, "project_id": string, "event": string, "branch": string, "commit": string, "mode": string,
                    "deployments": array(object(["environment_id": string, "deployment_id": string, "mode": string])),
                    "skipped": array(object(["environment_id": string, "code": string, "message": string])),
                    // A push that deleted its branch: the environments that auto-delete with it.
                    "deleted": boolean, "destroyed": array(object(["environment_id": string, "deployment_id": string])),
                ], required: ["delivery_id", "deployments"]),
        ]
    }
}
