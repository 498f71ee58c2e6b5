//! [`JwtManager`]: the one value an application shares with its router.
//!
//! It holds the [`JwtConfig`], the [`TokenCodec`], the application's hooks
//! (extra claims and headers, key selection, claim verification,
//! blocklist, error responses) and the clock. It is cheap to clone
//! (one `Arc`), and extractors find it in the router state through
//! [`FromRef`](axum::extract::FromRef): a state that *is* a `JwtManager`
//! works as is; a larger state implements `FromRef<AppState> for JwtManager`.

mod issue;

pub use issue::{Expires, Identity, IssueContext, IssueError, IssuedToken, TokenOptions};

use std::sync::Arc;

use axum::response::Response;
use serde_json::{Map, Value};

use crate::blocklist::{Blocklist, ErasedBlocklist};
use crate::claims::ExtraClaims;
use crate::clock::Clock;
use crate::codec::{Token, TokenCodec, Unverified};
use crate::config::ConfigError;
use crate::keys::KeySet;
use crate::response::{AuthError, AuthRejection, ErrorResponder, Renderer};
use crate::settings::JwtConfig;

type ContextHook<T> = Arc<dyn Fn(&IssueContext<'_>) -> T + Send + Sync>;
type DecodeKeyHook = Arc<dyn Fn(&Unverified) -> Option<TokenCodec> + Send + Sync>;
type VerifierHook = Arc<dyn Fn(&Token) -> bool + Send + Sync>;

/// The application's hooks, each optional.
#[derive(Clone, Default)]
pub(crate) struct Hooks {
    pub(crate) claims: Option<ContextHook<ExtraClaims>>,
    pub(crate) headers: Option<ContextHook<Map<String, Value>>>,
    pub(crate) encode_key: Option<ContextHook<Option<TokenCodec>>>,
    pub(crate) decode_key: Option<DecodeKeyHook>,
    pub(crate) verifier: Option<VerifierHook>,
}

#[derive(Clone)]
struct Inner {
    config: JwtConfig,
    codec: TokenCodec,
    hooks: Hooks,
    blocklist: Option<Arc<dyn ErasedBlocklist>>,
    renderer: Arc<Renderer>,
}

/// Issues tokens, sets cookies and verifies requests; see the [module docs](self).
///
/// ```
/// use tessera::{JwtConfig, JwtManager, TokenConfig};
///
/// let config = JwtConfig::new(TokenConfig::with_secret("k3Yq9vN2xP7rT4wZ8mB1cF6hJ0sD5gL3"));
/// let manager = JwtManager::new(config)?;
/// let token = manager.create_access_token("alice")?;
/// let verified = manager.decode_token::<tessera::ExtraClaims>(&token, false)?;
/// assert_eq!(verified.claims.sub, "alice");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct JwtManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for JwtManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtManager")
            .field("config", &self.inner.config)
            .field("codec", &self.inner.codec)
            .field("blocklist", &self.inner.blocklist.is_some())
            .finish_non_exhaustive()
    }
}

impl JwtManager {
    /// A manager for `config`: loads the keys (refusing weak ones).
    pub fn new(config: JwtConfig) -> Result<Self, ConfigError> {
        config.check()?;
        let codec = config.token.codec()?;
        Ok(Self::from_parts(config, codec))
    }

    /// [`JwtConfig::from_env`] then [`JwtManager::new`].
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::new(JwtConfig::from_env()?)
    }

    /// A manager around an existing codec (a key set with rotation, say);
    /// `config.token` then only supplies lifetimes, `iss`/`aud` to write and
    /// `nbf`, while verification follows the codec's own policy.
    pub fn with_codec(config: JwtConfig, codec: TokenCodec) -> Result<Self, ConfigError> {
        config.check()?;
        Ok(Self::from_parts(config, codec))
    }

    fn from_parts(config: JwtConfig, codec: TokenCodec) -> Self {
        let mut validation = codec.validation().clone();
        validation.require_exp = !config.allow_non_expiring;
        let codec = codec.with_validation(validation);
        let renderer = Arc::new(Renderer {
            style: config.error_style,
            message_key: config.error_message_key.clone(),
            responder: None,
        });
        JwtManager {
            inner: Arc::new(Inner {
                config,
                codec,
                hooks: Hooks::default(),
                blocklist: None,
                renderer,
            }),
        }
    }

    fn edit(mut self, change: impl FnOnce(&mut Inner)) -> Self {
        change(Arc::make_mut(&mut self.inner));
        self
    }

    /// The settings.
    pub fn config(&self) -> &JwtConfig {
        &self.inner.config
    }

    /// The codec that signs and verifies.
    pub fn codec(&self) -> &TokenCodec {
        &self.inner.codec
    }

    /// Puts `keys` in force for this manager and all its clones (the routers
    /// holding it): see [`TokenCodec::replace_keys`]. Codecs chosen by the
    /// key-loader hooks are the application's own and are not touched.
    pub fn replace_keys(&self, keys: KeySet) {
        self.inner.codec.replace_keys(keys);
    }

    /// The clock used for issuing, verifying, freshness, cookies, the
    /// implicit refresh window and [`MemoryBlocklist`](crate::MemoryBlocklist) entries.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(self.inner.codec.clock())
    }

    /// The clock's current time, Unix seconds.
    pub fn now(&self) -> i64 {
        self.inner.codec.now()
    }

    /// Replaces the clock (tests use [`ManualClock`](crate::ManualClock)).
    #[must_use]
    pub fn with_clock(self, clock: impl Clock + 'static) -> Self {
        self.edit(|inner| inner.codec = inner.codec.with_clock(Arc::new(clock)))
    }

    /// Consults `blocklist` on every protected request (unless a route skips
    /// it with [`JwtOptions::skip_revocation_check`](crate::JwtOptions::skip_revocation_check)).
    #[must_use]
    pub fn with_blocklist(self, blocklist: impl Blocklist) -> Self {
        self.edit(|inner| inner.blocklist = Some(Arc::new(blocklist)))
    }

    /// Whether a blocklist is installed.
    pub fn has_blocklist(&self) -> bool {
        self.inner.blocklist.is_some()
    }

    pub(crate) fn blocklist(&self) -> Option<&dyn ErasedBlocklist> {
        self.inner.blocklist.as_deref()
    }

    /// Replaces (some) error responses; see [`ErrorResponder`].
    #[must_use]
    pub fn with_error_responder(self, responder: impl ErrorResponder) -> Self {
        self.edit(|inner| {
            let mut renderer = (*inner.renderer).clone();
            renderer.responder = Some(Arc::new(responder));
            inner.renderer = Arc::new(renderer);
        })
    }

    /// Extra claims for every new token (Flask-JWT-Extended's
    /// `additional_claims_loader`). Claims given to one call through
    /// [`TokenOptions::claims`] win over these.
    #[must_use]
    pub fn with_additional_claims(
        self,
        loader: impl Fn(&IssueContext<'_>) -> ExtraClaims + Send + Sync + 'static,
    ) -> Self {
        self.edit(|inner| inner.hooks.claims = Some(Arc::new(loader)))
    }

    /// Extra JOSE headers for every new token (`additional_headers_loader`).
    #[must_use]
    pub fn with_additional_headers(
        self,
        loader: impl Fn(&IssueContext<'_>) -> Map<String, Value> + Send + Sync + 'static,
    ) -> Self {
        self.edit(|inner| inner.hooks.headers = Some(Arc::new(loader)))
    }

    /// Chooses the codec (key) that signs each new token (`encode_key_loader`);
    /// `None` uses the manager's codec.
    #[must_use]
    pub fn with_encode_key(
        self,
        loader: impl Fn(&IssueContext<'_>) -> Option<TokenCodec> + Send + Sync + 'static,
    ) -> Self {
        self.edit(|inner| inner.hooks.encode_key = Some(Arc::new(loader)))
    }

    /// Chooses the codec (key) that verifies each presented token from its
    /// **unverified** header and payload (`decode_key_loader`); `None` uses
    /// the manager's codec. Use it to pick a key, never to trust a claim.
    /// The chosen codec keeps its own validation policy but reads the
    /// manager's clock.
    #[must_use]
    pub fn with_decode_key(
        self,
        loader: impl Fn(&Unverified) -> Option<TokenCodec> + Send + Sync + 'static,
    ) -> Self {
        self.edit(|inner| inner.hooks.decode_key = Some(Arc::new(loader)))
    }

    /// A final check of every verified token (`token_verification_loader`):
    /// returning `false` fails the request with [`AuthError::ClaimsRejected`].
    #[must_use]
    pub fn with_token_verifier(
        self,
        verifier: impl Fn(&Token) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.edit(|inner| inner.hooks.verifier = Some(Arc::new(verifier)))
    }

    pub(crate) fn hooks(&self) -> &Hooks {
        &self.inner.hooks
    }

    /// The response this manager sends for `error`.
    pub fn render(&self, error: &AuthError) -> Response {
        self.inner.renderer.render(error)
    }

    /// Wraps `error` as an extractor rejection rendered by this manager.
    pub fn reject(&self, error: AuthError) -> AuthRejection {
        AuthRejection::new(error, Arc::clone(&self.inner.renderer))
    }
}
