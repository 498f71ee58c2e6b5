-- Tessera's schema for PostgreSQL; the same shape as the SQLite one. Only
-- BIGINT and TEXT columns: the store reads both backends through one query
-- layer, and every timestamp is Unix seconds.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL,
    -- NFKC + lowercase of the username: case-insensitive uniqueness.
    username_key  TEXT NOT NULL UNIQUE,
    email         TEXT,
    -- PHC string; NULL for accounts that cannot sign in with a password.
    password_hash TEXT,
    -- JSON array of role names.
    roles         TEXT NOT NULL DEFAULT '[]',
    disabled_at   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT NOT NULL,
    -- Absolute end of the session; rotation never moves it.
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT,
    refresh_jti    TEXT NOT NULL,
    previous_jti   TEXT,
    rotated_at     BIGINT,
    user_agent     TEXT,
    ip             TEXT
);

CREATE INDEX sessions_by_user ON sessions (user_id, created_at);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- Revoked session ids (kind 'session') and access-token jtis (kind 'access')
-- that may still be presented: the in-memory revoked set is loaded from here.
CREATE TABLE revocations (
    kind       TEXT NOT NULL,
    token_id   TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL,
    PRIMARY KEY (kind, token_id)
);

CREATE INDEX revocations_by_expiry ON revocations (expires_at);
CREATE INDEX revocations_by_time ON revocations (revoked_at);

-- No foreign keys: the trail outlives the users and sessions it mentions.
CREATE TABLE audit_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    user_id    TEXT,
    session_id TEXT,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '{}'
);

CREATE INDEX audit_events_by_user ON audit_events (user_id, id);
CREATE INDEX audit_events_by_kind ON audit_events (kind, id);
