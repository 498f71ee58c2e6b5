//! The domain's in-memory revoked set, as the library's revocation check.

use std::convert::Infallible;
use std::sync::Arc;

use tessera::{Blocklist, BlocklistQuery};

use super::request_log::note_user;
use crate::domain::RevokedSet;

/// Answers the library's blocklist question from memory, with no I/O:
/// a token is revoked when its session or its own `jti` is.
#[derive(Debug, Clone)]
pub struct RevokedSetBlocklist(pub Arc<RevokedSet>);

impl Blocklist for RevokedSetBlocklist {
    type Error = Infallible;

    fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, Infallible>> {
        // Every verified token passes here: the one place its `sub` is
        // named for the request's log lines.
        note_user(&query.token.claims.sub);
        Some(Ok(self.0.is_revoked(query.sid, query.jti.unwrap_or(""))))
    }

    async fn is_revoked(&self, query: BlocklistQuery<'_>) -> Result<bool, Infallible> {
        note_user(&query.token.claims.sub);
        Ok(self.0.is_revoked(query.sid, query.jti.unwrap_or("")))
    }
}
