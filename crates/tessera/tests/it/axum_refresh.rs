//! Implicit refresh of access cookies near expiry.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Router};
use axum_extra::extract::cookie::CookieJar;
use http::StatusCode;
use tessera::{
    ImplicitRefreshLayer, Jwt, JwtManager, JwtOptions, Location, MemoryBlocklist, TokenOptions,
};

use crate::axum_support::*;

const WINDOW: i64 = 5 * 60;

async fn page(jwt: Jwt) -> String {
    jwt.identity().to_owned()
}

async fn logout(State(manager): State<JwtManager>, _jwt: Jwt, jar: CookieJar) -> CookieJar {
    manager.unset_jwt_cookies(jar)
}

/// Revokes the presented token and answers 200, leaving the cookie as is
/// (an API client drops it itself).
async fn revoke(Extension(blocklist): Extension<MemoryBlocklist>, jwt: Jwt) {
    blocklist.revoke(jwt.claims());
}

async fn forbidden(_jwt: Jwt) -> StatusCode {
    StatusCode::FORBIDDEN
}

fn refreshing_app(manager: &JwtManager) -> Router {
    Router::new()
        .route("/page", get(page))
        .route("/logout", post(logout))
        .route("/forbidden", get(forbidden))
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

/// A cookie manager with a blocklist on its clock, and an app whose
/// `/revoke` route revokes the presented token and whose `/unchecked` route
/// skips the revocation check (as a logout route does).
fn revoking_app() -> (JwtManager, tessera::ManualClock, MemoryBlocklist, Router) {
    let (manager, clock) = cookie_manager();
    let blocklist = MemoryBlocklist::with_clock(clock.clone());
    let manager = manager.with_blocklist(blocklist.clone());
    let app = Router::new()
        .route("/page", get(page))
        .route("/revoke", post(revoke))
        .route(
            "/unchecked",
            get(page).layer(JwtOptions::new().skip_revocation_check()),
        )
        .layer(ImplicitRefreshLayer::new(&manager, WINDOW))
        .layer(Extension(blocklist.clone()))
        .with_state(manager.clone());
    (manager, clock, blocklist, app)
}

fn cookie(token: &str) -> String {
    format!("access_token_cookie={token}")
}

#[tokio::test]
async fn a_token_the_handler_revokes_is_not_renewed() {
    let (manager, clock, _blocklist, app) = revoking_app();
    let token = manager.create_access_token("alice").unwrap();
    let csrf = csrf_of(&manager, &token);
    clock.advance(900 - 10);
    let reply = send(
        &app,
        request(
            "POST",
            "/revoke",
            &[("cookie", &cookie(&token)), ("x-csrf-token", &csrf)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
    let page = send(
        &app,
        request("GET", "/page", &[("cookie", &cookie(&token))]),
    )
    .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_revoked_token_on_a_route_that_skips_the_check_is_not_renewed() {
    let (manager, clock, blocklist, app) = revoking_app();
    let issued = manager
        .issue(tessera::TokenType::Access, "alice", TokenOptions::new())
        .unwrap();
    blocklist.revoke(&issued.claims);
    clock.advance(900 - 10);
    let reply = send(
        &app,
        request("GET", "/unchecked", &[("cookie", &cookie(&issued.token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "the route itself still runs");
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
}

#[tokio::test]
async fn a_valid_token_on_a_route_that_skips_the_check_is_not_renewed() {
    let (manager, clock, _blocklist, app) = revoking_app();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(900 - 10);
    let reply = send(
        &app,
        request("GET", "/unchecked", &[("cookie", &cookie(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
}

#[tokio::test]
async fn an_error_response_is_not_given_a_renewed_cookie() {
    let (manager, clock) = cookie_manager();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(900 - 10);
    let reply = send(
        &refreshing_app(&manager),
        request("GET", "/forbidden", &[("cookie", &cookie(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.set_cookies().is_empty(), "{:?}", reply.set_cookies());
}

#[tokio::test]
async fn a_token_checked_against_the_blocklist_is_still_renewed() {
    let (manager, clock, _blocklist, app) = revoking_app();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(900 - 10);
    let reply = send(
        &app,
        request("GET", "/page", &[("cookie", &cookie(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let renewed = renewed_access(&reply).expect("a renewed access cookie");
    let page = send(
        &app,
        request("GET", "/page", &[("cookie", &cookie(&renewed))]),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
}
