//! The server's state from explicit parts: token settings, account rules,
//! service settings, a store and a clock, wired into one [`AppState`].
//!
//! [`crate::serve::assemble`] reads the parts from the environment; tests
//! hand them over directly (a test secret, cheap argon2 costs, a manual
//! clock), so both run the same wiring.

use std::sync::Arc;
use std::time::Duration;

use tessera::env::Env;
use tessera::{Clock, ConfigError, JwtConfig, JwtManager, Location, TokenCodec, TokenConfig};

use crate::domain::{AuthService, ServerSettings};
use crate::fanout::{NoFeed, PgNotifyFeed, RevocationFeed};
use crate::http::metrics::Metrics;
use crate::http::revocation::RevokedSetBlocklist;
use crate::http::state::Shared;
use crate::http::{AppState, Limits, ops};
use crate::keys::{ConfiguredKeys, SigningKeys};
use crate::limits::WindowLimiter;
use crate::oauth::http_client::ProviderHttp;
use crate::oauth::{FacebookProvider, OidcProvider, Providers, SocialConfigError, SocialSettings};
use crate::serve_error::ServeError;
use crate::server_config::ServerConfig;
use crate::store::Store;

/// Reads the token settings (`JWT_*`) through `lookup`, with the server's
/// own defaults where a variable is unset: the tokens name the server
/// (`TESSERA_PUBLIC_URL`) as their issuer and are checked for it, and they
/// are read from the `Authorization` header and then cookies. An audience is
/// only added when configured (PyJWT refuses tokens with an `aud` it was not
/// told to expect).
pub fn server_jwt_config(
    lookup: impl Fn(&str) -> Option<String>,
    config: &ServerConfig,
) -> Result<JwtConfig, ConfigError> {
    let env = Env::new(lookup);
    let mut jwt_config = JwtConfig::read(&env)?;
    if env.text("JWT_ENCODE_ISSUER").is_none() {
        jwt_config.token.encode_issuer = Some(config.public_url.clone());
    }
    if env.text("JWT_DECODE_ISSUER").is_none() {
        jwt_config.token.decode_issuer = jwt_config.token.encode_issuer.clone();
    }
    if env.text("JWT_TOKEN_LOCATION").is_none() {
        jwt_config.locations = vec![Location::Headers, Location::Cookies];
    }
    Ok(jwt_config)
}

/// The revocation feed for instances sharing `store`: PostgreSQL
/// `LISTEN`/`NOTIFY` on its database, or none for SQLite (one process owns
/// the file). The one place a feed is chosen.
pub fn revocation_feed(store: &Store) -> Arc<dyn RevocationFeed> {
    match PgNotifyFeed::for_store(store) {
        Some(feed) => Arc::new(feed),
        None => Arc::new(NoFeed),
    }
}

/// Where the signing keys come from: the token settings (`JWT_SECRET_KEY`,
/// or `JWT_PRIVATE_KEY` / `JWT_PUBLIC_KEY`). The one place a key source is
/// chosen.
pub fn signing_keys(token: &TokenConfig) -> Box<dyn SigningKeys> {
    Box::new(ConfiguredKeys::new(token))
}

/// The social sign-in providers `social` configures (Google, generic
/// OpenID providers and Facebook; none when nothing is configured). Nothing is fetched
/// yet: each provider reads its discovery document on first use. The one
/// place providers are chosen.
pub fn identity_providers(
    social: &SocialSettings,
    clock: Arc<dyn Clock>,
) -> Result<Providers, ServeError> {
    let mut providers = Providers::new();
    if social.oidc.is_empty() && social.facebook.is_none() {
        return Ok(providers);
    }
    let http = ProviderHttp::new(social.allow_loopback_http)
        .map_err(|err| SocialConfigError::new("TESSERA_OIDC_PROVIDERS", err.to_string()))?;
    for settings in &social.oidc {
        let provider = OidcProvider::new(settings.clone(), http.clone(), Arc::clone(&clock));
        providers
            .add(Arc::new(provider))
            .map_err(|err| SocialConfigError::new("TESSERA_OIDC_PROVIDERS", err.to_string()))?;
    }
    if let Some(settings) = &social.facebook {
        let facebook = FacebookProvider::new(settings.clone(), http, clock);
        providers
            .add_facebook(Arc::new(facebook))
            .map_err(|err| SocialConfigError::new("FACEBOOK_APP_ID", err.to_string()))?;
    }
    Ok(providers)
}

/// Builds the router's state. The session and access-token lifetimes of
/// `settings` are taken from `jwt_config` (`JWT_REFRESH_TOKEN_EXPIRES` is the
/// absolute session lifetime), so tokens and sessions always agree.
/// `social` configures the sign-in providers.
pub async fn build_state(
    jwt_config: JwtConfig,
    settings: ServerSettings,
    config: &ServerConfig,
    social: SocialSettings,
    store: Store,
    clock: Arc<dyn Clock>,
) -> Result<AppState, ServeError> {
    let providers = identity_providers(&social, Arc::clone(&clock))?;
    let settings = settings.with_token_lifetimes(&jwt_config.token);
    settings.check()?;
    let metrics = Arc::new(Metrics::new());
    let store = store.observed_by(Arc::new(metrics.store_latency()));
    let feed = revocation_feed(&store);
    let auth = AuthService::new(store, feed, settings, clock.clone())
        .await
        .map_err(|err| ServeError::Store(err.to_string()))?;
    // As `JwtManager::new`, with the keys from the chosen source: the
    // settings are checked first, then the keys loaded.
    jwt_config.check()?;
    let keys = signing_keys(&jwt_config.token).key_set().await?;
    let codec = TokenCodec::builder(keys)
        .validation(jwt_config.token.validation())
        .build();
    let jwt = JwtManager::with_codec(jwt_config, codec)?
        .with_clock(clock)
        .with_blocklist(RevokedSetBlocklist(auth.revoked().clone()));
    let discovery = ops::discovery_document(&config.public_url, jwt.config());
    // The one place the rate-limit stores are chosen: in memory today.
    let limits = Limits {
        login_failures: Box::new(WindowLimiter::new(
            config.login_max_failures,
            config.login_failure_window,
        )),
        per_ip: Box::new(WindowLimiter::new(
            config.ip_max_attempts,
            Duration::from_secs(60),
        )),
    };
    Ok(AppState::new(Shared {
        auth,
        jwt,
        metrics,
        limits: Arc::new(limits),
        providers: Arc::new(providers),
        social: Arc::new(social),
        discovery: Arc::new(discovery),
        trust_forwarded: config.trust_forwarded,
    }))
}
