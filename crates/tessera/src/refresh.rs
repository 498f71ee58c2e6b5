//! Implicit refresh for cookie apps: re-issue the access cookie shortly
//! before it expires, on the way out of any request that used it.
//!
//! This is Flask-JWT-Extended's documented `after_request` pattern as a
//! layer. After the inner service answers, if the request was authenticated
//! with an **access token from a cookie** that expires within `window`
//! seconds (and has not expired: an expired token is refused before any
//! handler runs, and is never renewed), a new access token for the same
//! identity is set as a cookie (plus its CSRF cookie). The new token is not
//! fresh; it keeps the old token's extra claims (such as `roles` or `sid`),
//! over which the additional-claims loader's claims win. A response that
//! already sets the access cookie (login, logout) is left alone.
//!
//! A token is renewed only when the response is a success (2xx), and only
//! when the blocklist, asked again after the handler ran, still accepts it:
//! a handler that revokes the presented token (a logout that leaves the
//! cookie for the client to drop) gets no fresh copy of it. Routes that
//! [skip the revocation check](crate::JwtOptions::skip_revocation_check)
//! never renew, since the token they accepted may be revoked.
//!
//! ```
//! use axum::{Router, routing::get};
//! use tessera::{ImplicitRefreshLayer, Jwt, JwtManager};
//!
//! async fn page(_jwt: Jwt) {}
//!
//! # fn app(manager: JwtManager) -> Router {
//! Router::new()
//!     .route("/page", get(page))
//!     .layer(ImplicitRefreshLayer::new(&manager, 30 * 60))
//!     .with_state(manager)
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;

use std::task::{Context, Poll};

use axum::body::Body;
use axum::response::Response;
use http::{HeaderValue, Request, header};
use tower::{Layer, Service};

use crate::blocklist;
use crate::claims::TokenType;
use crate::extract::{RefreshSlot, VerifiedToken};
use crate::manager::{JwtManager, TokenOptions};

/// Re-issues access cookies that are about to expire; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct ImplicitRefreshLayer {
    manager: JwtManager,
    window: i64,
}

impl ImplicitRefreshLayer {
    /// Renews access cookies whose token expires within `window_seconds`.
    pub fn new(manager: &JwtManager, window_seconds: i64) -> Self {
        ImplicitRefreshLayer {
            manager: manager.clone(),
            window: window_seconds,
        }
    }
}

impl<S> Layer<S> for ImplicitRefreshLayer {
    type Service = ImplicitRefreshService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ImplicitRefreshService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`ImplicitRefreshLayer`].
#[derive(Debug, Clone)]
pub struct ImplicitRefreshService<S> {
    inner: S,
    layer: ImplicitRefreshLayer,
}

impl<S> Service<Request<Body>> for ImplicitRefreshService<S>
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

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let layer = self.layer.clone();
        let slot = RefreshSlot::default();
        request.extensions_mut().insert(slot.clone());
        Box::pin(async move {
            let mut response = inner.call(request).await?;
            // Only a request that succeeded earns a new token, and only if
            // the token is still unrevoked now that the handler has run (a
            // logout handler revokes the very token it was sent).
            if response.status().is_success()
                && let Some(verified) = slot.take()
                && still_unrevoked(&layer.manager, &verified).await
            {
                renew(&layer, &verified, &mut response);
            }
            Ok(response)
        })
    }
}

/// Asks the blocklist again; an error counts as revoked (renewing is never
/// worth a token the blocklist could not vouch for).
async fn still_unrevoked(manager: &JwtManager, verified: &VerifiedToken) -> bool {
    match manager.blocklist() {
        None => true,
        Some(blocklist) => matches!(
            blocklist::check(blocklist, &verified.token).await,
            Ok(false)
        ),
    }
}

fn renew(layer: &ImplicitRefreshLayer, verified: &VerifiedToken, response: &mut Response) {
    let manager = &layer.manager;
    let claims = &verified.token.claims;
    let now = manager.now();
    let Some(exp) = claims.exp else { return };
    if exp <= now || exp - now > layer.window {
        return;
    }
    let cookie_name = &manager.config().cookies.access_name;
    let already_set = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.split('=').next() == Some(cookie_name.as_str()));
    if already_set {
        return;
    }
    // Old extras, with the loader's current values on top.
    let mut extra = claims.extra.clone();
    if let Some(loader) = &manager.hooks().claims {
        extra.extend(loader(&crate::manager::IssueContext {
            sub: &claims.sub,
            token_type: TokenType::Access,
        }));
    }
    let options = TokenOptions::new().claims(&extra);
    let Ok(issued) = manager.issue(TokenType::Access, claims.sub.as_str(), options) else {
        return;
    };
    let Ok(cookies) = manager.token_cookies(TokenType::Access, &issued.token, &issued.claims)
    else {
        return;
    };
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(&cookie.encoded().to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}
