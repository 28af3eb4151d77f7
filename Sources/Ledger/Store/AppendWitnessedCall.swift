import PostgresNIO

/// The planned append sent as one statement, `ledger.append_witnessed` (migration 012): the gate
/// of ``AppendPlannedStatement`` in the statement's implicit transaction, which, when it moved the
/// head, notifies the connection's private channel with `token` once it committed (see
/// ``CommitWitness``). One round trip; the append is answered only after the token arrives.
/// Outside any transaction block only; the bulk path, which COPYs after the gate in one
/// transaction, sends the gate itself.
struct AppendWitnessedCall: PostgresPreparedStatement {
    /// Named once: the protocol's default, `String(reflecting:)` of the type, is computed anew on every execution.
    static let name = "ledger_append_witnessed_call"

    static let sql = "SELECT ledger.append_witnessed(\(AppendPlannedStatement.arguments), $26::text, $27::text)"

    typealias Row = Bool

    let statement: AppendPlannedStatement
    /// The connection's witness channel.
    let channel: String
    /// This statement's token on that channel.
    let token: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = try statement.makeBindings()
        bindings.append(channel)
        bindings.append(token)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Bool { try row.decode(Bool.self) }
}
