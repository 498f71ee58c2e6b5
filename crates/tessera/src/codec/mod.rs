//! Signing and verifying compact JWS tokens with a [`KeySet`].
//!
//! [`TokenCodec`] is the whole token core: [`TokenCodec::encode`] signs
//! [`Claims`] with the primary key, [`TokenCodec::decode`] runs every check of
//! RFC 8725 in a fixed order and returns typed claims or the precise
//! [`TokenError`](crate::TokenError). Both are synchronous and allocation-light; nothing here
//! touches the network or the disk.

mod cache;
mod claims_check;
mod decode;
mod encode;
mod inspect;
mod ring;

pub use cache::DEFAULT_CACHE_CAPACITY;
pub use inspect::{Unverified, inspect};

use std::sync::Arc;

use crate::claims::{Claims, ExtraClaims, TokenType};
use crate::clock::{Clock, SystemClock};
use crate::header::Header;
use crate::keys::KeySet;

/// Default cap on a token's length, checked before any decoding.
pub const DEFAULT_MAX_TOKEN_BYTES: usize = 8 * 1024;

/// What a token must satisfy beyond its signature. Every check is on by
/// default; `leeway` is zero unless set (RFC 8725 asks for it to be explicit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validation {
    /// Seconds of tolerated clock skew for `exp`, `nbf` and `iat`.
    pub leeway: i64,
    /// Longest token accepted, in bytes; longer ones are refused unread.
    pub max_token_bytes: usize,
    /// Required `iss`, when set.
    pub issuer: Option<String>,
    /// Accepted audiences; when non-empty, `aud` is required and must name one.
    pub audience: Vec<String>,
    /// The claim holding the identity (`JWT_IDENTITY_CLAIM`, default `sub`).
    pub identity_claim: String,
    /// Refuse tokens without `exp` (default `true`).
    pub require_exp: bool,
    /// Refuse tokens without `iat` (default `true`).
    pub require_iat: bool,
    /// Refuse tokens without `jti` (default `true`): revocation is by `jti`,
    /// so a token without one could not be revoked individually.
    pub require_jti: bool,
    /// Refuse tokens without a `type` claim (default `true`). Flask-JWT-Extended
    /// always writes one; without this, any other JWT signed with the same key
    /// (a link token, say) would pass as an access token (RFC 8725 §3.12).
    pub require_type: bool,
}

impl Default for Validation {
    fn default() -> Self {
        Validation {
            leeway: 0,
            max_token_bytes: DEFAULT_MAX_TOKEN_BYTES,
            issuer: None,
            audience: Vec::new(),
            identity_claim: "sub".to_owned(),
            require_exp: true,
            require_iat: true,
            require_jti: true,
            require_type: true,
        }
    }
}

/// Per-call decode options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeOptions {
    /// The token type the caller accepts; `None` accepts access and refresh.
    pub token_type: Option<TokenType>,
    /// Skip only the `exp` check (for tooling and implicit-refresh logic);
    /// the signature and every other claim are still verified.
    pub allow_expired: bool,
}

impl DecodeOptions {
    /// Accept exactly `token_type`, unexpired.
    pub fn expect(token_type: TokenType) -> Self {
        DecodeOptions {
            token_type: Some(token_type),
            allow_expired: false,
        }
    }
}

/// A verified token: its header and typed claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Token<X = ExtraClaims> {
    /// The protected header.
    pub header: Header,
    /// The claims.
    pub claims: Claims<X>,
}

/// Builds a [`TokenCodec`].
#[derive(Debug)]
pub struct CodecBuilder {
    keys: KeySet,
    validation: Validation,
    clock: Arc<dyn Clock>,
    cache_capacity: usize,
}

impl CodecBuilder {
    /// Sets the validation policy.
    #[must_use]
    pub fn validation(mut self, validation: Validation) -> Self {
        self.validation = validation;
        self
    }

    /// Sets the clock (tests use [`crate::ManualClock`]).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Remembers up to `capacity` verified tokens for
    /// [`TokenCodec::decode_shared`] (0 turns the cache off; the default is
    /// [`DEFAULT_CACHE_CAPACITY`]).
    #[must_use]
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// Finishes the codec.
    pub fn build(self) -> TokenCodec {
        let ring = Arc::new(ring::KeyRing::new(self.keys));
        let cache = (self.cache_capacity > 0).then(|| ring.new_cache(self.cache_capacity));
        TokenCodec {
            inner: Arc::new(Inner {
                ring,
                validation: self.validation,
                clock: self.clock,
                cache,
            }),
        }
    }
}

/// Signs and verifies tokens with a key set, a validation policy and a clock.
///
/// ```
/// use tessera::{Algorithm, Claims, Key, KeySet, TokenCodec, TokenType};
///
/// let key = Key::hmac(Algorithm::HS256, b"k3Yq9vN2xP7rT4wZ8mB1cF6hJ0sD5gL3")?;
/// let codec = TokenCodec::new(KeySet::new(key));
/// let claims = Claims::new("42", TokenType::Access, codec.now(), Some(900), tessera::ExtraClaims::new());
/// let token = codec.encode(&claims)?;
///
/// let verified = codec.decode::<tessera::ExtraClaims>(&token, TokenType::Access)?;
/// assert_eq!(verified.claims.sub, "42");
/// // A refresh route refuses it:
/// assert!(codec.decode::<tessera::ExtraClaims>(&token, TokenType::Refresh).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TokenCodec {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The keys, shared with every codec derived from this one (clones,
    /// [`TokenCodec::with_clock`], [`TokenCodec::with_validation`]), so a
    /// [`TokenCodec::replace_keys`] on any of them reaches all.
    ring: Arc<ring::KeyRing>,
    validation: Validation,
    clock: Arc<dyn Clock>,
    /// Verified tokens, for [`TokenCodec::decode_shared`]; shared by codecs
    /// that differ only in their clock.
    cache: Option<Arc<cache::VerifiedTokens>>,
}

impl TokenCodec {
    /// A codec with default validation and the system clock.
    pub fn new(keys: KeySet) -> Self {
        Self::builder(keys).build()
    }

    /// Starts a codec with non-default validation or clock.
    pub fn builder(keys: KeySet) -> CodecBuilder {
        CodecBuilder {
            keys,
            validation: Validation::default(),
            clock: Arc::new(SystemClock),
            cache_capacity: DEFAULT_CACHE_CAPACITY,
        }
    }

    /// The key set in force (a snapshot: a later
    /// [`replace_keys`](Self::replace_keys) does not change it).
    pub fn keys(&self) -> Arc<KeySet> {
        Arc::clone(&self.inner.ring.load().keys)
    }

    /// Puts `keys` in force for this codec and every codec sharing its keys
    /// (its clones, the codecs made from it with [`with_clock`](Self::with_clock)
    /// and [`with_validation`](Self::with_validation), and so the
    /// [`JwtManager`](crate::JwtManager) holding it): the primary key signs
    /// from now on, only the keys in the new set verify, and the JWKS follows.
    /// The swap is atomic, and the verified-token caches are emptied, so a
    /// token of a key that is gone stops verifying at once.
    ///
    /// ```
    /// use tessera::{Algorithm, Claims, ExtraClaims, Key, KeySet, TokenCodec, TokenType};
    ///
    /// let old = Key::hmac(Algorithm::HS256, b"old-9f8e7d6c5b4a39281706f5e4d3c2b1a0")?.with_kid("old");
    /// let new = Key::hmac(Algorithm::HS256, b"new-0a1b2c3d4e5f60718293a4b5c6d7e8f9")?.with_kid("new");
    /// let codec = TokenCodec::new(KeySet::new(old));
    /// let shared = codec.clone();
    /// let claims = Claims::new("42", TokenType::Access, codec.now(), Some(900), ExtraClaims::new());
    /// let token = codec.encode(&claims)?;
    ///
    /// codec.replace_keys(KeySet::new(new));
    /// assert!(shared.decode::<ExtraClaims>(&token, TokenType::Access).is_err());
    /// assert_eq!(shared.keys().primary().kid(), Some("new"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_keys(&self, keys: KeySet) {
        self.inner.ring.replace(keys);
    }

    /// The validation policy.
    pub fn validation(&self) -> &Validation {
        &self.inner.validation
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// The clock's current time.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// The same keys and validation, reading time from `clock` instead.
    /// The parsed keys are shared, not copied, and a replacement reaches both.
    #[must_use]
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> TokenCodec {
        TokenCodec {
            inner: Arc::new(Inner {
                ring: Arc::clone(&self.inner.ring),
                validation: self.inner.validation.clone(),
                clock,
                // Time is re-checked on every hit, so the cache holds across clocks.
                cache: self.inner.cache.clone(),
            }),
        }
    }

    /// The same keys (shared, so a replacement reaches both) and clock with
    /// another validation policy.
    #[must_use]
    pub fn with_validation(&self, validation: Validation) -> TokenCodec {
        TokenCodec {
            inner: Arc::new(Inner {
                ring: Arc::clone(&self.inner.ring),
                validation,
                clock: Arc::clone(&self.inner.clock),
                // What passed under the old policy may not pass under this one.
                cache: self
                    .inner
                    .cache
                    .as_ref()
                    .map(|_| self.inner.ring.new_cache(DEFAULT_CACHE_CAPACITY)),
            }),
        }
    }
}
