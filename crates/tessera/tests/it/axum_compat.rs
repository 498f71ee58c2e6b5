//! The Flask-JWT-Extended compatibility style: its statuses and `{"msg": …}`
//! bodies, as recorded in the reference table.

use http::StatusCode;
use serde_json::json;
use tessera::{ErrorStyle, JwtManager, Location, ManualClock, MemoryBlocklist, TokenOptions};

use crate::axum_support::*;

fn flask() -> (JwtManager, ManualClock) {
    let mut config = config();
    config.error_style = ErrorStyle::FlaskCompat;
    manager_with(config)
}

fn flask_with(locations: Vec<Location>) -> (JwtManager, ManualClock) {
    let mut config = config();
    config.error_style = ErrorStyle::FlaskCompat;
    config.locations = locations;
    manager_with(config)
}

async fn call(manager: &JwtManager, method: &str, uri: &str, headers: &[(&str, &str)]) -> Reply {
    send(&app(manager), request(method, uri, headers)).await
}

fn assert_msg(reply: &Reply, status: StatusCode, msg: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.json(), json!({ "msg": msg }));
}

#[tokio::test]
async fn flask_missing_header() {
    let (manager, _) = flask();
    let reply = call(&manager, "GET", "/protected", &[]).await;
    assert_msg(
        &reply,
        StatusCode::UNAUTHORIZED,
        "Missing Authorization Header",
    );
}

#[tokio::test]
async fn flask_header_without_bearer_type() {
    let (manager, _) = flask();
    let reply = call(
        &manager,
        "GET",
        "/protected",
        &[("authorization", "Basic x")],
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::UNAUTHORIZED,
        "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'",
    );
}

#[tokio::test]
async fn flask_bad_header_is_422() {
    let (manager, _) = flask();
    let reply = call(
        &manager,
        "GET",
        "/protected",
        &[("authorization", "Bearer a b")],
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'",
    );
}

#[tokio::test]
async fn flask_missing_cookie_query_and_json() {
    let (manager, _) = flask_with(vec![Location::Cookies]);
    let reply = call(&manager, "GET", "/protected", &[]).await;
    assert_msg(
        &reply,
        StatusCode::UNAUTHORIZED,
        "Missing cookie \"access_token_cookie\"",
    );

    let (manager, _) = flask_with(vec![Location::QueryString]);
    let reply = call(&manager, "GET", "/protected", &[]).await;
    assert_msg(
        &reply,
        StatusCode::UNAUTHORIZED,
        "Missing 'jwt' query paramater",
    );

    let (manager, _) = flask_with(vec![Location::Json]);
    let reply = call(&manager, "GET", "/protected", &[]).await;
    assert_msg(
        &reply,
        StatusCode::UNAUTHORIZED,
        "Invalid content-type. Must be application/json.",
    );
    let reply = send(
        &app(&manager),
        request("POST", "/protected", &[]).body("application/json", "{}"),
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::UNAUTHORIZED,
        "Missing \"access_token\" key in json data.",
    );
}

#[tokio::test]
async fn flask_missing_in_several_locations() {
    let (manager, _) = flask_with(vec![Location::Headers, Location::Cookies]);
    let reply = call(&manager, "GET", "/protected", &[]).await;
    assert_msg(
        &reply,
        StatusCode::UNAUTHORIZED,
        "Missing JWT in headers or cookies (Missing Authorization Header; Missing cookie \"access_token_cookie\")",
    );
}

#[tokio::test]
async fn flask_csrf_missing_and_mismatch_are_401() {
    let (manager, _) = flask_with(vec![Location::Cookies]);
    let token = manager.create_access_token("alice").unwrap();
    let cookie = format!("access_token_cookie={token}");
    let reply = call(&manager, "POST", "/protected", &[("cookie", &cookie)]).await;
    assert_msg(&reply, StatusCode::UNAUTHORIZED, "Missing CSRF token");
    let reply = call(
        &manager,
        "POST",
        "/protected",
        &[
            ("cookie", &cookie),
            ("x-csrf-token", "00000000-0000-4000-8000-000000000000"),
        ],
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::UNAUTHORIZED,
        "CSRF double submit tokens do not match",
    );
}

#[tokio::test]
async fn flask_query_prefix_is_422() {
    let mut config = config();
    config.error_style = ErrorStyle::FlaskCompat;
    config.locations = vec![Location::QueryString];
    config.query.prefix = "bearer ".to_owned();
    let (manager, _) = manager_with(config);
    let reply = call(&manager, "GET", "/protected?jwt=abc", &[]).await;
    assert_msg(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Invalid value for query parameter 'jwt'. Expected the value to start with 'bearer '",
    );
}

#[tokio::test]
async fn flask_decode_errors_are_422_with_pyjwt_text() {
    let (manager, _) = flask();
    let token = manager.create_access_token("alice").unwrap();
    let (head, rest) = token.split_once('.').unwrap();
    let (payload, signature) = rest.split_once('.').unwrap();
    let first = if signature.starts_with('A') { "B" } else { "A" };
    let bad_signature = format!("{head}.{payload}.{first}{}", &signature[1..]);
    let cases = [
        ("onlyone", "Not enough segments"),
        ("a.b", "Not enough segments"),
        (bad_signature.as_str(), "Signature verification failed"),
    ];
    for (token, msg) in cases {
        let reply = call(
            &manager,
            "GET",
            "/protected",
            &[("authorization", &bearer(token))],
        )
        .await;
        assert_msg(&reply, StatusCode::UNPROCESSABLE_ENTITY, msg);
    }
    let none_alg = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    let reply = call(
        &manager,
        "GET",
        "/protected",
        &[("authorization", &bearer(&none_alg))],
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "The specified alg value is not allowed",
    );
}

#[tokio::test]
async fn flask_expired_is_401() {
    let (manager, clock) = flask();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(901);
    let reply = call(
        &manager,
        "GET",
        "/protected",
        &[("authorization", &bearer(&token))],
    )
    .await;
    assert_msg(&reply, StatusCode::UNAUTHORIZED, "Token has expired");
}

#[tokio::test]
async fn flask_not_yet_valid_is_422() {
    let (manager, clock) = flask();
    clock.advance(100);
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(-100);
    let reply = call(
        &manager,
        "GET",
        "/protected",
        &[("authorization", &bearer(&token))],
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "The token is not yet valid (nbf)",
    );
}

#[tokio::test]
async fn flask_wrong_type_is_422_both_ways() {
    let (manager, _) = flask();
    let access = manager.create_access_token("alice").unwrap();
    let refresh = manager.create_refresh_token("alice").unwrap();
    let reply = call(
        &manager,
        "GET",
        "/protected",
        &[("authorization", &bearer(&refresh))],
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Only non-refresh tokens are allowed",
    );
    let reply = call(
        &manager,
        "POST",
        "/refresh",
        &[("authorization", &bearer(&access))],
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::UNPROCESSABLE_ENTITY,
        "Only refresh tokens are allowed",
    );
}

#[tokio::test]
async fn flask_fresh_required_and_revoked_are_401() {
    let (manager, clock) = flask();
    let blocklist = MemoryBlocklist::with_clock(clock);
    let manager = manager.with_blocklist(blocklist.clone());
    let token = manager.create_access_token("alice").unwrap();
    let reply = call(
        &manager,
        "POST",
        "/fresh",
        &[("authorization", &bearer(&token))],
    )
    .await;
    assert_msg(&reply, StatusCode::UNAUTHORIZED, "Fresh token required");
    let claims = manager
        .decode_token::<tessera::ExtraClaims>(&token, false)
        .unwrap()
        .claims;
    blocklist.revoke(&claims);
    let reply = call(
        &manager,
        "GET",
        "/protected",
        &[("authorization", &bearer(&token))],
    )
    .await;
    assert_msg(&reply, StatusCode::UNAUTHORIZED, "Token has been revoked");
}

#[tokio::test]
async fn flask_fresh_check_comes_before_the_blocklist() {
    let (manager, clock) = flask();
    let blocklist = MemoryBlocklist::with_clock(clock);
    let manager = manager.with_blocklist(blocklist.clone());
    let issued = manager
        .issue(tessera::TokenType::Access, "alice", TokenOptions::new())
        .unwrap();
    blocklist.revoke(&issued.claims);
    let reply = call(
        &manager,
        "POST",
        "/fresh",
        &[("authorization", &bearer(&issued.token))],
    )
    .await;
    assert_msg(&reply, StatusCode::UNAUTHORIZED, "Fresh token required");
}

#[tokio::test]
async fn flask_claims_verification_failure_is_400() {
    let (manager, _) = flask();
    let manager = manager.with_token_verifier(|token| token.claims.sub != "mallory");
    let token = manager.create_access_token("mallory").unwrap();
    let reply = call(
        &manager,
        "GET",
        "/protected",
        &[("authorization", &bearer(&token))],
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::BAD_REQUEST,
        "User claims verification failed",
    );
}

#[tokio::test]
async fn flask_user_lookup_error_is_401_naming_the_identity() {
    let (manager, _) = flask();
    let token = manager.create_access_token("ghost").unwrap();
    let reply = call(
        &manager,
        "GET",
        "/me",
        &[("authorization", &bearer(&token))],
    )
    .await;
    assert_msg(
        &reply,
        StatusCode::UNAUTHORIZED,
        "Error loading the user ghost",
    );
}

#[tokio::test]
async fn flask_message_key_is_configurable() {
    let mut config = config();
    config.error_style = ErrorStyle::FlaskCompat;
    config.error_message_key = "detail".to_owned();
    let (manager, _) = manager_with(config);
    let reply = call(&manager, "GET", "/protected", &[]).await;
    assert_eq!(
        reply.json(),
        json!({"detail": "Missing Authorization Header"})
    );
}
