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
//! in-memory set answers without allocating a future; stores that need I/O
//! implement [`Blocklist::is_revoked`] with an `async fn`.

mod memory;

pub use memory::MemoryBlocklist;

use std::future::Future;
use std::pin::Pin;

use crate::codec::Token;

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

/// The blocklist could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("blocklist unavailable: {0}")]
pub struct BlocklistError(pub String);

/// Decides whether a token is revoked (Flask-JWT-Extended's
/// `token_in_blocklist_loader`).
///
/// Implement [`check_now`](Blocklist::check_now) when the answer is in
/// memory, [`is_revoked`](Blocklist::is_revoked) when it needs I/O (or both:
/// `is_revoked` is only called when `check_now` returns `None`).
pub trait Blocklist: Send + Sync + 'static {
    /// Answers without waiting, if possible; `None` defers to
    /// [`is_revoked`](Blocklist::is_revoked).
    fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, BlocklistError>> {
        let _ = query;
        None
    }

    /// Answers, possibly after I/O. The default uses `check_now` and treats
    /// "no answer" as an error, so a blocklist that implements neither
    /// method refuses requests rather than letting revoked tokens through.
    fn is_revoked(
        &self,
        query: BlocklistQuery<'_>,
    ) -> impl Future<Output = Result<bool, BlocklistError>> + Send {
        let answer = self
            .check_now(query)
            .unwrap_or_else(|| Err(BlocklistError("the blocklist gave no answer".to_owned())));
        std::future::ready(answer)
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe form the manager stores.
pub(crate) trait ErasedBlocklist: Send + Sync {
    fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, BlocklistError>>;
    fn is_revoked<'a>(
        &'a self,
        query: BlocklistQuery<'a>,
    ) -> BoxFuture<'a, Result<bool, BlocklistError>>;
}

impl<B: Blocklist> ErasedBlocklist for B {
    fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, BlocklistError>> {
        Blocklist::check_now(self, query)
    }

    fn is_revoked<'a>(
        &'a self,
        query: BlocklistQuery<'a>,
    ) -> BoxFuture<'a, Result<bool, BlocklistError>> {
        Box::pin(Blocklist::is_revoked(self, query))
    }
}

/// Asks `blocklist` about `token`.
pub(crate) async fn check(
    blocklist: &dyn ErasedBlocklist,
    token: &Token,
) -> Result<bool, BlocklistError> {
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
