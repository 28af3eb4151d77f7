import PostgresNIO

/// A planned batch sent as one plain statement: the gate of `ledger.append_gate` (migration 010)
/// — the head moved only if it is where the plan assumed, every insert gated on that move — run
/// in the statement's own implicit transaction, which, when it moved the head, notifies the
/// connection's private channel with `token` once it committed (see ``CommitWitness``), as
/// `ledger.append_witnessed` (migration 012) does. Sent as the statement itself rather than as a
/// call of that function: no PL/pgSQL call, no nested call of the gate, no second planning of its
/// query inside the function. One round trip; the append is answered only after the token
/// arrives. Outside any transaction block only; the bulk path, which COPYs after the gate in one
/// transaction, sends the gate itself (``AppendPlannedStatement``).
struct AppendWitnessedStatement: PostgresPreparedStatement {
    /// Named once: the protocol's default, `String(reflecting:)` of the type, is computed anew on every execution.
    static let name = "ledger_append_witnessed_statement"

    /// The parameters are ``AppendPlannedStatement``'s 25 (the gate's, in its order), then the
    /// witness channel and token.
    static let sql = """
        WITH moved AS (
            UPDATE ledger.head SET position = $2::bigint, recorded_at_us = $3::bigint, last_hash = $25::bytea
            WHERE position = $1::bigint AND last_hash IS NOT DISTINCT FROM $24::bytea
                AND NOT EXISTS (SELECT 1 FROM ledger.streams WHERE stream_id = ANY($23::text[]))
            RETURNING position
        ), inserted AS (
            INSERT INTO ledger.events (position, event_id, stream_id, stream_version, category, event_type, schema_version,
                data, metadata, actor, organisation, correlation_id, recorded_at, prev_hash, hash)
            SELECT r.p, r.i, r.s, r.v, r.c, r.t, r.sv, r.d, r.m, NULLIF(r.a, ''), NULLIF(r.o, ''), NULLIF(r.co, '')::uuid,
                timestamptz 'epoch' + $3::bigint * interval '1 microsecond', r.ph, r.h
            -- unnest in the select list zips the arrays row by row (ProjectSet); in FROM it would
            -- first copy every row into a tuplestore.
            FROM (SELECT unnest($5::bigint[]) AS p, unnest($6::uuid[]) AS i, unnest($7::text[]) AS s, unnest($8::bigint[]) AS v,
                    unnest($9::text[]) AS c, unnest($10::text[]) AS t, unnest($11::int[]) AS sv, unnest($12::bytea[]) AS d,
                    unnest($13::bytea[]) AS m, unnest($14::text[]) AS a, unnest($15::text[]) AS o, unnest($16::text[]) AS co,
                    unnest($17::bytea[]) AS ph, unnest($18::bytea[]) AS h) AS r
            WHERE EXISTS (SELECT 1 FROM moved)
        ), streams AS (
            INSERT INTO ledger.streams (stream_id, version, last_hash, last_position)
            SELECT * FROM unnest($19::text[], $20::bigint[], $21::bytea[], $22::bigint[])
            WHERE EXISTS (SELECT 1 FROM moved)
            ON CONFLICT (stream_id) DO UPDATE
                SET version = EXCLUDED.version, last_hash = EXCLUDED.last_hash, last_position = EXCLUDED.last_position
        ), held AS (
            SELECT pg_sleep($4::int / 1000.0) FROM moved WHERE $4::int > 0
        )
        SELECT count(*) > 0 FROM moved
        WHERE (SELECT count(*) FROM held) >= 0
            AND pg_notify('ledger_events', $2::bigint::text) IS NOT NULL AND pg_notify($26::text, $27::text) IS NOT NULL
        """

    typealias Row = Bool

    let statement: AppendPlannedStatement
    /// The connection's witness channel.
    let channel: String
    /// This statement's token on that channel.
    let token: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = statement.bindings(capacity: AppendPlannedStatement.argumentCount + 2)
        bindings.append(channel)
        bindings.append(token)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Bool { try row.decode(Bool.self) }
}
