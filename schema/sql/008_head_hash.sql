-- The hash of the event at the head position. A planned append (AppendPlannedStatement) moves
-- the head only if both its position and this hash are what the plan assumed: a position alone
-- can be reached by two different histories (a batch prepared but never committed, and another
-- batch of the same size that took its place), and a plan made on the first must not be
-- written on top of the second. NULL until the first append after this migration.
ALTER TABLE ledger.head ADD COLUMN last_hash bytea;
UPDATE ledger.head h SET last_hash = e.hash FROM ledger.events e WHERE e.position = h.position;
