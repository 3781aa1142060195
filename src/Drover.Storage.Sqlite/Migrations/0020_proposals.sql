-- Proposals (SPEC §12): one row per proposal key. job_id is the blocked job it made (NULL only inside the
-- transaction that makes it); rejected_at keeps a rejected key from being proposed again for [proposals] remember.
CREATE TABLE proposals (
    key          TEXT    PRIMARY KEY,
    job_id       INTEGER,
    proposed_by  INTEGER NOT NULL,
    proposed_at  INTEGER NOT NULL,
    rejected_at  INTEGER
);
CREATE INDEX ix_proposals_job ON proposals (job_id);
CREATE INDEX ix_proposals_proposed_at ON proposals (proposed_at);
