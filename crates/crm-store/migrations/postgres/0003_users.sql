-- The staff who log in to the CRM's HTTP API, their roles, and their sessions.
-- Times are milliseconds since the Unix epoch (UTC).

CREATE TABLE users (
    -- 1 to 64 of a-z, 0-9, '.', '_', '-'; the actor ID in a case's history.
    login              TEXT PRIMARY KEY,
    -- Display name (personal data: never logged).
    name               TEXT NOT NULL,
    -- PHC string of an argon2 hash; never the password itself.
    password_hash      TEXT NOT NULL,
    enabled            BOOLEAN NOT NULL DEFAULT TRUE,
    -- 'config': from the configuration file, which wins at every start; 'api': created over
    -- the API and kept.
    managed_by         TEXT NOT NULL,
    created_at_unix_ms BIGINT NOT NULL,
    updated_at_unix_ms BIGINT NOT NULL
);

-- One row per role a user holds; a second-level member has one row per group
-- (group_code is '' for every other role).
CREATE TABLE user_roles (
    login      TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    group_code TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (login, role, group_code)
);

CREATE INDEX user_roles_by_group ON user_roles (group_code, role);

-- Logged-in sessions. Only the SHA-256 of a token is kept (hex): a copy of the database does
-- not let anyone act as the staff.
CREATE TABLE sessions (
    token_hash           TEXT PRIMARY KEY,
    login                TEXT NOT NULL REFERENCES users (login) ON DELETE CASCADE,
    created_at_unix_ms   BIGINT NOT NULL,
    expires_at_unix_ms   BIGINT NOT NULL,
    last_used_at_unix_ms BIGINT NOT NULL
);

CREATE INDEX sessions_by_login ON sessions (login, created_at_unix_ms);
CREATE INDEX sessions_by_expiry ON sessions (expires_at_unix_ms);
