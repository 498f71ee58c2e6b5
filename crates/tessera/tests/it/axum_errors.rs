//! Each failure's status, body and `WWW-Authenticate` in the default style,
//! and replacing responses.

use axum::response::IntoResponse;
use http::StatusCode;
use serde_json::json;
use tessera::{AuthError, Expires, MemoryBlocklist, TokenOptions};

use crate::axum_support::*;

async fn get_protected(manager: &tessera::JwtManager, token: &str) -> Reply {
    send(
        &app(manager),
        request("GET", "/protected", &[("authorization", &bearer(token))]),
    )
    .await
}

#[tokio::test]
async fn missing_token_is_401_with_a_bare_bearer_challenge() {
    let (manager, _) = manager();
    let reply = send(&app(&manager), request("GET", "/protected", &[])).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(
        reply.json(),
        json!({"error": "missing_token", "message": "Missing Authorization Header"})
    );
}

#[tokio::test]
async fn invalid_tokens_get_one_uniform_answer() {
    let (manager, _) = manager();
    let other = {
        let mut config = config();
        config.token = tessera::TokenConfig::with_secret("Zq8Vx2RnP4mK7wZb1T9yLc3HfJ6sA0dE");
        manager_with(config).0
    };
    let foreign = other.create_access_token("alice").unwrap();
    for token in ["garbage", "a.b.c", foreign.as_str()] {
        let reply = get_protected(&manager, token).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(
            reply.json(),
            json!({"error": "invalid_token", "message": "The token is invalid"}),
            "{token}"
        );
        assert_eq!(
            reply.header("www-authenticate"),
            Some("Bearer error=\"invalid_token\", error_description=\"The token is invalid\"")
        );
    }
}

#[tokio::test]
async fn expired_token_is_401_token_expired() {
    let (manager, clock) = manager();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(15 * 60);
    let reply = get_protected(&manager, &token).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.json(),
        json!({"error": "token_expired", "message": "The token has expired"})
    );
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\", error_description=\"The token has expired\"")
    );
}

#[tokio::test]
async fn token_is_accepted_until_the_second_before_exp() {
    let (manager, clock) = manager();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(15 * 60 - 1);
    assert_eq!(get_protected(&manager, &token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn token_from_the_future_is_401_not_yet_valid() {
    let (manager, clock) = manager();
    clock.advance(60);
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(-60);
    let reply = get_protected(&manager, &token).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "token_not_yet_valid");
}

#[tokio::test]
async fn refresh_token_on_an_access_route_is_401_wrong_type() {
    let (manager, _) = manager();
    let refresh = manager.create_refresh_token("alice").unwrap();
    let reply = get_protected(&manager, &refresh).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.json(),
        json!({"error": "wrong_token_type", "message": "An access token is required"})
    );
}

#[tokio::test]
async fn non_fresh_token_on_a_fresh_route_is_401_with_a_step_up_challenge() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let reply = send(
        &app(&manager),
        request("POST", "/fresh", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "fresh_token_required");
    assert_eq!(
        reply.header("www-authenticate"),
        Some(
            "Bearer error=\"insufficient_user_authentication\", error_description=\"A fresh token is required\""
        )
    );
}

#[tokio::test]
async fn revoked_token_is_401_token_revoked() {
    let (manager, clock) = manager();
    let blocklist = MemoryBlocklist::with_clock(clock);
    let manager = manager.with_blocklist(blocklist.clone());
    let issued = manager
        .issue(tessera::TokenType::Access, "alice", TokenOptions::new())
        .unwrap();
    blocklist.revoke(&issued.claims);
    let reply = get_protected(&manager, &issued.token).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.json(),
        json!({"error": "token_revoked", "message": "The token has been revoked"})
    );
}

#[tokio::test]
async fn forbidden_role_is_403_insufficient_scope() {
    let (manager, _) = manager();
    let token = manager
        .create_access_token_with("alice", TokenOptions::new().claim("roles", ["user"]))
        .unwrap();
    let reply = send(
        &app(&manager),
        request("GET", "/admin", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["error"], "insufficient_role");
    assert!(
        reply
            .header("www-authenticate")
            .unwrap()
            .starts_with("Bearer error=\"insufficient_scope\"")
    );
}

#[tokio::test]
async fn csrf_failures_are_403_without_a_bearer_challenge() {
    let mut config = config();
    config.locations = vec![tessera::Location::Cookies];
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let cookie = format!("access_token_cookie={token}");
    let reply = send(
        &app(&manager),
        request("POST", "/protected", &[("cookie", &cookie)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.json(),
        json!({"error": "csrf_missing", "message": "Missing CSRF token"})
    );
    assert_eq!(reply.header("www-authenticate"), None);
}

struct Unreachable;
impl tessera::Blocklist for Unreachable {
    type Error = tessera::BlocklistError;
    async fn is_revoked(
        &self,
        _: tessera::BlocklistQuery<'_>,
    ) -> Result<bool, tessera::BlocklistError> {
        Err(tessera::BlocklistError("connection refused".to_owned()))
    }
}

#[tokio::test]
async fn unavailable_blocklist_is_503_and_refuses() {
    let (manager, _) = manager();
    let manager = manager.with_blocklist(Unreachable);
    let token = manager.create_access_token("alice").unwrap();
    let reply = get_protected(&manager, &token).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.json()["error"], "service_unavailable");
    assert!(
        !reply.body.contains("connection refused"),
        "internal detail leaked: {}",
        reply.body
    );
}

#[tokio::test]
async fn an_unavailable_blocklist_keeps_its_error_as_the_source() {
    use std::error::Error as _;
    let (manager, _) = manager();
    let manager = manager.with_blocklist(Unreachable);
    let token = manager.create_access_token("alice").unwrap();
    let mut parts = request("GET", "/", &[("authorization", &bearer(&token))]).into_parts();
    let error = manager
        .verify_request(&mut parts, tessera::Requirement::ACCESS)
        .await
        .unwrap_err();
    assert!(
        matches!(error, AuthError::BlocklistUnavailable(_)),
        "{error:?}"
    );
    assert_eq!(error.status(), StatusCode::SERVICE_UNAVAILABLE);
    let source = error.source().expect("the blocklist's error");
    assert_eq!(
        source.downcast_ref::<tessera::BlocklistError>(),
        Some(&tessera::BlocklistError("connection refused".to_owned()))
    );
}

#[tokio::test]
async fn error_responder_replaces_chosen_responses_only() {
    let (manager, clock) = manager();
    let manager = manager.with_error_responder(|error: &AuthError, default| match error {
        AuthError::Expired => (StatusCode::IM_A_TEAPOT, "log in again").into_response(),
        _ => default,
    });
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(3600);
    let expired = get_protected(&manager, &token).await;
    assert_eq!(expired.status, StatusCode::IM_A_TEAPOT);
    assert_eq!(expired.body, "log in again");
    let missing = send(&app(&manager), request("GET", "/protected", &[])).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.json()["error"], "missing_token");
}

#[tokio::test]
async fn error_responder_sees_the_typed_error() {
    let (manager, _) = manager();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let record = seen.clone();
    let manager = manager.with_error_responder(move |error: &AuthError, default| {
        *record.lock().unwrap() = Some(error.clone());
        default
    });
    let refresh = manager.create_refresh_token("alice").unwrap();
    get_protected(&manager, &refresh).await;
    let seen = seen.lock().unwrap().clone();
    assert!(
        matches!(
            &seen,
            Some(AuthError::WrongType {
                expected: tessera::TokenType::Access,
                found,
            }) if found == "refresh"
        ),
        "{seen:?}"
    );
}

#[tokio::test]
async fn never_expiring_tokens_are_refused_unless_allowed() {
    let (manager, _) = manager();
    assert_eq!(
        manager.create_access_token_with("alice", TokenOptions::new().expires(Expires::Never)),
        Err(tessera::IssueError::NonExpiringDisabled)
    );
    let mut config = config();
    config.allow_non_expiring = true;
    let (allowing, clock) = manager_with(config);
    let token = allowing
        .create_access_token_with("alice", TokenOptions::new().expires(Expires::Never))
        .unwrap();
    clock.advance(10 * 365 * 86_400);
    assert_eq!(
        get_protected(&allowing, &token).await.status,
        StatusCode::OK
    );
    // The strict manager (same secret) refuses that token.
    let reply = get_protected(&manager, &token).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "invalid_token");
}

#[test]
fn status_is_the_status_of_the_default_response() {
    let errors = [
        AuthError::Missing(tessera::MissingToken { reasons: vec![] }),
        AuthError::BadHeader {
            name: "Authorization".to_owned(),
            kind: "Bearer".to_owned(),
        },
        AuthError::Invalid(tessera::TokenError::InvalidSignature),
        AuthError::Expired,
        AuthError::NeedsFresh,
        AuthError::Revoked,
        AuthError::CsrfMissing,
        AuthError::ForbiddenRole { required: vec![] },
        AuthError::ForbiddenAmr { required: vec![] },
        AuthError::BlocklistUnavailable(tessera::SharedError::new(tessera::BlocklistError(
            "down".to_owned(),
        ))),
        AuthError::Preflight,
        AuthError::Misconfigured("wiring"),
    ];
    for error in errors {
        let rendered = error.to_response(tessera::ErrorStyle::Tessera, "msg");
        assert_eq!(error.status(), rendered.status(), "{error:?}");
    }
}
