//! Tessera's integration tests: one binary, one module per area.
//!
//! Run with `cargo test -p tessera --test it`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub,
    dead_code
)]

mod claims_rules;
mod config;
mod encoding_attacks;
mod header_attacks;
mod interop;
mod keyset;
mod properties;
#[cfg(feature = "remote-jwks")]
mod remote_jwks;
mod review;
mod roundtrip;
mod secrets;
mod shared_decode;
mod support;
mod vectors;

mod axum_compat;
mod axum_cookies;
mod axum_errors;
mod axum_locations;
mod axum_manager;
mod axum_refresh;
mod axum_routes;
mod axum_support;
mod axum_verify_headers;
