-- One row per gateway request (SPEC §9): who spent what where. Never prompt or completion text.
CREATE TABLE spend (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,              -- unix ms
  job_id INTEGER,                   -- null: not attributed to a job (an operator's own call)
  attempt INTEGER,
  provider TEXT,                    -- null when every provider failed
  model TEXT NOT NULL,              -- what the client asked for
  upstream_model TEXT,
  outcome TEXT NOT NULL,            -- ok | client_error | cut_mid_stream | all_failed
  status INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,    -- fresh input
  cached_input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_nusd INTEGER,                -- null: unpriced (flagged, never counted as $0)
  latency_ms REAL NOT NULL,
  first_token_ms REAL
);
CREATE INDEX ix_spend_at ON spend (at);
CREATE INDEX ix_spend_job ON spend (job_id) WHERE job_id IS NOT NULL;
