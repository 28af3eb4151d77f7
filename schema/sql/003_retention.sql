-- 003: retention. Old events (by default only log lines) may leave the hot log once an archive
-- that covers them verifies. The log stays append-only for everyone else: the immutability
-- trigger lets a DELETE through only inside ledger.prune_events(), which first keeps each
-- pruned event's place in the proof — position, stream, version, prev_hash and hash — in
-- ledger.pruned_events, and records the pruning (range, digest over the pruned hashes, the
-- archive's digest, actor) in ledger.prunings. `ledger verify` checks stubs in place of the
-- events: the chains and seals still link through them, and each pruning's digest must match.

CREATE TABLE ledger.prunings (
    pruning_number bigint      PRIMARY KEY CHECK (pruning_number > 0),
    from_position  bigint      NOT NULL,
    to_position    bigint      NOT NULL,
    before         timestamptz NOT NULL,
    categories     text[]      NOT NULL,
    event_types    text[]      NOT NULL,
    event_count    bigint      NOT NULL CHECK (event_count > 0),
    digest         bytea       NOT NULL,
    archive_digest bytea       NOT NULL,
    actor          text        NOT NULL,
    pruned_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE ledger.pruned_events (
    position       bigint PRIMARY KEY,
    stream_id      text   NOT NULL,
    stream_version bigint NOT NULL,
    prev_hash      bytea  NOT NULL,
    hash           bytea  NOT NULL,
    pruning_number bigint NOT NULL REFERENCES ledger.prunings DEFERRABLE INITIALLY DEFERRED
);

CREATE TRIGGER prunings_append_only
    BEFORE UPDATE OR DELETE ON ledger.prunings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER prunings_no_truncate
    BEFORE TRUNCATE ON ledger.prunings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER pruned_events_append_only
    BEFORE UPDATE OR DELETE ON ledger.pruned_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();
CREATE TRIGGER pruned_events_no_truncate
    BEFORE TRUNCATE ON ledger.pruned_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

-- The one way through: a DELETE of ledger.events while ledger.prune_events() runs.
CREATE OR REPLACE FUNCTION ledger.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'events' AND TG_OP = 'DELETE' AND current_setting('ledger.pruning', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'ledger.% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'LDG01';
END;
$$;

-- Even with the flag on, a row goes only when its stub is already kept: no DELETE can remove an
-- event's place in the chains, whoever sets the flag.
CREATE FUNCTION ledger.refuse_unkept_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger.pruned_events s WHERE s.position = OLD.position AND s.hash = OLD.hash) THEN
        RAISE EXCEPTION 'ledger.events is append-only: position % has no pruning stub', OLD.position
            USING ERRCODE = 'LDG01';
    END IF;
    RETURN OLD;
END;
$$;

CREATE TRIGGER events_delete_only_kept
    BEFORE DELETE ON ledger.events
    FOR EACH ROW EXECUTE FUNCTION ledger.refuse_unkept_delete();

-- Prunes the events in positions p_from..p_to recorded before p_before, of the given categories
-- and types (empty: any), and records it. Returns nothing when no event matched.
CREATE FUNCTION ledger.prune_events(
    p_from bigint, p_to bigint, p_before timestamptz, p_categories text[], p_types text[],
    p_archive_digest bytea, p_actor text
) RETURNS TABLE (pruning_number bigint, event_count bigint, digest bytea)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    number bigint;
    pruned bigint;
    pruned_digest bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(7342005);
    SELECT coalesce(max(p.pruning_number), 0) + 1 INTO number FROM ledger.prunings p;
    INSERT INTO ledger.pruned_events (position, stream_id, stream_version, prev_hash, hash, pruning_number)
        SELECT e.position, e.stream_id, e.stream_version, e.prev_hash, e.hash, number
        FROM ledger.events e
        WHERE e.position BETWEEN p_from AND p_to AND e.recorded_at < p_before
          AND (cardinality(p_categories) = 0 OR e.category = ANY(p_categories))
          AND (cardinality(p_types) = 0 OR e.event_type = ANY(p_types));
    SELECT count(*), sha256(coalesce(string_agg(s.hash, ''::bytea ORDER BY s.position), ''::bytea))
        INTO pruned, pruned_digest
        FROM ledger.pruned_events s WHERE s.pruning_number = number;
    IF pruned = 0 THEN
        RETURN;
    END IF;
    PERFORM set_config('ledger.pruning', 'on', true);
    DELETE FROM ledger.events e USING ledger.pruned_events s
        WHERE s.pruning_number = number AND e.position = s.position;
    PERFORM set_config('ledger.pruning', 'off', true);
    INSERT INTO ledger.prunings (pruning_number, from_position, to_position, before, categories, event_types,
                                 event_count, digest, archive_digest, actor)
        VALUES (number, p_from, p_to, p_before, p_categories, p_types, pruned, pruned_digest, p_archive_digest, p_actor);
    RETURN QUERY SELECT number, pruned, pruned_digest;
END;
$$;
