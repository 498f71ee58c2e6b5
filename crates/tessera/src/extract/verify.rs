//! The verification pipeline every extractor and guard runs.
//!
//! Order, after Flask-JWT-Extended's: locate (only a missing token falls
//! through), verify signature and claims, compare the CSRF value for
//! cookie-borne tokens, check the token type, freshness, the blocklist, then
//! the application's token verifier. The result is cached in the request's
//! extensions, so several extractors on one request verify once.

use std::sync::Arc;

use http::Method;
use http::request::Parts;

use super::JwtOptions;
use super::RefreshSlot;
use crate::blocklist;
use crate::claims::{ExtraClaims, TokenType};
use crate::codec::{DecodeOptions, Token};
use crate::error::TokenError;
use crate::locate::{Located, locate};
use crate::manager::JwtManager;
use crate::response::AuthError;
use crate::settings::Location;

/// What a route demands of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Requirement {
    /// The accepted type; `None` accepts both (read from the access
    /// locations), like Flask-JWT-Extended's `verify_type=False`.
    pub token_type: Option<TokenType>,
    /// Whether the token must be fresh.
    pub fresh: bool,
}

impl Requirement {
    /// An access token.
    pub const ACCESS: Requirement = Requirement {
        token_type: Some(TokenType::Access),
        fresh: false,
    };
    /// A fresh access token.
    pub const FRESH_ACCESS: Requirement = Requirement {
        token_type: Some(TokenType::Access),
        fresh: true,
    };
    /// A refresh token.
    pub const REFRESH: Requirement = Requirement {
        token_type: Some(TokenType::Refresh),
        fresh: false,
    };
    /// Either type.
    pub const ANY: Requirement = Requirement {
        token_type: None,
        fresh: false,
    };
}

/// A token that passed every check, with where it was found.
#[derive(Debug, Clone)]
pub struct VerifiedToken {
    /// Header and claims (extras as a JSON object), shared with the codec's
    /// cache of verified tokens.
    pub token: Arc<Token>,
    /// The location it came from.
    pub location: Location,
}

#[derive(Clone)]
struct CacheEntry {
    token: Arc<VerifiedToken>,
    revocation_checked: bool,
    /// The per-route locations it was found with; a layer that sees other
    /// [`JwtOptions`] searches again rather than trust another route's view.
    locations: Option<Arc<[Location]>>,
}

/// Verified tokens of this request, by the kind of location read
/// (access or refresh cookie / JSON key).
#[derive(Clone, Default)]
struct VerifiedCache {
    access: Option<CacheEntry>,
    refresh: Option<CacheEntry>,
}

impl VerifiedCache {
    fn slot(&mut self, kind: TokenType) -> &mut Option<CacheEntry> {
        match kind {
            TokenType::Access => &mut self.access,
            TokenType::Refresh => &mut self.refresh,
        }
    }
}

impl JwtManager {
    /// Authenticates a request by hand (Flask-JWT-Extended's
    /// `verify_jwt_in_request`): what the extractors do, for middleware and
    /// handlers that need it. `OPTIONS` requests give [`AuthError::Preflight`].
    pub async fn verify_request(
        &self,
        parts: &mut Parts,
        requirement: Requirement,
    ) -> Result<Arc<VerifiedToken>, AuthError> {
        verify(self, parts, requirement).await
    }
}

impl JwtManager {
    /// Verifies the token carried in the configured header
    /// (`JWT_HEADER_NAME`, `JWT_HEADER_TYPE`), and nowhere else, with every
    /// check an extractor makes: signature and claims, `requirement`, the
    /// blocklist and the token verifier. `Ok(None)` means the headers carry
    /// no such token (absent header, or only other schemes), so the caller
    /// may look elsewhere; a malformed header or a bad token is an error.
    ///
    /// Built for gateways and forward-auth endpoints that see one header per
    /// request: it needs no request parts and keeps nothing in the request's
    /// extensions. It reads the header whatever `JWT_TOKEN_LOCATION` says.
    ///
    /// ```
    /// # use tessera::{JwtConfig, JwtManager, Requirement};
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// # let secret = "test-only: an example secret, long enough for HS256";
    /// # let jwt = JwtManager::new(JwtConfig::from_lookup(|name| {
    /// #     (name == "JWT_SECRET_KEY").then(|| secret.to_owned())
    /// # })?)?;
    /// let token = jwt.create_access_token("ada")?;
    /// let mut headers = http::HeaderMap::new();
    /// headers.insert("authorization", format!("Bearer {token}").parse()?);
    /// let verified = jwt.verify_headers(&headers, Requirement::ACCESS).await?;
    /// assert_eq!(verified.map(|token| token.claims.sub.clone()).as_deref(), Some("ada"));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn verify_headers(
        &self,
        headers: &http::HeaderMap,
        requirement: Requirement,
    ) -> Result<Option<Arc<Token>>, AuthError> {
        let located = match crate::locate::header::find(headers, &self.config().header)? {
            crate::locate::Found::Token(located) => located,
            crate::locate::Found::Missing(_) => return Ok(None),
        };
        let token = decode(self, &located)?;
        check_type_and_freshness(self, &token, requirement)?;
        check_revocation(self, &token).await?;
        check_verifier(self, &token)?;
        Ok(Some(token))
    }
}

pub(crate) async fn verify(
    manager: &JwtManager,
    parts: &mut Parts,
    requirement: Requirement,
) -> Result<Arc<VerifiedToken>, AuthError> {
    if parts.method == Method::OPTIONS {
        return Err(AuthError::Preflight);
    }
    let options = parts
        .extensions
        .get::<JwtOptions>()
        .cloned()
        .unwrap_or_default();
    let kind = requirement.token_type.unwrap_or(TokenType::Access);
    let mut cache = parts
        .extensions
        .remove::<VerifiedCache>()
        .unwrap_or_default();
    let outcome = check(manager, parts, requirement, &options, kind, &mut cache).await;
    parts.extensions.insert(cache);
    let verified = outcome?;
    if let Some(slot) = parts.extensions.get::<RefreshSlot>() {
        slot.offer(&verified, options.check_revocation);
    }
    Ok(verified)
}

async fn check(
    manager: &JwtManager,
    parts: &Parts,
    requirement: Requirement,
    options: &JwtOptions,
    kind: TokenType,
    cache: &mut VerifiedCache,
) -> Result<Arc<VerifiedToken>, AuthError> {
    let entry = match cache.slot(kind).clone() {
        Some(entry) if entry.locations == options.locations => entry,
        _ => {
            let locations = options
                .locations
                .as_deref()
                .unwrap_or(&manager.config().locations);
            let located = locate(parts, manager.config(), locations, kind)?;
            let token = decode(manager, &located)?;
            let entry = CacheEntry {
                token: Arc::new(VerifiedToken {
                    token,
                    location: located.location,
                }),
                revocation_checked: false,
                locations: options.locations.clone(),
            };
            *cache.slot(kind) = Some(entry.clone());
            entry
        }
    };
    check_type_and_freshness(manager, &entry.token.token, requirement)?;
    if options.check_revocation && !entry.revocation_checked {
        check_revocation(manager, &entry.token.token).await?;
        if let Some(cached) = cache.slot(kind) {
            cached.revocation_checked = true;
        }
    }
    check_verifier(manager, &entry.token.token)?;
    Ok(entry.token)
}

/// The route's demands on a verified token: its type and freshness.
fn check_type_and_freshness(
    manager: &JwtManager,
    token: &Token,
    requirement: Requirement,
) -> Result<(), AuthError> {
    let claims = &token.claims;
    if let Some(expected) = requirement.token_type
        && claims.token_type != expected
    {
        return Err(AuthError::WrongType {
            expected,
            found: claims.token_type.as_str().to_owned(),
        });
    }
    if requirement.fresh && !claims.fresh.is_fresh_at(manager.now()) {
        return Err(AuthError::NeedsFresh);
    }
    Ok(())
}

/// Asks the blocklist, when there is one.
async fn check_revocation(manager: &JwtManager, token: &Token) -> Result<(), AuthError> {
    let Some(blocklist) = manager.blocklist() else {
        return Ok(());
    };
    match blocklist::check(blocklist, token).await {
        Ok(false) => Ok(()),
        Ok(true) => Err(AuthError::Revoked),
        Err(err) => Err(AuthError::BlocklistUnavailable(err)),
    }
}

/// Runs the application's token verifier, when there is one.
fn check_verifier(manager: &JwtManager, token: &Token) -> Result<(), AuthError> {
    match &manager.hooks().verifier {
        Some(verifier) if !verifier(token) => Err(AuthError::ClaimsRejected),
        _ => Ok(()),
    }
}

/// Verifies the located token and, for cookie-borne tokens on protected
/// methods, the double-submit CSRF value.
fn decode(
    manager: &JwtManager,
    located: &Located<'_>,
) -> Result<Arc<Token<ExtraClaims>>, AuthError> {
    let options = DecodeOptions {
        token_type: None,
        allow_expired: false,
    };
    let token = manager
        .decoding_codec(&located.token)
        .and_then(|codec| codec.decode_shared(&located.token, options))
        .map_err(AuthError::from_token_error)?;
    if let Some(submitted) = &located.csrf {
        let Some(claim) = token.claims.csrf.as_deref() else {
            return Err(AuthError::Invalid(TokenError::MissingClaim(
                "csrf".to_owned(),
            )));
        };
        if !crate::csrf::matches(submitted, claim) {
            return Err(AuthError::CsrfMismatch);
        }
    }
    Ok(token)
}
