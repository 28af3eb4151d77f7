-- Each full verification's result (`ledger verify`, GET /api/v1/verify), so that an auditor
-- sees when the history was last proved complete and untampered, and with what outcome.
CREATE TABLE ledger.verifications (
    verified_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    ok                 boolean NOT NULL,
    events_checked     bigint NOT NULL,
    seals_checked      integer NOT NULL,
    last_position      bigint NOT NULL,
    first_bad_position bigint
);
CREATE INDEX verifications_newest ON ledger.verifications (verified_at DESC);
