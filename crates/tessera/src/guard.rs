//! [`RequireRoles`]: a layer that lets through only tokens with given roles.
//!
//! It reads the roles claim (`roles` by default, `JWT_ROLES_CLAIM`): a JSON
//! array of strings. A missing or malformed claim counts as no roles. A
//! request without a valid access token gets the usual 401; one whose token
//! lacks the roles gets 403 [`AuthError::ForbiddenRole`]. `OPTIONS` requests
//! pass through untouched. The verified token is cached, so the handler's
//! own [`Jwt`](crate::Jwt) extractor does not verify it again.
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

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use http::{Method, Request};
use serde_json::Value;
use tower::{Layer, Service};

use crate::codec::Token;
use crate::extract::{Requirement, verify};
use crate::manager::JwtManager;
use crate::response::AuthError;

/// Requires an access token carrying any (or all) of some roles; see the
/// [module docs](self).
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

impl<S> Layer<S> for RequireRoles {
    type Service = RequireRolesService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireRolesService {
            inner,
            guard: self.clone(),
        }
    }
}

/// The service made by [`RequireRoles`].
#[derive(Debug, Clone)]
pub struct RequireRolesService<S> {
    inner: S,
    guard: RequireRoles,
}

impl<S> Service<Request<Body>> for RequireRolesService<S>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = self.guard.clone();
        Box::pin(async move {
            if request.method() == Method::OPTIONS {
                return inner.call(request).await;
            }
            let (mut parts, body) = request.into_parts();
            let manager = &guard.manager;
            match verify(manager, &mut parts, Requirement::ACCESS).await {
                Err(err) => return Ok(manager.render(&err)),
                Ok(verified) if !guard.allows(&verified.token) => {
                    return Ok(manager.render(&AuthError::ForbiddenRole {
                        required: guard.roles.to_vec(),
                    }));
                }
                Ok(_) => {}
            }
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}
