-- Social sign-in. An identity is a provider's (issuer, subject) pair linked
-- to one user: never an e-mail address, which can change hands.
CREATE TABLE identities (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The provider's id in URLs (google, or a configured name).
    provider     TEXT NOT NULL,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    -- As the provider reported it at the last sign-in; shown, never matched.
    email        TEXT,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL,
    UNIQUE (issuer, subject)
);

CREATE INDEX identities_by_user ON identities (user_id, created_at);

-- Sign-ins in progress, between the redirect to the provider and its
-- callback: in the store, so that any instance can finish one, and deleted
-- as they are used (single use). Only fingerprints (SHA-256) of the state
-- and of the browser-binding cookie are kept.
CREATE TABLE oauth_flows (
    state_hash    TEXT PRIMARY KEY,
    provider      TEXT NOT NULL,
    binding_hash  TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    return_to     TEXT NOT NULL,
    -- 'sign_in', or 'link' for the user in user_id.
    purpose       TEXT NOT NULL,
    user_id       TEXT,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);

CREATE INDEX oauth_flows_by_expiry ON oauth_flows (expires_at);
