//! [`CurrentUser`]: the user a verified access token belongs to.
//!
//! Implement a [`UserLoader`] and make it reachable from the router state
//! through [`FromRef`] (as [`JwtManager`] is). The extractor
//! `CurrentUser<L>` verifies the access token (exactly as [`Jwt`](crate::Jwt)
//! does), then asks loader `L` for the user. No user → 401
//! [`AuthError::UserNotFound`]; a loader error → 503
//! [`AuthError::UserLookupFailed`], with the loader's error as its
//! [`source`](std::error::Error::source). The user is loaded once per
//! request, however many extractors ask for it.
//!
//! Because the loader comes from the state's type, a route that asks for a
//! user the state cannot load does not compile:
//!
//! ```compile_fail
//! use axum::{Router, routing::get};
//! use tessera::{CurrentUser, JwtManager, Token, UserLoadError, UserLoader};
//!
//! #[derive(Clone)]
//! struct Users;
//! impl UserLoader for Users {
//!     type User = String;
//!     type Error = UserLoadError;
//!     async fn load_user(&self, token: &Token) -> Result<Option<String>, UserLoadError> {
//!         Ok(Some(token.claims.sub.clone()))
//!     }
//! }
//!
//! async fn me(user: CurrentUser<Users>) -> String { user.0 }
//!
//! # fn app(manager: JwtManager) -> Router {
//! // The state is only a JwtManager: there is no `Users` in it.
//! Router::new().route("/me", get(me)).with_state(manager)
//! # }
//! ```

use std::future::Future;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;

use crate::codec::Token;
use crate::error::SharedError;
use crate::extract::{Requirement, verify};
use crate::manager::JwtManager;
use crate::response::{AuthError, AuthRejection};

/// A ready-made error for loaders whose failures are plain messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UserLoadError(pub String);

/// Finds the user for a verified token (Flask-JWT-Extended's
/// `user_lookup_loader`), like axum-login's `AuthnBackend`: the user type
/// and the error type are the implementation's own.
///
/// ```
/// use axum::{Router, extract::FromRef, routing::get};
/// use tessera::{CurrentUser, JwtManager, Token, UserLoadError, UserLoader};
///
/// #[derive(Clone)]
/// struct User { name: String }
/// #[derive(Clone)]
/// struct Users;
///
/// impl UserLoader for Users {
///     type User = User;
///     type Error = UserLoadError;
///     async fn load_user(&self, token: &Token) -> Result<Option<User>, UserLoadError> {
///         Ok((token.claims.sub == "alice").then(|| User { name: "alice".into() }))
///     }
/// }
///
/// #[derive(Clone)]
/// struct AppState { jwt: JwtManager, users: Users }
/// impl FromRef<AppState> for JwtManager {
///     fn from_ref(state: &AppState) -> Self { state.jwt.clone() }
/// }
/// impl FromRef<AppState> for Users {
///     fn from_ref(state: &AppState) -> Self { state.users.clone() }
/// }
///
/// async fn me(user: CurrentUser<Users>) -> String { user.name.clone() }
///
/// # fn app(jwt: JwtManager) -> Router {
/// Router::new().route("/me", get(me)).with_state(AppState { jwt, users: Users })
/// # }
/// ```
pub trait UserLoader: Send + Sync + 'static {
    /// The user type [`CurrentUser`] yields.
    type User: Clone + Send + Sync + 'static;
    /// Why the store could not answer; kept as the
    /// [`source`](std::error::Error::source) of [`AuthError::UserLookupFailed`].
    type Error: std::error::Error + Send + Sync + 'static;

    /// The user `token` belongs to, or `None` when there is none (deleted,
    /// disabled…).
    fn load_user(
        &self,
        token: &Token,
    ) -> impl Future<Output = Result<Option<Self::User>, Self::Error>> + Send;
}

/// The current user, loaded by loader `L` from the router state.
/// Dereferences to the user.
pub struct CurrentUser<L: UserLoader>(pub L::User);

impl<L: UserLoader> std::fmt::Debug for CurrentUser<L>
where
    L::User: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CurrentUser").field(&self.0).finish()
    }
}

impl<L: UserLoader> Clone for CurrentUser<L> {
    fn clone(&self) -> Self {
        CurrentUser(self.0.clone())
    }
}

impl<L: UserLoader> std::ops::Deref for CurrentUser<L> {
    type Target = L::User;
    fn deref(&self) -> &L::User {
        &self.0
    }
}

/// The per-request cache of the loaded user.
#[derive(Clone)]
struct LoadedUser<U>(U);

async fn load<L: UserLoader>(
    manager: &JwtManager,
    loader: &L,
    parts: &mut Parts,
) -> Result<L::User, AuthError> {
    let verified = verify(manager, parts, Requirement::ACCESS).await?;
    if let Some(LoadedUser(user)) = parts.extensions.get::<LoadedUser<L::User>>() {
        return Ok(user.clone());
    }
    let user = loader
        .load_user(&verified.token)
        .await
        .map_err(|err| AuthError::UserLookupFailed(SharedError::new(err)))?
        .ok_or_else(|| AuthError::UserNotFound {
            identity: verified.token.claims.sub.clone(),
        })?;
    parts.extensions.insert(LoadedUser(user.clone()));
    Ok(user)
}

impl<S, L> FromRequestParts<S> for CurrentUser<L>
where
    JwtManager: FromRef<S>,
    L: UserLoader + FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let manager = JwtManager::from_ref(state);
        load(&manager, &L::from_ref(state), parts)
            .await
            .map(CurrentUser)
            .map_err(|err| manager.reject(err))
    }
}

/// `Option<CurrentUser<L>>`: `None` only when there is no token (or on
/// `OPTIONS`); a bad token or a missing user still fails.
impl<S, L> OptionalFromRequestParts<S> for CurrentUser<L>
where
    JwtManager: FromRef<S>,
    L: UserLoader + FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let manager = JwtManager::from_ref(state);
        match load(&manager, &L::from_ref(state), parts).await {
            Ok(user) => Ok(Some(CurrentUser(user))),
            Err(AuthError::Missing(_) | AuthError::Preflight) => Ok(None),
            Err(err) => Err(manager.reject(err)),
        }
    }
}
