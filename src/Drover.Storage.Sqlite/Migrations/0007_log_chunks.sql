-- Attempt logs shipped by workers (bounded per attempt), so any host can serve them.
CREATE TABLE log_chunks (
    job_id  INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    pos     INTEGER NOT NULL,
    data    BLOB    NOT NULL,
    PRIMARY KEY (job_id, attempt, pos)
);
