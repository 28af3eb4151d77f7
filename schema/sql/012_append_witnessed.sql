-- 012: the planned append as one plain statement whose commit the writer sees proven.
--
-- ledger.append_planned (010) commits inside a CALL so that its answer proves the commit; a
-- procedure that commits costs the server and the driver a fifth of a single append's time more
-- than the same gate sent as one statement (docs/performance.md). ledger.append_witnessed runs
-- the same gate in the statement's own (implicit) transaction and, when it moved the head,
-- notifies the caller's private channel with a token the caller chose for this statement.
-- PostgreSQL delivers a notification only once its transaction has committed (after the commit
-- is flushed, under synchronous_commit), and delivers the session's own before that session's
-- ReadyForQuery: the writer, listening on its channel, answers the append when the token has
-- arrived. A commit that fails after the statement's CommandComplete sends an error instead, and
-- a connection dropped in between sends nothing: either way the token never comes and the writer
-- finds out on fresh state, as after any lost answer.
CREATE FUNCTION ledger.append_witnessed(
    expected_head bigint, new_head bigint, recorded_at_us bigint, hold_ms int,
    positions bigint[], ids uuid[], streams text[], versions bigint[], categories text[], types text[], schema_versions int[],
    data bytea[], metadata bytea[], actors text[], organisations text[], correlations text[], prev_hashes bytea[], hashes bytea[],
    stream_ids text[], stream_versions bigint[], stream_hashes bytea[], stream_positions bigint[],
    assumed_absent text[], expected_hash bytea, new_hash bytea,
    witness_channel text, witness_token text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    accepted boolean;
BEGIN
    accepted := ledger.append_gate($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25);
    IF accepted THEN
        PERFORM pg_notify($26, $27);
    END IF;
    RETURN accepted;
END
$$;
