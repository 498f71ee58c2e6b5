//! Revocation: a [`Blocklist`] consulted on every protected request.
//!
//! The manager asks it about each verified token's `jti` and, when present,
//! its `sid` (session id) claim, after the signature, claims, type and
//! freshness checks. A `true` answer fails the request with
//! [`AuthError::Revoked`](crate::AuthError::Revoked); an error fails it with
//! [`AuthError::BlocklistUnavailable`](crate::AuthError::BlocklistUnavailable)
//! (503): when revocation cannot be checked, refusing is the safe side.
//!
//! The trait has a synchronous fast path, [`Blocklist::check_now`], so an
//! in-memory set answers without allocating a future; every store
//! implements [`Blocklist::is_revoked`] (an `async fn` when it needs I/O).

mod memory;

pub use memory::MemoryBlocklist;

use std::future::Future;
use std::pin::Pin;

use crate::codec::Token;
use crate::error::SharedError;

/// The claim naming the login session a token belongs to (`sid`, as in
/// OpenID Connect); the blocklist is asked about it beside the `jti`.
pub const SESSION_ID_CLAIM: &str = "sid";

/// What the blocklist is asked about one token.
#[derive(Debug, Clone, Copy)]
pub struct BlocklistQuery<'a> {
    /// The token's `jti`, if it has one.
    pub jti: Option<&'a str>,
    /// The token's `sid` claim (session id), if it has one.
    pub sid: Option<&'a str>,
    /// The whole verified token (Flask-JWT-Extended passes header and payload).
    pub token: &'a Token,
}

/// A ready-made error for blocklists whose failures are plain messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("blocklist unavailable: {0}")]
pub struct BlocklistError(pub String);

/// Decides whether a token is revoked (Flask-JWT-Extended's
/// `token_in_blocklist_loader`).
///
/// [`is_revoked`](Blocklist::is_revoked) is the answer; a store that holds
/// the answer in memory also implements [`check_now`](Blocklist::check_now),
/// which is asked first and spares the request a boxed future. Failures are
/// the implementation's own [`Error`](Blocklist::Error) type, kept as the
/// [`source`](std::error::Error::source) of
/// [`AuthError::BlocklistUnavailable`](crate::AuthError::BlocklistUnavailable).
///
/// ```
/// use std::convert::Infallible;
/// use tessera::{Blocklist, BlocklistQuery};
///
/// struct Banned(Vec<String>);
///
/// impl Blocklist for Banned {
///     type Error = Infallible;
///     fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, Infallible>> {
///         Some(Ok(query.jti.is_some_and(|jti| self.0.iter().any(|one| one == jti))))
///     }
///     async fn is_revoked(&self, query: BlocklistQuery<'_>) -> Result<bool, Infallible> {
///         self.check_now(query).unwrap_or(Ok(true))
///     }
/// }
/// ```
pub trait Blocklist: Send + Sync + 'static {
    /// Why the store could not answer.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Answers without waiting, if possible; `None` defers to
    /// [`is_revoked`](Blocklist::is_revoked).
    fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, Self::Error>> {
        let _ = query;
        None
    }

    /// Answers, possibly after I/O.
    fn is_revoked(
        &self,
        query: BlocklistQuery<'_>,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe form the manager stores; errors are erased here.
pub(crate) trait ErasedBlocklist: Send + Sync {
    fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, SharedError>>;
    fn is_revoked<'a>(
        &'a self,
        query: BlocklistQuery<'a>,
    ) -> BoxFuture<'a, Result<bool, SharedError>>;
}

fn erase<E: std::error::Error + Send + Sync + 'static>(error: E) -> SharedError {
    SharedError::new(error)
}

impl<B: Blocklist> ErasedBlocklist for B {
    fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, SharedError>> {
        Blocklist::check_now(self, query).map(|answer| answer.map_err(erase))
    }

    fn is_revoked<'a>(
        &'a self,
        query: BlocklistQuery<'a>,
    ) -> BoxFuture<'a, Result<bool, SharedError>> {
        Box::pin(async move { Blocklist::is_revoked(self, query).await.map_err(erase) })
    }
}

/// Asks `blocklist` about `token`.
pub(crate) async fn check(
    blocklist: &dyn ErasedBlocklist,
    token: &Token,
) -> Result<bool, SharedError> {
    let query = BlocklistQuery {
        jti: token.claims.jti.as_deref(),
        sid: token
            .claims
            .extra
            .get(SESSION_ID_CLAIM)
            .and_then(|sid| sid.as_str()),
        token,
    };
    match blocklist.check_now(query) {
        Some(answer) => answer,
        None => blocklist.is_revoked(query).await,
    }
}
