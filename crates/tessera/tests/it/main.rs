//! Tessera's integration tests: one binary, one module per area.
//!
//! Run with `cargo test -p tessera --test it`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod claims_rules;
mod config;
mod encoding_attacks;
mod header_attacks;
mod interop;
mod keyset;
mod properties;
mod review;
mod roundtrip;
mod secrets;
mod support;
mod vectors;
