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
mod cli_serve;
mod cli_token;
mod cli_usage;
mod interop;
// A real OpenID provider (node, tests/oidc-provider) and a browser-like client.
mod oidc_support;
// The provider fixture on its own: flows, keys, rotation, misbehaviour.
mod oidc_provider;
mod store_support;
mod store_tls;
mod support;

mod domain_accounts;
mod domain_admin;
mod domain_fanout;
mod domain_revoked;
mod domain_rotation;
mod domain_sessions;
mod domain_settings;
mod store_options;

mod http_accounts;
mod http_admin;
mod http_bad_input;
mod http_ops;
mod http_outage;
mod http_rate_limits;
mod http_refresh;
mod http_serve;
mod http_sessions;
// Social sign-in against the real OpenID provider.
mod http_social;
mod http_support;
mod http_verify;
