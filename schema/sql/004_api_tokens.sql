-- 004: API tokens. Only a token's SHA-256 is stored, never its text. Creating and revoking a
-- token are also events on the stream token-<id> (who, when, role, scope; no secret), so the
-- audit trail has them; this table is what a request is checked against, so that a revocation
-- holds from the very next request.
CREATE SCHEMA IF NOT EXISTS auth;

CREATE TABLE auth.tokens (
    token_id     uuid        PRIMARY KEY,
    secret_hash  bytea       NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    hint         text        NOT NULL,
    name         text        NOT NULL,
    role         text        NOT NULL,
    organisation text,
    project      text,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CHECK (role = 'portal_admin' OR organisation IS NOT NULL)
);

CREATE INDEX tokens_organisation ON auth.tokens (organisation, created_at);

-- What each Idempotency-Key (kept apart per token) was first sent with: the same key with
-- another body is refused rather than taken for a retry.
CREATE TABLE auth.idempotency_keys (
    key        text        PRIMARY KEY,
    body_hash  bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
