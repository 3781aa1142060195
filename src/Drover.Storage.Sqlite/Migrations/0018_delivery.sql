-- Delivery (SPEC §12): a succeeded job's branch pushed and its pull request opened, a state of its own beside the
-- job's. delivery: NULL (nothing asked) | pending | delivered | failed; delivery_mode: push | pr | pr_draft;
-- delivery_host: the host whose repository (or mirror) holds the job's branch, the only one that can push it;
-- delivery_epoch fences the host's delivery writes like a job's epoch fences its attempt; delivery_lease (unix ms)
-- is when a claimed delivery is free to claim again (its host died mid-way); delivery_pr: the pull request's number.
ALTER TABLE jobs ADD COLUMN delivery TEXT;
ALTER TABLE jobs ADD COLUMN delivery_mode TEXT;
ALTER TABLE jobs ADD COLUMN delivery_host TEXT;
ALTER TABLE jobs ADD COLUMN delivery_url TEXT;
ALTER TABLE jobs ADD COLUMN delivery_reason TEXT;
ALTER TABLE jobs ADD COLUMN delivery_tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN delivery_next_at INTEGER;
ALTER TABLE jobs ADD COLUMN delivery_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN delivery_lease INTEGER;
ALTER TABLE jobs ADD COLUMN delivery_pr INTEGER;
CREATE INDEX ix_jobs_delivery_pending ON jobs (delivery_host, delivery_next_at) WHERE delivery = 'pending';
