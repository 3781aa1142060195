-- Forge webhook deliveries (SPEC §12): one row per delivery id, so a redelivery is answered as a duplicate.
CREATE TABLE webhook_deliveries (
    source       TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    event        TEXT    NOT NULL,
    received_at  INTEGER NOT NULL,
    outcome      TEXT    NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE INDEX ix_webhook_deliveries_received ON webhook_deliveries (received_at);
