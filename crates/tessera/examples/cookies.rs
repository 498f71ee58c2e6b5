//! A browser-style app: tokens in HttpOnly cookies, double-submit CSRF, and
//! implicit refresh of access cookies that are about to expire.
//!
//! ```text
//! cargo run -p tessera --example cookies
//!
//! # Log in: four cookies (access, refresh and their readable CSRF twins).
//! curl -s -c jar.txt -X POST localhost:3000/login
//!
//! # Reading needs only the cookie: {"user":"alice"}
//! curl -s -b jar.txt localhost:3000/profile
//!
//! # Writing needs the CSRF header too; without it: 403 {"error":"csrf_missing",...}
//! curl -si -b jar.txt -X POST localhost:3000/profile
//!
//! # With the value a page's script would read from the csrf_access_token cookie: {"saved":true}
//! CSRF=$(awk '$6 == "csrf_access_token" { print $7 }' jar.txt)
//! curl -s -b jar.txt -X POST localhost:3000/profile -H "X-CSRF-TOKEN: $CSRF"
//!
//! # New access cookie from the refresh cookie (the refresh CSRF value this time).
//! RCSRF=$(awk '$6 == "csrf_refresh_token" { print $7 }' jar.txt)
//! curl -s -b jar.txt -c jar.txt -X POST localhost:3000/refresh -H "X-CSRF-TOKEN: $RCSRF"
//!
//! # Log out (the new access cookie came with a new CSRF value): every cookie is cleared.
//! CSRF=$(awk '$6 == "csrf_access_token" { print $7 }' jar.txt)
//! curl -si -b jar.txt -c jar.txt -X POST localhost:3000/logout -H "X-CSRF-TOKEN: $CSRF"
//! ```
//!
//! Access tokens live one hour; any request in their last half hour gets a
//! new access cookie on the way out (`ImplicitRefreshLayer`). The cookies
//! are not `Secure` here only because the demo speaks plain HTTP on
//! localhost; keep the default (`JWT_COOKIE_SECURE=true`) in production.

mod common;

use std::time::Duration;

use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::cookie::CookieJar;
use http::StatusCode;
use serde_json::{Value, json};
use tessera::{ImplicitRefreshLayer, Jwt, JwtManager, Location, RefreshJwt};

/// Issuing or setting cookies for a token this server just made cannot
/// fail unless the server itself is broken.
fn internal(_: impl std::error::Error) -> StatusCode {
    StatusCode::INTERNAL_SERVER_ERROR
}

async fn login(
    State(jwt): State<JwtManager>,
    jar: CookieJar,
) -> Result<(CookieJar, Json<Value>), StatusCode> {
    // A real application checks the user's password here.
    let access = jwt.create_access_token("alice").map_err(internal)?;
    let refresh = jwt.create_refresh_token("alice").map_err(internal)?;
    let jar = jwt.set_access_cookies(jar, &access).map_err(internal)?;
    let jar = jwt.set_refresh_cookies(jar, &refresh).map_err(internal)?;
    Ok((jar, Json(json!({"login": true}))))
}

async fn profile(token: Jwt) -> Json<Value> {
    Json(json!({"user": token.identity()}))
}

async fn save_profile(_token: Jwt) -> Json<Value> {
    Json(json!({"saved": true}))
}

async fn refresh(
    State(jwt): State<JwtManager>,
    token: RefreshJwt,
    jar: CookieJar,
) -> Result<(CookieJar, Json<Value>), StatusCode> {
    let access = jwt
        .create_access_token(token.identity())
        .map_err(internal)?;
    let jar = jwt.set_access_cookies(jar, &access).map_err(internal)?;
    Ok((jar, Json(json!({"refresh": true}))))
}

async fn logout(State(jwt): State<JwtManager>, _token: Jwt, jar: CookieJar) -> impl IntoResponse {
    (jwt.unset_jwt_cookies(jar), Json(json!({"logout": true})))
}

#[tokio::main]
async fn main() {
    let jwt = common::manager(|config| {
        config.locations = vec![Location::Cookies];
        config.token.access_expires = Duration::from_secs(3600);
        config.cookies.secure = false; // plain-HTTP demo only
    });
    let app = Router::new()
        .route("/login", post(login))
        .route("/profile", get(profile).post(save_profile))
        .route("/refresh", post(refresh))
        .route("/logout", post(logout))
        .layer(ImplicitRefreshLayer::new(&jwt, 30 * 60))
        .with_state(jwt);
    common::serve(app).await;
}
