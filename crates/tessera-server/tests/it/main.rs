//! The tessera-server integration tests: one binary, a module per area.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub
)]

mod store_support;

mod domain_accounts;
mod domain_admin;
mod domain_revoked;
mod domain_rotation;
mod domain_sessions;
mod domain_settings;
mod store_options;
