-- The call record [cartellino telefonico] becomes its own table, keyed by the engine's call ID:
-- the CTI facts (arrived, offered, answered, ended) build it, and the service request links to
-- it. An SR without a call (e-mail, web form, a child SR) has no call record.

CREATE TABLE call_records (
    call_id             TEXT PRIMARY KEY NOT NULL,
    -- The caller's own SIP Call-ID, for tracing; not unique (phones may reuse one).
    sip_call_id         TEXT,
    caller_number       TEXT NOT NULL DEFAULT '',
    caller_number_e164  TEXT,
    dialled_number      TEXT NOT NULL DEFAULT '',
    customer            TEXT,
    ivr_data            TEXT NOT NULL DEFAULT '[]',
    queue               TEXT,
    -- The operator who answered; offered_agent_id the last one the call was offered to.
    agent_id            TEXT,
    offered_agent_id    TEXT,
    outcome             TEXT,
    end_reason          TEXT,
    -- How far the call got; set by the call record at the end.
    stage               TEXT,
    started_at_unix_ms  INTEGER,
    offered_at_unix_ms  INTEGER,
    answered_at_unix_ms INTEGER,
    ended_at_unix_ms    INTEGER,
    waited_ms           INTEGER,
    talk_ms             INTEGER
);

INSERT INTO call_records (call_id, caller_number, dialled_number, customer, ivr_data, queue,
    offered_agent_id, outcome, started_at_unix_ms, answered_at_unix_ms, ended_at_unix_ms, waited_ms,
    talk_ms)
SELECT call_id, caller_number, dialled_number, customer, ivr_data, queue, agent_id,
    call_outcome, call_started_at_unix_ms, call_answered_at_unix_ms, call_ended_at_unix_ms,
    waited_ms, talk_ms
FROM service_requests;

CREATE TABLE service_requests_v2 (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    number             TEXT NOT NULL UNIQUE,
    -- One SR per call: the unique index is what makes opening idempotent.
    call_id            TEXT UNIQUE REFERENCES call_records (call_id),
    channel            TEXT NOT NULL,
    service_area       TEXT,
    category           TEXT,
    request_type       TEXT,
    state              TEXT NOT NULL,
    created_at_unix_ms INTEGER NOT NULL,
    updated_at_unix_ms INTEGER NOT NULL
);

INSERT INTO service_requests_v2 (id, number, call_id, channel, service_area, category,
    request_type, state, created_at_unix_ms, updated_at_unix_ms)
SELECT id, number, call_id, channel, service_area, category, request_type, state,
    created_at_unix_ms, updated_at_unix_ms
FROM service_requests;

DROP TABLE service_requests;
ALTER TABLE service_requests_v2 RENAME TO service_requests;

CREATE INDEX service_requests_by_state ON service_requests (state, id);
CREATE INDEX service_requests_by_created ON service_requests (created_at_unix_ms, id);
CREATE INDEX call_records_by_sip_call_id ON call_records (sip_call_id);
CREATE INDEX call_records_by_caller ON call_records (caller_number);
CREATE INDEX call_records_by_caller_e164 ON call_records (caller_number_e164);
CREATE INDEX call_records_by_queue ON call_records (queue);
CREATE INDEX call_records_by_agent ON call_records (agent_id);
