-- Read models live outside the ledger schema, one schema per projection (proj_<name>), and can
-- be dropped and rebuilt from the log at any time. This registry says which version of each
-- projection is live, whether it is stopped by a bad event, and whether a rebuild wants the
-- runner to hand over.
CREATE SCHEMA IF NOT EXISTS projections;

CREATE TABLE projections.registry (
    name                text PRIMARY KEY,
    version             integer NOT NULL,
    status              text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'failed')),
    failed_position     bigint,
    failed_event_type   text,
    failed_error        text,
    failed_at           timestamptz,
    handover_requested_at timestamptz,
    rebuilt_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);
