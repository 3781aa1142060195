-- Attempt logs shipped by workers (bounded per attempt), so any host can serve them.
CREATE TABLE log_chunks (
    job_id  BIGINT  NOT NULL,
    attempt INTEGER NOT NULL,
    pos     BIGINT  NOT NULL,
    data    BYTEA   NOT NULL,
    PRIMARY KEY (job_id, attempt, pos)
);
