//! A fake of Facebook's Graph API for the Facebook tests: an axum server on
//! 127.0.0.1 inside the test process that answers the way Graph answers —
//! its JSON shapes, and its errors as `{"error": {"message", "type",
//! "code", "fbtrace_id"}}`. The OpenID provider fixture plays the login
//! dialog; this fake plays Graph:
//!
//! - `POST /oauth/access_token` checks the app's id and secret, exchanges
//!   the code (with the PKCE verifier and redirect URI it was sent) at the
//!   fixture's token endpoint — so the code really is checked, once — learns
//!   whose it was by introspection, and mints its own user access token;
//! - `GET /me?fields=…&appsecret_proof=…` refuses a proof that is not the
//!   hex HMAC-SHA256 of the token under the app secret;
//! - `GET /debug_token?input_token=…` with the app token `{id}|{secret}`;
//! - any path answers a canned error on demand ([`FakeGraph::fail`]).
//!
//! ```ignore
//! let graph = FakeGraph::start(APP_ID, APP_SECRET, &provider).await;
//! let token = graph.issue(account("ada"), APP_ID, expires_at);
//! graph.fail("/debug_token", 500, FakeGraph::error(2, "OAuthException", "Service temporarily unavailable"));
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Form;
use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde_json::{Value, json};
use tessera::{Clock, SystemClock};

use crate::oidc_support::{ACCOUNTS, OidcProvider, TestAccount, fetch, form_body};

/// A user access token the fake knows.
#[derive(Debug, Clone)]
struct UserToken {
    account: &'static TestAccount,
    app_id: String,
    /// Unix seconds; 0 = never.
    expires_at: i64,
}

struct GraphState {
    app_id: String,
    app_secret: String,
    token_endpoint: String,
    introspection_endpoint: String,
    tokens: Mutex<HashMap<String, UserToken>>,
    canned: Mutex<HashMap<String, (u16, Value)>>,
    proof_secret: Mutex<Option<String>>,
}

/// The running fake; stops when dropped.
pub struct FakeGraph {
    url: String,
    state: Arc<GraphState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeGraph {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeGraph {
    /// Serves Graph for app `app_id` (secret `app_secret`), whose login
    /// dialog is `provider` (where the app is registered as a client with
    /// the same id and secret, `client_secret_basic`).
    pub async fn start(app_id: &str, app_secret: &str, provider: &OidcProvider) -> FakeGraph {
        let discovery = provider.discovery().await;
        let endpoint = |name: &str| {
            discovery[name]
                .as_str()
                .unwrap_or_else(|| panic!("no {name} in {discovery}"))
                .to_owned()
        };
        let state = Arc::new(GraphState {
            app_id: app_id.to_owned(),
            app_secret: app_secret.to_owned(),
            token_endpoint: endpoint("token_endpoint"),
            introspection_endpoint: endpoint("introspection_endpoint"),
            tokens: Mutex::new(HashMap::new()),
            canned: Mutex::new(HashMap::new()),
            proof_secret: Mutex::new(None),
        });
        let app = Router::new()
            .route("/oauth/access_token", post(access_token))
            .route("/me", get(me))
            .route("/debug_token", get(debug_token))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&state),
                canned,
            ))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeGraph { url, state, task }
    }

    /// `http://127.0.0.1:PORT`: `TESSERA_FACEBOOK_GRAPH_URL`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Mints a user access token for `account` issued to `app_id`, expiring
    /// at `expires_at` (Unix seconds, real time; 0 = never).
    pub fn issue(&self, account: &'static TestAccount, app_id: &str, expires_at: i64) -> String {
        let token = format!("EAAG{}", uuid::Uuid::new_v4().simple());
        self.state.tokens.lock().unwrap().insert(
            token.clone(),
            UserToken {
                account,
                app_id: app_id.to_owned(),
                expires_at,
            },
        );
        token
    }

    /// From now on, `path` answers `status` with `body` without running.
    pub fn fail(&self, path: &str, status: u16, body: Value) {
        self.state
            .canned
            .lock()
            .unwrap()
            .insert(path.to_owned(), (status, body));
    }

    /// From now on `/me` expects proofs made with `secret` (not the app's).
    pub fn expect_proof_secret(&self, secret: &str) {
        *self.state.proof_secret.lock().unwrap() = Some(secret.to_owned());
    }

    /// A Graph error body.
    pub fn error(code: i64, kind: &str, message: &str) -> Value {
        json!({ "error": {
            "message": message,
            "type": kind,
            "code": code,
            "fbtrace_id": "AbCdEfGhIjK",
        } })
    }
}

type Shared = State<Arc<GraphState>>;

fn graph_error(status: StatusCode, code: i64, kind: &str, message: &str) -> Response {
    (status, Json(FakeGraph::error(code, kind, message))).into_response()
}

fn invalid_token() -> Response {
    graph_error(
        StatusCode::BAD_REQUEST,
        190,
        "OAuthException",
        "Invalid OAuth access token - Cannot parse access token",
    )
}

async fn canned(
    State(state): Shared,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let canned = state
        .canned
        .lock()
        .unwrap()
        .get(request.uri().path())
        .cloned();
    match canned {
        Some((status, body)) => (StatusCode::from_u16(status).unwrap(), Json(body)).into_response(),
        None => next.run(request).await,
    }
}

/// The bearer token, or the `access_token` parameter (Graph takes both).
fn caller_token(headers: &HeaderMap, query: &HashMap<String, String>) -> Option<String> {
    headers
        .get("authorization")
        .and_then(|value| {
            value
                .to_str()
                .ok()?
                .strip_prefix("Bearer ")
                .map(str::to_owned)
        })
        .or_else(|| query.get("access_token").cloned())
}

async fn access_token(State(state): Shared, Form(form): Form<HashMap<String, String>>) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    if field("client_id") != state.app_id || field("client_secret") != state.app_secret {
        return graph_error(
            StatusCode::BAD_REQUEST,
            1,
            "OAuthException",
            "Error validating client secret.",
        );
    }
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", state.app_id, state.app_secret));
    let authorization = format!("Basic {basic}");
    let headers = [
        ("authorization", authorization.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let exchanged = fetch(
        Method::POST,
        &state.token_endpoint,
        &headers,
        form_body(&[
            ("grant_type", "authorization_code"),
            ("code", field("code")),
            ("redirect_uri", field("redirect_uri")),
            ("code_verifier", field("code_verifier")),
        ]),
    )
    .await;
    if exchanged.status != 200 {
        // Graph's answer to a used, unknown or expired code.
        return graph_error(
            StatusCode::BAD_REQUEST,
            100,
            "OAuthException",
            "Invalid verification code format.",
        );
    }
    let provider_token = exchanged.expect_json(200)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let introspected = fetch(
        Method::POST,
        &state.introspection_endpoint,
        &headers,
        form_body(&[("token", &provider_token)]),
    )
    .await
    .expect_json(200);
    let sub = introspected["sub"].as_str().unwrap();
    let account = ACCOUNTS.iter().find(|account| account.sub == sub).unwrap();
    let token = format!("EAAG{}", uuid::Uuid::new_v4().simple());
    state.tokens.lock().unwrap().insert(
        token.clone(),
        UserToken {
            account,
            app_id: state.app_id.clone(),
            expires_at: SystemClock.now() + 5_183_944,
        },
    );
    Json(json!({ "access_token": token, "token_type": "bearer", "expires_in": 5_183_944 }))
        .into_response()
}

async fn me(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(token) = caller_token(&headers, &query) else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            2500,
            "OAuthException",
            "An active access token must be used to query information about the current user.",
        );
    };
    let known = state.tokens.lock().unwrap().get(&token).cloned();
    let Some(known) =
        known.filter(|known| known.expires_at == 0 || known.expires_at > SystemClock.now())
    else {
        return invalid_token();
    };
    let secret = state
        .proof_secret
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| state.app_secret.clone());
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let expected: String = aws_lc_rs::hmac::sign(&key, token.as_bytes())
        .as_ref()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    if query.get("appsecret_proof") != Some(&expected) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            100,
            "GraphMethodException",
            "Invalid appsecret_proof provided in the API argument",
        );
    }
    let fields = query.get("fields").map(String::as_str).unwrap_or("id,name");
    let mut profile = serde_json::Map::new();
    for field in fields.split(',') {
        match field {
            "id" => profile.insert("id".into(), json!(known.account.sub)),
            "name" => profile.insert("name".into(), json!(known.account.name)),
            "email" => profile.insert("email".into(), json!(known.account.email)),
            _ => None,
        };
    }
    Json(Value::Object(profile)).into_response()
}

async fn debug_token(
    State(state): Shared,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let app_token = format!("{}|{}", state.app_id, state.app_secret);
    if caller_token(&headers, &query).as_deref() != Some(app_token.as_str()) {
        return invalid_token();
    }
    let input = query.get("input_token").cloned().unwrap_or_default();
    let known = state.tokens.lock().unwrap().get(&input).cloned();
    let Some(known) = known else {
        return Json(json!({ "data": {
            "error": { "code": 190, "message": "Invalid OAuth access token." },
            "is_valid": false,
            "scopes": [],
        } }))
        .into_response();
    };
    let expired = known.expires_at != 0 && known.expires_at <= SystemClock.now();
    let mut data = json!({
        "app_id": known.app_id,
        "type": "USER",
        "application": "Tessera tests",
        "data_access_expires_at": SystemClock.now() + 7_776_000,
        "expires_at": known.expires_at,
        "is_valid": !expired,
        "scopes": ["email", "public_profile"],
        "user_id": known.account.sub,
    });
    if expired {
        data["error"] = json!({
            "code": 190,
            "message": "Error validating access token: Session has expired.",
            "subcode": 463,
        });
    }
    Json(json!({ "data": data })).into_response()
}
