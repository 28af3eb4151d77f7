-- 005: worker leases. Which worker holds a deployment and until when. A worker renews its
-- lease every few seconds with an UPDATE here, not with events (heartbeats would flood the log);
-- inserting the row is the claim, so of two workers only one can claim a deployment. The lease
-- id is also recorded in the deployment's DeploymentStarted or DeploymentTakenOver event, and
-- every later write of the worker is checked against that (the fence).
CREATE SCHEMA IF NOT EXISTS executor;

CREATE TABLE executor.leases (
    deployment_id text        PRIMARY KEY,
    lease         text        NOT NULL,
    worker        text        NOT NULL,
    claimed_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at    timestamptz NOT NULL
);

CREATE INDEX leases_expiry ON executor.leases (expires_at);
