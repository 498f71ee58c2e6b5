//! [`RequireAmr`]: a layer that lets through only tokens whose `amr` claim
//! shows the user signed in a certain way.
//!
//! `amr` (RFC 8176, "authentication methods references") is a JSON array of
//! strings such as `"pwd"` (password), `"otp"` (a one-time code, e.g. TOTP),
//! `"hwk"` / `"swk"` (a hardware- or software-held key, e.g. a passkey) or
//! `"mfa"` (more than one factor). A missing or malformed claim counts as
//! no methods. A token that lacks the methods gets 403
//! [`AuthError::ForbiddenAmr`] (`insufficient_authentication`).
//!
//! ```
//! use axum::{Router, routing::post};
//! use tessera::{Jwt, JwtManager, RequireAmr};
//!
//! async fn wire_money(_jwt: Jwt) -> &'static str { "sent" }
//!
//! # fn app(manager: JwtManager) -> Router {
//! Router::new()
//!     .route("/transfers", post(wire_money))
//!     // A one-time code or a hardware key, on top of whatever else.
//!     .route_layer(RequireAmr::any(&manager, ["otp", "hwk"]))
//!     .with_state(manager)
//! # }
//! ```

use std::sync::Arc;

use serde_json::Value;

use super::TokenRule;
use crate::codec::Token;
use crate::manager::JwtManager;
use crate::response::AuthError;

/// The claim naming how the user signed in (RFC 8176, OpenID Connect Core
/// §2): an array of method names.
pub const AMR_CLAIM: &str = "amr";

/// Requires an access token whose `amr` claim holds any (or all) of some
/// methods; see the [module docs](crate::guard).
#[derive(Debug, Clone)]
pub struct RequireAmr {
    manager: JwtManager,
    methods: Arc<[String]>,
    all: bool,
}

impl RequireAmr {
    /// Lets through tokens with at least one of `methods`.
    pub fn any(manager: &JwtManager, methods: impl IntoIterator<Item = impl Into<String>>) -> Self {
        RequireAmr {
            manager: manager.clone(),
            methods: methods.into_iter().map(Into::into).collect(),
            all: false,
        }
    }

    /// Lets through tokens with every one of `methods`.
    pub fn all(manager: &JwtManager, methods: impl IntoIterator<Item = impl Into<String>>) -> Self {
        RequireAmr {
            all: true,
            ..Self::any(manager, methods)
        }
    }

    /// Whether `token` satisfies this requirement.
    pub fn allows(&self, token: &Token) -> bool {
        let held = token_amr(token);
        let has = |method: &String| held.contains(&method.as_str());
        if self.all {
            self.methods.iter().all(has)
        } else {
            self.methods.iter().any(has)
        }
    }
}

/// The methods in `token`'s [`AMR_CLAIM`] (an array of strings; anything
/// else: none).
pub fn token_amr(token: &Token) -> Vec<&str> {
    match token.claims.extra.get(AMR_CLAIM) {
        Some(Value::Array(methods)) => methods.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

impl TokenRule for RequireAmr {
    fn manager(&self) -> &JwtManager {
        &self.manager
    }

    fn refusal(&self, token: &Token) -> Option<AuthError> {
        (!self.allows(token)).then(|| AuthError::ForbiddenAmr {
            required: self.methods.to_vec(),
        })
    }
}
