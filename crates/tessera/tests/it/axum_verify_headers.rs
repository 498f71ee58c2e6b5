//! `JwtManager::verify_headers`: the header-only verification gateways and
//! forward-auth endpoints use. Same checks as an extractor; only the place
//! it looks differs.

use http::HeaderMap;
use tessera::{AuthError, ExtraClaims, Location, MemoryBlocklist, Requirement, TokenOptions};

use crate::axum_support::{bearer, config, manager, manager_with};

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    map
}

/// `Authorization: Bearer <token>`, as a client sends it.
fn bearer_headers(token: &str) -> HeaderMap {
    headers(&[("authorization", &bearer(token))])
}

#[tokio::test]
async fn a_bearer_token_verifies_with_its_claims() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let verified = manager
        .verify_headers(&bearer_headers(&token), Requirement::ACCESS)
        .await
        .unwrap()
        .expect("a token");
    assert_eq!(verified.claims.sub, "alice");
}

#[tokio::test]
async fn no_header_or_only_another_scheme_is_none_not_an_error() {
    let (manager, _) = manager();
    for pairs in [&[][..], &[("authorization", "Basic YWxpY2U6c2VjcmV0")][..]] {
        let answer = manager
            .verify_headers(&headers(pairs), Requirement::ACCESS)
            .await;
        assert!(matches!(answer, Ok(None)), "{pairs:?}: {answer:?}");
    }
}

#[tokio::test]
async fn a_bearer_among_other_schemes_is_found() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let value = format!("Basic YWxpY2U6c2VjcmV0, Bearer {token}");
    let verified = manager
        .verify_headers(&headers(&[("authorization", &value)]), Requirement::ACCESS)
        .await
        .unwrap();
    assert_eq!(verified.unwrap().claims.sub, "alice");
}

#[tokio::test]
async fn a_malformed_bearer_header_is_an_error() {
    let (manager, _) = manager();
    let answer = manager
        .verify_headers(
            &headers(&[("authorization", "Bearer two words")]),
            Requirement::ACCESS,
        )
        .await;
    assert!(
        matches!(answer, Err(AuthError::BadHeader { .. })),
        "{answer:?}"
    );
}

#[tokio::test]
async fn a_bad_signature_is_an_error() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let forged = format!("{}x", &token[..token.len() - 1]);
    let answer = manager
        .verify_headers(&bearer_headers(&forged), Requirement::ACCESS)
        .await;
    assert!(matches!(answer, Err(AuthError::Invalid(_))), "{answer:?}");
}

#[tokio::test]
async fn the_requirement_is_enforced() {
    let (manager, _) = manager();
    let refresh = manager.create_refresh_token("alice").unwrap();
    let answer = manager
        .verify_headers(&bearer_headers(&refresh), Requirement::ACCESS)
        .await;
    assert!(
        matches!(answer, Err(AuthError::WrongType { .. })),
        "{answer:?}"
    );

    let stale = manager.create_access_token("alice").unwrap();
    let answer = manager
        .verify_headers(&bearer_headers(&stale), Requirement::FRESH_ACCESS)
        .await;
    assert!(matches!(answer, Err(AuthError::NeedsFresh)), "{answer:?}");
}

#[tokio::test]
async fn expiry_is_checked_on_every_call_even_for_a_remembered_token() {
    let (manager, clock) = manager();
    let token = manager
        .create_access_token_with("alice", TokenOptions::new())
        .unwrap();
    let map = bearer_headers(&token);
    assert!(
        manager
            .verify_headers(&map, Requirement::ACCESS)
            .await
            .is_ok()
    );
    clock.advance(15 * 60 + 1);
    let answer = manager.verify_headers(&map, Requirement::ACCESS).await;
    assert!(matches!(answer, Err(AuthError::Expired)), "{answer:?}");
}

#[tokio::test]
async fn the_blocklist_is_consulted_on_every_call() {
    let (manager, clock) = manager();
    let blocklist = MemoryBlocklist::with_clock(clock);
    let manager = manager.with_blocklist(blocklist.clone());
    let token = manager.create_access_token("alice").unwrap();
    let map = bearer_headers(&token);
    assert!(
        manager
            .verify_headers(&map, Requirement::ACCESS)
            .await
            .is_ok()
    );
    let claims = manager
        .decode_token::<ExtraClaims>(&token, false)
        .unwrap()
        .claims;
    blocklist.revoke(&claims);
    let answer = manager.verify_headers(&map, Requirement::ACCESS).await;
    assert!(matches!(answer, Err(AuthError::Revoked)), "{answer:?}");
}

#[tokio::test]
async fn the_token_verifier_is_consulted() {
    let (manager, _) = manager();
    let manager = manager.with_token_verifier(|token| token.claims.sub != "mallory");
    let token = manager.create_access_token("mallory").unwrap();
    let answer = manager
        .verify_headers(&bearer_headers(&token), Requirement::ACCESS)
        .await;
    assert!(
        matches!(answer, Err(AuthError::ClaimsRejected)),
        "{answer:?}"
    );
}

#[tokio::test]
async fn the_configured_header_name_and_type_are_used_whatever_the_locations() {
    let mut config = config();
    config.locations = vec![Location::Cookies];
    config.header.name = http::HeaderName::from_static("x-api-token");
    config.header.kind = "JWT".to_owned();
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let found = manager
        .verify_headers(
            &headers(&[("x-api-token", &format!("JWT {token}"))]),
            Requirement::ACCESS,
        )
        .await
        .unwrap();
    assert_eq!(found.unwrap().claims.sub, "alice");
    // The default header is not read under another name.
    let other = manager
        .verify_headers(&bearer_headers(&token), Requirement::ACCESS)
        .await;
    assert!(matches!(other, Ok(None)), "{other:?}");
}
