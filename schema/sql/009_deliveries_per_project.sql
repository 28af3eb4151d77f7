-- A webhook delivery id is unique per project, not across the whole service: another project
-- that sends (or guesses) the same X-GitHub-Delivery must neither read this project's stored
-- answer nor make this project's real delivery look like a duplicate.
ALTER TABLE hooks.deliveries DROP CONSTRAINT deliveries_pkey;
ALTER TABLE hooks.deliveries ADD PRIMARY KEY (provider, project_id, delivery_id);
