-- Second factors, and how each session was signed in to.

-- RFC 8176 method names (JSON array), e.g. ["pwd"] or ["pwd","otp","mfa"]:
-- the amr claim of the session's access tokens. Sessions from before this
-- column are unknown ([]), which no requirement on amr accepts.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '[]';

-- One TOTP authenticator per user (RFC 6238). The secret is AES-256-GCM
-- ciphertext under TESSERA_ENCRYPTION_KEY; pending until confirmed with a
-- first code. last_step is the newest time step accepted: a code of that
-- step or an earlier one is never accepted again.
CREATE TABLE mfa_totp (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret       TEXT NOT NULL,
    confirmed_at BIGINT,
    last_step    BIGINT,
    created_at   BIGINT NOT NULL
);

-- Recovery codes: only SHA-256 of each (120 random bits, so no salt is
-- needed), each usable once.
CREATE TABLE mfa_recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    used_at    BIGINT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, code_hash)
);

-- Sign-ins waiting for their second factor (the mfa_token of a password
-- login), in the store so that any instance can finish one. Only SHA-256 of
-- the token is kept; password_fingerprint is SHA-256 of the password hash
-- the password matched, so a password change meanwhile voids it. amr holds
-- the methods already checked.
CREATE TABLE mfa_challenges (
    token_hash           TEXT PRIMARY KEY,
    user_id              TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_fingerprint TEXT,
    amr                  TEXT NOT NULL,
    failures             BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL
);

CREATE INDEX mfa_challenges_by_user ON mfa_challenges (user_id);
CREATE INDEX mfa_challenges_by_expiry ON mfa_challenges (expires_at);
