//! [`CurrentUser`]: the user a verified access token belongs to.
//!
//! Register a [`UserLoader`] with [`JwtManager::with_user_loader`]; the
//! extractor verifies the access token (exactly as [`Jwt`](crate::Jwt)
//! does), then asks the loader for the user. No user → 401
//! [`AuthError::UserNotFound`]; a loader error → 503
//! [`AuthError::UserLookupFailed`]. The user is loaded once per request,
//! however many extractors ask for it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;

use crate::codec::Token;
use crate::extract::{Requirement, verify};
use crate::manager::JwtManager;
use crate::response::{AuthError, AuthRejection};

/// The loader could not reach its store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UserLoadError(pub String);

/// Finds the user for a verified token (Flask-JWT-Extended's
/// `user_lookup_loader`).
///
/// ```
/// use tessera::{Token, UserLoadError, UserLoader};
///
/// #[derive(Clone)]
/// struct User { name: String }
/// struct Users;
///
/// impl UserLoader for Users {
///     type User = User;
///     async fn load_user(&self, token: &Token) -> Result<Option<User>, UserLoadError> {
///         Ok((token.claims.sub == "alice").then(|| User { name: "alice".into() }))
///     }
/// }
/// ```
pub trait UserLoader: Send + Sync + 'static {
    /// The user type [`CurrentUser`] yields.
    type User: Clone + Send + Sync + 'static;

    /// The user `token` belongs to, or `None` when there is none (deleted,
    /// disabled…).
    fn load_user(
        &self,
        token: &Token,
    ) -> impl Future<Output = Result<Option<Self::User>, UserLoadError>> + Send;
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe form the manager stores, one per user type.
pub(crate) trait ErasedUserLoader<U>: Send + Sync {
    fn load<'a>(&'a self, token: &'a Token) -> BoxFuture<'a, Result<Option<U>, UserLoadError>>;
}

impl<L: UserLoader> ErasedUserLoader<L::User> for L {
    fn load<'a>(
        &'a self,
        token: &'a Token,
    ) -> BoxFuture<'a, Result<Option<L::User>, UserLoadError>> {
        Box::pin(self.load_user(token))
    }
}

/// The current user, loaded by the registered [`UserLoader`] for `U`.
#[derive(Debug, Clone)]
pub struct CurrentUser<U>(pub U);

impl<U> std::ops::Deref for CurrentUser<U> {
    type Target = U;
    fn deref(&self) -> &U {
        &self.0
    }
}

/// The per-request cache of the loaded user.
#[derive(Clone)]
struct LoadedUser<U>(U);

async fn load<U: Clone + Send + Sync + 'static>(
    manager: &JwtManager,
    parts: &mut Parts,
) -> Result<U, AuthError> {
    let verified = verify(manager, parts, Requirement::ACCESS).await?;
    if let Some(LoadedUser(user)) = parts.extensions.get::<LoadedUser<U>>() {
        return Ok(user.clone());
    }
    let loader: Arc<dyn ErasedUserLoader<U>> =
        manager.user_loader::<U>().ok_or(AuthError::Misconfigured(
            "CurrentUser needs JwtManager::with_user_loader for this user type",
        ))?;
    let user = loader
        .load(&verified.token)
        .await
        .map_err(|err| AuthError::UserLookupFailed(err.0))?
        .ok_or_else(|| AuthError::UserNotFound {
            identity: verified.token.claims.sub.clone(),
        })?;
    parts.extensions.insert(LoadedUser(user.clone()));
    Ok(user)
}

impl<S, U> FromRequestParts<S> for CurrentUser<U>
where
    JwtManager: FromRef<S>,
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let manager = JwtManager::from_ref(state);
        load(&manager, parts)
            .await
            .map(CurrentUser)
            .map_err(|err| manager.reject(err))
    }
}

/// `Option<CurrentUser<U>>`: `None` only when there is no token (or on
/// `OPTIONS`); a bad token or a missing user still fails.
impl<S, U> OptionalFromRequestParts<S> for CurrentUser<U>
where
    JwtManager: FromRef<S>,
    S: Send + Sync,
    U: Clone + Send + Sync + 'static,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let manager = JwtManager::from_ref(state);
        match load(&manager, parts).await {
            Ok(user) => Ok(Some(CurrentUser(user))),
            Err(AuthError::Missing(_) | AuthError::Preflight) => Ok(None),
            Err(err) => Err(manager.reject(err)),
        }
    }
}
