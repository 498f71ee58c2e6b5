//! The manager: configuration from `JWT_*` variables, issuing options,
//! loaders and key hooks, decoding.

use std::collections::HashMap;
use std::time::Duration;

use axum_extra::extract::cookie::SameSite;
use serde::Serialize;
use serde_json::json;
use tessera::{
    ConfigError, ErrorStyle, ExtraClaims, Fresh, Identity, IssueError, JwtConfig, JwtManager, Key,
    KeySet, Location, TokenCodec, TokenError, TokenOptions, TokenType,
};

use crate::axum_support::*;

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .chain([("JWT_SECRET_KEY".to_owned(), SECRET.to_owned())])
        .collect();
    move |name| map.get(name).cloned()
}

fn config_from(pairs: &[(&str, &str)]) -> Result<JwtConfig, ConfigError> {
    JwtConfig::from_lookup(lookup(pairs))
}

#[test]
fn env_defaults_are_secure() {
    let config = config_from(&[]).unwrap();
    assert_eq!(config.locations, [Location::Headers]);
    assert!(config.cookies.secure);
    assert_eq!(config.cookies.same_site, Some(SameSite::Lax));
    assert!(config.cookies.session);
    assert!(config.csrf.protect);
    assert_eq!(config.header.kind, "Bearer");
    assert_eq!(config.error_style, ErrorStyle::Tessera);
}

#[test]
fn env_reads_flask_names() {
    let config = config_from(&[
        (
            "JWT_TOKEN_LOCATION",
            "[\"cookies\", \"headers\", \"query_string\", \"json\"]",
        ),
        ("JWT_HEADER_NAME", "X-Token"),
        ("JWT_HEADER_TYPE", ""),
        ("JWT_ACCESS_COOKIE_NAME", "at"),
        ("JWT_REFRESH_COOKIE_PATH", "/auth/refresh"),
        ("JWT_COOKIE_SECURE", "false"),
        ("JWT_COOKIE_SAMESITE", "Strict"),
        ("JWT_COOKIE_DOMAIN", "example.com"),
        ("JWT_SESSION_COOKIE", "false"),
        ("JWT_CSRF_METHODS", "post, delete"),
        ("JWT_CSRF_IN_COOKIES", "false"),
        ("JWT_ACCESS_CSRF_HEADER_NAME", "X-XSRF"),
        ("JWT_CSRF_CHECK_FORM", "true"),
        ("JWT_ACCESS_CSRF_FIELD_NAME", "xsrf"),
        ("JWT_QUERY_STRING_NAME", "token"),
        ("JWT_QUERY_STRING_VALUE_PREFIX", "Bearer "),
        ("JWT_JSON_KEY", "at"),
        ("JWT_REFRESH_JSON_KEY", "rt"),
        ("JWT_ERROR_STYLE", "flask"),
        ("JWT_ERROR_MESSAGE_KEY", "detail"),
        ("JWT_ROLES_CLAIM", "groups"),
        ("JWT_ACCESS_TOKEN_EXPIRES", "1h"),
    ])
    .unwrap();
    assert_eq!(
        config.locations,
        [
            Location::Cookies,
            Location::Headers,
            Location::QueryString,
            Location::Json
        ]
    );
    assert_eq!(config.header.name, "x-token");
    assert_eq!(config.header.kind, "");
    assert_eq!(config.cookies.access_name, "at");
    assert_eq!(config.cookies.refresh_path, "/auth/refresh");
    assert!(!config.cookies.secure);
    assert_eq!(config.cookies.same_site, Some(SameSite::Strict));
    assert_eq!(config.cookies.domain.as_deref(), Some("example.com"));
    assert!(!config.cookies.session);
    assert_eq!(
        config.csrf.methods,
        [http::Method::POST, http::Method::DELETE]
    );
    assert!(!config.csrf.in_cookies);
    assert_eq!(config.csrf.access_header, "x-xsrf");
    assert!(config.csrf.check_form);
    assert_eq!(config.csrf.access_field, "xsrf");
    assert_eq!(config.query.name, "token");
    assert_eq!(config.query.prefix, "Bearer ");
    assert_eq!(
        (
            config.json.access_key.as_str(),
            config.json.refresh_key.as_str()
        ),
        ("at", "rt")
    );
    assert_eq!(config.error_style, ErrorStyle::FlaskCompat);
    assert_eq!(config.error_message_key, "detail");
    assert_eq!(config.roles_claim, "groups");
    assert_eq!(config.token.access_expires, Duration::from_secs(3600));
}

#[test]
fn env_errors_name_the_variable() {
    let cases = [
        (("JWT_TOKEN_LOCATION", "headers,body"), "JWT_TOKEN_LOCATION"),
        (("JWT_COOKIE_SECURE", "maybe"), "JWT_COOKIE_SECURE"),
        (("JWT_COOKIE_SAMESITE", "sometimes"), "JWT_COOKIE_SAMESITE"),
        (("JWT_HEADER_NAME", ""), "JWT_HEADER_NAME"),
        (("JWT_HEADER_TYPE", "Bearer Token"), "JWT_HEADER_TYPE"),
        (("JWT_CSRF_METHODS", "PO ST"), "JWT_CSRF_METHODS"),
        (("JWT_ERROR_STYLE", "django"), "JWT_ERROR_STYLE"),
        (("JWT_VERIFY_SUB", "false"), "JWT_VERIFY_SUB"),
        (("JWT_ACCESS_COOKIE_NAME", "a;b"), "JWT_ACCESS_COOKIE_NAME"),
    ];
    for ((name, value), expected) in cases {
        let err = config_from(&[(name, value)]).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with(expected), "{name}={value:?} gave {text}");
        assert!(!text.contains('\n'), "one line: {text}");
    }
}

#[test]
fn samesite_none_needs_secure() {
    let err = config_from(&[
        ("JWT_COOKIE_SAMESITE", "None"),
        ("JWT_COOKIE_SECURE", "false"),
    ])
    .unwrap_err();
    assert!(err.to_string().starts_with("JWT_COOKIE_SAMESITE"));
    assert!(config_from(&[("JWT_COOKIE_SAMESITE", "None")]).is_ok());
}

#[test]
fn missing_secret_is_reported_by_name() {
    let err = JwtConfig::from_lookup(|_| None).unwrap_err();
    assert!(err.to_string().starts_with("JWT_SECRET_KEY"), "{err}");
}

#[test]
fn access_token_has_flask_shaped_claims() {
    let (manager, _) = manager();
    let token = manager.create_access_token("alice").unwrap();
    let claims = manager
        .decode_token::<ExtraClaims>(&token, false)
        .unwrap()
        .claims;
    assert_eq!(claims.sub, "alice");
    assert_eq!(claims.token_type, TokenType::Access);
    assert_eq!(claims.iat, Some(NOW));
    assert_eq!(claims.nbf, Some(NOW));
    assert_eq!(claims.exp, Some(NOW + 900));
    assert_eq!(claims.fresh, Fresh::Flag(false));
    assert_eq!(claims.jti.as_deref().map(str::len), Some(36));
    assert_eq!(claims.csrf.as_deref().map(str::len), Some(36));
    let refresh = manager.create_refresh_token("alice").unwrap();
    let claims = manager
        .decode_token::<ExtraClaims>(&refresh, false)
        .unwrap()
        .claims;
    assert_eq!(claims.token_type, TokenType::Refresh);
    assert_eq!(claims.exp, Some(NOW + 30 * 86_400));
}

#[test]
fn fresh_until_and_expires_in_are_written() {
    let (manager, _) = manager();
    let token = manager
        .create_access_token_with(
            "alice",
            TokenOptions::new()
                .fresh_until(NOW + 60)
                .expires(tessera::Expires::In(120)),
        )
        .unwrap();
    let claims = manager
        .decode_token::<ExtraClaims>(&token, false)
        .unwrap()
        .claims;
    assert_eq!(claims.fresh, Fresh::Until((NOW + 60) as f64));
    assert_eq!(claims.exp, Some(NOW + 120));
}

#[test]
fn extra_claims_of_any_serde_type() {
    #[derive(Serialize)]
    struct Profile {
        roles: Vec<&'static str>,
        tenant: u32,
    }
    let (manager, _) = manager();
    let token = manager
        .create_access_token_with(
            "alice",
            TokenOptions::new().claims(&Profile {
                roles: vec!["admin"],
                tenant: 7,
            }),
        )
        .unwrap();
    let claims = manager
        .decode_token::<ExtraClaims>(&token, false)
        .unwrap()
        .claims;
    assert_eq!(
        json!(claims.extra),
        json!({"roles": ["admin"], "tenant": 7})
    );
}

#[test]
fn extra_claims_must_be_an_object_and_not_reserved() {
    let (manager, _) = manager();
    assert!(matches!(
        manager.create_access_token_with("alice", TokenOptions::new().claims(&[1, 2])),
        Err(IssueError::Encode(tessera::EncodeError::ExtraClaims(_)))
    ));
    assert!(matches!(
        manager.create_access_token_with("alice", TokenOptions::new().claim("exp", 1)),
        Err(IssueError::Encode(tessera::EncodeError::ReservedClaim(name))) if name == "exp"
    ));
}

#[test]
fn extra_headers_are_written() {
    let (manager, _) = manager();
    let token = manager
        .create_access_token_with("alice", TokenOptions::new().header("purpose", "test"))
        .unwrap();
    let header = manager
        .decode_token::<ExtraClaims>(&token, false)
        .unwrap()
        .header;
    assert_eq!(header.other["purpose"], "test");
    assert!(
        manager
            .create_access_token_with("alice", TokenOptions::new().header("kid", "x"))
            .is_err()
    );
}

#[test]
fn loaders_add_claims_and_headers_to_every_token() {
    let (manager, _) = manager();
    let manager = manager
        .with_additional_claims(|context| {
            let mut extra = ExtraClaims::new();
            extra.insert("kind".to_owned(), json!(context.token_type.as_str()));
            extra.insert("tenant".to_owned(), json!("loader"));
            extra
        })
        .with_additional_headers(|context| {
            let mut headers = serde_json::Map::new();
            headers.insert("for".to_owned(), json!(context.sub));
            headers
        });
    let token = manager
        .create_refresh_token_with("alice", TokenOptions::new().claim("tenant", "call"))
        .unwrap();
    let decoded = manager.decode_token::<ExtraClaims>(&token, false).unwrap();
    assert_eq!(decoded.claims.extra["kind"], "refresh");
    assert_eq!(
        decoded.claims.extra["tenant"], "call",
        "per-call claims win"
    );
    assert_eq!(decoded.header.other["for"], "alice");
}

#[test]
fn identity_trait_turns_users_into_sub() {
    struct Account {
        id: u64,
    }
    impl Identity for Account {
        fn to_sub(&self) -> String {
            format!("acct-{}", self.id)
        }
    }
    let (manager, _) = manager();
    let token = manager.create_access_token(Account { id: 9 }).unwrap();
    assert_eq!(
        manager
            .decode_token::<ExtraClaims>(&token, false)
            .unwrap()
            .claims
            .sub,
        "acct-9"
    );
    let numeric = manager.create_access_token(42_u64).unwrap();
    assert_eq!(
        manager
            .decode_token::<ExtraClaims>(&numeric, false)
            .unwrap()
            .claims
            .sub,
        "42"
    );
}

#[test]
fn decode_token_with_allow_expired_skips_only_exp() {
    let (manager, clock) = manager();
    let token = manager.create_access_token("alice").unwrap();
    clock.advance(3600);
    assert_eq!(
        manager
            .decode_token::<ExtraClaims>(&token, false)
            .unwrap_err(),
        TokenError::Expired
    );
    assert_eq!(
        manager
            .decode_token::<ExtraClaims>(&token, true)
            .unwrap()
            .claims
            .sub,
        "alice"
    );
    let tampered = format!("{token}x");
    assert!(
        manager
            .decode_token::<ExtraClaims>(&tampered, true)
            .is_err()
    );
}

#[test]
fn get_csrf_token_reads_the_claim() {
    let (manager, _) = manager();
    let issued = manager
        .issue(TokenType::Access, "alice", TokenOptions::new())
        .unwrap();
    assert_eq!(
        Some(manager.get_csrf_token(&issued.token).unwrap()),
        issued.claims.csrf
    );
}

fn tenant_codec(secret: &str, kid: &str) -> TokenCodec {
    let key = Key::hmac(tessera::Algorithm::HS256, secret.as_bytes())
        .unwrap()
        .with_kid(kid);
    TokenCodec::new(KeySet::new(key))
}

#[tokio::test]
async fn key_hooks_choose_the_signing_and_verifying_key_per_token() {
    let tenant = tenant_codec("Vq3mN8xR2pL7wK4tZ9bC1fH6jD0sG5yA", "tenant-b");
    let (manager, _) = manager();
    let signer = tenant.clone();
    let verifier = tenant.clone();
    let manager = manager
        .with_encode_key(move |context| context.sub.starts_with("b:").then(|| signer.clone()))
        .with_decode_key(move |unverified| {
            (unverified.header.get("kid") == Some(&json!("tenant-b"))).then(|| verifier.clone())
        });
    let tenant_token = manager.create_access_token("b:bob").unwrap();
    let home_token = manager.create_access_token("alice").unwrap();
    // The tenant token is signed with the tenant key, not the manager's.
    assert!(
        manager
            .codec()
            .decode::<ExtraClaims>(&tenant_token, TokenType::Access)
            .is_err()
    );
    let tenant_now = tenant.with_clock(manager.clock());
    assert!(
        tenant_now
            .decode::<ExtraClaims>(&tenant_token, TokenType::Access)
            .is_ok()
    );
    let app = app(&manager);
    for (token, sub) in [(tenant_token, "b:bob"), (home_token, "alice")] {
        let reply = send(
            &app,
            request("GET", "/protected", &[("authorization", &bearer(&token))]),
        )
        .await;
        assert_eq!(reply.sub(), sub);
    }
}

#[test]
fn manager_clones_share_configuration_and_debug_hides_secrets() {
    let (manager, _) = manager();
    let clone: JwtManager = manager.clone();
    assert_eq!(clone.config(), manager.config());
    let debug = format!("{manager:?}");
    assert!(!debug.contains(SECRET), "{debug}");
}
