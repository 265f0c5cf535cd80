-- Service requests opened from call records (DOMAIN.md, "A call, end to end", step 8).
-- Times are milliseconds since the Unix epoch (UTC); ivr_data is a JSON array of
-- [key, value] pairs in the order the IVR collected them.

-- The last SR number given out per year: SR numbers are SR-<year>-<sequence>.
CREATE TABLE sr_number_counters (
    year        INTEGER PRIMARY KEY NOT NULL,
    last_number INTEGER NOT NULL
);

CREATE TABLE service_requests (
    -- AUTOINCREMENT: an id is never reused, even after a delete.
    id                       INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    number                   TEXT NOT NULL UNIQUE,
    -- One SR per call: the unique index is what makes opening idempotent.
    call_id                  TEXT NOT NULL UNIQUE,
    channel                  TEXT NOT NULL,
    service_area             TEXT,
    category                 TEXT,
    request_type             TEXT,
    caller_number            TEXT NOT NULL,
    dialled_number           TEXT NOT NULL,
    customer                 TEXT,
    ivr_data                 TEXT NOT NULL DEFAULT '[]',
    queue                    TEXT,
    agent_id                 TEXT,
    call_outcome             TEXT,
    call_started_at_unix_ms  INTEGER,
    call_answered_at_unix_ms INTEGER,
    call_ended_at_unix_ms    INTEGER,
    waited_ms                INTEGER,
    talk_ms                  INTEGER,
    state                    TEXT NOT NULL,
    created_at_unix_ms       INTEGER NOT NULL,
    updated_at_unix_ms       INTEGER NOT NULL
);

CREATE INDEX service_requests_by_state ON service_requests (state, id);
