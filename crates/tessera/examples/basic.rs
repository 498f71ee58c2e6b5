//! Login, a protected route, and refresh, with tokens in the
//! `Authorization: Bearer` header.
//!
//! ```text
//! cargo run -p tessera --example basic
//!
//! # Log in (the demo user is alice / wonderland): an access and a refresh token.
//! curl -s -X POST localhost:3000/login -H 'content-type: application/json' \
//!      -d '{"username":"alice","password":"wonderland"}' > tokens.json
//! ACCESS=$(sed -E 's/.*"access_token":"([^"]+)".*/\1/' tokens.json)
//! REFRESH=$(sed -E 's/.*"refresh_token":"([^"]+)".*/\1/' tokens.json)
//!
//! # Call the protected route: {"logged_in_as":"alice"}
//! curl -s localhost:3000/protected -H "Authorization: Bearer $ACCESS"
//!
//! # Without a token: 401 {"error":"missing_token",...}
//! curl -si localhost:3000/protected
//!
//! # Trade the refresh token for a new access token: {"access_token":"..."}
//! curl -s -X POST localhost:3000/refresh -H "Authorization: Bearer $REFRESH"
//!
//! # A refresh token is not an access token: 401 {"error":"wrong_token_type",...}
//! curl -si localhost:3000/protected -H "Authorization: Bearer $REFRESH"
//! ```
//!
//! Set `JWT_SECRET_KEY` (or put it in `.env`) to keep tokens valid across
//! restarts; otherwise a random secret is used for the run.

mod common;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tessera::{Jwt, JwtManager, RefreshJwt, TokenOptions};

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

async fn login(State(jwt): State<JwtManager>, Json(login): Json<Login>) -> Response {
    // A real application checks an argon2 hash from its user store here.
    if login.username != "alice" || login.password != "wonderland" {
        let body = json!({"error": "invalid_credentials", "message": "Bad username or password"});
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    // Tokens straight from a password check are fresh.
    let access = jwt.create_access_token_with(&login.username, TokenOptions::new().fresh(true));
    let refresh = jwt.create_refresh_token(&login.username);
    match (access, refresh) {
        (Ok(access), Ok(refresh)) => {
            Json(json!({"access_token": access, "refresh_token": refresh})).into_response()
        }
        (Err(err), _) | (_, Err(err)) => err.into_response(),
    }
}

async fn protected(token: Jwt) -> Json<serde_json::Value> {
    Json(json!({"logged_in_as": token.identity()}))
}

async fn refresh(State(jwt): State<JwtManager>, token: RefreshJwt) -> Response {
    // A refreshed access token is not fresh.
    match jwt.create_access_token(token.identity()) {
        Ok(access) => Json(json!({"access_token": access})).into_response(),
        Err(err) => err.into_response(),
    }
}

#[tokio::main]
async fn main() {
    let jwt = common::manager(|_| {});
    let app = Router::new()
        .route("/login", post(login))
        .route("/protected", get(protected))
        .route("/refresh", post(refresh))
        .with_state(jwt);
    common::serve(app).await;
}
