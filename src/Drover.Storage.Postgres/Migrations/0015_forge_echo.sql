-- The status echo (SPEC §12): how far the event log has been echoed to issue trackers, and which serve echoes now.
CREATE TABLE forge_echo (
    name          TEXT    NOT NULL PRIMARY KEY,
    event_cursor  BIGINT  NOT NULL,
    holder        TEXT    NOT NULL,
    lease_until   BIGINT  NOT NULL
);
