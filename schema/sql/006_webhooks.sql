-- Git webhooks: each project's shared secret, and every delivery received.
--
-- The secret must be readable to check HMAC signatures, so it lives here, never in the log:
-- events only say that a secret was set (ProjectWebhookSecretSet), not what it is.
CREATE SCHEMA IF NOT EXISTS hooks;

CREATE TABLE hooks.secrets (
    project_id text PRIMARY KEY,
    secret     text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- One row per delivery (GitHub's X-GitHub-Delivery, GitLab's X-Gitlab-Event-UUID): a delivery
-- sent again is answered with its first answer and starts nothing new.
CREATE TABLE hooks.deliveries (
    provider    text NOT NULL,
    delivery_id text NOT NULL,
    project_id  text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    answer      text,
    PRIMARY KEY (provider, delivery_id)
);
