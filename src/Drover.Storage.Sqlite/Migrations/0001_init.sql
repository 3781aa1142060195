-- Drover SQLite schema, version 1. Times are INTEGER unix milliseconds (UTC).
-- Costs are INTEGER nano-USD so totals add exactly.

CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    key              TEXT UNIQUE,
    title            TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    priority         INTEGER NOT NULL,
    engine           TEXT    NOT NULL,
    attempt          INTEGER NOT NULL DEFAULT 0,
    failures         INTEGER NOT NULL DEFAULT 0,
    -- retry policy, copied out of the spec so the store decides retries without parsing JSON
    max_attempts     INTEGER NOT NULL,
    backoff_ms       INTEGER NOT NULL,
    max_backoff_ms   INTEGER NOT NULL,
    retry_on         TEXT    NOT NULL,  -- JSON array of failure classes
    worker           TEXT,
    epoch            INTEGER NOT NULL DEFAULT 0,
    class            TEXT,
    reason           TEXT,
    lock_key         TEXT,
    spec_json        TEXT    NOT NULL,
    spec_hash        TEXT    NOT NULL,
    capabilities     TEXT    NOT NULL DEFAULT '[]',
    labels           TEXT    NOT NULL DEFAULT '{}',
    after_ids        TEXT    NOT NULL DEFAULT '[]',
    deps_mode        TEXT    NOT NULL DEFAULT 'hard',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    next_eligible_at INTEGER NOT NULL,
    lease_expires_at INTEGER,
    blocked_on       TEXT,
    question         TEXT,
    answers          TEXT    NOT NULL DEFAULT '[]',
    engine_done      INTEGER NOT NULL DEFAULT 0,
    branch           TEXT,
    head             TEXT,
    diff_files       INTEGER,
    diff_added       INTEGER,
    diff_deleted     INTEGER,
    input_tokens     INTEGER NOT NULL DEFAULT 0,
    cached_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens    INTEGER NOT NULL DEFAULT 0,
    cost_nusd        INTEGER NOT NULL DEFAULT 0,
    cost_source      TEXT    NOT NULL DEFAULT 'unknown',
    model            TEXT,
    summary          TEXT
);

-- The claim query walks this index in order.
CREATE INDEX ix_jobs_claim ON jobs (state, priority DESC, next_eligible_at, id);
-- "Is this lock held?" looks only at running jobs.
CREATE INDEX ix_jobs_lock_running ON jobs (lock_key) WHERE state = 'running' AND lock_key IS NOT NULL;
-- The reaper and lost-worker scans read running jobs through ix_jobs_claim (state = 'running'):
-- few rows, and no extra index for every claim and completion to maintain.

CREATE TABLE job_deps (
    job_id INTEGER NOT NULL REFERENCES jobs (id),
    dep_id INTEGER NOT NULL REFERENCES jobs (id),
    PRIMARY KEY (job_id, dep_id)
) WITHOUT ROWID;

CREATE INDEX ix_job_deps_dep ON job_deps (dep_id, job_id);

CREATE TABLE attempts (
    job_id        INTEGER NOT NULL REFERENCES jobs (id),
    n             INTEGER NOT NULL,
    worker        TEXT    NOT NULL,
    epoch         INTEGER NOT NULL,
    state         TEXT    NOT NULL,
    class         TEXT,
    reason        TEXT,
    exit_code     INTEGER,
    started_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    input_tokens  INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cost_nusd     INTEGER NOT NULL DEFAULT 0,
    cost_source   TEXT    NOT NULL DEFAULT 'unknown',
    model         TEXT,
    head          TEXT,
    diff_files    INTEGER,
    diff_added    INTEGER,
    diff_deleted  INTEGER,
    summary       TEXT,
    log_tail      TEXT,
    PRIMARY KEY (job_id, n)
);

CREATE TABLE workers (
    name              TEXT PRIMARY KEY,
    host              TEXT    NOT NULL,
    pid               INTEGER NOT NULL,
    state             TEXT    NOT NULL,
    slots             INTEGER NOT NULL,
    running           TEXT    NOT NULL DEFAULT '[]',
    capabilities      TEXT    NOT NULL DEFAULT '[]',
    started_at        INTEGER NOT NULL,
    last_heartbeat_at INTEGER NOT NULL
);

-- Append-only: rows are inserted, never updated or deleted (except by a future gc).
CREATE TABLE events (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     INTEGER NOT NULL,
    type   TEXT    NOT NULL,
    job_id INTEGER,
    worker TEXT,
    data   TEXT    NOT NULL
);

CREATE INDEX ix_events_job ON events (job_id, id) WHERE job_id IS NOT NULL;

CREATE TABLE fleet (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    paused    INTEGER NOT NULL DEFAULT 0,
    paused_at INTEGER
);

INSERT INTO fleet (id, paused) VALUES (1, 0);
