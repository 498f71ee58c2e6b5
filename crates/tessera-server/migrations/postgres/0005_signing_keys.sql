-- Signing keys kept in the store (asymmetric JWT_ALGORITHM without
-- JWT_PRIVATE_KEY), shared by every instance. Life cycle:
--   next     published in the JWKS, not signing yet
--   current  signs (exactly one)
--   previous verifies until verifies_until (its last token has expired)
--   retired  no longer used; its private key is wiped
-- The private key is AES-256-GCM ciphertext under TESSERA_ENCRYPTION_KEY
-- (which never enters the database): a dump alone reveals no signing key.
CREATE TABLE signing_keys (
    kid            TEXT PRIMARY KEY,
    alg            TEXT NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('next', 'current', 'previous', 'retired')),
    -- base64url(nonce || ciphertext || tag); empty once retired.
    private_key    TEXT NOT NULL,
    -- The public JWK (JSON), as published.
    public_jwk     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    -- When it may start signing (published one JWKS cache period first),
    -- and, once current, when it did.
    signs_from     BIGINT NOT NULL,
    -- previous: when its last token can have expired.
    verifies_until BIGINT,
    updated_at     BIGINT NOT NULL
);

-- At most one current and one next key: two instances doing the same
-- change at once make one.
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (state) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (state) WHERE state = 'next';
