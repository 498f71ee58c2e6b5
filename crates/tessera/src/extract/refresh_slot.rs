//! Where extractors leave the verified cookie token for
//! [`ImplicitRefreshLayer`](crate::ImplicitRefreshLayer), which installs the
//! slot and renews the token after the handler.

use std::sync::{Arc, Mutex, PoisonError};

use super::VerifiedToken;
use crate::claims::TokenType;
use crate::settings::Location;

/// Where extractors leave the verified cookie token for the layer.
#[derive(Clone, Default)]
pub(crate) struct RefreshSlot(Arc<Mutex<Offered>>);

#[derive(Default)]
enum Offered {
    #[default]
    Nothing,
    Token(Arc<VerifiedToken>),
    /// A route read the token without asking the blocklist
    /// ([`JwtOptions::skip_revocation_check`](crate::JwtOptions::skip_revocation_check)):
    /// it may be revoked, so this request renews nothing.
    Unchecked,
}

impl RefreshSlot {
    /// Offers a token an extractor verified; `revocation_checked` says
    /// whether the route asked the blocklist about it.
    pub(crate) fn offer(&self, verified: &Arc<VerifiedToken>, revocation_checked: bool) {
        if verified.location != Location::Cookies
            || verified.token.claims.token_type != TokenType::Access
        {
            return;
        }
        let mut offered = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *offered = match &*offered {
            Offered::Unchecked => Offered::Unchecked,
            _ if !revocation_checked => Offered::Unchecked,
            _ => Offered::Token(Arc::clone(verified)),
        };
    }

    pub(crate) fn take(&self) -> Option<Arc<VerifiedToken>> {
        let mut offered = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match std::mem::take(&mut *offered) {
            Offered::Token(verified) => Some(verified),
            Offered::Nothing | Offered::Unchecked => None,
        }
    }
}
