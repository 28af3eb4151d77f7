import PostgresNIO

/// The planned append sent as one `CALL` of `ledger.append_planned` (migration 010), which runs
/// ``AppendPlannedStatement``'s gate and commits before it answers: one round trip, and the
/// answer's row is proof that the batch is durable. Outside any transaction block only; the bulk
/// path, which COPYs after the gate in one transaction, sends the statement itself.
struct AppendPlannedCall: PostgresPreparedStatement {
    static let sql = "CALL ledger.append_planned(\(AppendPlannedStatement.arguments), NULL)"

    typealias Row = Bool

    let statement: AppendPlannedStatement

    func makeBindings() throws -> PostgresBindings { try statement.makeBindings() }

    func decodeRow(_ row: PostgresRow) throws -> Bool { try row.decode(Bool.self) }
}
