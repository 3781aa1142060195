-- Gateway state shared by every process of a fleet (SPEC §9): circuits, rate-limit counts, budgets.
CREATE TABLE provider_state (
  provider TEXT PRIMARY KEY,
  state TEXT NOT NULL,                 -- closed | open | half_open
  consecutive_failures INTEGER NOT NULL,
  window_start INTEGER NOT NULL,       -- unix ms; a fixed 60 s window for the failure rate
  window_calls INTEGER NOT NULL,
  window_failures INTEGER NOT NULL,
  open_until INTEGER,
  cooldown_ms INTEGER NOT NULL,
  probe_until INTEGER,
  quota_until INTEGER,
  last_error TEXT,
  changed_at INTEGER NOT NULL,
  health TEXT,                         -- up | down: the last probe of a local provider
  health_detail TEXT,
  health_at INTEGER
);

-- One row per admitted call of a provider with limits: rpm/rpd/tpm are counted over these, concurrency over open ones.
CREATE TABLE provider_calls (
  id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  at INTEGER NOT NULL,
  tokens INTEGER NOT NULL,             -- estimate until the call reports
  open INTEGER NOT NULL,               -- 1 while in flight
  expires INTEGER NOT NULL             -- an unreported call stops holding a slot then
);
CREATE INDEX ix_provider_calls ON provider_calls (provider, at);

-- Booked spend per budget scope (job:ID, day:DATE, label:K=V:DATE) and the thresholds already alerted.
CREATE TABLE budget_ledger (
  scope TEXT PRIMARY KEY,
  usd_nano INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  alerted_usd INTEGER NOT NULL,        -- highest percent alerted (0, 80, 100)
  alerted_tokens INTEGER NOT NULL
);

-- Worst-case holds of calls in flight, one row per scope.
CREATE TABLE budget_holds (
  hold INTEGER NOT NULL,
  scope TEXT NOT NULL,
  usd_nano INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  expires INTEGER NOT NULL
);
CREATE INDEX ix_budget_holds_scope ON budget_holds (scope, expires);
CREATE INDEX ix_budget_holds_hold ON budget_holds (hold);

-- Anthropic prompt-cache writes, priced apart from fresh input.
ALTER TABLE spend ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0;
