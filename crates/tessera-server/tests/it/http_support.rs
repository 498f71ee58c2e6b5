//! The harness for HTTP tests: the real router over a real store, wired by
//! `app::build_state` exactly as `tessera serve` wires it, but from explicit
//! values (a test secret, fast argon2, a manual clock) instead of the
//! process environment. Requests go through `tower::ServiceExt::oneshot`.
//!
//! ```ignore
//! let server = Server::start(&db).await;
//! let tokens = server.signed_up("ada").await;
//! let me = server.get("/auth/me").bearer(&tokens.access).send().await.expect(200);
//! ```

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tessera::ManualClock;
use tessera::env::Env;
use tessera_server::app;
use tessera_server::domain::{NewAccount, Password, ServerSettings};
use tessera_server::http::{self, AppState};
use tessera_server::oauth::SocialSettings;
use tessera_server::server_config::ServerConfig;
use tower::ServiceExt;

use crate::store_support::{START, TestDb, test_settings};

pub use crate::store_support::GOOD_PASSWORD as PASSWORD;

/// The HS256 secret of every test server (64 random-looking characters).
pub const SECRET: &str = "t3st-only-6mQx9V2pLr8sKw4ZbN7cJd1FhY5gTe0uAo3iRl2kPq8vXs6nMz4yBw";

/// Where the test server says it lives (its tokens' issuer).
pub const PUBLIC_URL: &str = "http://auth.test";

/// What a server is built from: `JWT_*` / `TESSERA_*` variables (read
/// through a lookup, never the process environment) and the account rules.
#[derive(Debug, Clone)]
pub struct Setup {
    vars: BTreeMap<String, String>,
    settings: ServerSettings,
}

/// The default setup: [`SECRET`], [`PUBLIC_URL`], fast argon2.
pub fn setup() -> Setup {
    Setup {
        vars: BTreeMap::from([
            ("JWT_SECRET_KEY".to_owned(), SECRET.to_owned()),
            ("TESSERA_PUBLIC_URL".to_owned(), PUBLIC_URL.to_owned()),
        ]),
        settings: test_settings(),
    }
}

impl Setup {
    /// Sets a token variable (`JWT_*`) or a service one (`TESSERA_*` of
    /// `ServerConfig`, e.g. rate limits); the account rules
    /// (`ServerSettings`) are changed with [`Setup::settings`] instead.
    pub fn var(mut self, name: &str, value: impl Into<String>) -> Setup {
        self.vars.insert(name.to_owned(), value.into());
        self
    }

    /// Changes the account rules.
    pub fn settings(mut self, change: impl FnOnce(&mut ServerSettings)) -> Setup {
        change(&mut self.settings);
        self
    }

    /// The service settings these variables give.
    pub fn server_config(&self) -> ServerConfig {
        self.server_config_result().unwrap()
    }

    /// The service settings, or why these variables give none.
    pub fn server_config_result(&self) -> Result<ServerConfig, tessera::ConfigError> {
        ServerConfig::from_lookup(|name| self.vars.get(name).cloned())
    }

    /// Builds a server on `db` with a fresh clock at [`START`].
    pub async fn start(self, db: &TestDb) -> Server {
        self.start_with_clock(db, ManualClock::new(START)).await
    }

    /// Builds a server on `db` whose clock starts at `clock`'s time (a CLI
    /// test needs the real time, so its tokens are current outside too).
    pub async fn start_with_clock(self, db: &TestDb, clock: ManualClock) -> Server {
        self.try_start_with_clock(db, clock).await.unwrap()
    }

    /// [`Setup::start_with_clock`], returning why the server would not start.
    pub async fn try_start_with_clock(
        self,
        db: &TestDb,
        clock: ManualClock,
    ) -> Result<Server, tessera_server::serve::ServeError> {
        let config = self.server_config();
        let jwt_config =
            app::server_jwt_config(|name| self.vars.get(name).cloned(), &config).unwrap();
        let social = SocialSettings::from_env(
            &Env::new(|name: &str| self.vars.get(name).cloned()),
            &config.public_url,
        )
        .unwrap();
        let state = app::build_state(
            jwt_config,
            self.settings.clone(),
            &config,
            social,
            db.store().await,
            Arc::new(clock.clone()),
        )
        .await?;
        Ok(Server {
            router: http::router(state.clone()),
            state,
            clock,
            db: db.clone(),
            setup: self,
        })
    }
}

/// A server under test.
pub struct Server {
    pub state: AppState,
    pub clock: ManualClock,
    pub db: TestDb,
    router: Router,
    setup: Setup,
}

/// A login's answer.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    /// The whole JSON body.
    pub body: Value,
}

impl Tokens {
    /// From a `{access_token, refresh_token, …}` body.
    pub fn from_body(body: Value) -> Tokens {
        Tokens {
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
            body,
        }
    }

    /// The session id both tokens carry.
    pub fn sid(&self) -> String {
        claims(&self.access)["sid"].as_str().unwrap().to_owned()
    }
}

impl Server {
    /// The default server on `db`.
    pub async fn start(db: &TestDb) -> Server {
        setup().start(db).await
    }

    /// The same server after a restart: the old store is closed, a new
    /// state is built on the same database with the same settings and clock.
    pub async fn restart(self) -> Server {
        self.state.auth.store().close().await;
        self.setup
            .clone()
            .start_with_clock(&self.db, self.clock.clone())
            .await
    }

    /// A request to the router.
    pub fn request(&self, method: Method, path: &str) -> Call {
        Call {
            router: self.router.clone(),
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Vec::new(),
        }
    }

    pub fn get(&self, path: &str) -> Call {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> Call {
        self.request(Method::POST, path)
    }

    pub fn put(&self, path: &str) -> Call {
        self.request(Method::PUT, path)
    }

    pub fn delete(&self, path: &str) -> Call {
        self.request(Method::DELETE, path)
    }

    /// Registers `name` with [`PASSWORD`] over HTTP; the user JSON.
    pub async fn register(&self, name: &str) -> Value {
        self.post("/auth/register")
            .json(json!({ "username": name, "password": PASSWORD }))
            .send()
            .await
            .expect(201)
    }

    /// Logs `name` in with [`PASSWORD`] over HTTP.
    pub async fn login(&self, name: &str) -> Tokens {
        Tokens::from_body(
            self.post("/auth/login")
                .json(json!({ "username": name, "password": PASSWORD }))
                .send()
                .await
                .expect(200),
        )
    }

    /// Registers and logs in `name`.
    pub async fn signed_up(&self, name: &str) -> Tokens {
        self.register(name).await;
        self.login(name).await
    }

    /// Creates `name` with the `admin` role (as `tessera user add --role
    /// admin` does) and logs in over HTTP.
    pub async fn admin(&self, name: &str) -> Tokens {
        self.state
            .auth
            .create_user(
                NewAccount {
                    username: name.to_owned(),
                    password: Password::new(PASSWORD),
                    email: None,
                    roles: vec!["admin".to_owned()],
                },
                None,
            )
            .await
            .unwrap();
        self.login(name).await
    }

    /// Refreshes with `refresh` as a Bearer token.
    pub async fn refresh(&self, refresh: &str) -> Reply {
        self.post("/auth/refresh").bearer(refresh).send().await
    }

    /// Audit events of `kind`, newest first, as the admin API lists them.
    pub async fn audit(&self, admin: &Tokens, kind: &str) -> Vec<Value> {
        let body = self
            .get(&format!("/admin/audit?kind={kind}"))
            .bearer(&admin.access)
            .send()
            .await
            .expect(200);
        body["events"].as_array().unwrap().clone()
    }
}

/// A request being built.
pub struct Call {
    router: Router,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Call {
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The path and query.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `Authorization: Bearer TOKEN`.
    pub fn bearer(self, token: &str) -> Call {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    /// A header whose value is raw bytes (not necessarily UTF-8).
    pub fn header_bytes(mut self, name: &str, value: &[u8]) -> Call {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
        self
    }

    /// A JSON body.
    pub fn json(self, body: Value) -> Call {
        self.body("application/json", serde_json::to_vec(&body).unwrap())
    }

    /// A body with the given content type.
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Call {
        self.body = body.into();
        self.header("content-type", content_type)
    }

    pub async fn send(self) -> Reply {
        let mut request = Request::builder()
            .method(self.method)
            .uri(self.path)
            .body(Body::from(self.body))
            .unwrap();
        *request.headers_mut() = self.headers;
        let response = self.router.oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).unwrap()
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| panic!("not JSON ({err}): {self}"))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|value| value.to_str().unwrap())
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|value| value.to_str().unwrap())
            .collect()
    }

    /// The `Set-Cookie` header of cookie `name`.
    #[track_caller]
    pub fn set_cookie(&self, name: &str) -> &str {
        let prefix = format!("{name}=");
        self.set_cookies()
            .into_iter()
            .find(|cookie| cookie.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no Set-Cookie for {name}: {self}"))
    }

    /// The value cookie `name` is set to.
    #[track_caller]
    pub fn cookie_value(&self, name: &str) -> String {
        let cookie = self.set_cookie(name);
        cookie[name.len() + 1..]
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    /// Asserts the status; the JSON body (`null` when the body is empty or
    /// not JSON).
    #[track_caller]
    pub fn expect(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status: {self}");
        let is_json = self
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/json"));
        if is_json { self.json() } else { Value::Null }
    }

    /// Asserts the status and an error body of exactly `{error, message}`
    /// (plus `field` for validation errors) with `error` = `code`.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> Value {
        let body = self.expect(status);
        assert_error_shape(&body);
        assert_eq!(body["error"], code, "unexpected error code: {self}");
        body
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?} {}", self.status, self.headers, self.text())
    }
}

/// `{error, message}` (and possibly `field`), nothing else; both strings.
#[track_caller]
pub fn assert_error_shape(body: &Value) {
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {body}"));
    assert!(object["error"].is_string(), "{body}");
    assert!(
        !object["message"].as_str().unwrap().is_empty(),
        "empty message: {body}"
    );
    for key in object.keys() {
        assert!(
            ["error", "message", "field"].contains(&key.as_str()),
            "unexpected member {key}: {body}"
        );
    }
}

/// The claims of a token, read without verifying it.
pub fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&tessera::b64::decode(payload).unwrap()).unwrap()
}
