-- Passkeys (WebAuthn discoverable credentials). The credential as the
-- WebAuthn library serialises it (public key, algorithm, flags) is kept
-- whole in `credential`; the signature counter also has a column of its own
-- so that a sign-in can advance it with a compare-and-swap.
CREATE TABLE passkeys (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The authenticator's credential id, base64url without padding.
    credential_id TEXT NOT NULL UNIQUE,
    credential    TEXT NOT NULL,
    -- The owner's label ("Laptop", "Phone").
    name          TEXT NOT NULL,
    sign_count    BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT
);

CREATE INDEX passkeys_by_user ON passkeys (user_id, created_at);

-- WebAuthn ceremonies in progress (between start and finish): in the store,
-- so that one can start on one instance and finish on another, and deleted
-- as they are used (single use). `state` is the library's serialised
-- ceremony state (the challenge and what it allows).
CREATE TABLE passkey_ceremonies (
    id         TEXT PRIMARY KEY,
    -- 'register', 'sign_in' or 'second_factor'.
    purpose    TEXT NOT NULL,
    -- The user registering, or signing in with a second factor.
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX passkey_ceremonies_by_expiry ON passkey_ceremonies (expires_at);
