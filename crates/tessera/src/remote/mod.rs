//! Verifying tokens signed by a remote issuer, with keys fetched from its
//! JWKS (feature `remote-jwks`).
//!
//! [`RemoteJwks`] is for a resource server that accepts Tessera's access
//! tokens without holding any secret, and for checking the id_tokens of an
//! OpenID Connect provider (Google, Facebook, …). It fetches the issuer's
//! JWK Set — from a JWKS URL, or from an issuer URL through its
//! `/.well-known/openid-configuration` — and verifies through the very same
//! [`TokenCodec`] as local keys, so every RFC 8725 check applies unchanged:
//! the algorithm comes from the key, never from the token; `none` and HMAC
//! are never accepted from a JWKS; `jwk`/`jku`/`x5u`/`x5c` headers are
//! refused; a `kid` is only ever looked up in the fetched set.
//!
//! ```no_run
//! use tessera::{DecodeOptions, TokenType, Validation};
//! use tessera::remote::RemoteJwks;
//!
//! # async fn run(token: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let jwks = RemoteJwks::from_issuer("https://auth.example.com")
//!     .validation(Validation { audience: vec!["api".into()], ..Validation::default() })
//!     .build()?;
//! let verified = jwks
//!     .verify::<tessera::ExtraClaims>(token, DecodeOptions::expect(TokenType::Access))
//!     .await?;
//! println!("hello, {}", verified.claims.sub);
//! # Ok(()) }
//! ```
//!
//! ## Fetching and caching
//!
//! - Only `https` URLs, and `http` to `localhost`, 127.0.0.0/8 or `::1`
//!   when [`allow_loopback_http`](RemoteJwksBuilder::allow_loopback_http)
//!   is set (tests, local development). Redirects are never followed. A
//!   discovery document must name exactly the configured issuer, and its
//!   `jwks_uri` obeys the same rule.
//! - Each request has a connect timeout (5 s) and a total timeout (10 s),
//!   and a body cap (256 KiB) enforced while reading.
//! - The client doing this, [`HttpsClient`], is public for an application's
//!   own calls under the same rules (the Tessera server's calls to OAuth
//!   providers use it).
//! - Keys live for the response's `Cache-Control: max-age`, clamped to
//!   [1 min, 24 h] (5 min without one); the first request after that
//!   refetches, while concurrent requests keep using the old keys.
//! - A token naming a `kid` the cached set lacks triggers a refetch (the
//!   issuer may have rotated), at most once per 10 s; concurrent misses
//!   share one fetch.
//! - When a refetch fails, the last good keys keep verifying for a grace
//!   period past their expiry (24 h by default,
//!   [`grace_period`](RemoteJwksBuilder::grace_period)), retried at most
//!   every 10 s; the outage is logged once through `tracing` (and visible
//!   in [`RemoteJwks::status`]). After the grace period, verification fails
//!   with [`RemoteError::Unavailable`] until the issuer answers again.
//!
//! ## Keys
//!
//! Each key is pinned to one algorithm: its `alg`, or for a key without one
//! the algorithm its curve implies (`P-256` → ES256, `P-384` → ES384,
//! `Ed25519` → EdDSA) or, for RSA, [`rsa_algorithms`](RemoteJwksBuilder::rsa_algorithms)
//! (RS256 only by default). Keys with `use` other than `sig`, `oct` keys,
//! unknown `kty`/`crv`/`alg` and malformed members are skipped, not fatal.
//! A token without `kid` is accepted only when the set holds exactly one key
//! for its algorithm.

mod cache;
mod discovery;
mod error;
mod fetch;
mod keys;
mod url;

pub use cache::{
    DEFAULT_GRACE_SECS, DEFAULT_TTL_SECS, MAX_TTL_SECS, MIN_TTL_SECS, REFETCH_INTERVAL_SECS,
};
pub use discovery::Discovery;
pub use error::{FetchError, RemoteError};
pub use fetch::{HttpsClient, HttpsLimits, HttpsResponse};

use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use serde::de::DeserializeOwned;

use self::cache::CacheState;
use self::discovery::DocumentError;
use self::keys::{KeyPolicy, KeySnapshot, Selection};
use self::url::Endpoint;
use crate::algorithm::{Algorithm, KeyFamily};
use crate::clock::{Clock, SystemClock};
use crate::codec::{DecodeOptions, Token, TokenCodec, Validation};
use crate::error::{Part, TokenError};
use crate::header::{self, Header};
use crate::keys::KeySet;
use crate::{b64, json};

/// Default connect timeout of a key fetch.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default total timeout of a key fetch (connect, request and body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default cap on a JWKS or discovery document, in bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;

/// Where the keys come from.
#[derive(Debug, Clone)]
enum Source {
    Jwks(Endpoint),
    Issuer { issuer: String, discovery: Endpoint },
}

/// Builds a [`RemoteJwks`]; start with [`RemoteJwks::from_jwks_url`] or
/// [`RemoteJwks::from_issuer`].
#[derive(Debug)]
#[must_use]
pub struct RemoteJwksBuilder {
    url: String,
    issuer: bool,
    validation: Validation,
    clock: Arc<dyn Clock>,
    allow_loopback_http: bool,
    connect_timeout: Duration,
    timeout: Duration,
    max_body_bytes: usize,
    policy: KeyPolicy,
    grace_secs: i64,
}

impl RemoteJwksBuilder {
    /// The validation policy for verified tokens (default:
    /// [`Validation::default`]). For an issuer source whose `issuer` is left
    /// unset here, the configured issuer is required as `iss`. An OpenID
    /// provider's id_tokens carry no `jti` or `type`: turn off
    /// `require_jti` and `require_type` for them, and set `audience` to your
    /// client id.
    pub fn validation(mut self, validation: Validation) -> Self {
        self.validation = validation;
        self
    }

    /// The clock for expiry, cache lifetimes and the refetch interval
    /// (tests use [`crate::ManualClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Allows plain `http` to loopback addresses (`localhost`,
    /// 127.0.0.0/8, `::1`), for tests and local development. Off by default;
    /// every other host needs `https` regardless.
    pub fn allow_loopback_http(mut self, allow: bool) -> Self {
        self.allow_loopback_http = allow;
        self
    }

    /// The connect timeout of each fetch (default 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The total timeout of each fetch (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest document read, in bytes (default 256 KiB).
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The only algorithms fetched keys may be pinned to (default: every
    /// asymmetric algorithm). HMAC algorithms are ignored: a JWKS never
    /// supplies a secret Tessera would verify with. For an OpenID provider,
    /// [`Discovery::id_token_signing_algorithms`] is a natural choice.
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.policy.allowed = algorithms
            .into_iter()
            .filter(|alg| alg.family() != KeyFamily::Hmac)
            .collect();
        self
    }

    /// The algorithms an RSA key without `alg` is pinned to, one pinned
    /// key each (default: RS256 only). Non-RSA algorithms are ignored.
    pub fn rsa_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.policy.rsa_without_alg = algorithms
            .into_iter()
            .filter(|alg| alg.family() == KeyFamily::Rsa)
            .collect();
        self
    }

    /// How long the last good keys keep verifying past their expiry while
    /// every refetch fails (default 24 h). Zero stops at expiry.
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace_secs = i64::try_from(grace.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// Checks the URL and sets up the HTTPS client. Nothing is fetched until
    /// the first verification (or [`RemoteJwks::refresh`]).
    pub fn build(mut self) -> Result<RemoteJwks, RemoteError> {
        let source = if self.issuer {
            let discovery = Endpoint::parse(
                &discovery::discovery_url(&self.url),
                self.allow_loopback_http,
            )
            .map_err(RemoteError::Config)?;
            if self.validation.issuer.is_none() {
                self.validation.issuer = Some(self.url.clone());
            }
            Source::Issuer {
                issuer: self.url,
                discovery,
            }
        } else {
            Source::Jwks(
                Endpoint::parse(&self.url, self.allow_loopback_http)
                    .map_err(RemoteError::Config)?,
            )
        };
        let limits = HttpsLimits {
            connect_timeout: self.connect_timeout,
            timeout: self.timeout,
            max_body_bytes: self.max_body_bytes,
        };
        let http =
            HttpsClient::new(limits, self.allow_loopback_http).map_err(RemoteError::Config)?;
        Ok(RemoteJwks {
            inner: Arc::new(Inner {
                source,
                validation: self.validation,
                clock: self.clock,
                allow_loopback_http: self.allow_loopback_http,
                policy: self.policy,
                grace_secs: self.grace_secs,
                http,
                state: RwLock::new(CacheState::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        })
    }
}

/// A key source for tokens signed by a remote issuer: its JWK Set, fetched
/// over HTTPS and cached. Cheap to clone (clones share the cache).
///
/// See the [module documentation](self) for the fetching, caching and key
/// rules.
#[derive(Debug, Clone)]
pub struct RemoteJwks {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    source: Source,
    validation: Validation,
    clock: Arc<dyn Clock>,
    allow_loopback_http: bool,
    policy: KeyPolicy,
    grace_secs: i64,
    http: HttpsClient,
    /// Never held across an `.await`.
    state: RwLock<CacheState>,
    /// Held for the length of one fetch: concurrent misses wait here and
    /// then use that fetch's result (single flight).
    fetching: tokio::sync::Mutex<()>,
}

/// What a [`RemoteJwks`] holds right now, for health checks and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct KeyStatus {
    /// Usable keys held (one per key and algorithm); 0 before the first
    /// successful fetch and after the grace period.
    pub keys: usize,
    /// Members of the last good set that were skipped as unusable.
    pub skipped: usize,
    /// When the held keys were fetched.
    pub fetched_at: Option<i64>,
    /// When they expire (a request after that refetches).
    pub expires_at: Option<i64>,
    /// Whether the keys are past their expiry, served within the grace
    /// period because refetching failed.
    pub stale: bool,
    /// Why the last fetch failed, until one succeeds.
    pub last_error: Option<FetchError>,
}

impl RemoteJwks {
    /// Keys from a JWK Set URL (such as `https://auth.example.com/.well-known/jwks.json`).
    pub fn from_jwks_url(url: impl Into<String>) -> RemoteJwksBuilder {
        Self::builder(url.into(), false)
    }

    /// Keys from an OpenID issuer: its `/.well-known/openid-configuration`
    /// is read (its `issuer` must equal `issuer` exactly), then its
    /// `jwks_uri`.
    pub fn from_issuer(issuer: impl Into<String>) -> RemoteJwksBuilder {
        Self::builder(issuer.into(), true)
    }

    fn builder(url: String, issuer: bool) -> RemoteJwksBuilder {
        RemoteJwksBuilder {
            url,
            issuer,
            validation: Validation::default(),
            clock: Arc::new(SystemClock),
            allow_loopback_http: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            policy: KeyPolicy::default(),
            grace_secs: DEFAULT_GRACE_SECS,
        }
    }

    /// Verifies `token` with the issuer's key and returns its claims, the
    /// extras read as `X`. Fetches keys first when none are held, when they
    /// have expired, or when the token's `kid` is unknown (see the module
    /// documentation for the limits on fetching).
    pub async fn verify<X: DeserializeOwned + 'static>(
        &self,
        token: &str,
        options: DecodeOptions,
    ) -> Result<Token<X>, RemoteError> {
        let codec = self.codec_for_token(token).await?;
        Ok(codec.decode_with(token, options)?)
    }

    /// Like [`verify`](Self::verify) for the default extra-claims map,
    /// through [`TokenCodec::decode_shared`]: a token verified before is
    /// answered from memory (the time rules and type are re-checked).
    pub async fn verify_shared(
        &self,
        token: &str,
        options: DecodeOptions,
    ) -> Result<Arc<Token>, RemoteError> {
        let codec = self.codec_for_token(token).await?;
        Ok(codec.decode_shared(token, options)?)
    }

    /// The codec that verifies `token`: its header is read (and checked as
    /// strictly as in verification) to find the key, fetching as needed.
    pub async fn codec_for_token(&self, token: &str) -> Result<TokenCodec, RemoteError> {
        let header = peek_header(token, self.inner.validation.max_token_bytes)?;
        self.codec_for(header.kid.as_deref(), header.alg).await
    }

    /// The codec for the key with `kid` pinned to `alg` (without `kid`: the
    /// only key pinned to `alg`), fetching as needed. Its key set holds that
    /// one key; its validation and clock are this source's.
    pub async fn codec_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<TokenCodec, RemoteError> {
        let (snapshot, attempts, fresh) = {
            let state = self.state();
            let now = self.now();
            (
                state.usable(now, self.inner.grace_secs).cloned(),
                state.attempts,
                state.is_fresh(now),
            )
        };
        if let Some(snapshot) = &snapshot {
            match snapshot.select(kid, alg) {
                Selection::Found(codec) if fresh => return Ok(codec.clone()),
                // Expired: one caller refetches; the others carry on with
                // the keys they have (within the grace period) meanwhile.
                Selection::Found(codec) => {
                    let Ok(_fetching) = self.inner.fetching.try_lock() else {
                        return Ok(codec.clone());
                    };
                    let fallback = codec.clone();
                    return match self.refetch(attempts).await {
                        Ok(snapshot) => pick(&snapshot, kid, alg),
                        Err(RemoteError::Unavailable(_)) => Ok(fallback),
                        Err(err) => Err(err),
                    };
                }
                Selection::Unknown => {}
                other => return pick_from(other, alg),
            }
        }
        let _fetching = self.inner.fetching.lock().await;
        let snapshot = self.refetch(attempts).await?;
        pick(&snapshot, kid, alg)
    }

    /// Fetches the keys now (subject to the 10 s refetch interval), e.g. at
    /// startup so a broken configuration shows at once.
    pub async fn refresh(&self) -> Result<(), RemoteError> {
        let attempts = self.state().attempts;
        let _fetching = self.inner.fetching.lock().await;
        self.refetch(attempts).await.map(drop)
    }

    /// The issuer's discovery document, once read (issuer sources only).
    pub fn discovery(&self) -> Option<Arc<Discovery>> {
        self.state().discovery.clone()
    }

    /// What is held right now.
    pub fn status(&self) -> KeyStatus {
        let state = self.state();
        let now = self.now();
        let usable = state.usable(now, self.inner.grace_secs);
        KeyStatus {
            keys: usable.map_or(0, |keys| keys.len()),
            skipped: usable.map_or(0, |keys| keys.skipped()),
            fetched_at: usable.map(|_| state.fetched_at),
            expires_at: usable.map(|_| state.expires_at),
            stale: usable.is_some() && !state.is_fresh(now),
            last_error: state.last_error.clone(),
        }
    }

    fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, CacheState> {
        self.inner
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Fetches once, unless another caller completed a fetch since `seen`
    /// attempts (its result is used) or the last attempt is under 10 s old.
    /// The caller holds `fetching`. Returns the usable keys afterwards.
    async fn refetch(&self, seen: u64) -> Result<Arc<KeySnapshot>, RemoteError> {
        let (may_fetch, known_discovery) = {
            let state = self.state();
            (
                state.attempts == seen && state.may_fetch(self.now()),
                state.discovery.clone(),
            )
        };
        if may_fetch {
            let outcome = self.fetch(known_discovery).await;
            self.record(outcome);
        }
        let state = self.state();
        match state.usable(self.now(), self.inner.grace_secs) {
            Some(keys) => Ok(Arc::clone(keys)),
            None => Err(RemoteError::Unavailable(
                state
                    .last_error
                    .clone()
                    .unwrap_or(FetchError::NoUsableKeys(self.describe_source())),
            )),
        }
    }

    /// Stores a fetch's outcome, logging the start and end of an outage once.
    fn record(&self, outcome: Result<(KeySnapshot, i64, Option<Arc<Discovery>>), FetchError>) {
        let now = self.now();
        let mut state = self
            .inner
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        state.attempts += 1;
        state.last_attempt = Some(now);
        match outcome {
            Ok((snapshot, ttl, discovery)) => {
                if state.outage_logged {
                    tracing::info!(source = %self.describe_source(), "remote JWKS reachable again");
                }
                state.keys = Some(Arc::new(snapshot));
                state.fetched_at = now;
                state.expires_at = now.saturating_add(ttl);
                state.last_error = None;
                state.discovery = discovery;
                state.outage_logged = false;
            }
            Err(err) => {
                if !state.outage_logged {
                    match state.usable(now, self.inner.grace_secs) {
                        Some(_) => tracing::warn!(
                            error = %err,
                            serving_until = state.expires_at.saturating_add(self.inner.grace_secs),
                            "remote JWKS refetch failed; serving the last good keys"
                        ),
                        None => tracing::error!(error = %err, "remote JWKS unavailable"),
                    }
                    state.outage_logged = true;
                }
                state.last_error = Some(err);
                // Re-read discovery next time: the `jwks_uri` may have moved.
                state.discovery = None;
            }
        }
        if state.usable(now, self.inner.grace_secs).is_none() {
            state.keys = None;
        }
    }

    /// One fetch: discovery (when not yet known), then the key set.
    async fn fetch(
        &self,
        known: Option<Arc<Discovery>>,
    ) -> Result<(KeySnapshot, i64, Option<Arc<Discovery>>), FetchError> {
        let (jwks, discovery) = match &self.inner.source {
            Source::Jwks(endpoint) => (endpoint.clone(), None),
            Source::Issuer { issuer, discovery } => {
                let document = match known {
                    Some(document) => document,
                    None => Arc::new(self.discover(issuer, discovery).await?),
                };
                let jwks = Endpoint::parse(&document.jwks_uri, self.inner.allow_loopback_http)?;
                (jwks, Some(document))
            }
        };
        let fetched = self.inner.http.fetch(&jwks).await?;
        let inner = &self.inner;
        let snapshot = KeySnapshot::parse(&fetched.body, &inner.policy, |key| {
            TokenCodec::builder(KeySet::new(key))
                .validation(inner.validation.clone())
                .clock(Arc::clone(&inner.clock))
                .build()
        })
        .map_err(|reason| FetchError::Document {
            url: jwks.as_str(),
            reason,
        })?;
        if snapshot.len() == 0 {
            return Err(FetchError::NoUsableKeys(jwks.as_str()));
        }
        Ok((
            snapshot,
            cache::ttl(fetched.cache_control.as_deref()),
            discovery,
        ))
    }

    async fn discover(&self, issuer: &str, endpoint: &Endpoint) -> Result<Discovery, FetchError> {
        let fetched = self.inner.http.fetch(endpoint).await?;
        discovery::parse(&fetched.body, issuer).map_err(|err| match err {
            DocumentError::Unreadable(reason) => FetchError::Document {
                url: endpoint.as_str(),
                reason,
            },
            DocumentError::IssuerMismatch(found) => FetchError::IssuerMismatch {
                expected: issuer.to_owned(),
                found,
            },
        })
    }

    fn describe_source(&self) -> String {
        match &self.inner.source {
            Source::Jwks(endpoint) => endpoint.as_str(),
            Source::Issuer { issuer, .. } => issuer.clone(),
        }
    }
}

/// The codec for `kid`/`alg` in a freshly fetched set.
fn pick(
    snapshot: &KeySnapshot,
    kid: Option<&str>,
    alg: Algorithm,
) -> Result<TokenCodec, RemoteError> {
    pick_from(snapshot.select(kid, alg), alg)
}

fn pick_from(selection: Selection<'_>, alg: Algorithm) -> Result<TokenCodec, RemoteError> {
    match selection {
        Selection::Found(codec) => Ok(codec.clone()),
        Selection::Unknown | Selection::Ambiguous => Err(TokenError::UnknownKeyId.into()),
        Selection::WrongAlgorithm(expected) => Err(TokenError::AlgorithmMismatch {
            expected,
            found: alg,
        }
        .into()),
    }
}

/// The header of `token`, checked as strictly as in verification (size cap,
/// three segments, forbidden parameters, `crit`, a supported `alg`), to
/// choose the key. The codec checks it again; nothing here is trusted
/// beyond picking which key to try.
fn peek_header(token: &str, max_bytes: usize) -> Result<Header, TokenError> {
    if token.len() > max_bytes {
        return Err(TokenError::TooLarge {
            len: token.len(),
            max: max_bytes,
        });
    }
    if token.split('.').count() != 3 {
        return Err(TokenError::WrongSegmentCount);
    }
    let segment = token.split('.').next().unwrap_or_default();
    let bytes = b64::decode(segment).ok_or(TokenError::Base64(Part::Header))?;
    header::check(json::parse_object(&bytes, Part::Header)?)
}
