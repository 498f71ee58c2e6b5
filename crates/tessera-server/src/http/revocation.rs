//! The domain's in-memory revoked set, as the library's revocation check.

use std::sync::Arc;

use tessera::{Blocklist, BlocklistError, BlocklistQuery};

use crate::domain::RevokedSet;

/// Answers the library's blocklist question from memory, with no I/O:
/// a token is revoked when its session or its own `jti` is.
#[derive(Debug, Clone)]
pub struct RevokedSetBlocklist(pub Arc<RevokedSet>);

impl Blocklist for RevokedSetBlocklist {
    fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, BlocklistError>> {
        Some(Ok(self.0.is_revoked(query.sid, query.jti.unwrap_or(""))))
    }
}
