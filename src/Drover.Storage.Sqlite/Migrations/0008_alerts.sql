-- Alerts (one row per raise outside the cooldown of its key) and how far the alert rules have read the event log.
CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    subject      TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    data         TEXT    NOT NULL,
    first_at     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    acked_at     INTEGER,
    delivered_at INTEGER,
    delivery     TEXT
);
CREATE INDEX ix_alerts_key ON alerts (key, id);
CREATE INDEX ix_alerts_open ON alerts (id) WHERE acked_at IS NULL;
ALTER TABLE fleet ADD COLUMN alert_cursor INTEGER NOT NULL DEFAULT 0;
-- Reports read worker and job outcome events over a window by type.
CREATE INDEX ix_events_type_at ON events (type, at);
