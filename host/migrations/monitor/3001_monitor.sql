-- Health monitoring (host/src/monitor): the state of every watched service,
-- every status change, periodic check samples and the webhook outbox.
-- Times are milliseconds since 1970-01-01 UTC.

-- One row per service ever watched: its status and the hysteresis counters,
-- so a restart neither forgets an outage in progress nor re-announces it.
CREATE TABLE monitor_service (
    name           TEXT PRIMARY KEY,
    provider       TEXT,
    status         TEXT NOT NULL CHECK (status IN ('unknown', 'online', 'offline')),
    -- Consecutive failed / good checks (one of the two is always 0).
    failures       INTEGER NOT NULL DEFAULT 0,
    successes      INTEGER NOT NULL DEFAULT 0,
    last_check_ms  INTEGER,
    last_result    TEXT,
    last_error     TEXT,
    last_sample_ms INTEGER
);

-- Every status change; uptime is computed from these.
CREATE TABLE monitor_change (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL UNIQUE,
    service     TEXT NOT NULL,
    provider    TEXT,
    from_status TEXT NOT NULL,
    to_status   TEXT NOT NULL,
    at_ms       INTEGER NOT NULL,
    reason      TEXT NOT NULL
);
CREATE INDEX monitor_change_by_service ON monitor_change (service, at_ms);

-- Check results, at most one per service per sampling period, plus the
-- check that decided each change.
CREATE TABLE monitor_sample (
    service    TEXT NOT NULL,
    at_ms      INTEGER NOT NULL,
    status     TEXT NOT NULL,
    result     TEXT NOT NULL,
    latency_ms INTEGER NOT NULL,
    error      TEXT,
    PRIMARY KEY (service, at_ms)
) WITHOUT ROWID;
CREATE INDEX monitor_sample_by_time ON monitor_sample (at_ms);

-- One notification per change and recipient, written in the same
-- transaction as the change and deleted only by retention.
CREATE TABLE monitor_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL,
    url             TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_ms      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    last_error      TEXT,
    delivered_ms    INTEGER,
    UNIQUE (event_id, url)
);
CREATE INDEX monitor_outbox_pending ON monitor_outbox (url, id) WHERE delivered_ms IS NULL;
