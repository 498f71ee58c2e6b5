//! Extractors that protect a route: [`Jwt`], [`FreshJwt`], [`RefreshJwt`],
//! [`AnyJwt`], and their `Option<…>` forms.
//!
//! Each finds the [`JwtManager`] in the router state through
//! [`FromRef`], verifies the request's token, and gives the handler its
//! claims, the extras typed as `C` (any `DeserializeOwned` type; the default
//! is a JSON object, [`ExtraClaims`]).
//!
//! | Flask-JWT-Extended | Tessera |
//! |---|---|
//! | `@jwt_required()` | `Jwt<C>` |
//! | `@jwt_required(optional=True)` | `Option<Jwt<C>>` |
//! | `@jwt_required(fresh=True)` | `FreshJwt<C>` |
//! | `@jwt_required(refresh=True)` | `RefreshJwt<C>` |
//! | `@jwt_required(verify_type=False)` | `AnyJwt<C>` |
//!
//! `Option<Jwt<C>>` is `None` only when the request carries **no** token; an
//! expired, invalid, wrong-type or CSRF-failing token still rejects, as in
//! Flask-JWT-Extended.
//!
//! # `OPTIONS`
//!
//! Preflight requests are never authenticated (browsers send them without
//! credentials). On `OPTIONS`, `Option<Jwt<C>>` yields `None` and `Jwt<C>`
//! rejects with [`AuthError::Preflight`], an empty `204 No Content` — never a
//! 401, and never a handler running without claims (Flask-JWT-Extended
//! answers 500 there). Guards and layers pass `OPTIONS` through to the inner
//! service untouched.

mod body_layer;
mod options;
mod refresh_slot;
mod verify;

pub use body_layer::{BodyTokenLayer, BodyTokenService, DEFAULT_BODY_LIMIT};
pub use options::JwtOptions;
pub(crate) use refresh_slot::RefreshSlot;
pub(crate) use verify::verify;
pub use verify::{Requirement, VerifiedToken};

use std::marker::PhantomData;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::claims::{Claims, ExtraClaims};
use crate::codec::Token;
use crate::error::TokenError;
use crate::header::Header;
use crate::manager::JwtManager;
use crate::response::{AuthError, AuthRejection};
use crate::settings::Location;

/// What a [`Jwt`] demands: one marker type per route kind.
pub trait TokenKind: 'static {
    /// The requirement checked.
    const REQUIREMENT: Requirement;
}

/// The markers for [`Jwt`]'s second parameter.
pub mod kind {
    use super::{Requirement, TokenKind};

    /// An access token ([`Jwt`](crate::Jwt)).
    #[derive(Debug, Clone, Copy)]
    pub struct Access;
    /// A fresh access token ([`FreshJwt`](crate::FreshJwt)).
    #[derive(Debug, Clone, Copy)]
    pub struct FreshAccess;
    /// A refresh token ([`RefreshJwt`](crate::RefreshJwt)).
    #[derive(Debug, Clone, Copy)]
    pub struct Refresh;
    /// Either type ([`AnyJwt`](crate::AnyJwt)).
    #[derive(Debug, Clone, Copy)]
    pub struct AnyType;

    impl TokenKind for Access {
        const REQUIREMENT: Requirement = Requirement::ACCESS;
    }
    impl TokenKind for FreshAccess {
        const REQUIREMENT: Requirement = Requirement::FRESH_ACCESS;
    }
    impl TokenKind for Refresh {
        const REQUIREMENT: Requirement = Requirement::REFRESH;
    }
    impl TokenKind for AnyType {
        const REQUIREMENT: Requirement = Requirement::ANY;
    }
}

/// A verified token: its claims (extras typed as `C`), header and location.
///
/// Dereferences to [`Claims<C>`], so `jwt.sub`, `jwt.exp`, `jwt.extra` read
/// directly.
///
/// ```
/// use axum::{Router, routing::get};
/// use serde::Deserialize;
/// use tessera::{Jwt, JwtManager};
///
/// #[derive(Deserialize)]
/// struct Extra { roles: Vec<String> }
///
/// async fn me(jwt: Jwt<Extra>) -> String {
///     format!("{} has roles {:?}", jwt.sub, jwt.extra.roles)
/// }
///
/// # fn app(manager: JwtManager) -> Router {
/// Router::new().route("/me", get(me)).with_state(manager)
/// # }
/// ```
pub struct Jwt<C = ExtraClaims, K = kind::Access> {
    token: Token<C>,
    location: Location,
    kind: PhantomData<fn() -> K>,
}

/// A fresh access token (`@jwt_required(fresh=True)`).
pub type FreshJwt<C = ExtraClaims> = Jwt<C, kind::FreshAccess>;
/// A refresh token (`@jwt_required(refresh=True)`).
pub type RefreshJwt<C = ExtraClaims> = Jwt<C, kind::Refresh>;
/// An access or refresh token (`@jwt_required(verify_type=False)`), read
/// from the access locations; for a logout route that revokes either.
pub type AnyJwt<C = ExtraClaims> = Jwt<C, kind::AnyType>;

impl<C: std::fmt::Debug, K> std::fmt::Debug for Jwt<C, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jwt")
            .field("token", &self.token)
            .field("location", &self.location)
            .finish()
    }
}

impl<C: Clone, K> Clone for Jwt<C, K> {
    fn clone(&self) -> Self {
        Jwt {
            token: self.token.clone(),
            location: self.location,
            kind: PhantomData,
        }
    }
}

impl<C, K> std::ops::Deref for Jwt<C, K> {
    type Target = Claims<C>;
    fn deref(&self) -> &Claims<C> {
        &self.token.claims
    }
}

impl<C, K> Jwt<C, K> {
    /// The claims (`get_jwt()`).
    pub fn claims(&self) -> &Claims<C> {
        &self.token.claims
    }

    /// The identity, `sub` (`get_jwt_identity()`).
    pub fn identity(&self) -> &str {
        &self.token.claims.sub
    }

    /// The extra claims.
    pub fn extra(&self) -> &C {
        &self.token.claims.extra
    }

    /// The header (`get_jwt_header()`).
    pub fn header(&self) -> &Header {
        &self.token.header
    }

    /// Where the token was found (`get_jwt_request_location()`).
    pub fn location(&self) -> Location {
        self.location
    }

    /// The header and claims.
    pub fn into_token(self) -> Token<C> {
        self.token
    }
}

impl<C: DeserializeOwned, K: TokenKind> Jwt<C, K> {
    /// Verifies the request as this extractor does, outside of an extractor.
    pub async fn from_parts(manager: &JwtManager, parts: &mut Parts) -> Result<Self, AuthError> {
        let verified = verify(manager, parts, K::REQUIREMENT).await?;
        Ok(Jwt {
            token: typed(&verified.token)?,
            location: verified.location,
            kind: PhantomData,
        })
    }
}

/// Reads the verified token's extras as `C`.
fn typed<C: DeserializeOwned>(token: &Token) -> Result<Token<C>, AuthError> {
    let claims = &token.claims;
    // Deserialising from a borrowed map copies only what `C` keeps.
    let extra = C::deserialize(&claims.extra)
        .map_err(|err| AuthError::Invalid(TokenError::ExtraClaims(err.to_string())))?;
    Ok(Token {
        header: token.header.clone(),
        claims: Claims {
            sub: claims.sub.clone(),
            token_type: claims.token_type,
            jti: claims.jti.clone(),
            iat: claims.iat,
            nbf: claims.nbf,
            exp: claims.exp,
            fresh: claims.fresh,
            csrf: claims.csrf.clone(),
            iss: claims.iss.clone(),
            aud: claims.aud.clone(),
            extra,
        },
    })
}

impl<S, C, K> FromRequestParts<S> for Jwt<C, K>
where
    JwtManager: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned + Send,
    K: TokenKind,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let manager = JwtManager::from_ref(state);
        Self::from_parts(&manager, parts)
            .await
            .map_err(|err| manager.reject(err))
    }
}

impl<S, C, K> OptionalFromRequestParts<S> for Jwt<C, K>
where
    JwtManager: FromRef<S>,
    S: Send + Sync,
    C: DeserializeOwned + Send,
    K: TokenKind,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let manager = JwtManager::from_ref(state);
        match Self::from_parts(&manager, parts).await {
            Ok(jwt) => Ok(Some(jwt)),
            Err(AuthError::Missing(_) | AuthError::Preflight) => Ok(None),
            Err(err) => Err(manager.reject(err)),
        }
    }
}
