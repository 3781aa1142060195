-- Tool calls an approval rule said to ask about (SPEC §13): pending until decided; decisions with always = 1 are
-- rules the job keeps for the rest of its run.
CREATE TABLE approvals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id      INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    tool        TEXT    NOT NULL,
    pattern     TEXT    NOT NULL,
    arguments   TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER,
    decision    TEXT,
    decided_by  TEXT,
    always      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ix_approvals_job ON approvals (job_id, id);
CREATE INDEX ix_approvals_pending ON approvals (id) WHERE decided_at IS NULL;
