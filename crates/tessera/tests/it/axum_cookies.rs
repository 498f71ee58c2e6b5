//! Cookies as emitted, unsetting them, and the double-submit CSRF check.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use axum_extra::extract::cookie::{CookieJar, SameSite};
use http::StatusCode;
use tessera::{JwtManager, Location};

use crate::axum_support::*;

fn cookie_config() -> tessera::JwtConfig {
    let mut config = config();
    config.locations = vec![Location::Cookies];
    config
}

async fn login(State(manager): State<JwtManager>, jar: CookieJar) -> CookieJar {
    let access = manager.create_access_token("alice").unwrap();
    let refresh = manager.create_refresh_token("alice").unwrap();
    let jar = manager.set_access_cookies(jar, &access).unwrap();
    manager.set_refresh_cookies(jar, &refresh).unwrap()
}

async fn logout(State(manager): State<JwtManager>, jar: CookieJar) -> CookieJar {
    manager.unset_jwt_cookies(jar)
}

fn login_app(manager: &JwtManager) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .with_state(manager.clone())
}

/// The value of cookie `name` among Set-Cookie strings.
fn value_of(set_cookies: &[String], name: &str) -> String {
    set_cookies
        .iter()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap().to_owned())
        .unwrap()
}

/// Replaces the cookie's value with `<v>` so attribute strings compare exactly.
fn shape(line: &str) -> String {
    let (name, rest) = line.split_once('=').unwrap();
    let attributes = rest
        .split_once(';')
        .map_or("", |(_, attributes)| attributes);
    format!("{name}=<v>;{attributes}")
}

#[tokio::test]
async fn default_cookies_are_httponly_secure_lax_session_cookies() {
    let (manager, _) = manager_with(cookie_config());
    let reply = send(&login_app(&manager), request("POST", "/login", &[])).await;
    let mut shapes: Vec<String> = reply.set_cookies().iter().map(|line| shape(line)).collect();
    shapes.sort();
    assert_eq!(
        shapes,
        [
            "access_token_cookie=<v>; HttpOnly; SameSite=Lax; Secure; Path=/",
            "csrf_access_token=<v>; SameSite=Lax; Secure; Path=/",
            "csrf_refresh_token=<v>; SameSite=Lax; Secure; Path=/",
            "refresh_token_cookie=<v>; HttpOnly; SameSite=Lax; Secure; Path=/",
        ]
    );
}

#[tokio::test]
async fn csrf_cookie_holds_the_tokens_csrf_claim() {
    let (manager, _) = manager_with(cookie_config());
    let reply = send(&login_app(&manager), request("POST", "/login", &[])).await;
    let cookies = reply.set_cookies();
    let access = value_of(&cookies, "access_token_cookie");
    assert_eq!(
        value_of(&cookies, "csrf_access_token"),
        csrf_of(&manager, &access)
    );
    let refresh = value_of(&cookies, "refresh_token_cookie");
    assert_eq!(
        value_of(&cookies, "csrf_refresh_token"),
        csrf_of(&manager, &refresh)
    );
}

#[tokio::test]
async fn configured_cookie_attributes_are_emitted() {
    let mut config = cookie_config();
    config.cookies.secure = false;
    config.cookies.same_site = Some(SameSite::Strict);
    config.cookies.domain = Some(".example.com".to_owned());
    config.cookies.session = false;
    config.cookies.access_path = "/api".to_owned();
    config.csrf.access_cookie_path = "/".to_owned();
    let (manager, _) = manager_with(config);
    let reply = send(&login_app(&manager), request("POST", "/login", &[])).await;
    let mut cookies = reply.set_cookies();
    cookies.sort();
    // Max-Age follows the token: 15 minutes for access, 30 days for refresh.
    assert_eq!(
        shape(&cookies[0]),
        "access_token_cookie=<v>; HttpOnly; SameSite=Strict; Path=/api; Domain=example.com; Max-Age=900; \
         Expires=Tue, 14 Nov 2023 22:28:20 GMT"
    );
    assert_eq!(
        shape(&cookies[1]),
        "csrf_access_token=<v>; SameSite=Strict; Path=/; Domain=example.com; Max-Age=900; \
         Expires=Tue, 14 Nov 2023 22:28:20 GMT"
    );
    assert!(
        cookies[3].starts_with("refresh_token_cookie="),
        "{}",
        cookies[3]
    );
    assert!(cookies[3].contains("Max-Age=2592000"), "{}", cookies[3]);
}

#[tokio::test]
async fn same_site_omitted_when_configured_off() {
    let mut config = cookie_config();
    config.cookies.same_site = None;
    let (manager, _) = manager_with(config);
    let reply = send(&login_app(&manager), request("POST", "/login", &[])).await;
    let mut cookies = reply.set_cookies();
    cookies.sort();
    assert_eq!(
        shape(&cookies[0]),
        "access_token_cookie=<v>; HttpOnly; Secure; Path=/"
    );
}

#[tokio::test]
async fn no_csrf_cookies_without_csrf_in_cookies_or_protection() {
    let mut config = cookie_config();
    config.csrf.in_cookies = false;
    let (manager, _) = manager_with(config);
    let reply = send(&login_app(&manager), request("POST", "/login", &[])).await;
    let mut names: Vec<String> = reply
        .set_cookies()
        .iter()
        .map(|l| l.split('=').next().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["access_token_cookie", "refresh_token_cookie"]);

    let mut config = cookie_config();
    config.csrf.protect = false;
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    assert!(
        manager.get_csrf_token(&token).is_err(),
        "no csrf claim without protection"
    );
    let reply = send(&login_app(&manager), request("POST", "/login", &[])).await;
    assert_eq!(reply.set_cookies().len(), 2);
}

#[tokio::test]
async fn unset_jwt_cookies_expires_all_four_with_the_same_attributes() {
    let (manager, _) = manager_with(cookie_config());
    let reply = send(&login_app(&manager), request("POST", "/logout", &[])).await;
    let mut cookies = reply.set_cookies();
    cookies.sort();
    assert_eq!(
        cookies,
        [
            "access_token_cookie=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "csrf_access_token=; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "csrf_refresh_token=; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            "refresh_token_cookie=; HttpOnly; SameSite=Lax; Secure; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
        ]
    );
}

#[tokio::test]
async fn unset_access_and_refresh_cookies_separately() {
    let (manager, _) = manager_with(cookie_config());
    let names =
        |jar: CookieJar| -> Vec<String> { jar.iter().map(|c| c.name().to_owned()).collect() };
    let mut access = names(manager.unset_access_cookies(CookieJar::new()));
    access.sort();
    assert_eq!(access, ["access_token_cookie", "csrf_access_token"]);
    let mut refresh = names(manager.unset_refresh_cookies(CookieJar::new()));
    refresh.sort();
    assert_eq!(refresh, ["csrf_refresh_token", "refresh_token_cookie"]);
}

async fn post_with_cookie(
    manager: &JwtManager,
    method: &str,
    uri: &str,
    cookie: &str,
    extra: &[(&str, &str)],
) -> Reply {
    let mut headers = vec![("cookie", cookie)];
    headers.extend_from_slice(extra);
    send(&app(manager), request(method, uri, &headers)).await
}

#[tokio::test]
async fn csrf_is_required_on_each_protected_method() {
    let (manager, _) = manager_with(cookie_config());
    let token = manager.create_access_token("alice").unwrap();
    let csrf = csrf_of(&manager, &token);
    let cookie = format!("access_token_cookie={token}; csrf_access_token={csrf}");
    for method in ["POST", "PUT", "PATCH", "DELETE"] {
        let without = post_with_cookie(&manager, method, "/protected", &cookie, &[]).await;
        assert_eq!(without.status, StatusCode::FORBIDDEN, "{method}");
        assert_eq!(without.json()["error"], "csrf_missing", "{method}");
        let with = post_with_cookie(
            &manager,
            method,
            "/protected",
            &cookie,
            &[("x-csrf-token", &csrf)],
        )
        .await;
        assert_eq!(with.status, StatusCode::OK, "{method}");
    }
}

#[tokio::test]
async fn csrf_is_not_checked_on_safe_methods() {
    let (manager, _) = manager_with(cookie_config());
    let token = manager.create_access_token("alice").unwrap();
    let cookie = format!("access_token_cookie={token}");
    for method in ["GET", "HEAD"] {
        let reply = post_with_cookie(&manager, method, "/protected", &cookie, &[]).await;
        assert_eq!(reply.status, StatusCode::OK, "{method}");
    }
}

#[tokio::test]
async fn csrf_methods_are_configurable() {
    let mut config = cookie_config();
    config.csrf.methods = vec![http::Method::DELETE];
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let cookie = format!("access_token_cookie={token}");
    assert_eq!(
        post_with_cookie(&manager, "POST", "/protected", &cookie, &[])
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        post_with_cookie(&manager, "DELETE", "/protected", &cookie, &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn csrf_mismatch_is_refused() {
    let (manager, _) = manager_with(cookie_config());
    let token = manager.create_access_token("alice").unwrap();
    let other = manager.create_access_token("alice").unwrap();
    let cookie = format!("access_token_cookie={token}");
    let reply = post_with_cookie(
        &manager,
        "POST",
        "/protected",
        &cookie,
        &[("x-csrf-token", &csrf_of(&manager, &other))],
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["error"], "csrf_mismatch");
}

#[tokio::test]
async fn the_csrf_cookie_alone_never_satisfies_the_check() {
    let (manager, _) = manager_with(cookie_config());
    let token = manager.create_access_token("alice").unwrap();
    // A cross-site form post carries both cookies but cannot add the header.
    let cookie = format!(
        "access_token_cookie={token}; csrf_access_token={}",
        csrf_of(&manager, &token)
    );
    let reply = post_with_cookie(&manager, "POST", "/protected", &cookie, &[]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["error"], "csrf_missing");
}

#[tokio::test]
async fn cookie_token_without_csrf_claim_is_invalid_on_protected_methods() {
    let mut plain = cookie_config();
    plain.csrf.protect = false;
    let (issuer, _) = manager_with(plain);
    let token = issuer.create_access_token("alice").unwrap();
    let (manager, _) = manager_with(cookie_config());
    let cookie = format!("access_token_cookie={token}");
    let reply = post_with_cookie(
        &manager,
        "POST",
        "/protected",
        &cookie,
        &[("x-csrf-token", "x")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "invalid_token");
}

#[tokio::test]
async fn csrf_from_form_field_when_enabled() {
    let mut config = cookie_config();
    config.csrf.check_form = true;
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let csrf = csrf_of(&manager, &token);
    let cookie = format!("access_token_cookie={token}");
    let body = format!("name=x&csrf_token={csrf}");
    let app = app(&manager);
    let ok = send(
        &app,
        request("POST", "/protected", &[("cookie", &cookie)])
            .body("application/x-www-form-urlencoded", &body),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let wrong = send(
        &app,
        request("POST", "/protected", &[("cookie", &cookie)])
            .body("application/x-www-form-urlencoded", "csrf_token=nope"),
    )
    .await;
    assert_eq!(wrong.json()["error"], "csrf_mismatch");
}

#[tokio::test]
async fn form_field_is_ignored_when_form_check_is_off() {
    let (manager, _) = manager_with(cookie_config());
    let token = manager.create_access_token("alice").unwrap();
    let csrf = csrf_of(&manager, &token);
    let cookie = format!("access_token_cookie={token}");
    let body = format!("csrf_token={csrf}");
    let reply = send(
        &app(&manager),
        request("POST", "/protected", &[("cookie", &cookie)])
            .body("application/x-www-form-urlencoded", &body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["error"], "csrf_missing");
}

#[tokio::test]
async fn header_wins_over_form_field() {
    let mut config = cookie_config();
    config.csrf.check_form = true;
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let csrf = csrf_of(&manager, &token);
    let cookie = format!("access_token_cookie={token}");
    let body = format!("csrf_token={csrf}");
    let reply = send(
        &app(&manager),
        request(
            "POST",
            "/protected",
            &[("cookie", &cookie), ("x-csrf-token", "wrong")],
        )
        .body("application/x-www-form-urlencoded", &body),
    )
    .await;
    assert_eq!(reply.json()["error"], "csrf_mismatch");
}

#[tokio::test]
async fn refresh_cookie_uses_the_refresh_csrf_header() {
    let mut config = cookie_config();
    config.csrf.refresh_header = http::HeaderName::from_static("x-csrf-refresh");
    let (manager, _) = manager_with(config);
    let refresh = manager.create_refresh_token("alice").unwrap();
    let csrf = csrf_of(&manager, &refresh);
    let cookie = format!("refresh_token_cookie={refresh}");
    let wrong_header = post_with_cookie(
        &manager,
        "POST",
        "/refresh",
        &cookie,
        &[("x-csrf-token", &csrf)],
    )
    .await;
    assert_eq!(wrong_header.json()["error"], "csrf_missing");
    let ok = post_with_cookie(
        &manager,
        "POST",
        "/refresh",
        &cookie,
        &[("x-csrf-refresh", &csrf)],
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["type"], "refresh");
}

#[tokio::test]
async fn csrf_is_not_asked_of_header_tokens() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let reply = send(
        &app(&manager),
        request("POST", "/protected", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn optional_route_still_checks_csrf_when_a_cookie_is_present() {
    let (manager, _) = manager_with(cookie_config());
    let token = manager.create_access_token("alice").unwrap();
    let cookie = format!("access_token_cookie={token}");
    let reply = post_with_cookie(&manager, "POST", "/optional", &cookie, &[]).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}
