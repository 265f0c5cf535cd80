-- The audit of administrators' changes to the engine: prompts uploaded, replaced, deleted or
-- restored, IVR scripts activated or restored. Who (login), when (Unix ms, UTC), what (action,
-- subject, the engine's own words). Append only. The login is not a foreign key: the record
-- outlives any change to the user.

CREATE TABLE admin_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at_unix_ms INTEGER NOT NULL,
    login      TEXT NOT NULL,
    -- prompt_added, prompt_replaced, prompt_deleted, prompts_restored, script_activated,
    -- script_restored
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL
);
