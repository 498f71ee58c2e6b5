//! [`RequireRoles`]: a layer that lets through only tokens with given roles.
//!
//! It reads the roles claim (`roles` by default, `JWT_ROLES_CLAIM`): a JSON
//! array of strings. A missing or malformed claim counts as no roles. A
//! request without a valid access token gets the usual 401; one whose token
//! lacks the roles gets 403 [`AuthError::ForbiddenRole`].
//!
//! ```
//! use axum::{Router, routing::get};
//! use tessera::{Jwt, JwtManager, RequireRoles};
//!
//! async fn admin_panel(_jwt: Jwt) -> &'static str { "hello, admin" }
//!
//! # fn app(manager: JwtManager) -> Router {
//! Router::new()
//!     .route("/admin", get(admin_panel))
//!     .route_layer(RequireRoles::any(&manager, ["admin"]))
//!     .with_state(manager)
//! # }
//! ```

use std::sync::Arc;

use serde_json::Value;

use super::TokenRule;
use crate::codec::Token;
use crate::manager::JwtManager;
use crate::response::AuthError;

/// Requires an access token carrying any (or all) of some roles; see the
/// [module docs](crate::guard).
#[derive(Debug, Clone)]
pub struct RequireRoles {
    manager: JwtManager,
    roles: Arc<[String]>,
    all: bool,
}

impl RequireRoles {
    /// Lets through tokens with at least one of `roles`.
    pub fn any(manager: &JwtManager, roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        RequireRoles {
            manager: manager.clone(),
            roles: roles.into_iter().map(Into::into).collect(),
            all: false,
        }
    }

    /// Lets through tokens with every one of `roles`.
    pub fn all(manager: &JwtManager, roles: impl IntoIterator<Item = impl Into<String>>) -> Self {
        RequireRoles {
            all: true,
            ..Self::any(manager, roles)
        }
    }

    /// Whether `token` satisfies this requirement.
    pub fn allows(&self, token: &Token) -> bool {
        let held = token_roles(token, &self.manager.config().roles_claim);
        let has = |role: &String| held.contains(&role.as_str());
        if self.all {
            self.roles.iter().all(has)
        } else {
            self.roles.iter().any(has)
        }
    }
}

/// The roles in `token`'s `claim` (an array of strings; anything else: none).
pub fn token_roles<'a>(token: &'a Token, claim: &str) -> Vec<&'a str> {
    match token.claims.extra.get(claim) {
        Some(Value::Array(roles)) => roles.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

impl TokenRule for RequireRoles {
    fn manager(&self) -> &JwtManager {
        &self.manager
    }

    fn refusal(&self, token: &Token) -> Option<AuthError> {
        (!self.allows(token)).then(|| AuthError::ForbiddenRole {
            required: self.roles.to_vec(),
        })
    }
}
