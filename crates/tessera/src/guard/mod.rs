//! Layers that let through only access tokens meeting a rule:
//! [`RequireRoles`] (the roles claim) and [`RequireAmr`] (the `amr` claim,
//! how the user signed in).
//!
//! Both work the same way. A request without a valid access token gets the
//! usual 401; one whose token fails the rule gets a 403 naming what was
//! missing. `OPTIONS` requests pass through untouched. The verified token is
//! cached, so the handler's own [`Jwt`](crate::Jwt) extractor does not
//! verify it again.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tessera::{Jwt, JwtManager, RequireAmr, RequireRoles};
//!
//! async fn admin_panel(_jwt: Jwt) -> &'static str { "hello, admin" }
//!
//! # fn app(manager: JwtManager) -> Router {
//! Router::new()
//!     .route("/admin", get(admin_panel))
//!     // Layers run outside in: the role first, then the second factor.
//!     .route_layer(RequireAmr::all(&manager, ["otp"]))
//!     .route_layer(RequireRoles::any(&manager, ["admin"]))
//!     .with_state(manager)
//! # }
//! ```

mod amr;
mod roles;

pub use amr::{AMR_CLAIM, RequireAmr, token_amr};
pub use roles::{RequireRoles, token_roles};

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use http::{Method, Request};
use tower::{Layer, Service};

use crate::codec::Token;
use crate::extract::{Requirement, verify};
use crate::manager::JwtManager;
use crate::response::AuthError;

/// A rule on a verified access token, enforced by a [`GuardService`].
pub trait TokenRule: Clone + Send + Sync + 'static {
    /// The manager that verifies the token and renders refusals.
    fn manager(&self) -> &JwtManager;

    /// `None` when `token` passes; else the error to answer with.
    fn refusal(&self, token: &Token) -> Option<AuthError>;
}

/// The service made by a guard layer ([`RequireRoles`], [`RequireAmr`]).
#[derive(Debug, Clone)]
pub struct GuardService<S, R> {
    inner: S,
    rule: R,
}

/// The service made by [`RequireRoles`].
pub type RequireRolesService<S> = GuardService<S, RequireRoles>;

/// The service made by [`RequireAmr`].
pub type RequireAmrService<S> = GuardService<S, RequireAmr>;

impl<S> Layer<S> for RequireRoles {
    type Service = RequireRolesService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            rule: self.clone(),
        }
    }
}

impl<S> Layer<S> for RequireAmr {
    type Service = RequireAmrService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            rule: self.clone(),
        }
    }
}

impl<S, R> Service<Request<Body>> for GuardService<S, R>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: TokenRule,
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
        let rule = self.rule.clone();
        Box::pin(async move {
            if request.method() == Method::OPTIONS {
                return inner.call(request).await;
            }
            let (mut parts, body) = request.into_parts();
            let manager = rule.manager();
            match verify(manager, &mut parts, Requirement::ACCESS).await {
                Err(err) => return Ok(manager.render(&err)),
                Ok(verified) => {
                    if let Some(refusal) = rule.refusal(&verified.token) {
                        return Ok(manager.render(&refusal));
                    }
                }
            }
            inner.call(Request::from_parts(parts, body)).await
        })
    }
}
