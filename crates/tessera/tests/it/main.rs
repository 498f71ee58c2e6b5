//! tests
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    unreachable_pub,
    dead_code
)]

mod axum_compat;
mod axum_cookies;
mod axum_errors;
mod axum_locations;
mod axum_manager;
mod axum_refresh;
mod axum_routes;
mod axum_support;
