/// One numbered SQL migration from `schema/sql`, embedded in the binary.
public struct Migration: Sendable {
    /// The number in the file name; migrations apply in this order, each exactly once.
    public let version: Int
    /// The file name, e.g. `001_event_log.sql`.
    public let fileName: String
    /// The SQL text.
    public let sql: String

    init(_ version: Int, _ fileName: String, _ bytes: [UInt8]) {
        self.version = version
        self.fileName = fileName
        self.sql = String(decoding: bytes, as: UTF8.self)
    }
}

/// Every migration, in order. Add a new file to `schema/sql` and a line here; never edit a landed one.
public enum Migrations {
    public static let all: [Migration] = [
        Migration(1, "001_event_log.sql", PackageResources._01_event_log_sql),
        Migration(2, "002_projections.sql", PackageResources._02_projections_sql),
        Migration(3, "003_retention.sql", PackageResources._03_retention_sql),
        Migration(4, "004_api_tokens.sql", PackageResources._04_api_tokens_sql),
        Migration(5, "005_executor_leases.sql", PackageResources._05_executor_leases_sql),
        Migration(6, "006_webhooks.sql", PackageResources._06_webhooks_sql),
        Migration(7, "007_verifications.sql", PackageResources._07_verifications_sql),
        Migration(8, "008_head_hash.sql", PackageResources._08_head_hash_sql),
        Migration(9, "009_deliveries_per_project.sql", PackageResources._09_deliveries_per_project_sql),
        Migration(10, "010_append_call.sql", PackageResources._10_append_call_sql),
        Migration(11, "011_token_users.sql", PackageResources._11_token_users_sql),
        Migration(12, "012_append_witnessed.sql", PackageResources._12_append_witnessed_sql),
    ]
}
