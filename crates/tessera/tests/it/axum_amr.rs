//! `RequireAmr`: routes that demand a way of signing in (the `amr` claim).

use http::StatusCode;
use tessera::{AMR_CLAIM, JwtManager, TokenOptions};

use crate::axum_support::*;

async fn call(manager: &JwtManager, uri: &str, token: &str) -> Reply {
    send(
        &app(manager),
        request("GET", uri, &[("authorization", &bearer(token))]),
    )
    .await
}

fn token_with_amr(manager: &JwtManager, amr: &[&str]) -> String {
    manager
        .create_access_token_with("alice", TokenOptions::new().claim(AMR_CLAIM, amr))
        .unwrap()
}

#[tokio::test]
async fn any_lets_in_a_token_with_one_of_the_methods() {
    let (manager, _) = manager();
    for amr in [&["pwd", "otp"][..], &["hwk"], &["otp"]] {
        let reply = call(&manager, "/second-factor", &token_with_amr(&manager, amr)).await;
        assert_eq!(reply.status, StatusCode::OK, "{amr:?}");
        assert_eq!(reply.sub(), "alice");
    }
}

#[tokio::test]
async fn a_password_alone_is_refused_with_403_insufficient_authentication() {
    let (manager, _) = manager();
    let reply = call(
        &manager,
        "/second-factor",
        &token_with_amr(&manager, &["pwd"]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["error"], "insufficient_authentication");
    assert_eq!(
        reply.json()["message"],
        "The token lacks a required authentication method"
    );
    assert!(
        reply
            .header("www-authenticate")
            .unwrap()
            .contains("error=\"insufficient_user_authentication\""),
        "{:?}",
        reply.headers
    );
}

#[tokio::test]
async fn a_missing_or_malformed_amr_counts_as_no_methods() {
    let (manager, _) = manager();
    for options in [
        TokenOptions::new(),
        TokenOptions::new().claim(AMR_CLAIM, "otp"),
        TokenOptions::new().claim(AMR_CLAIM, [1, 2]),
        TokenOptions::new().claim(AMR_CLAIM, ["OTP"]),
    ] {
        let token = manager.create_access_token_with("alice", options).unwrap();
        let reply = call(&manager, "/second-factor", &token).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert_eq!(reply.json()["error"], "insufficient_authentication");
    }
}

#[tokio::test]
async fn all_needs_every_method() {
    let (manager, _) = manager();
    let only_code = token_with_amr(&manager, &["otp"]);
    let both = token_with_amr(&manager, &["otp", "pwd", "mfa"]);
    assert_eq!(
        call(&manager, "/password-and-code", &only_code)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&manager, "/password-and-code", &both).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn without_a_token_it_is_401_and_refresh_tokens_are_refused() {
    let (manager, _) = manager();
    let reply = send(&app(&manager), request("GET", "/second-factor", &[])).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "missing_token");
    let refresh = manager
        .create_refresh_token_with("alice", TokenOptions::new().claim(AMR_CLAIM, ["otp"]))
        .unwrap();
    let reply = call(&manager, "/second-factor", &refresh).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "wrong_token_type");
}

#[tokio::test]
async fn preflight_requests_pass_untouched() {
    let (manager, _) = manager();
    let reply = send(&app(&manager), request("OPTIONS", "/second-factor", &[])).await;
    // The handler's own extractor answers a preflight with an empty 204.
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn flask_style_answers_403_with_a_msg() {
    let mut config = config();
    config.error_style = tessera::ErrorStyle::FlaskCompat;
    let (manager, _) = manager_with(config);
    let reply = call(
        &manager,
        "/second-factor",
        &token_with_amr(&manager, &["pwd"]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.json()["msg"],
        "Missing required authentication method"
    );
}
