//! Route kinds: fresh, refresh, optional, any-type; OPTIONS; revocation;
//! current user; role guard; one verification per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use http::StatusCode;
use serde_json::json;
use tessera::{
    Blocklist, BlocklistError, BlocklistQuery, JwtManager, MemoryBlocklist, TokenOptions,
    TokenType, UserLoadError,
};

use crate::axum_support::*;

async fn call(manager: &JwtManager, method: &str, uri: &str, token: &str) -> Reply {
    send(
        &app(manager),
        request(method, uri, &[("authorization", &bearer(token))]),
    )
    .await
}

#[tokio::test]
async fn fresh_route_accepts_a_fresh_token() {
    let (manager, _) = manager();
    let token = manager
        .create_access_token_with("alice", TokenOptions::new().fresh(true))
        .unwrap();
    assert_eq!(
        call(&manager, "POST", "/fresh", &token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn fresh_route_refuses_a_non_fresh_token() {
    let (manager, _) = manager();
    let token = manager
        .create_access_token_with("alice", TokenOptions::new().fresh(false))
        .unwrap();
    assert_eq!(
        call(&manager, "POST", "/fresh", &token).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn timed_freshness_lasts_until_its_deadline() {
    let (manager, clock) = manager();
    let token = manager
        .create_access_token_with("alice", TokenOptions::new().fresh_for(300))
        .unwrap();
    clock.advance(300);
    assert_eq!(
        call(&manager, "POST", "/fresh", &token).await.status,
        StatusCode::OK
    );
    clock.advance(1);
    let reply = call(&manager, "POST", "/fresh", &token).await;
    assert_eq!(reply.json()["error"], "fresh_token_required");
    // Still a perfectly good ordinary access token.
    assert_eq!(
        call(&manager, "GET", "/protected", &token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn non_fresh_tokens_pass_ordinary_routes() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    assert_eq!(
        call(&manager, "GET", "/protected", &token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn refresh_route_accepts_refresh_and_refuses_access() {
    let (manager, _) = manager();
    let refresh = manager.create_refresh_token("alice").unwrap();
    let access = manager.create_access_token("alice").unwrap();
    let ok = call(&manager, "POST", "/refresh", &refresh).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["type"], "refresh");
    let refused = call(&manager, "POST", "/refresh", &access).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["message"], "A refresh token is required");
}

#[tokio::test]
async fn refresh_token_is_refused_on_fresh_and_optional_routes() {
    let (manager, _) = manager();
    let refresh = manager.create_refresh_token("alice").unwrap();
    for uri in ["/fresh", "/optional"] {
        let reply = call(&manager, "POST", uri, &refresh).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert_eq!(reply.json()["error"], "wrong_token_type", "{uri}");
    }
}

#[tokio::test]
async fn any_type_route_accepts_both_types() {
    let (manager, _) = manager();
    for (token, kind) in [
        (manager.create_access_token("alice").unwrap(), "access"),
        (manager.create_refresh_token("alice").unwrap(), "refresh"),
    ] {
        let reply = call(&manager, "DELETE", "/either", &token).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["type"], kind);
    }
}

#[tokio::test]
async fn optional_route_without_a_token_runs_anonymously() {
    let (manager, _) = manager();
    let reply = send(&app(&manager), request("GET", "/optional", &[])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"sub": null}));
}

#[tokio::test]
async fn optional_route_with_a_token_sees_it() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    assert_eq!(
        call(&manager, "GET", "/optional", &token).await.sub(),
        "alice"
    );
}

#[tokio::test]
async fn optional_route_still_refuses_bad_tokens() {
    let (manager, clock) = manager();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(3600);
    let expired = call(&manager, "GET", "/optional", &token).await;
    assert_eq!(expired.json()["error"], "token_expired");
    let invalid = call(&manager, "GET", "/optional", "not.a.token").await;
    assert_eq!(invalid.json()["error"], "invalid_token");
    let bad_header = send(
        &app(&manager),
        request("GET", "/optional", &[("authorization", "Bearer a b")]),
    )
    .await;
    assert_eq!(bad_header.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn options_preflight_is_never_authenticated() {
    let (manager, _) = manager();
    let app = app(&manager);
    // A required-token route answers an empty 204, never a 401.
    let required = send(&app, request("OPTIONS", "/protected", &[])).await;
    assert_eq!(required.status, StatusCode::NO_CONTENT);
    assert_eq!(required.body, "");
    assert_eq!(required.header("www-authenticate"), None);
    // Even a garbage token is not looked at.
    let garbage = send(
        &app,
        request("OPTIONS", "/protected", &[("authorization", "Bearer a b")]),
    )
    .await;
    assert_eq!(garbage.status, StatusCode::NO_CONTENT);
    // An optional route runs its handler with no token.
    let optional = send(
        &app,
        request("OPTIONS", "/optional", &[("authorization", "Bearer junk")]),
    )
    .await;
    assert_eq!(optional.status, StatusCode::OK);
    assert_eq!(optional.json(), json!({"sub": null}));
    // The role guard passes OPTIONS through to the inner service.
    let guarded = send(&app, request("OPTIONS", "/admin", &[])).await;
    assert_eq!(guarded.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn blocklisted_jti_is_refused_and_others_pass() {
    let (manager, clock) = manager();
    let blocklist = MemoryBlocklist::with_clock(clock);
    let manager = manager.with_blocklist(blocklist.clone());
    let revoked = manager
        .issue(TokenType::Access, "alice", TokenOptions::new())
        .unwrap();
    let kept = manager.create_access_token("alice").unwrap();
    blocklist.revoke(&revoked.claims);
    assert_eq!(
        call(&manager, "GET", "/protected", &revoked.token)
            .await
            .json()["error"],
        "token_revoked"
    );
    assert_eq!(
        call(&manager, "GET", "/protected", &kept).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn revoked_session_refuses_every_token_carrying_its_sid() {
    let (manager, clock) = manager();
    let blocklist = MemoryBlocklist::with_clock(clock);
    let manager = manager.with_blocklist(blocklist.clone());
    let in_session = |sid: &str| {
        manager
            .create_access_token_with("alice", TokenOptions::new().claim("sid", sid))
            .unwrap()
    };
    let (first, second, other) = (in_session("s-1"), in_session("s-1"), in_session("s-2"));
    blocklist.revoke_session("s-1", None);
    assert_eq!(
        call(&manager, "GET", "/protected", &first).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&manager, "GET", "/protected", &second).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&manager, "GET", "/protected", &other).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn refresh_tokens_are_checked_against_the_blocklist_too() {
    let (manager, clock) = manager();
    let blocklist = MemoryBlocklist::with_clock(clock);
    let manager = manager.with_blocklist(blocklist.clone());
    let refresh = manager
        .issue(TokenType::Refresh, "alice", TokenOptions::new())
        .unwrap();
    blocklist.revoke(&refresh.claims);
    assert_eq!(
        call(&manager, "POST", "/refresh", &refresh.token)
            .await
            .json()["error"],
        "token_revoked"
    );
}

#[tokio::test]
async fn route_can_skip_the_revocation_check() {
    let (manager, clock) = manager();
    let blocklist = MemoryBlocklist::with_clock(clock);
    let manager = manager.with_blocklist(blocklist.clone());
    let issued = manager
        .issue(TokenType::Access, "alice", TokenOptions::new())
        .unwrap();
    blocklist.revoke(&issued.claims);
    assert_eq!(
        call(&manager, "GET", "/unchecked", &issued.token)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        call(&manager, "GET", "/protected", &issued.token)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn memory_blocklist_entries_expire_after_the_token_and_max_leeway() {
    let (manager, clock) = manager();
    let blocklist = MemoryBlocklist::with_clock(clock.clone());
    let issued = manager
        .issue(TokenType::Access, "alice", TokenOptions::new())
        .unwrap();
    blocklist.revoke(&issued.claims);
    let jti = issued.claims.jti.as_deref().unwrap();
    clock.advance(900 + 299);
    assert!(blocklist.is_jti_revoked(jti));
    clock.advance(1);
    assert!(!blocklist.is_jti_revoked(jti));
    assert_eq!(blocklist.len(), 1);
    blocklist.purge_expired();
    assert!(blocklist.is_empty());
}

/// Counts how often it is asked, through the async path.
#[derive(Clone, Default)]
struct Counting(Arc<AtomicUsize>);
impl Blocklist for Counting {
    type Error = BlocklistError;
    async fn is_revoked(&self, _: BlocklistQuery<'_>) -> Result<bool, BlocklistError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(false)
    }
}

#[tokio::test]
async fn several_extractors_on_one_request_verify_once() {
    let (manager, _) = manager();
    let counter = Counting::default();
    let manager = manager.with_blocklist(counter.clone());
    let token = manager.create_access_token("alice").unwrap();
    let reply = call(&manager, "GET", "/twice", &token).await;
    assert_eq!(reply.json(), json!({"same": true}));
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn guard_and_handler_extractor_share_one_verification() {
    let (manager, _) = manager();
    let counter = Counting::default();
    let manager = manager.with_blocklist(counter.clone());
    let token = manager
        .create_access_token_with("alice", TokenOptions::new().claim("roles", ["admin"]))
        .unwrap();
    assert_eq!(
        call(&manager, "GET", "/admin", &token).await.status,
        StatusCode::OK
    );
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn blocklist_query_carries_jti_and_sid() {
    type Seen = Vec<(Option<String>, Option<String>)>;
    #[derive(Clone, Default)]
    struct Recording(Arc<std::sync::Mutex<Seen>>);
    impl Blocklist for Recording {
        type Error = BlocklistError;
        fn check_now(&self, query: BlocklistQuery<'_>) -> Option<Result<bool, BlocklistError>> {
            let entry = (query.jti.map(str::to_owned), query.sid.map(str::to_owned));
            self.0.lock().unwrap().push(entry);
            Some(Ok(false))
        }
        async fn is_revoked(&self, _: BlocklistQuery<'_>) -> Result<bool, BlocklistError> {
            unreachable!("check_now always answers")
        }
    }
    let (manager, _) = manager();
    let recording = Recording::default();
    let manager = manager.with_blocklist(recording.clone());
    let issued = manager
        .issue(
            TokenType::Access,
            "alice",
            TokenOptions::new().claim("sid", "s-9"),
        )
        .unwrap();
    call(&manager, "GET", "/protected", &issued.token).await;
    assert_eq!(
        recording.0.lock().unwrap().clone(),
        [(issued.claims.jti.clone(), Some("s-9".to_owned()))]
    );
}

#[tokio::test]
async fn current_user_is_loaded_from_the_token() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let reply = call(&manager, "GET", "/me", &token).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"name": "Alice"}));
}

#[tokio::test]
async fn user_loader_miss_is_401_user_not_found() {
    let (manager, _) = manager();
    let token = manager.create_access_token("ghost").unwrap();
    let reply = call(&manager, "GET", "/me", &token).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "user_not_found");
}

#[tokio::test]
async fn user_loader_failure_is_503() {
    let (manager, _) = manager();
    let token = manager.create_access_token("broken").unwrap();
    let reply = call(&manager, "GET", "/me", &token).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn a_user_loader_failure_keeps_the_loaders_error_as_its_source() {
    use axum::extract::FromRequestParts;
    use std::error::Error as _;
    let (manager, _) = manager();
    let token = manager.create_access_token("broken").unwrap();
    let state = TestState {
        jwt: manager,
        users: Users::default(),
    };
    let mut parts = request("GET", "/me", &[("authorization", &bearer(&token))]).into_parts();
    let rejection =
        <tessera::CurrentUser<Users> as FromRequestParts<TestState>>::from_request_parts(
            &mut parts, &state,
        )
        .await
        .unwrap_err();
    assert_eq!(rejection.error().status(), StatusCode::SERVICE_UNAVAILABLE);
    let source = rejection.source().expect("the loader's error");
    assert_eq!(
        source.downcast_ref::<UserLoadError>(),
        Some(&UserLoadError("database down".to_owned()))
    );
}

#[tokio::test]
async fn optional_current_user_is_none_without_a_token_and_fails_on_a_miss() {
    let (manager, _) = manager();
    let users = Users::default();
    let app = app_with_users(&manager, users.clone());
    let anonymous = send(&app, request("GET", "/maybe-me", &[])).await;
    assert_eq!(anonymous.json(), json!({"name": null}));
    assert_eq!(users.lookups(), 0);
    let ghost = manager.create_access_token("ghost").unwrap();
    assert_eq!(
        call(&manager, "GET", "/maybe-me", &ghost).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn role_guard_lets_in_any_listed_role() {
    let (manager, _) = manager();
    let admin = manager
        .create_access_token_with(
            "alice",
            TokenOptions::new().claim("roles", ["user", "admin"]),
        )
        .unwrap();
    assert_eq!(
        call(&manager, "GET", "/admin", &admin).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn role_guard_refuses_missing_or_malformed_roles_with_403() {
    let (manager, _) = manager();
    for options in [
        TokenOptions::new(),
        TokenOptions::new().claim("roles", "admin"),
        TokenOptions::new().claim("roles", ["ADMIN"]),
    ] {
        let token = manager.create_access_token_with("alice", options).unwrap();
        assert_eq!(
            call(&manager, "GET", "/admin", &token).await.status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn role_guard_all_needs_every_role() {
    let (manager, _) = manager();
    let one = manager
        .create_access_token_with("alice", TokenOptions::new().claim("roles", ["admin"]))
        .unwrap();
    let both = manager
        .create_access_token_with(
            "alice",
            TokenOptions::new().claim("roles", ["ops", "admin"]),
        )
        .unwrap();
    assert_eq!(
        call(&manager, "GET", "/admin-and-ops", &one).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&manager, "GET", "/admin-and-ops", &both).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn role_guard_without_a_token_is_401_and_refresh_tokens_are_refused() {
    let (manager, _) = manager();
    assert_eq!(
        send(&app(&manager), request("GET", "/admin", &[]))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let refresh = manager
        .create_refresh_token_with("alice", TokenOptions::new().claim("roles", ["admin"]))
        .unwrap();
    assert_eq!(
        call(&manager, "GET", "/admin", &refresh).await.json()["error"],
        "wrong_token_type"
    );
}

#[tokio::test]
async fn roles_claim_name_is_configurable() {
    let mut config = config();
    config.roles_claim = "groups".to_owned();
    let (manager, _) = manager_with(config);
    let token = manager
        .create_access_token_with("alice", TokenOptions::new().claim("groups", ["admin"]))
        .unwrap();
    assert_eq!(
        call(&manager, "GET", "/admin", &token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn token_verifier_can_refuse_verified_tokens() {
    let (manager, _) = manager();
    let manager = manager.with_token_verifier(|token| token.claims.sub != "mallory");
    let ok = manager.create_access_token("alice").unwrap();
    let refused = manager.create_access_token("mallory").unwrap();
    assert_eq!(
        call(&manager, "GET", "/protected", &ok).await.status,
        StatusCode::OK
    );
    let reply = call(&manager, "GET", "/protected", &refused).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "claims_rejected");
}

#[tokio::test]
async fn verify_request_works_outside_extractors() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let mut parts = request("GET", "/", &[("authorization", &bearer(&token))]).into_parts();
    let verified = manager
        .verify_request(&mut parts, tessera::Requirement::ACCESS)
        .await
        .unwrap();
    assert_eq!(verified.token.claims.sub, "alice");
    assert_eq!(verified.location, tessera::Location::Headers);
    let refresh = manager
        .verify_request(&mut parts, tessera::Requirement::REFRESH)
        .await;
    assert!(matches!(refresh, Err(tessera::AuthError::WrongType { .. })));
}

#[tokio::test]
async fn a_cached_token_is_not_reused_under_other_route_locations() {
    use axum::routing::get;
    use tessera::{JwtOptions, Location, RequireRoles};
    async fn handler(jwt: tessera::Jwt) -> String {
        jwt.location().to_string()
    }
    let (manager, _) = all_locations();
    // The guard runs first with the manager's locations; the handler's
    // extractor runs under the route's cookies-only options.
    let app = axum::Router::new()
        .route(
            "/cookie-admin",
            get(handler).layer(JwtOptions::new().locations([Location::Cookies])),
        )
        .route_layer(RequireRoles::any(&manager, ["admin"]))
        .with_state(manager.clone());
    let token = manager
        .create_access_token_with("alice", TokenOptions::new().claim("roles", ["admin"]))
        .unwrap();
    let header_only = send(
        &app,
        request(
            "GET",
            "/cookie-admin",
            &[("authorization", &bearer(&token))],
        ),
    )
    .await;
    assert_eq!(header_only.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        header_only.json()["message"],
        "Missing cookie \"access_token_cookie\""
    );
    let cookie = format!("access_token_cookie={token}");
    let both = send(
        &app,
        request(
            "GET",
            "/cookie-admin",
            &[("authorization", &bearer(&token)), ("cookie", &cookie)],
        ),
    )
    .await;
    assert_eq!(both.status, StatusCode::OK);
    assert_eq!(both.body, "cookies");
}
