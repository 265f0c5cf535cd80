-- The service request becomes a case the desk can work (docs/service-requests.md): its
-- status with the data of that status, where it is queued, who owns, oversees and holds it,
-- its classification, its parent, its satisfaction score, and an append-only history of
-- every change. The crate `service-request` decides every change; this schema keeps it.
--
-- The case sits in its own table keyed by the SR's id rather than in `service_requests`:
-- the SR row is what the CTI facts write (number, call, IVR classification), the case row is
-- what people write, under its own revision. The SR's old `state` column moves here.

CREATE TABLE cases (
    sr_id                   BIGINT PRIMARY KEY REFERENCES service_requests (id),
    -- phone, email, web_form, fax, voicemail (service_request::Channel).
    channel                 TEXT NOT NULL,
    -- Personal data: the caller's number (E.164 when known) and the identified customer.
    caller_number           TEXT,
    customer                TEXT,
    opened_at_unix_ms       BIGINT NOT NULL,
    updated_at_unix_ms      BIGINT NOT NULL,
    -- How many history entries the case has: the version for optimistic concurrency.
    revision                BIGINT NOT NULL CHECK (revision >= 1),
    -- The status and its data: only the valid combinations are accepted.
    state                   TEXT NOT NULL CHECK (state IN ('open', 'resolved_first_level',
                                'resolved_second_level', 'assigned', 'transferred',
                                'assigned_resolved', 'cancelled', 'not_resolvable', 'rejected',
                                'suspended')),
    communication           TEXT CHECK (communication IN ('communicated', 'not_communicated',
                                'to_communicate', 'not_communicable')),
    cancel_reason           TEXT,
    reject_reason           TEXT,
    -- Personal data: free text of the rejecting group and of the suspension.
    reject_detail           TEXT,
    suspend_reason          TEXT,
    suspended_until_unix_ms BIGINT,
    -- success or without_success once the case is closed; NULL while it is open.
    outcome                 TEXT CHECK (outcome IN ('success', 'without_success')),
    queue                   TEXT NOT NULL,
    first_level_queue       TEXT NOT NULL,
    service                 TEXT,
    contact_reason          TEXT,
    owner                   TEXT,
    responsible             TEXT,
    lock_holder             TEXT,
    locked_since_unix_ms    BIGINT,
    satisfaction            INTEGER CHECK (satisfaction BETWEEN 1 AND 5),
    CHECK ((state IN ('resolved_first_level', 'resolved_second_level'))
           = (communication IS NOT NULL)),
    CHECK ((state = 'cancelled') = (cancel_reason IS NOT NULL)),
    CHECK ((state = 'rejected') = (reject_reason IS NOT NULL)),
    CHECK ((state = 'rejected') = (reject_detail IS NOT NULL)),
    CHECK ((state = 'suspended') = (suspend_reason IS NOT NULL)),
    CHECK (state = 'suspended' OR suspended_until_unix_ms IS NULL),
    CHECK ((lock_holder IS NULL) = (locked_since_unix_ms IS NULL))
);

-- Operators' inboxes: newest first by queue, state, owner or service.
CREATE INDEX cases_by_queue ON cases (queue, sr_id);
CREATE INDEX cases_by_state ON cases (state, sr_id);
CREATE INDEX cases_by_owner ON cases (owner, sr_id);
CREATE INDEX cases_by_service ON cases (service, sr_id);

-- Every change of every case, in order: the case is exactly the replay of these rows.
CREATE TABLE case_history (
    sr_id       BIGINT NOT NULL REFERENCES cases (sr_id),
    -- From 0 (the opening); equals the case's revision before the change.
    seq         BIGINT NOT NULL CHECK (seq >= 0),
    at_unix_ms  BIGINT NOT NULL,
    actor_id    TEXT NOT NULL,
    -- first_level, second_level (with actor_group), rejections, supervisor, system.
    actor_role  TEXT NOT NULL,
    actor_group TEXT,
    -- The change's name (opened, status_changed, note_added, ...) and the typed change with
    -- its old and new values (service_request::Change as JSON; may hold personal data).
    kind        TEXT NOT NULL,
    change      JSONB NOT NULL,
    -- The old and new value in words, for reports and audits in SQL (a state name, a queue,
    -- a login); NULL where the value is free text.
    old_value   TEXT,
    new_value   TEXT,
    PRIMARY KEY (sr_id, seq)
);

-- Append-only: a history that could be edited would prove nothing.
CREATE FUNCTION case_history_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_history is append-only';
END;
$$;
CREATE TRIGGER case_history_append_only BEFORE UPDATE OR DELETE ON case_history
    FOR EACH ROW EXECUTE FUNCTION case_history_is_append_only();

-- Parents and children: a child has at most one parent; a parent lists its children in the
-- order they were attached (the position of the child_linked entry in its history).
CREATE TABLE case_links (
    child_id   BIGINT PRIMARY KEY REFERENCES cases (sr_id),
    parent_id  BIGINT NOT NULL REFERENCES cases (sr_id),
    -- reminder, notification, duplicate, information_about.
    kind       TEXT NOT NULL,
    parent_seq BIGINT NOT NULL,
    CHECK (child_id <> parent_id)
);
CREATE INDEX case_links_by_parent ON case_links (parent_id, parent_seq);

-- Every SR so far was opened by a call and left open: it becomes an open case of the
-- platform's, in the queue its call reached, or in the intake desk if it reached none (the
-- first first-level group of the demo catalogue; a deployment that names its intake desk
-- otherwise moves them from there).
INSERT INTO cases (sr_id, channel, caller_number, customer, opened_at_unix_ms,
    updated_at_unix_ms, revision, state, queue, first_level_queue)
SELECT sr.id,
    CASE WHEN sr.channel IN ('phone', 'email', 'web_form', 'fax', 'voicemail')
         THEN sr.channel ELSE 'phone' END,
    COALESCE(NULLIF(c.caller_number_e164, ''), NULLIF(c.caller_number, '')),
    c.customer,
    sr.created_at_unix_ms, sr.created_at_unix_ms, 1, 'open',
    COALESCE(NULLIF(c.queue, ''), 'intake'), COALESCE(NULLIF(c.queue, ''), 'intake')
FROM service_requests sr LEFT JOIN call_records c ON c.call_id = sr.call_id;

INSERT INTO case_history (sr_id, seq, at_unix_ms, actor_id, actor_role, kind, change,
    new_value)
SELECT sr_id, 0, opened_at_unix_ms, 'system', 'system', 'opened',
    jsonb_build_object('change', 'opened', 'channel', channel, 'queue', queue,
        'caller_number', caller_number, 'customer', customer),
    queue
FROM cases;

ALTER TABLE service_requests DROP COLUMN state;
