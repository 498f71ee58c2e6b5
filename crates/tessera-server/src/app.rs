//! The server's state from explicit parts: token settings, account rules,
//! service settings, a store and a clock, wired into one [`AppState`].
//!
//! [`crate::serve::assemble`] reads the parts from the environment; tests
//! hand them over directly (a test secret, cheap argon2 costs, a manual
//! clock), so both run the same wiring.

use std::sync::Arc;
use std::time::Duration;

use tessera::config::KeySource;
use tessera::env::Env;
use tessera::{
    Algorithm, Clock, ConfigError, JwtConfig, JwtManager, Location, TokenCodec, TokenConfig,
};

use crate::domain::{AuthService, ServerSettings};
use crate::fanout::{BothFeeds, NoFeed, PgNotifyFeed, RedisFeed, RevocationFeed};
use crate::http::metrics::Metrics;
use crate::http::revocation::RevokedSetBlocklist;
use crate::http::state::Shared;
use crate::http::{AppState, Limits, ops};
use crate::keys::{
    ConfiguredKeys, KeyCountObserver, KeyFollower, KeyPolicy, KeysError, SigningKeys, StoredKeys,
};
use crate::limits::{RateLimitStore, RedisLimiter, WindowLimiter};
use crate::oauth::http_client::ProviderHttp;
use crate::oauth::{FacebookProvider, OidcProvider, Providers, SocialConfigError, SocialSettings};
use crate::redis::RedisLink;
use crate::serve_error::ServeError;
use crate::server_config::ServerConfig;
use crate::store::Store;

/// Reads the token settings (`JWT_*`) through `lookup`, with the server's
/// own defaults where a variable is unset: the tokens name the server
/// (`TESSERA_PUBLIC_URL`) as their issuer and are checked for it, and they
/// are read from the `Authorization` header and then cookies; cookies are
/// `Secure` unless `TESSERA_PUBLIC_URL` is plain http. An audience is
/// only added when configured (PyJWT refuses tokens with an `aud` it was not
/// told to expect).
///
/// With an asymmetric `JWT_ALGORITHM` and neither `JWT_PRIVATE_KEY` nor
/// `JWT_PUBLIC_KEY`, the keys are kept in the store: the settings then carry
/// no key ([`keys_in_store`] says so) and [`signing_keys`] picks
/// [`StoredKeys`].
pub fn server_jwt_config(
    lookup: impl Fn(&str) -> Option<String>,
    config: &ServerConfig,
) -> Result<JwtConfig, ConfigError> {
    let set = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
    let stored = set("JWT_ALGORITHM")
        .and_then(|name| name.trim().parse::<Algorithm>().ok())
        .is_some_and(|alg| alg.min_secret_len().is_none())
        && set("JWT_PRIVATE_KEY").is_none()
        && set("JWT_PUBLIC_KEY").is_none();
    // The library's reader insists on a key for an asymmetric algorithm;
    // the stored keys stand in for one and the stand-in is dropped after.
    let env = Env::new(|name: &str| {
        if stored && name == "JWT_PUBLIC_KEY" {
            Some(STORED_KEYS_PLACEHOLDER.to_owned())
        } else {
            lookup(name)
        }
    });
    let mut jwt_config = JwtConfig::read(&env)?;
    if stored {
        jwt_config.token.keys = KeySource::Pem {
            private: None,
            public: None,
        };
    }
    if env.text("JWT_ENCODE_ISSUER").is_none() {
        jwt_config.token.encode_issuer = Some(config.public_url.clone());
    }
    if env.text("JWT_DECODE_ISSUER").is_none() {
        jwt_config.token.decode_issuer = jwt_config.token.encode_issuer.clone();
    }
    if env.text("JWT_TOKEN_LOCATION").is_none() {
        jwt_config.locations = vec![Location::Headers, Location::Cookies];
    }
    // Cookies are `Secure` when the server is reached over https; an
    // explicit plain-http public URL (development, the browser tests on
    // http://localhost) gets cookies the browser will send back.
    if env.text("JWT_COOKIE_SECURE").is_none() && config.public_url_is_explicit {
        jwt_config.cookies.secure = config.public_url.starts_with("https://");
    }
    Ok(jwt_config)
}

/// The revocation feed for instances sharing `store`: PostgreSQL
/// `LISTEN`/`NOTIFY` on its database, or none for SQLite (one process owns
/// the file). The one place a feed is chosen.
pub fn revocation_feed(store: &Store) -> Arc<dyn RevocationFeed> {
    revocation_feed_with(store, None)
}

/// The revocation feed with `REDIS_URL`'s link when there is one: Redis
/// pub/sub, beside `NOTIFY` on PostgreSQL (so either carries the
/// announcements while the other is down); without Redis, as
/// [`revocation_feed`].
pub fn revocation_feed_with(store: &Store, redis: Option<&RedisLink>) -> Arc<dyn RevocationFeed> {
    let notify = PgNotifyFeed::for_store(store);
    match (redis, notify) {
        (Some(redis), Some(notify)) => Arc::new(BothFeeds::new(
            Arc::new(RedisFeed::new(redis.clone())),
            Arc::new(notify),
        )),
        (Some(redis), None) => Arc::new(RedisFeed::new(redis.clone())),
        (None, Some(notify)) => Arc::new(notify),
        (None, None) => Arc::new(NoFeed),
    }
}

/// The link to `REDIS_URL`, when set (keys under `TESSERA_REDIS_PREFIX`).
/// A Redis that does not answer is not an error: the link reconnects in
/// the background and its users fall back meanwhile.
pub async fn redis_link(
    config: &ServerConfig,
    metrics: Option<&Metrics>,
) -> Result<Option<RedisLink>, ServeError> {
    let Some(url) = &config.redis_url else {
        return Ok(None);
    };
    let link = match metrics {
        Some(metrics) => {
            RedisLink::connect_observed(url, &config.redis_prefix, Arc::new(metrics.redis()))
                .await?
        }
        None => RedisLink::connect(url, &config.redis_prefix).await?,
    };
    Ok(Some(link))
}

/// A rate-limit store for the limit called `name`: in Redis when there is a
/// link (shared by every instance), else in this process's memory.
fn limit_store(
    redis: Option<&RedisLink>,
    name: &str,
    limit: u32,
    window: Duration,
) -> Box<dyn RateLimitStore> {
    match redis {
        Some(link) => Box::new(RedisLimiter::new(link.clone(), name, limit, window)),
        None => Box::new(WindowLimiter::new(limit, window)),
    }
}

/// Stands in for `JWT_PUBLIC_KEY` while the settings are read when the keys
/// are kept in the store; never parsed.
const STORED_KEYS_PLACEHOLDER: &str = "-----BEGIN PUBLIC KEY-----\n(kept in the store)\n";

/// Whether `token` leaves its keys to the store (asymmetric algorithm, no
/// PEM key configured; see [`server_jwt_config`]).
pub fn keys_in_store(token: &TokenConfig) -> bool {
    token.algorithm.min_secret_len().is_none()
        && token.keys
            == (KeySource::Pem {
                private: None,
                public: None,
            })
}

/// The key source [`signing_keys`] chose.
#[derive(Debug)]
pub struct ChosenKeys {
    /// Where the key set comes from.
    pub source: Arc<dyn SigningKeys>,
    /// The same source when the keys are kept in the store (for the CLI and
    /// for following changes).
    pub stored: Option<Arc<StoredKeys>>,
}

/// The stored keys' policy under `token` and `config`: new keys for
/// `JWT_ALGORITHM`, published one JWKS cache period before they sign, kept
/// after demotion for the longest token lifetime (the refresh token's) plus
/// the leeway, rotated every `TESSERA_KEY_ROTATION_DAYS`.
pub fn key_policy(token: &TokenConfig, config: &ServerConfig) -> KeyPolicy {
    let seconds = |duration: Duration| i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
    KeyPolicy {
        algorithm: token.algorithm,
        publish_for: ops::JWKS_MAX_AGE_SECONDS,
        keep_previous_for: seconds(token.refresh_expires.max(token.access_expires))
            .saturating_add(token.leeway),
        rotation_days: config.key_rotation_days,
    }
}

/// Where the signing keys come from: the token settings (`JWT_SECRET_KEY`,
/// or `JWT_PRIVATE_KEY` / `JWT_PUBLIC_KEY`), or the store when
/// [`keys_in_store`] (then `TESSERA_ENCRYPTION_KEY` is required). The one
/// place a key source is chosen.
pub fn signing_keys(
    token: &TokenConfig,
    config: &ServerConfig,
    store: &Store,
    clock: Arc<dyn Clock>,
) -> Result<ChosenKeys, KeysError> {
    if !keys_in_store(token) {
        return Ok(ChosenKeys {
            source: Arc::new(ConfiguredKeys::new(token)),
            stored: None,
        });
    }
    let encryption = config
        .encryption_key
        .as_ref()
        .ok_or(KeysError::NoEncryptionKey)?
        .key()?;
    let stored = Arc::new(StoredKeys::new(
        store.clone(),
        Arc::new(encryption),
        key_policy(token, config),
        clock,
    ));
    Ok(ChosenKeys {
        source: stored.clone(),
        stored: Some(stored),
    })
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
    let redis = redis_link(config, Some(&metrics)).await?;
    let feed = revocation_feed_with(&store, redis.as_ref());
    let chosen = signing_keys(&jwt_config.token, config, &store, clock.clone())?;
    let auth = AuthService::new(store, feed, settings, clock.clone())
        .await
        .map_err(|err| ServeError::Store(err.to_string()))?;
    // Second-factor secrets are sealed under the same key as stored signing
    // keys; without one, enrolling a second factor answers 503.
    if let Some(text) = &config.encryption_key {
        let key = text.key().map_err(KeysError::from)?;
        auth.set_secret_sealer(Arc::new(key));
    }
    // As `JwtManager::new`, with the keys from the chosen source: the
    // settings are checked first, then the keys loaded.
    jwt_config.check()?;
    let keys = chosen.source.key_set().await?;
    let codec = TokenCodec::builder(keys)
        .validation(jwt_config.token.validation())
        .build();
    let jwt = JwtManager::with_codec(jwt_config, codec)?
        .with_clock(clock)
        .with_blocklist(RevokedSetBlocklist(auth.revoked().clone()));
    if let Some(stored) = chosen.stored {
        auth.set_after_sync(Arc::new(
            KeyFollower::new(stored, jwt.clone(), Arc::clone(auth.feed()))
                .reporting_to(Arc::clone(&metrics) as Arc<dyn KeyCountObserver>),
        ));
    }
    let discovery = ops::discovery_document(&config.public_url, jwt.config());
    // The one place the rate-limit stores are chosen.
    let limits = Limits {
        login_failures: limit_store(
            redis.as_ref(),
            "login",
            config.login_max_failures,
            config.login_failure_window,
        ),
        per_ip: limit_store(
            redis.as_ref(),
            "ip",
            config.ip_max_attempts,
            Duration::from_secs(60),
        ),
    };
    #[cfg(feature = "passkeys")]
    let passkeys = passkey_service(&auth, config);
    Ok(AppState::new(Shared {
        #[cfg(feature = "passkeys")]
        passkeys,
        auth,
        jwt,
        metrics,
        limits: Arc::new(limits),
        providers: Arc::new(providers),
        social: Arc::new(social),
        discovery: Arc::new(discovery),
        trust_forwarded: config.trust_forwarded,
        edge: Arc::new(config.edge.clone()),
    }))
}

/// Passkeys for `config`'s public URL, or none (with a warning) when it
/// cannot be a WebAuthn relying party: browsers accept only a domain name
/// as RP id, so a server known by its IP address offers no passkeys.
#[cfg(feature = "passkeys")]
fn passkey_service(
    auth: &AuthService,
    config: &ServerConfig,
) -> Option<crate::domain::PasskeyService> {
    use crate::domain::{PasskeyService, RelyingParty};
    match RelyingParty::from_public_url(&config.public_url) {
        Ok(rp) => Some(PasskeyService::new(auth.clone(), Arc::new(rp))),
        Err(err) => {
            tracing::warn!(error = %err, "passkeys are off");
            None
        }
    }
}
