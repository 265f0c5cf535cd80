-- Service requests opened from call records (DOMAIN.md, "A call, end to end", step 8).
-- Times are milliseconds since the Unix epoch (UTC); ivr_data is a JSON array of
-- [key, value] pairs in the order the IVR collected them.

-- The last SR number given out per year: SR numbers are SR-<year>-<sequence>. Opening an SR
-- updates this row in the same transaction as the insert, so a rolled-back open leaves no gap.
CREATE TABLE sr_number_counters (
    year        BIGINT PRIMARY KEY,
    last_number BIGINT NOT NULL
);

CREATE TABLE service_requests (
    id                       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    ivr_data                 JSONB NOT NULL DEFAULT '[]'::jsonb,
    queue                    TEXT,
    agent_id                 TEXT,
    call_outcome             TEXT,
    call_started_at_unix_ms  BIGINT,
    call_answered_at_unix_ms BIGINT,
    call_ended_at_unix_ms    BIGINT,
    waited_ms                BIGINT,
    talk_ms                  BIGINT,
    state                    TEXT NOT NULL,
    created_at_unix_ms       BIGINT NOT NULL,
    updated_at_unix_ms       BIGINT NOT NULL
);

CREATE INDEX service_requests_by_state ON service_requests (state, id);
