-- Schedules (SPEC §12): a cron expression in a time zone and a job template; next_at is the tick every serve races to
-- claim with a compare-and-set, so each tick makes one job across a fleet.
CREATE TABLE schedules (
    name          TEXT    PRIMARY KEY,
    cron          TEXT    NOT NULL,
    timezone      TEXT    NOT NULL,
    template      TEXT    NOT NULL,
    overlap       TEXT    NOT NULL,
    catch_up      TEXT    NOT NULL,
    from_config   BIGINT  NOT NULL DEFAULT 0,
    next_at       BIGINT  NOT NULL,
    last_job_id   BIGINT,
    last_tick_at  BIGINT,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
