//! Implicit refresh of access cookies near expiry.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use axum_extra::extract::cookie::CookieJar;
use http::StatusCode;
use tessera::{ImplicitRefreshLayer, Jwt, JwtManager, Location, TokenOptions};

use crate::axum_support::*;

const WINDOW: i64 = 5 * 60;

async fn page(jwt: Jwt) -> String {
    jwt.identity().to_owned()
}

async fn logout(State(manager): State<JwtManager>, _jwt: Jwt, jar: CookieJar) -> CookieJar {
    manager.unset_jwt_cookies(jar)
}

fn refreshing_app(manager: &JwtManager) -> Router {
    Router::new()
        .route("/page", get(page))
        .route("/logout", post(logout))
        .layer(ImplicitRefreshLayer::new(manager, WINDOW))
        .with_state(manager.clone())
}

fn cookie_manager() -> (JwtManager, tessera::ManualClock) {
    let mut config = config();
    config.locations = vec![Location::Headers, Location::Cookies];
    manager_with(config)
}

fn renewed_access(reply: &Reply) -> Option<String> {
    reply
        .set_cookies()
        .iter()
        .find_map(|line| line.strip_prefix("access_token_cookie="))
        .map(|rest| rest.split(';').next().unwrap().to_owned())
}

#[tokio::test]
async fn no_new_cookie_outside_the_window() {
    let (manager, clock) = cookie_manager();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(900 - WINDOW - 1);
    let reply = send(
        &refreshing_app(&manager),
        request(
            "GET",
            "/page",
            &[("cookie", &format!("access_token_cookie={token}"))],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
}

#[tokio::test]
async fn new_cookie_inside_the_window_for_the_same_identity_and_extras() {
    let (manager, clock) = cookie_manager();
    let token = manager
        .create_access_token_with(
            "alice",
            TokenOptions::new().fresh(true).claim("roles", ["admin"]),
        )
        .unwrap();
    clock.advance(900 - WINDOW);
    let reply = send(
        &refreshing_app(&manager),
        request(
            "GET",
            "/page",
            &[("cookie", &format!("access_token_cookie={token}"))],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let renewed = renewed_access(&reply).expect("a renewed access cookie");
    let claims = manager
        .decode_token::<tessera::ExtraClaims>(&renewed, false)
        .unwrap()
        .claims;
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.exp, Some(manager.now() + 900));
    assert_eq!(claims.extra["roles"][0], "admin");
    assert_eq!(
        claims.fresh,
        tessera::Fresh::Flag(false),
        "renewed tokens are never fresh"
    );
    let csrf_cookie = reply
        .set_cookies()
        .into_iter()
        .find(|line| line.starts_with("csrf_access_token="))
        .unwrap();
    assert!(csrf_cookie.starts_with(&format!("csrf_access_token={}", claims.csrf.unwrap())));
}

#[tokio::test]
async fn expired_cookie_is_refused_and_never_renewed() {
    let (manager, clock) = cookie_manager();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(900);
    let reply = send(
        &refreshing_app(&manager),
        request(
            "GET",
            "/page",
            &[("cookie", &format!("access_token_cookie={token}"))],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.set_cookies().is_empty());
}

#[tokio::test]
async fn header_tokens_are_not_renewed_into_cookies() {
    let (manager, clock) = cookie_manager();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(900 - 10);
    let reply = send(
        &refreshing_app(&manager),
        request("GET", "/page", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.set_cookies().is_empty());
}

#[tokio::test]
async fn responses_that_set_the_cookie_themselves_are_left_alone() {
    let (manager, clock) = cookie_manager();
    let token = manager.create_access_token("alice").unwrap();
    let csrf = csrf_of(&manager, &token);
    clock.advance(900 - 10);
    let reply = send(
        &refreshing_app(&manager),
        request(
            "POST",
            "/logout",
            &[
                ("cookie", &format!("access_token_cookie={token}")),
                ("x-csrf-token", &csrf),
            ],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        renewed_access(&reply).as_deref(),
        Some(""),
        "only the logout's removal cookie"
    );
    assert_eq!(
        reply
            .set_cookies()
            .iter()
            .filter(|l| l.starts_with("access_token_cookie="))
            .count(),
        1
    );
}
