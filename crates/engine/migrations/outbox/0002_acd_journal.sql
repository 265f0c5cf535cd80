-- The ACD's journal: every fact of queues and operators (joins, offers, answers, state
-- changes, logins), gap-free by `seq`, written in the same transactions as the call facts.
-- A restart replays it to bring back operators' states and the day's figures.
CREATE TABLE acd_journal (
    seq        INTEGER PRIMARY KEY NOT NULL,
    at_unix_ms INTEGER NOT NULL,
    event      TEXT NOT NULL
);

-- Journals of earlier configurations that could no longer be replayed (queues renamed or
-- removed), kept for reports.
CREATE TABLE acd_journal_archive (
    generation INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    at_unix_ms INTEGER NOT NULL,
    event      TEXT NOT NULL,
    PRIMARY KEY (generation, seq)
);

-- Operators' phone registrations, so that a restart finds the phones where they were.
CREATE TABLE registrations (
    aor                TEXT NOT NULL,
    contact            TEXT NOT NULL,
    source             TEXT NOT NULL,
    expires_at_unix_ms INTEGER NOT NULL,
    call_id            TEXT NOT NULL,
    cseq               INTEGER NOT NULL,
    PRIMARY KEY (aor, contact)
);
