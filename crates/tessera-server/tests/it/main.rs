//! The `tessera-server` integration tests: one binary, one module per area.
//!
//! Run with `cargo test -p tessera-server --test it`; with
//! `TESSERA_TEST_POSTGRES_URL` set, the backend tests run on PostgreSQL too.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

// The `tessera` binary as a process, and the store underneath.

// `tessera token explain`: each check on the user's own token, the signature recomputed.
mod cli_explain;
// `tessera init`: a strong secret in an owner-only `.env`, never clobbered by accident.
mod cli_init;
// `tessera keygen`: HMAC secrets sized to the hash, PEM pairs that sign and verify.
mod cli_keygen;
// Many `tessera serve` processes on one database, and one killed mid-load.
mod http_cluster;
// `tessera keys list | rotate | retire` on keys kept in the store; init writes the encryption key.
mod cli_keys;
// `tessera serve` as a process: zero-config start, a real request, a clean exit on SIGTERM.
mod cli_serve;
// `TESSERA_LOG_FORMAT=json`: one JSON object per line, request ids, no secrets.
mod cli_log_format;
// `tessera token issue | verify | decode` against the configured keys.
mod cli_token;
// Help on every command, and usage mistakes as one line.
mod cli_usage;
// A real nginx balancing two instances and guarding an app with the README's snippet.
mod nginx_lb;
// The nginx tests' harness: a private nginx as the current user, the README's snippet.
mod nginx_support;
// Tokens both ways with PyJWT and Flask-JWT-Extended under the same secret.
mod interop;
// A fake of Facebook's Graph API (its answers and error format) on 127.0.0.1.
mod facebook_graph;
// A real OpenID provider (node, tests/oidc-provider) and a browser-like client.
mod oidc_support;
// The provider fixture on its own: flows, keys, rotation, misbehaviour.
mod oidc_provider;
// The cluster tests' harness: `tessera serve` processes on one database.
mod cluster_support;
// The Redis tests' harness: the machine's Redis with a prefix per test, a private redis-server to kill.
mod redis_support;
// Redis rate limits (the Lua window, atomic across instances, memory while down) and the pub/sub feed.
mod redis_limits;
mod redis_tls;
// The store and domain tests' harness: each behaviour on SQLite, and on PostgreSQL when set.
mod store_support;
// PostgreSQL over TLS by `sslmode`: `require` encrypts, `verify-full` checks the certificate.
mod store_tls;
// The process tests' harness: a throw-away project directory and the built binary.
mod support;

// The domain (AuthService) over a real store, no HTTP; each on every backend.

// Registration, login and password changes.
mod domain_accounts;
// Admin operations on users and the audit trail.
mod domain_admin;
// Refreshes committed together: all stored, one winner per token, a failed batch fails every waiter.
mod domain_group_commit;
// Provider identities: the last way to sign in survives simultaneous unlinks.
mod domain_identities;
// Revocations reaching other instances: the feed at once, the resync as a backstop.
mod domain_fanout;
// The in-memory revoked set: checks, restarts, other instances, pruning.
mod domain_revoked;
// Refresh-token rotation, reuse detection, the grace window, races, the absolute lifetime.
mod domain_rotation;
// Logout scopes, session listing and ending.
mod domain_sessions;
// `TESSERA_*` account and session settings (spellings, one-line errors) and the password policy.
mod domain_settings;
// Choosing and opening the store from `DATABASE_URL`.
mod store_options;
// What docs/deploy.md promises: backups taken while serving restore; instances starting together migrate once.
mod ops_deploy;

// The HTTP API, through the real router.

// CORS: off by default; listed origins only, with credentials, never `*`; preflights answered.
mod edge_cors;
// Headers on every response: no-store on tokens and personal data, nosniff, no-referrer, HSTS, 401 challenges.
mod edge_headers;
// Connection limits: HTTP/2's announced stream and header-list limits, oversized HTTP/1.1 heads.
mod edge_limits;
// `TESSERA_METRICS_BIND`: `/metrics` on a private listener and not on the public one.
mod edge_metrics_bind;
// Smuggling and parsing: conflicting framing, duplicate or ambiguous headers, non-ASCII bytes: a 400.
mod edge_parsing;
// The edge tests' harness: the server on a real socket and a raw HTTP/1.1 client.
mod edge_support;
// Slow and greedy clients: slowloris, idle connections, endless bodies, the connection cap, a login flood.
mod edge_timeouts;

// The amr claim: how the session signed in, kept across refreshes, listed with the sessions.
mod http_amr;
// TOTP: enrol, confirm, turn off, recovery codes, admin reset, bad input on each endpoint.
mod mfa_totp;
// The second step of sign-in: codes once only, drift, recovery codes, five strikes, expiry.
mod mfa_login;
// TESSERA_MFA_REQUIRED_ROLES: roles withheld until a second factor.
mod mfa_policy;
// The second-factor tests' harness: an encryption key, TOTP codes from Python's hmac.
mod mfa_support;
// Registering and logging in: username and password rules, one answer for every failed login.
mod http_accounts;
// `/admin/…`: who may call it, users, roles, disabling, deleting, sessions, the audit trail.
mod http_admin;
// Each class of bad input gets its own status and `{error, message}` body, never a 500.
mod http_bad_input;
// `GET /auth/me` from the user cache: every change shows at once, here and on another instance.
mod http_me_cache;
// Health, readiness, metrics, JWKS, discovery, and `/openapi.json` checked against the router.
mod http_ops;
// A database that goes away: 503 `store_unavailable` with `Retry-After`, then recovery.
mod http_outage;
// Credential rate limits a client cannot step around, and the admin unlock.
mod http_rate_limits;
// `X-Request-Id`: kept from a trusted proxy when sound, else made; on every answer.
mod http_request_ids;
// `/metrics`: the request-duration histogram by route template, store latency, the hooks.
mod http_metrics;
// `POST /auth/refresh`: rotation, reuse, grace, parallel refreshes, where the token comes from.
mod http_refresh;
// Two instances on one store and Redis: feed, shared limits, unlock, a Redis killed mid-run.
mod http_redis;
// The server on a real socket: client addresses, and a shutdown that lets requests finish.
mod http_serve;
// Logout scopes, a user's own sessions, password changes, what survives a restart.
mod http_sessions;
// Sign in with Facebook: the fixture as its dialog, the fake Graph, Limited Login.
mod http_facebook;
// Social sign-in against the real OpenID provider.
mod http_social;
// Passkeys with a software authenticator: register, sign in without a password, clones and bad answers refused.
#[cfg(feature = "passkeys")]
mod http_passkeys;
// A software passkey (ES256, resident, user-verifying) answering WebAuthn options as a browser would.
#[cfg(feature = "passkeys")]
mod passkey_support;
// A passkey as the second factor after a password: bound to its user and mfa_token, strikes, roles.
#[cfg(feature = "passkeys")]
mod mfa_passkey;
// The HTTP tests' harness: the router wired as `tessera serve` wires it, from explicit values.
mod http_support;
// `GET /auth/verify` (forward auth): headers for a good token, 401 otherwise, the CSRF check.
mod http_verify;
// Signing keys kept in the store: first start, rotation, retirement, encryption at rest.
mod keys_stored;
// Two instances on one PostgreSQL: a rotation reaches both and a RemoteJwks resource server, no failed request.
mod keys_instances;

// The security suite (SECURITY.md maps every catalogue entry to a test).

// A thousand guesses from one address, one IPv6 /64, two instances on Redis: only the limit is checked.
mod security_brute_force;
// Unknown user, wrong password and disabled account take the same time (medians, interleaved).
mod security_timing;
// Arbitrary bytes and JSON at every endpoint that reads a body: a 4xx JSON error, never a 5xx.
mod security_properties;
// Session fixation: a login never adopts the session a client brings.
mod security_sessions;
// Every token attack gets a 401 from the server and fools a deliberately weak verifier.
mod security_tokens;
// A verifier with the classic JWT bugs, in the tests only: proof each attack case can fail.
mod weak_verifier;

// The sign-in portal (`/login`, `/register`, `/account`, `/logout`).

// Over plain HTTP: page headers, CSRF refusals, escaping, closed registration, rd, refresh, sign-out.
mod pages_http;
// Forward auth for browsers: /auth/verify?redirect=1 to /login?rd= and back.
mod pages_forward_auth;
// The README's nginx `error_page 401 = @login` recipe in a real nginx.
mod pages_nginx_login;
// The /admin pages: role check, CSRF, the actions, escaping, rd back after sign-in.
mod pages_admin;
// The account page's linked providers: link/unlink through the real OpenID provider.
mod pages_providers;
// The portal's two-step sign-in: the code page after the password, set-up with the QR code, turn off, new recovery codes.
mod pages_mfa;
// The flows in a real Chromium (playwright-core), on a real socket at http://localhost:PORT.
mod pages_browser;
// Passkeys in a real Chromium (virtual authenticator over the DevTools Protocol) at http://localhost:PORT.
#[cfg(feature = "passkeys")]
mod passkeys_browser;
// A cookie-keeping, form-posting client for the page tests.
mod pages_support;
