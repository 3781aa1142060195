-- An engine whose provider said "limit reached, resets at T": no job of that engine is claimed before T.
CREATE TABLE engine_gates (
  engine TEXT PRIMARY KEY,
  until INTEGER NOT NULL,      -- unix ms
  reason TEXT NOT NULL,
  set_at INTEGER NOT NULL
);
