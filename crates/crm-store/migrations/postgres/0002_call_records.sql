-- The call record [cartellino telefonico] becomes its own table, keyed by the engine's call ID:
-- the CTI facts (arrived, offered, answered, ended) build it, and the service request links to
-- it. An SR without a call (e-mail, web form, a child SR) has no call record.

CREATE TABLE call_records (
    call_id             TEXT PRIMARY KEY,
    -- The caller's own SIP Call-ID, for tracing; not unique (phones may reuse one).
    sip_call_id         TEXT,
    caller_number       TEXT NOT NULL DEFAULT '',
    caller_number_e164  TEXT,
    dialled_number      TEXT NOT NULL DEFAULT '',
    customer            TEXT,
    ivr_data            JSONB NOT NULL DEFAULT '[]'::jsonb,
    queue               TEXT,
    -- The operator who answered; offered_agent_id the last one the call was offered to.
    agent_id            TEXT,
    offered_agent_id    TEXT,
    outcome             TEXT,
    end_reason          TEXT,
    -- How far the call got; set by the call record at the end.
    stage               TEXT,
    started_at_unix_ms  BIGINT,
    offered_at_unix_ms  BIGINT,
    answered_at_unix_ms BIGINT,
    ended_at_unix_ms    BIGINT,
    waited_ms           BIGINT,
    talk_ms             BIGINT
);

INSERT INTO call_records (call_id, caller_number, dialled_number, customer, ivr_data, queue,
    offered_agent_id, outcome, started_at_unix_ms, answered_at_unix_ms, ended_at_unix_ms, waited_ms,
    talk_ms)
SELECT call_id, caller_number, dialled_number, customer, ivr_data, queue, agent_id,
    call_outcome, call_started_at_unix_ms, call_answered_at_unix_ms, call_ended_at_unix_ms,
    waited_ms, talk_ms
FROM service_requests;

ALTER TABLE service_requests
    DROP COLUMN caller_number,
    DROP COLUMN dialled_number,
    DROP COLUMN customer,
    DROP COLUMN ivr_data,
    DROP COLUMN queue,
    DROP COLUMN agent_id,
    DROP COLUMN call_outcome,
    DROP COLUMN call_started_at_unix_ms,
    DROP COLUMN call_answered_at_unix_ms,
    DROP COLUMN call_ended_at_unix_ms,
    DROP COLUMN waited_ms,
    DROP COLUMN talk_ms,
    ALTER COLUMN call_id DROP NOT NULL,
    ADD FOREIGN KEY (call_id) REFERENCES call_records (call_id);

CREATE INDEX service_requests_by_created ON service_requests (created_at_unix_ms, id);
CREATE INDEX call_records_by_sip_call_id ON call_records (sip_call_id);
CREATE INDEX call_records_by_caller ON call_records (caller_number);
CREATE INDEX call_records_by_caller_e164 ON call_records (caller_number_e164);
CREATE INDEX call_records_by_queue ON call_records (queue);
CREATE INDEX call_records_by_agent ON call_records (agent_id);
