//! A resource server: an axum app that accepts the access tokens of a
//! running `tessera serve`, verified with the keys the server publishes at
//! `/.well-known/jwks.json` (found through its discovery document). This app
//! holds no secret and no key file.
//!
//! ```text
//! # 1. An auth server signing with ES256 (in a scratch directory):
//! cargo build -p tessera-server
//! mkdir -p /tmp/tessera-demo && cd /tmp/tessera-demo
//! $OLDPWD/target/debug/tessera keygen --alg ES256 --out . > .env   # JWT_ALGORITHM, JWT_PRIVATE_KEY, JWT_PUBLIC_KEY
//! $OLDPWD/target/debug/tessera serve                                # http://127.0.0.1:8080
//!
//! # 2. This app, trusting that issuer (from the workspace root):
//! TESSERA_ISSUER=http://127.0.0.1:8080 \
//!   cargo run -p tessera --example resource_server --features remote-jwks   # http://127.0.0.1:3001 (BIND to change)
//!
//! # 3. Get a token from the auth server and call this app with it:
//! curl -s -X POST localhost:8080/auth/register -H 'content-type: application/json' \
//!      -d '{"username":"alice","password":"correct horse battery staple"}'
//! ACCESS=$(curl -s -X POST localhost:8080/auth/login -H 'content-type: application/json' \
//!      -d '{"username":"alice","password":"correct horse battery staple"}' \
//!      | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
//! curl -s localhost:3001/hello -H "Authorization: Bearer $ACCESS"   # {"hello":"<user id>",...}
//! curl -si localhost:3001/hello                                      # 401
//! curl -s localhost:3001/keys                                        # what is cached
//! ```
//!
//! Plain http is accepted here only because the issuer is on a loopback
//! address; any other issuer must be https. A token revoked on the auth
//! server stays valid here until it expires (access tokens are short-lived);
//! ask the server's `/auth/verify` when that matters.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tessera::remote::{RemoteError, RemoteJwks};
use tessera::{DecodeOptions, TokenType};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer =
        std::env::var("TESSERA_ISSUER").unwrap_or_else(|_| "http://127.0.0.1:8080".to_owned());
    // The issuer's discovery document names its JWKS; tokens must carry it
    // as `iss`. Plain http is allowed for loopback addresses only.
    let jwks = RemoteJwks::from_issuer(issuer.clone())
        .allow_loopback_http(true)
        .build()?;
    // Fail at start, not on the first request, if the issuer is unreachable.
    jwks.refresh().await?;
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    println!("verifying tokens of {issuer}; listening on http://{bind}");

    let app = Router::new()
        .route("/hello", get(hello))
        .route("/keys", get(keys))
        .with_state(jwks);
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// Answers only with a valid access token of the issuer.
async fn hello(State(jwks): State<RemoteJwks>, headers: HeaderMap) -> Response {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return refuse(StatusCode::UNAUTHORIZED, "missing bearer token");
    };
    match jwks
        .verify_shared(token, DecodeOptions::expect(TokenType::Access))
        .await
    {
        Ok(verified) => Json(json!({
            "hello": verified.claims.sub,
            "kid": verified.header.kid,
            "alg": verified.header.alg.as_str(),
        }))
        .into_response(),
        Err(RemoteError::Token(err)) => refuse(StatusCode::UNAUTHORIZED, &err.to_string()),
        // The issuer is unreachable and no earlier keys are left: not the
        // client's fault.
        Err(err) => refuse(StatusCode::SERVICE_UNAVAILABLE, &err.to_string()),
    }
}

/// What the key cache holds.
async fn keys(State(jwks): State<RemoteJwks>) -> Json<serde_json::Value> {
    let status = jwks.status();
    Json(json!({
        "keys": status.keys,
        "skipped": status.skipped,
        "fetched_at": status.fetched_at,
        "expires_at": status.expires_at,
        "stale": status.stale,
        "last_error": status.last_error.map(|err| err.to_string()),
    }))
}

fn refuse(status: StatusCode, reason: &str) -> Response {
    let mut response = (status, Json(json!({ "error": reason }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = header::HeaderValue::from_static("Bearer error=\"invalid_token\"");
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, challenge);
    }
    response
}
