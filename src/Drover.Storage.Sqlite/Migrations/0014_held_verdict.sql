-- A held verdict (SPEC §5): a queued job whose final failure the engine may have caused waits, unclaimable, until the
-- engine's health is known or this time (unix ms) passes; NULL for every other job.
ALTER TABLE jobs ADD COLUMN held_until INTEGER;
CREATE INDEX ix_jobs_held ON jobs (engine) WHERE held_until IS NOT NULL;
