import PostgresNIO

/// The planned append sent as one `CALL` of `ledger.append_planned` (migration 010), which runs
/// ``AppendPlannedStatement``'s statement and commits before it answers: one round trip, and the
/// answer's row is proof that the batch is durable. Outside any transaction block only; the bulk
/// path, which COPYs after the gate in one transaction, sends the statement itself.
struct AppendPlannedCall: PostgresPreparedStatement {
    static let sql = """
        CALL ledger.append_planned($1::bigint, $2::bigint, $3::bigint, $4::int, $5::bigint[], $6::uuid[], $7::text[], $8::bigint[],
            $9::text[], $10::text[], $11::int[], $12::bytea[], $13::bytea[], $14::text[], $15::text[], $16::text[], $17::bytea[],
            $18::bytea[], $19::text[], $20::bigint[], $21::bytea[], $22::bigint[], $23::text[], $24::bytea, $25::bytea, NULL)
        """

    typealias Row = Bool

    let statement: AppendPlannedStatement

    func makeBindings() throws -> PostgresBindings { try statement.makeBindings() }

    func decodeRow(_ row: PostgresRow) throws -> Bool { try row.decode(Bool.self) }
}
