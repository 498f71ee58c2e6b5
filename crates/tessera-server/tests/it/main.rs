//! The `tessera-server` integration tests: one binary, one module per area.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod cli_explain;
mod cli_init;
mod cli_keygen;
mod cli_token;
mod cli_usage;
mod interop;
mod support;
