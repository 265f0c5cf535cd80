-- The engine's durable outbox: the facts of every call, written before the engine acts on
-- them, delivered to the CRM in order, and kept until the CRM has them.

-- Small counters: `boot_epoch` (the last boot's epoch, so call IDs never repeat) and
-- `alive_at` (the last time the engine was known running, for calls a crash interrupted).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);

-- Facts waiting for the CRM, in order (seq). `payload` is the fact as JSON.
CREATE TABLE outbox (
    seq                INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    call_id            TEXT NOT NULL,
    kind               TEXT NOT NULL,
    payload            TEXT NOT NULL,
    created_at_unix_ms INTEGER NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT
);

-- Facts the CRM refused for good, with its reason: for an administrator to look at, fix and
-- retry. They never block the facts after them.
CREATE TABLE dead_letters (
    seq                INTEGER PRIMARY KEY NOT NULL,
    call_id            TEXT NOT NULL,
    kind               TEXT NOT NULL,
    payload            TEXT NOT NULL,
    created_at_unix_ms INTEGER NOT NULL,
    failed_at_unix_ms  INTEGER NOT NULL,
    reason             TEXT NOT NULL
);

-- Every call in progress, as far as it got: what a restart after a crash needs to close it
-- with a truthful record. A call's row goes when its call record is written.
CREATE TABLE live_calls (
    call_id            TEXT PRIMARY KEY NOT NULL,
    snapshot           TEXT NOT NULL,
    updated_at_unix_ms INTEGER NOT NULL
);
