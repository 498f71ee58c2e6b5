//! Tessera's integration tests: one binary, one module per area.
//!
//! Run with `cargo test -p tessera --test it`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_precision_loss,
    missing_docs,
    unreachable_pub,
    dead_code
)]

// The token core (TokenCodec, keys, settings), no HTTP.

// Claim rules: exp/nbf/iat and leeway, iss, aud, type, fresh, identity claim, claim types.
mod claims_rules;
// TokenConfig from JWT_* variables: names, defaults, spellings, one-line errors.
mod config;
// The token's encoding: size caps, segments, base64url, UTF-8, JSON depth and spelling.
mod encoding_attacks;
// The JOSE header and signature: alg games, key confusion, kid, crit, ECDSA forgeries, short errors.
mod header_attacks;
// The shared HTTPS client (`remote::HttpsClient`) against a server on 127.0.0.1.
#[cfg(feature = "remote-jwks")]
mod https_client;
// Both ways with the jsonwebtoken crate and PyJWT (PS256/384/512).
mod interop;
// Replacing keys at run time: clones follow, removed keys refused, cache cleared.
mod key_swap;
// Key sets: kid lookup, rotation, thumbprints, JWKS, which JWKs load.
mod keyset;
// Generated cases: no byte flip survives, no input panics.
mod properties;
// RemoteJwks against a real issuer on 127.0.0.1: fetching, caching, key rules, outages.
#[cfg(feature = "remote-jwks")]
mod remote_jwks;
// Every algorithm signs and verifies its own tokens, however its key was loaded.
mod roundtrip;
// Key strength: HMAC secrets (length, placeholders, variety), RSA sizes, Ed25519 small-order points.
mod secrets;
// TokenCodec::decode_shared: the verified-token cache keeps every time and type rule.
mod shared_decode;
// The core tests' harness: fixed keys and time, hand-crafted tokens.
mod support;
// Known answers: RFC 7515 Appendix A and RFC 7520 examples.
mod vectors;

// The axum layer (JwtManager, extractors, layers), through a router.

// ErrorStyle::FlaskCompat: Flask-JWT-Extended's statuses and {"msg": …} bodies.
mod axum_compat;
// Cookies as set and unset, and the double-submit CSRF check.
mod axum_cookies;
// Each AuthError's status, body and WWW-Authenticate; error responders; error sources.
mod axum_errors;
// Where tokens are read: each location, precedence, fall-through, the body layer.
mod axum_locations;
// The manager: JwtConfig from variables, issuing options, loaders, key hooks, decoding.
mod axum_manager;
// ImplicitRefreshLayer: which responses get a renewed access cookie, and which never do.
mod axum_refresh;
// Route kinds (fresh, refresh, optional, any), OPTIONS, revocation, CurrentUser, role guard.
mod axum_routes;
// RequireAmr: the amr claim (RFC 8176) lets in or refuses with 403 insufficient_authentication.
mod axum_amr;
// The axum tests' harness: manager on a manual clock, standard router, the one request helper.
mod axum_support;
// JwtManager::verify_headers for gateways and forward auth.
mod axum_verify_headers;
