-- The planned append (AppendPlannedStatement) in the database, in one place for its two uses.
--
-- ledger.append_gate moves the head and writes the batch if the head is where the plan assumed,
-- inside the caller's transaction: the bulk path calls it before its COPY.
--
-- ledger.append_planned calls it and commits before it answers: one round trip per append, and
-- answered only once durable. A CALL's result row is sent only after the procedure returned, so
-- a client that has the row knows the commit is on disk (synchronous_commit); a plain
-- statement's CommandComplete comes before the implicit transaction commits at Sync, and BEGIN
-- and COMMIT around it cost two more round trips. A procedure that commits cannot run inside a
-- transaction block: it is called on its own.
CREATE FUNCTION ledger.append_gate(
    expected_head bigint, new_head bigint, recorded_at_us bigint, hold_ms int,
    positions bigint[], ids uuid[], streams text[], versions bigint[], categories text[], types text[], schema_versions int[],
    data bytea[], metadata bytea[], actors text[], organisations text[], correlations text[], prev_hashes bytea[], hashes bytea[],
    stream_ids text[], stream_versions bigint[], stream_hashes bytea[], stream_positions bigint[],
    assumed_absent text[], expected_hash bytea, new_hash bytea)
RETURNS boolean LANGUAGE plpgsql AS $$
-- The body names its parameters by number; a name in it is a column's.
#variable_conflict use_column
DECLARE
    accepted boolean;
BEGIN
    WITH moved AS (
        UPDATE ledger.head SET position = $2, recorded_at_us = $3, last_hash = $25
        WHERE position = $1 AND last_hash IS NOT DISTINCT FROM $24::bytea
            AND NOT EXISTS (SELECT 1 FROM ledger.streams WHERE stream_id = ANY($23::text[]))
        RETURNING position
    ), inserted AS (
        INSERT INTO ledger.events (position, event_id, stream_id, stream_version, category, event_type, schema_version,
            data, metadata, actor, organisation, correlation_id, recorded_at, prev_hash, hash)
        SELECT r.p, r.i, r.s, r.v, r.c, r.t, r.sv, r.d, r.m, NULLIF(r.a, ''), NULLIF(r.o, ''), NULLIF(r.co, '')::uuid,
            timestamptz 'epoch' + $3 * interval '1 microsecond', r.ph, r.h
        -- unnest in the select list zips the arrays row by row (ProjectSet); in FROM it would
        -- first copy every row into a tuplestore, a tenth of the server's time for a bulk append.
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
        SELECT pg_sleep($4 / 1000.0) FROM moved WHERE $4 > 0
    )
    SELECT count(*) > 0 INTO accepted FROM moved
    WHERE pg_notify('ledger_events', $2::text) IS NOT NULL AND (SELECT count(*) FROM held) >= 0;
    RETURN accepted;
END
$$;

CREATE PROCEDURE ledger.append_planned(
    expected_head bigint, new_head bigint, recorded_at_us bigint, hold_ms int,
    positions bigint[], ids uuid[], streams text[], versions bigint[], categories text[], types text[], schema_versions int[],
    data bytea[], metadata bytea[], actors text[], organisations text[], correlations text[], prev_hashes bytea[], hashes bytea[],
    stream_ids text[], stream_versions bigint[], stream_hashes bytea[], stream_positions bigint[],
    assumed_absent text[], expected_hash bytea, new_hash bytea,
    OUT accepted boolean)
LANGUAGE plpgsql AS $$
BEGIN
    accepted := ledger.append_gate($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25);
    COMMIT;
END
$$;
