//! Where tokens are read from: each location alone, combined, precedence and
//! fall-through.

use http::StatusCode;
use serde_json::json;
use tessera::{Location, TokenOptions};

use crate::axum_support::*;

#[tokio::test]
async fn header_location_accepts_a_bearer_token() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let reply = send(
        &app(&manager),
        request("GET", "/protected", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"sub": "alice", "type": "access", "location": "headers"})
    );
}

#[tokio::test]
async fn header_may_carry_other_schemes_beside_bearer() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let value = format!("Basic dXNlcjpwYXNz, Bearer {token}");
    let reply = send(
        &app(&manager),
        request("GET", "/protected", &[("authorization", &value)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.sub(), "alice");
}

#[tokio::test]
async fn header_type_word_is_case_sensitive() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let value = format!("bearer {token}");
    let reply = send(
        &app(&manager),
        request("GET", "/protected", &[("authorization", &value)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "missing_token");
    assert_eq!(
        reply.json()["message"],
        "Missing 'Bearer' type in 'Authorization' header. Expected 'Authorization: Bearer <JWT>'"
    );
}

#[tokio::test]
async fn two_bearer_credentials_count_as_missing() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let value = format!("Bearer {token}, Bearer {token}");
    let reply = send(
        &app(&manager),
        request("GET", "/protected", &[("authorization", &value)]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "missing_token");
}

#[tokio::test]
async fn malformed_bearer_header_is_a_bad_request() {
    let (manager, _) = manager();
    for value in ["Bearer", "Bearer a b", "Bearer ,,0"] {
        let reply = send(
            &app(&manager),
            request("GET", "/protected", &[("authorization", value)]),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{value}");
        assert_eq!(reply.json()["error"], "invalid_request", "{value}");
        assert_eq!(
            reply.json()["message"],
            "Bad Authorization header. Expected 'Authorization: Bearer <JWT>'"
        );
        assert!(
            reply
                .header("www-authenticate")
                .unwrap()
                .starts_with("Bearer error=\"invalid_request\"")
        );
    }
}

#[tokio::test]
async fn custom_header_name_and_type_are_honoured() {
    let mut config = config();
    config.header.name = http::HeaderName::from_static("x-api-token");
    config.header.kind = "JWT".to_owned();
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let app = app(&manager);
    let ok = send(
        &app,
        request(
            "GET",
            "/protected",
            &[("x-api-token", &format!("JWT {token}"))],
        ),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let ignored = send(
        &app,
        request("GET", "/protected", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(ignored.status, StatusCode::UNAUTHORIZED);
    assert_eq!(ignored.json()["message"], "Missing x-api-token Header");
}

#[tokio::test]
async fn empty_header_type_means_a_bare_token() {
    let mut config = config();
    config.header.kind = String::new();
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let app = app(&manager);
    let ok = send(
        &app,
        request("GET", "/protected", &[("authorization", &token)]),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let with_type = send(
        &app,
        request("GET", "/protected", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(with_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        with_type.json()["message"],
        "Bad Authorization header. Expected 'Authorization: <JWT>'"
    );
}

#[tokio::test]
async fn cookie_location_alone() {
    let mut config = config();
    config.locations = vec![Location::Cookies];
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let cookie = format!("access_token_cookie={token}");
    let app = app(&manager);
    let ok = send(&app, request("GET", "/protected", &[("cookie", &cookie)])).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["location"], "cookies");
    let header_ignored = send(
        &app,
        request("GET", "/protected", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(header_ignored.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        header_ignored.json()["message"],
        "Missing cookie \"access_token_cookie\""
    );
}

#[tokio::test]
async fn query_string_location_alone() {
    let mut config = config();
    config.locations = vec![Location::QueryString];
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let app = app(&manager);
    let ok = send(
        &app,
        request("GET", &format!("/protected?page=2&jwt={token}"), &[]),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["location"], "query_string");
    let missing = send(&app, request("GET", "/protected?page=2", &[])).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.json()["message"], "Missing 'jwt' query paramater");
}

#[tokio::test]
async fn query_string_prefix_is_required_when_configured() {
    let mut config = config();
    config.locations = vec![Location::QueryString];
    config.query.prefix = "Bearer ".to_owned();
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let app = app(&manager);
    let ok = send(
        &app,
        request("GET", &format!("/protected?jwt=Bearer%20{token}"), &[]),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
    let bare = send(
        &app,
        request("GET", &format!("/protected?jwt={token}"), &[]),
    )
    .await;
    assert_eq!(bare.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bare.json()["message"],
        "Invalid value for query parameter 'jwt'. Expected the value to start with 'Bearer '"
    );
}

#[tokio::test]
async fn json_location_alone() {
    let mut config = config();
    config.locations = vec![Location::Json];
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let body = json!({"access_token": token, "other": 1}).to_string();
    let reply = send(
        &app(&manager),
        request("POST", "/protected", &[]).body("application/json; charset=utf-8", &body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["location"], "json");
}

#[tokio::test]
async fn json_location_reads_the_refresh_key_on_refresh_routes() {
    let mut config = config();
    config.locations = vec![Location::Json];
    let (manager, _) = manager_with(config);
    let access = manager.create_access_token("alice").unwrap();
    let refresh = manager.create_refresh_token("alice").unwrap();
    let body = json!({"access_token": access, "refresh_token": refresh}).to_string();
    let reply = send(
        &app(&manager),
        request("POST", "/refresh", &[]).body("application/json", &body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["type"], "refresh");
}

#[tokio::test]
async fn json_that_is_malformed_or_not_an_object_counts_as_missing() {
    let mut config = config();
    config.locations = vec![Location::Json];
    let (manager, _) = manager_with(config);
    let app = app(&manager);
    for body in ["{not json", "[1, 2]", "\"text\"", "{\"access_token\": 5}"] {
        let reply = send(
            &app,
            request("POST", "/protected", &[]).body("application/json", body),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(
            reply.json()["message"],
            "Missing \"access_token\" key in json data.",
            "{body}"
        );
    }
    let form = send(
        &app,
        request("POST", "/protected", &[]).body("text/plain", "x"),
    )
    .await;
    assert_eq!(form.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        form.json()["message"],
        "Invalid content-type. Must be application/json."
    );
}

#[tokio::test]
async fn json_body_is_still_readable_by_the_handler() {
    use axum::routing::post;
    let mut config = config();
    config.locations = vec![Location::Json];
    let (manager, _) = manager_with(config);
    async fn echo(_jwt: tessera::Jwt, axum::Json(body): axum::Json<serde_json::Value>) -> String {
        body["note"].as_str().unwrap_or_default().to_owned()
    }
    let app = axum::Router::new()
        .route("/echo", post(echo))
        .layer(manager.body_layer())
        .with_state(manager.clone());
    let token = manager.create_access_token("alice").unwrap();
    let body = json!({"access_token": token, "note": "kept"}).to_string();
    let reply = send(
        &app,
        request("POST", "/echo", &[]).body("application/json", &body),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "kept");
}

#[tokio::test]
async fn json_location_without_the_body_layer_is_reported_as_misconfiguration() {
    use axum::routing::post;
    let mut config = config();
    config.locations = vec![Location::Json];
    let (manager, _) = manager_with(config);
    async fn handler(_jwt: tessera::Jwt) {}
    let app = axum::Router::new()
        .route("/p", post(handler))
        .with_state(manager);
    let reply = send(
        &app,
        request("POST", "/p", &[]).body("application/json", "{}"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(reply.json()["error"], "server_misconfigured");
}

#[tokio::test]
async fn oversized_json_body_without_length_is_refused_with_413() {
    let mut config = config();
    config.locations = vec![Location::Json];
    let (manager, _) = manager_with(config);
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(70 * 1024));
    // No Content-Length header: the layer finds out while reading.
    let reply = send(
        &app(&manager),
        request("POST", "/protected", &[]).body("application/json", &big),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn oversized_json_body_with_declared_length_passes_through_unread() {
    let mut config = config();
    config.locations = vec![Location::Json];
    let (manager, _) = manager_with(config);
    let token = manager.create_access_token("alice").unwrap();
    let big = format!(
        "{{\"access_token\": \"{token}\", \"pad\": \"{}\"}}",
        "x".repeat(70 * 1024)
    );
    let length = big.len().to_string();
    let reply = send(
        &app(&manager),
        request("POST", "/protected", &[("content-length", &length)])
            .body("application/json", &big),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "missing_token");
}

#[tokio::test]
async fn bearer_header_wins_over_a_cookie_even_when_cookies_come_first() {
    let mut config = config();
    config.locations = vec![Location::Cookies, Location::Headers];
    let (manager, _) = manager_with(config);
    let good = manager.create_access_token("alice").unwrap();
    let stale = manager.create_access_token("mallory").unwrap();
    // A POST with a cookie and no CSRF header would fail in the cookie
    // location; the bearer header is used instead.
    let cookie = format!("access_token_cookie={stale}");
    let reply = send(
        &app(&manager),
        request(
            "POST",
            "/protected",
            &[("cookie", &cookie), ("authorization", &bearer(&good))],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["sub"], "alice");
    assert_eq!(reply.json()["location"], "headers");
}

#[tokio::test]
async fn missing_token_falls_through_to_the_next_location() {
    let (manager, _) = all_locations();
    let token = manager.create_access_token("alice").unwrap();
    let reply = send(
        &app(&manager),
        request("GET", &format!("/protected?jwt={token}"), &[]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["location"], "query_string");
}

#[tokio::test]
async fn non_bearer_authorization_header_falls_through_to_cookies() {
    let (manager, _) = all_locations();
    let token = manager.create_access_token("alice").unwrap();
    let cookie = format!("access_token_cookie={token}");
    let reply = send(
        &app(&manager),
        request(
            "GET",
            "/protected",
            &[("authorization", "Basic dXNlcjpwYXNz"), ("cookie", &cookie)],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["location"], "cookies");
}

#[tokio::test]
async fn an_invalid_token_stops_the_search() {
    let mut config = config();
    config.locations = vec![Location::Cookies, Location::QueryString];
    let (manager, _) = manager_with(config);
    let good = manager.create_access_token("alice").unwrap();
    let reply = send(
        &app(&manager),
        request(
            "GET",
            &format!("/protected?jwt={good}"),
            &[("cookie", "access_token_cookie=not.a.token")],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "invalid_token");
}

#[tokio::test]
async fn a_bad_header_stops_the_search() {
    let (manager, _) = all_locations();
    let good = manager.create_access_token("alice").unwrap();
    let reply = send(
        &app(&manager),
        request(
            "GET",
            &format!("/protected?jwt={good}"),
            &[("authorization", "Bearer a b")],
        ),
    )
    .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn missing_everywhere_lists_each_location_in_configured_order() {
    let mut config = config();
    config.locations = vec![
        Location::Cookies,
        Location::Headers,
        Location::QueryString,
        Location::Json,
    ];
    let (manager, _) = manager_with(config);
    let reply = send(&app(&manager), request("GET", "/protected", &[])).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.json()["message"],
        "Missing JWT in cookies, headers, query_string or json (Missing cookie \"access_token_cookie\"; \
         Missing Authorization Header; Missing 'jwt' query paramater; Invalid content-type. Must be application/json.)"
    );
}

#[tokio::test]
async fn route_options_override_the_locations() {
    let (manager, _) = all_locations();
    let token = manager.create_access_token("alice").unwrap();
    let app = app(&manager);
    let header = send(
        &app,
        request(
            "GET",
            "/cookies-only",
            &[("authorization", &bearer(&token))],
        ),
    )
    .await;
    assert_eq!(header.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        header.json()["message"],
        "Missing cookie \"access_token_cookie\""
    );
    let cookie = format!("access_token_cookie={token}");
    let ok = send(
        &app,
        request("GET", "/cookies-only", &[("cookie", &cookie)]),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn typed_extra_claims_reach_the_handler() {
    let (manager, _) = manager();
    let token = manager
        .create_access_token_with(
            "alice",
            TokenOptions::new().claim("roles", ["admin", "ops"]),
        )
        .unwrap();
    let reply = send(
        &app(&manager),
        request("GET", "/typed", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json(), json!({"roles": ["admin", "ops"]}));
}

#[tokio::test]
async fn extra_claims_of_the_wrong_shape_are_an_invalid_token() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let reply = send(
        &app(&manager),
        request("GET", "/typed", &[("authorization", &bearer(&token))]),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.json()["error"], "invalid_token");
}
