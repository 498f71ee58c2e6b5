//! What every handler can reach: the auth service, the JWT manager, limits
//! and counters.

use std::sync::Arc;

use axum::extract::FromRef;
use serde_json::Value;
use tessera::JwtManager;

use super::metrics::Metrics;
use crate::domain::AuthService;
use crate::edge_settings::EdgeSettings;
use crate::limits::RateLimitStore;
use crate::oauth::{Providers, SocialSettings};

/// Rate limits for the credential endpoints, each in the store the
/// start-up chose.
#[derive(Debug)]
pub struct Limits {
    /// Failed logins per account (keyed by the normalised username, known or
    /// not, so the limit itself reveals nothing).
    pub login_failures: Box<dyn RateLimitStore>,
    /// Login and registration attempts per client IP.
    pub per_ip: Box<dyn RateLimitStore>,
}

/// The router's state: one shared allocation, so the per-request clones that
/// extractors make cost a single reference-count increment.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Wraps the parts.
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
#[derive(Debug)]
pub struct Shared {
    /// Accounts, sessions and revocation.
    pub auth: AuthService,
    /// Token issuing and verification.
    pub jwt: JwtManager,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Credential rate limits.
    pub limits: Arc<Limits>,
    /// Social sign-in providers (only the configured ones).
    pub providers: Arc<Providers>,
    /// Social sign-in settings (`return_to` allowlist, callback URLs).
    pub social: Arc<SocialSettings>,
    /// The `/.well-known/openid-configuration` document.
    pub discovery: Arc<Value>,
    /// Trust `X-Forwarded-For` for the client IP (behind a proxy only).
    pub trust_forwarded: bool,
    /// Timeouts, the connection cap, CORS, the metrics listener, HSTS.
    pub edge: Arc<EdgeSettings>,
    /// Passkeys, when `TESSERA_PUBLIC_URL` can be their relying party
    /// (a domain name, not an IP address).
    #[cfg(feature = "passkeys")]
    pub passkeys: Option<crate::domain::PasskeyService>,
}

impl FromRef<AppState> for JwtManager {
    fn from_ref(state: &AppState) -> JwtManager {
        state.jwt.clone()
    }
}
