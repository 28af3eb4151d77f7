import Ledger
import Logging
import PostgresNIO

/// Compares two copies of a projection's tables row by row (as multisets, in SQL).
public enum ProjectionComparison {
    /// For each table: rows only in `left`, rows only in `right`, and the row count of `left`.
    public struct Difference: Sendable, CustomStringConvertible {
        public var table: String
        public var onlyLeft: Int
        public var onlyRight: Int
        public var rows: Int
        public var isEqual: Bool { onlyLeft == 0 && onlyRight == 0 }
        public var description: String { "\(table): \(rows) rows, \(onlyLeft) only in the first copy, \(onlyRight) only in the second" }
    }

    public static func compare(
        tables: [String], _ left: String, _ right: String, client: PostgresClient, logger: Logger
    ) async throws -> [Difference] {
        var differences: [Difference] = []
        for table in tables {
            let rows = try await client.query(
                """
                SELECT (SELECT count(*) FROM (SELECT * FROM \(unescaped: left).\(unescaped: table) EXCEPT ALL SELECT * FROM \(unescaped: right).\(unescaped: table)) a),
                       (SELECT count(*) FROM (SELECT * FROM \(unescaped: right).\(unescaped: table) EXCEPT ALL SELECT * FROM \(unescaped: left).\(unescaped: table)) b),
                       (SELECT count(*) FROM \(unescaped: left).\(unescaped: table))
                """, logger: logger)
            for try await (a, b, n) in rows.decode((Int, Int, Int).self) {
                differences.append(Difference(table: table, onlyLeft: a, onlyRight: b, rows: n))
            }
        }
        return differences
    }
}

extension ProjectionComparison {
    /// An MD5 over every row of `table` in a stable order, with its row count: compares tables
    /// across two databases, where EXCEPT cannot reach.
    public static func fingerprint(_ table: String, client: PostgresClient, logger: Logger) async throws -> String {
        let rows = try await client.query(
            "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \(unescaped: table) t",
            logger: logger)
        for try await (count, digest) in rows.decode((Int, String).self) { return "\(count) rows, md5 \(digest)" }
        return ""
    }
}
