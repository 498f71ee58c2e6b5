//! Per-route settings: which locations to search, whether to ask the blocklist.

use std::sync::Arc;

use axum::Extension;
use axum::middleware::AddExtension;
use tower::Layer;

use crate::settings::Location;

/// Per-route overrides, applied as a layer (Flask-JWT-Extended's
/// `jwt_required(locations=…, skip_revocation_check=…)`).
///
/// It is a tower layer that stores itself in the request's extensions, where
/// the extractors and guards on that route find it:
///
/// ```
/// use axum::{Router, routing::post};
/// use tessera::{JwtManager, JwtOptions, Location, RefreshJwt};
///
/// async fn refresh(_token: RefreshJwt) {}
///
/// # fn app(manager: JwtManager) -> Router {
/// Router::new()
///     .route(
///         "/refresh",
///         post(refresh).route_layer(JwtOptions::new().locations([Location::Cookies])),
///     )
///     .with_state(manager)
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct JwtOptions {
    pub(crate) locations: Option<Arc<[Location]>>,
    pub(crate) check_revocation: bool,
}

impl Default for JwtOptions {
    fn default() -> Self {
        JwtOptions {
            locations: None,
            check_revocation: true,
        }
    }
}

impl JwtOptions {
    /// The manager's settings, unchanged.
    pub fn new() -> Self {
        Self::default()
    }

    /// Searches these locations on this route instead of `JWT_TOKEN_LOCATION`
    /// (the header, if listed, still goes first).
    #[must_use]
    pub fn locations(mut self, locations: impl IntoIterator<Item = Location>) -> Self {
        self.locations = Some(locations.into_iter().collect());
        self
    }

    /// Does not consult the blocklist on this route (for example a logout
    /// route that must accept an already-revoked token). Such a route never
    /// gets a renewed cookie from [`ImplicitRefreshLayer`](crate::ImplicitRefreshLayer).
    #[must_use]
    pub fn skip_revocation_check(mut self) -> Self {
        self.check_revocation = false;
        self
    }
}

impl<S> Layer<S> for JwtOptions {
    type Service = AddExtension<S, JwtOptions>;

    fn layer(&self, inner: S) -> Self::Service {
        Extension(self.clone()).layer(inner)
    }
}
