//! Shared harness for the axum tests: a manager on a manual clock, a router
//! with one route per extractor kind, and a one-call request runner.

use axum::body::Body;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::{FromRef, State};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use axum::{Json, Router};
use http::{HeaderMap, Request, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tessera::{
    AnyJwt, CurrentUser, FreshJwt, Jwt, JwtConfig, JwtManager, JwtOptions, Location, ManualClock,
    RefreshJwt, RequireAmr, RequireRoles, Token, TokenConfig, UserLoadError, UserLoader,
};
use tower::ServiceExt;

pub const SECRET: &str = "k3Yq9vN2xP7rT4wZ8mB1cF6hJ0sD5gL3";
pub const NOW: i64 = 1_700_000_000;

pub fn config() -> JwtConfig {
    JwtConfig::new(TokenConfig::with_secret(SECRET))
}

/// A manager for `config` on a manual clock stopped at `NOW`.
pub fn manager_with(config: JwtConfig) -> (JwtManager, ManualClock) {
    let clock = ManualClock::new(NOW);
    let manager = JwtManager::new(config).unwrap().with_clock(clock.clone());
    (manager, clock)
}

pub fn manager() -> (JwtManager, ManualClock) {
    manager_with(config())
}

/// A manager reading tokens from every location, header first in the list.
pub fn all_locations() -> (JwtManager, ManualClock) {
    let mut config = config();
    config.locations = vec![
        Location::Headers,
        Location::Cookies,
        Location::QueryString,
        Location::Json,
    ];
    manager_with(config)
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct User {
    pub name: String,
}

/// The test user store: `alice` exists, `broken` makes the store fail,
/// anyone else is unknown. Counts the lookups.
#[derive(Debug, Clone, Default)]
pub struct Users(pub Arc<AtomicUsize>);

impl Users {
    pub fn lookups(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl UserLoader for Users {
    type User = User;
    type Error = UserLoadError;
    async fn load_user(&self, token: &Token) -> Result<Option<User>, UserLoadError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        match token.claims.sub.as_str() {
            "alice" => Ok(Some(User {
                name: "Alice".to_owned(),
            })),
            "broken" => Err(UserLoadError("database down".to_owned())),
            _ => Ok(None),
        }
    }
}

/// The standard router's state: the manager and the user store.
#[derive(Debug, Clone)]
pub struct TestState {
    pub jwt: JwtManager,
    pub users: Users,
}

impl FromRef<TestState> for JwtManager {
    fn from_ref(state: &TestState) -> Self {
        state.jwt.clone()
    }
}

impl FromRef<TestState> for Users {
    fn from_ref(state: &TestState) -> Self {
        state.users.clone()
    }
}

#[derive(Debug, Deserialize)]
pub struct RoleClaims {
    pub roles: Vec<String>,
}

fn describe<C, K>(jwt: &Jwt<C, K>) -> Value {
    json!({
        "sub": jwt.identity(),
        "type": jwt.token_type.as_str(),
        "location": jwt.location().as_str(),
    })
}

async fn protected(jwt: Jwt) -> Json<Value> {
    Json(describe(&jwt))
}

async fn optional(jwt: Option<Jwt>) -> Json<Value> {
    Json(jwt.map_or(json!({"sub": null}), |jwt| describe(&jwt)))
}

async fn fresh(jwt: FreshJwt) -> Json<Value> {
    Json(describe(&jwt))
}

async fn refresh(jwt: RefreshJwt) -> Json<Value> {
    Json(describe(&jwt))
}

async fn either(jwt: AnyJwt) -> Json<Value> {
    Json(describe(&jwt))
}

async fn typed(jwt: Jwt<RoleClaims>) -> Json<Value> {
    Json(json!({ "roles": jwt.extra().roles }))
}

async fn me(user: CurrentUser<Users>) -> Json<Value> {
    Json(json!({ "name": user.name }))
}

async fn maybe_me(user: Option<CurrentUser<Users>>) -> Json<Value> {
    Json(json!({ "name": user.map(|user| user.0.name) }))
}

/// Two extractors on one request: the token must be verified once.
async fn twice(first: Jwt, second: Jwt, State(_): State<JwtManager>) -> impl IntoResponse {
    Json(json!({ "same": first.jti == second.jti }))
}

/// The standard test router.
pub fn app(manager: &JwtManager) -> Router {
    app_with_users(manager, Users::default())
}

/// The standard test router, with `users` as its user store.
pub fn app_with_users(manager: &JwtManager, users: Users) -> Router {
    Router::new()
        .route("/protected", any(protected))
        .route("/optional", any(optional))
        .route("/fresh", any(fresh))
        .route("/refresh", any(refresh))
        .route("/either", any(either))
        .route("/typed", get(typed))
        .route("/me", get(me))
        .route("/maybe-me", get(maybe_me))
        .route("/twice", get(twice))
        .route(
            "/admin",
            any(protected).layer(RequireRoles::any(manager, ["admin"])),
        )
        .route(
            "/admin-and-ops",
            get(protected).route_layer(RequireRoles::all(manager, ["admin", "ops"])),
        )
        .route(
            "/second-factor",
            any(protected).layer(RequireAmr::any(manager, ["otp", "hwk"])),
        )
        .route(
            "/password-and-code",
            get(protected).route_layer(RequireAmr::all(manager, ["pwd", "otp"])),
        )
        .route(
            "/cookies-only",
            any(protected).layer(JwtOptions::new().locations([Location::Cookies])),
        )
        .route(
            "/unchecked",
            any(protected).layer(JwtOptions::new().skip_revocation_check()),
        )
        .layer(manager.body_layer())
        .with_state(TestState {
            jwt: manager.clone(),
            users,
        })
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(http::header::SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect()
    }

    /// The `sub` the test handlers echo.
    pub fn sub(&self) -> Value {
        self.json()["sub"].clone()
    }
}

pub async fn send(app: &Router, request: impl Into<Request<Body>>) -> Reply {
    let response = app.clone().oneshot(request.into()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

/// The one request helper of the axum tests: `request(method, uri,
/// headers)`, optionally `.body(content_type, text)`, handed to [`send`]
/// (or turned into parts for the by-hand verification calls).
pub fn request(method: &str, uri: &str, headers: &[(&str, &str)]) -> TestRequest {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    TestRequest {
        builder,
        body: Body::empty(),
    }
}

/// A request being built; see [`request`].
#[derive(Debug)]
pub struct TestRequest {
    builder: http::request::Builder,
    body: Body,
}

impl TestRequest {
    /// Gives the request a body of `content_type`.
    pub fn body(mut self, content_type: &str, body: &str) -> Self {
        self.builder = self.builder.header("content-type", content_type);
        self.body = Body::from(body.to_owned());
        self
    }

    /// The request's parts, for `verify_request` and extractors called by hand.
    pub fn into_parts(self) -> http::request::Parts {
        Request::from(self).into_parts().0
    }
}

impl From<TestRequest> for Request<Body> {
    fn from(request: TestRequest) -> Self {
        request.builder.body(request.body).unwrap()
    }
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The `csrf` claim of a token, as the client would read it from its cookie.
pub fn csrf_of(manager: &JwtManager, token: &str) -> String {
    manager.get_csrf_token(token).unwrap()
}
