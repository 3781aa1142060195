-- [fleet] max_running, written by serve at start so every worker of the fleet claims under one cap; 0 = no cap.
ALTER TABLE fleet ADD COLUMN max_running INTEGER NOT NULL DEFAULT 0;
-- The failure-rate breaker of each engine (SPEC §5).
CREATE TABLE engine_breakers (
  engine TEXT PRIMARY KEY,
  recent TEXT NOT NULL,            -- the last 5 attempts, oldest first: F<job id> failed for the engine, o anything else
  state TEXT NOT NULL,             -- closed | open | probing
  trips INTEGER NOT NULL,          -- trips since it last closed: the cool-down doubles with each
  until BIGINT,                    -- open: the cool-down ends (unix ms)
  reason TEXT,                     -- the last failure that counted
  probe_job BIGINT,                -- probing: the job whose attempt decides
  updated_at BIGINT NOT NULL
);
