//! Revocation: logout puts the token's `jti` on an in-memory blocklist, and
//! every protected request is checked against it.
//!
//! ```text
//! cargo run -p tessera --example blocklist
//!
//! TOKEN=$(curl -s -X POST localhost:3000/login)
//! curl -s localhost:3000/protected -H "Authorization: Bearer $TOKEN"     # {"user":"alice"}
//! curl -s -X DELETE localhost:3000/logout -H "Authorization: Bearer $TOKEN"  # {"revoked":true}
//! curl -si localhost:3000/protected -H "Authorization: Bearer $TOKEN"    # 401 {"error":"token_revoked",...}
//! ```
//!
//! `MemoryBlocklist` forgets each entry once its token has expired, so it
//! never grows beyond the tokens still alive. A multi-instance deployment
//! implements `Blocklist` over a shared store instead.

mod common;

use axum::extract::State;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use tessera::{AnyJwt, IssueError, Jwt, JwtManager, MemoryBlocklist};

#[derive(Clone)]
struct AppState {
    jwt: JwtManager,
    revoked: MemoryBlocklist,
}

impl axum::extract::FromRef<AppState> for JwtManager {
    fn from_ref(state: &AppState) -> JwtManager {
        state.jwt.clone()
    }
}

async fn login(State(state): State<AppState>) -> Result<String, IssueError> {
    state.jwt.create_access_token("alice")
}

async fn protected(token: Jwt) -> Json<Value> {
    Json(json!({"user": token.identity()}))
}

/// Accepts an access or a refresh token, so a client can revoke either.
async fn logout(State(state): State<AppState>, token: AnyJwt) -> Json<Value> {
    Json(json!({"revoked": state.revoked.revoke(token.claims())}))
}

#[tokio::main]
async fn main() {
    let jwt = common::manager(|_| {});
    let revoked = MemoryBlocklist::with_shared_clock(jwt.clock());
    let jwt = jwt.with_blocklist(revoked.clone());
    let app = Router::new()
        .route("/login", post(login))
        .route("/protected", get(protected))
        .route("/logout", delete(logout))
        .with_state(AppState { jwt, revoked });
    common::serve(app).await;
}
