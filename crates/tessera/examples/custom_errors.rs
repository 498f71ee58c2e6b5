//! Replacing error responses: an application-specific body for every
//! failure, and a special answer for expired tokens. (For
//! Flask-JWT-Extended's own bodies, set `JWT_ERROR_STYLE=flask` instead.)
//!
//! ```text
//! cargo run -p tessera --example custom_errors
//!
//! # 401 {"code":"missing_token","ok":false} (the WWW-Authenticate header is kept)
//! curl -si localhost:3000/protected
//!
//! # 401 {"code":"token_expired","hint":"POST /refresh","ok":false}
//! curl -si localhost:3000/protected -H "Authorization: Bearer $(curl -s -X POST localhost:3000/login-expired)"
//! ```

mod common;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http::header::WWW_AUTHENTICATE;
use serde_json::json;
use tessera::{AuthError, Expires, IssueError, Jwt, JwtManager, TokenOptions};

/// Keeps the default status and `WWW-Authenticate`, swaps the body.
fn respond(error: &AuthError, default: Response) -> Response {
    let status = default.status();
    let challenge = default.headers().get(WWW_AUTHENTICATE).cloned();
    let body = match error {
        AuthError::Expired => json!({"ok": false, "code": error.code(), "hint": "POST /refresh"}),
        _ => json!({"ok": false, "code": error.code()}),
    };
    let mut response = (status, Json(body)).into_response();
    if let Some(challenge) = challenge {
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    }
    response
}

async fn protected(token: Jwt) -> String {
    format!("hello, {}", token.identity())
}

/// Issues an already-expired token, to see the expired response.
async fn login_expired(State(jwt): State<JwtManager>) -> Result<String, IssueError> {
    jwt.create_access_token_with("alice", TokenOptions::new().expires(Expires::In(-1)))
}

#[tokio::main]
async fn main() {
    let jwt = common::manager(|_| {}).with_error_responder(respond);
    let app = Router::new()
        .route("/protected", get(protected))
        .route("/login-expired", post(login_expired))
        .with_state(jwt);
    common::serve(app).await;
}
