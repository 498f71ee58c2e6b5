//! Creating and decoding tokens through the manager.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::JwtManager;
use crate::claims::{Claims, ExtraClaims, Fresh, TokenType};
use crate::codec::{DecodeOptions, Token, TokenCodec, inspect};
use crate::error::{EncodeError, TokenError};

/// What a token is about: turned into the `sub` claim.
///
/// Implement it for your user type to pass users straight to
/// [`JwtManager::create_access_token`] (Flask-JWT-Extended's
/// `user_identity_loader`).
///
/// ```
/// struct User { id: u64 }
/// impl tessera::Identity for User {
///     fn to_sub(&self) -> String { self.id.to_string() }
/// }
/// ```
pub trait Identity {
    /// The `sub` claim for this identity.
    fn to_sub(&self) -> String;
}

impl Identity for str {
    fn to_sub(&self) -> String {
        self.to_owned()
    }
}

impl Identity for String {
    fn to_sub(&self) -> String {
        self.clone()
    }
}

impl<T: Identity + ?Sized> Identity for &T {
    fn to_sub(&self) -> String {
        (**self).to_sub()
    }
}

macro_rules! display_identity {
    ($($ty:ty),*) => {$(
        impl Identity for $ty {
            fn to_sub(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
display_identity!(u32, u64, i32, i64, u128, i128, usize, uuid::Uuid);

/// When a new token expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expires {
    /// The configured lifetime (`JWT_ACCESS_TOKEN_EXPIRES` / `JWT_REFRESH_TOKEN_EXPIRES`).
    #[default]
    Default,
    /// Never: no `exp` claim. Refused unless
    /// [`JwtConfig::allow_non_expiring`](crate::JwtConfig::allow_non_expiring) is on.
    Never,
    /// This many seconds after issue (negative values make already-expired
    /// tokens, which tests find handy).
    In(i64),
    /// At this Unix time (for example capped at a session's absolute end).
    At(i64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum FreshSpec {
    Flag(bool),
    For(i64),
    Until(i64),
}

/// Per-token options: freshness, lifetime, extra claims, extra headers.
///
/// ```
/// use tessera::{Expires, TokenOptions};
/// let options = TokenOptions::new()
///     .fresh(true)
///     .expires(Expires::In(300))
///     .claim("roles", ["admin"])
///     .header("x-purpose", "login");
/// ```
#[derive(Debug, Clone)]
pub struct TokenOptions {
    fresh: FreshSpec,
    expires: Expires,
    claims: Result<ExtraClaims, String>,
    headers: Map<String, Value>,
    jti: Option<String>,
}

impl Default for TokenOptions {
    fn default() -> Self {
        TokenOptions {
            fresh: FreshSpec::Flag(false),
            expires: Expires::Default,
            claims: Ok(ExtraClaims::new()),
            headers: Map::new(),
            jti: None,
        }
    }
}

impl TokenOptions {
    /// Not fresh, default lifetime, no extras.
    pub fn new() -> Self {
        Self::default()
    }

    /// `fresh: true` or `false`.
    #[must_use]
    pub fn fresh(mut self, fresh: bool) -> Self {
        self.fresh = FreshSpec::Flag(fresh);
        self
    }

    /// Fresh for `seconds` after issue (Flask's `fresh=timedelta(...)`).
    #[must_use]
    pub fn fresh_for(mut self, seconds: i64) -> Self {
        self.fresh = FreshSpec::For(seconds);
        self
    }

    /// Fresh until the Unix time `until`.
    #[must_use]
    pub fn fresh_until(mut self, until: i64) -> Self {
        self.fresh = FreshSpec::Until(until);
        self
    }

    /// Overrides the lifetime.
    #[must_use]
    pub fn expires(mut self, expires: Expires) -> Self {
        self.expires = expires;
        self
    }

    /// Adds every member of `claims` (any serde type that serialises to an
    /// object). Registered names (`sub`, `exp`, …) are refused at issue time.
    #[must_use]
    pub fn claims<T: Serialize + ?Sized>(mut self, claims: &T) -> Self {
        self.claims = match (self.claims, serde_json::to_value(claims)) {
            (Ok(mut all), Ok(Value::Object(more))) => {
                all.extend(more);
                Ok(all)
            }
            (Ok(_), Ok(_)) => Err("extra claims must serialise to a JSON object".to_owned()),
            (Ok(_), Err(err)) => Err(err.to_string()),
            (Err(err), _) => Err(err),
        };
        self
    }

    /// Adds one claim.
    #[must_use]
    pub fn claim(mut self, name: impl Into<String>, value: impl Serialize) -> Self {
        self.claims = match (self.claims, serde_json::to_value(value)) {
            (Ok(mut all), Ok(value)) => {
                all.insert(name.into(), value);
                Ok(all)
            }
            (Ok(_), Err(err)) => Err(err.to_string()),
            (Err(err), _) => Err(err),
        };
        self
    }

    /// Adds one JOSE header parameter (`alg`, `kid`, `typ`, `crit` and
    /// key-bearing names are refused at issue time).
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// Uses this `jti` instead of a random UUID: a server that tracks its
    /// refresh tokens (rotation, reuse detection) decides their ids itself.
    #[must_use]
    pub fn jti(mut self, jti: impl Into<String>) -> Self {
        self.jti = Some(jti.into());
        self
    }
}

/// What loaders see when a token is being issued.
#[derive(Debug, Clone, Copy)]
pub struct IssueContext<'a> {
    /// The identity, already turned into `sub`.
    pub sub: &'a str,
    /// Access or refresh.
    pub token_type: TokenType,
}

/// A token and the claims it was signed with (to record its `jti`, `exp`…).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The compact JWS.
    pub token: String,
    /// Its claims.
    pub claims: Claims,
}

/// Why a token could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// Signing or serialising failed.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// [`Expires::Never`] while non-expiring tokens are not allowed.
    #[error("non-expiring tokens are disabled (JWT_ALLOW_NON_EXPIRING)")]
    NonExpiringDisabled,
}

impl JwtManager {
    /// An access token for `identity` with the default options.
    pub fn create_access_token(&self, identity: impl Identity) -> Result<String, IssueError> {
        self.create_access_token_with(identity, TokenOptions::new())
    }

    /// An access token for `identity` with `options`.
    pub fn create_access_token_with(
        &self,
        identity: impl Identity,
        options: TokenOptions,
    ) -> Result<String, IssueError> {
        Ok(self.issue(TokenType::Access, identity, options)?.token)
    }

    /// A refresh token for `identity` with the default options.
    pub fn create_refresh_token(&self, identity: impl Identity) -> Result<String, IssueError> {
        self.create_refresh_token_with(identity, TokenOptions::new())
    }

    /// A refresh token for `identity` with `options`.
    pub fn create_refresh_token_with(
        &self,
        identity: impl Identity,
        options: TokenOptions,
    ) -> Result<String, IssueError> {
        Ok(self.issue(TokenType::Refresh, identity, options)?.token)
    }

    /// Issues a token and returns it with its claims.
    ///
    /// Claims: the configured ones (`iat`, `nbf`, `jti`, `exp`, `iss`, `aud`),
    /// `csrf` when CSRF protection is on, then the additional-claims loader's,
    /// then `options`' (which win).
    pub fn issue(
        &self,
        token_type: TokenType,
        identity: impl Identity,
        options: TokenOptions,
    ) -> Result<IssuedToken, IssueError> {
        let sub = identity.to_sub();
        let context = IssueContext {
            sub: &sub,
            token_type,
        };
        let hooks = self.hooks();
        let mut extra = hooks
            .claims
            .as_ref()
            .map(|loader| loader(&context))
            .unwrap_or_default();
        extra.extend(options.claims.map_err(EncodeError::ExtraClaims)?);
        let mut headers = hooks
            .headers
            .as_ref()
            .map(|loader| loader(&context))
            .unwrap_or_default();
        headers.extend(options.headers);

        let config = self.config();
        let now = self.now();
        let mut claims = config.token.new_claims(sub.clone(), token_type, now, extra);
        match options.expires {
            Expires::Default => {}
            Expires::Never if config.allow_non_expiring => claims.exp = None,
            Expires::Never => return Err(IssueError::NonExpiringDisabled),
            Expires::In(seconds) => claims.exp = Some(now.saturating_add(seconds)),
            Expires::At(at) => claims.exp = Some(at),
        }
        if let Some(jti) = options.jti {
            claims.jti = Some(jti);
        }
        #[allow(clippy::cast_precision_loss)] // Unix seconds fit f64 exactly.
        let fresh = match options.fresh {
            FreshSpec::Flag(flag) => Fresh::Flag(flag),
            FreshSpec::For(seconds) => Fresh::Until(now.saturating_add(seconds) as f64),
            FreshSpec::Until(until) => Fresh::Until(until as f64),
        };
        claims.fresh = fresh;
        if config.csrf.protect {
            claims.csrf = Some(crate::csrf::new_value());
        }
        let codec = hooks
            .encode_key
            .as_ref()
            .and_then(|loader| loader(&context))
            .unwrap_or_else(|| self.codec().clone());
        let headers = (!headers.is_empty()).then_some(&headers);
        let token = codec.encode_with_headers(&claims, headers)?;
        Ok(IssuedToken { token, claims })
    }

    /// Verifies `token` (access or refresh), its extra claims read as `X`.
    /// With `allow_expired`, only the `exp` check is skipped.
    pub fn decode_token<X: DeserializeOwned + 'static>(
        &self,
        token: &str,
        allow_expired: bool,
    ) -> Result<Token<X>, TokenError> {
        let options = DecodeOptions {
            token_type: None,
            allow_expired,
        };
        self.decoding_codec(token)?.decode_with(token, options)
    }

    /// The `csrf` claim of `token` (verified, expired allowed), for apps that
    /// hand the CSRF value to the client themselves (`JWT_CSRF_IN_COOKIES=false`).
    pub fn get_csrf_token(&self, token: &str) -> Result<String, TokenError> {
        self.decode_token::<ExtraClaims>(token, true)?
            .claims
            .csrf
            .ok_or_else(|| TokenError::MissingClaim("csrf".to_owned()))
    }

    /// The codec that verifies `token`: the decode-key hook's choice (keeping
    /// its validation policy but reading the manager's clock), or ours.
    pub(crate) fn decoding_codec(&self, token: &str) -> Result<TokenCodec, TokenError> {
        let Some(loader) = &self.hooks().decode_key else {
            return Ok(self.codec().clone());
        };
        let unverified = inspect(token, self.codec().validation().max_token_bytes)?;
        Ok(match loader(&unverified) {
            Some(codec) => codec.with_clock(self.clock()),
            None => self.codec().clone(),
        })
    }
}

/// A token that cannot be issued is a server-side fault: 500, with a generic
/// body (the cause stays in the error value, for logs).
impl axum::response::IntoResponse for IssueError {
    fn into_response(self) -> axum::response::Response {
        (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            [(http::header::CONTENT_TYPE, "application/json")],
            r#"{"error":"token_issue_failed","message":"The token could not be issued"}"#,
        )
            .into_response()
    }
}
