//! Tessera's auth service as a library, and its `tessera` command line:
//! accounts, sessions with refresh rotation, revocation and audit over an
//! SQLite or PostgreSQL store, served as a JSON API.
//!
//! # Brief overview
//!
//! The service is a stack of layers; each imports only layers below it.
//!
//! - [`cli`] parses the `tessera` command line and runs one command;
//!   `tessera serve` hands over to [`serve`].
//! - [`serve`] reads the environment ([`env_file`], [`server_config`]),
//!   binds, and runs the router with its background tasks (following the
//!   revocation feed, the periodic resync, housekeeping) until a signal.
//!   [`accept`] serves the connections: hyper's HTTP/1.1 and HTTP/2 with
//!   the timeouts, the connection cap and the limits of [`edge_settings`].
//! - [`app`] builds the router's [`http::AppState`] from explicit parts. It
//!   is the one place where each seam's implementation is chosen (below),
//!   and tests call it with a test secret and a manual clock, so they run
//!   the same wiring as `tessera serve`.
//! - [`http`] is the JSON API: it parses requests, calls the domain, mints
//!   tokens with the library's `JwtManager` and answers every error as
//!   `{error, message}`. It never touches the store. [`http::edge`] is what
//!   every request and response passes: security headers, CORS, header
//!   screening, the request timeout.
//! - [`domain`] holds the rules: [`domain::AuthService`] decides
//!   registrations, logins, refresh rotation, logout and revocation, admin
//!   operations and the audit trail. It knows nothing of HTTP.
//! - [`store`] persists users, sessions, revocations and audit events in
//!   SQLite or PostgreSQL. It knows no policy.
//!
//! Beside the layers sit the seams: each is a small trait with today's
//! implementation behind it, so the next implementation is a new type
//! rather than a change to the code that uses it.
//!
//! - [`fanout`]: [`fanout::RevocationFeed`] tells other instances that
//!   revocations changed (PostgreSQL `LISTEN`/`NOTIFY`, or nothing for one
//!   SQLite process; Redis pub/sub with `REDIS_URL`, beside `NOTIFY`). Used by
//!   the domain.
//! - [`limits`]: [`limits::RateLimitStore`] holds the credential rate-limit
//!   counters (in memory, or in Redis with `REDIS_URL`, shared by all
//!   instances). Used by the HTTP layer. [`crate::redis`] is the connection both
//!   share, with its up/down state.
//! - [`keys`]: [`keys::SigningKeys`] yields the keys tokens are signed and
//!   verified with (the configured ones; keys in the store, rotated, next).
//!   Used by `app` to build the manager.
//! - [`oauth`]: [`oauth::IdentityProvider`] and the [`oauth::Providers`]
//!   registry for social sign-in (Google, Facebook, any OpenID provider).
//!   Carried in the state.
//!
//! Which may import which: `cli → serve → app → http → domain → store`,
//! each layer any layer to its right, never one to its left; the seams
//! import no layer but `store` (the PostgreSQL feed shares the store's
//! database). [`serve_error`] (why start-up failed) and [`boxed`] (the
//! seams' future type) are shared by several layers and import none of
//! them. `python3 ../shared/tools/module_cycles.py` (from the project root)
//! must find no cycle.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use tessera::SystemClock;
//! use tessera_server::domain::ServerSettings;
//! use tessera_server::oauth::SocialSettings;
//! use tessera_server::server_config::ServerConfig;
//! use tessera_server::store::{Store, StoreOptions};
//! use tessera_server::{app, http};
//!
//! let config = ServerConfig::from_env()?;
//! let jwt_config = app::server_jwt_config(tessera::env::process_lookup, &config)?;
//! let store = Store::open(&StoreOptions::sqlite("tessera.db")).await?;
//! let settings = ServerSettings::from_env()?;
//! let social = SocialSettings::from_env(&tessera::env::Env::process(), &config.public_url)?;
//! let state = app::build_state(jwt_config, settings, &config, social, store, Arc::new(SystemClock)).await?;
//! let router = http::router(state);
//! # let _ = router;
//! # Ok(()) }
//! ```

pub mod accept;
pub mod app;
pub mod boxed;
pub mod cli;
pub mod domain;
pub mod edge_settings;
pub mod env_file;
pub mod fanout;
pub mod http;
pub mod keys;
pub mod limits;
pub mod mfa;
pub mod oauth;
mod private_file;
pub mod redis;
pub mod serve;
pub mod serve_error;
pub mod server_config;
pub mod store;
