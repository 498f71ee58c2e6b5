//! In-process cost of a passwordless passkey sign-in through the whole
//! router (no sockets): `POST /auth/passkeys/login/start`, the
//! authenticator's signature (the test suite's software passkey, ES256),
//! then `POST /auth/passkeys/login/finish` minting the token pair, on a
//! SQLite file (WAL, `synchronous=FULL`: every commit is on disk). The
//! signature alone is measured too, so the server's share can be told
//! apart: it is what a real authenticator does on the user's device.
//!
//! Run: `cargo bench -p tessera-server --bench passkey`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../tests/it/passkey_support.rs"]
#[allow(dead_code, unreachable_pub)]
mod passkey_support;

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use passkey_support::{Context, SoftPasskey};
use serde_json::{Value, json};
use tessera::SystemClock;
use tessera_server::app::{build_state, server_jwt_config};
use tessera_server::domain::{NewAccount, Password, ServerSettings};
use tessera_server::server_config::ServerConfig;
use tessera_server::store::{Store, StoreOptions};
use tower::ServiceExt;

/// A benchmark-only secret (never used outside this file).
const BENCH_SECRET: &str = "bench-only-Qm9xZ3V0dGVyLWJlbmNoLXNlY3JldC0xMjM0NTY3ODkw";
/// The relying party: a domain name, as passkeys need.
const PUBLIC_URL: &str = "http://localhost:8080";

async fn call(app: &axum::Router, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The router with one user holding one registered passkey.
async fn signed_up(dir: &std::path::Path) -> (axum::Router, SoftPasskey) {
    let env: HashMap<&str, &str> = HashMap::from([
        ("JWT_SECRET_KEY", BENCH_SECRET),
        ("TESSERA_PUBLIC_URL", PUBLIC_URL),
        ("TESSERA_IP_MAX_ATTEMPTS", "1000000000"),
    ]);
    let lookup = |name: &str| env.get(name).map(|value| (*value).to_owned());
    let config = ServerConfig::from_lookup(lookup).unwrap();
    let jwt_config = server_jwt_config(lookup, &config).unwrap();
    let store = Store::open(&StoreOptions::sqlite(dir.join("bench.db")))
        .await
        .unwrap();
    let settings = ServerSettings::from_lookup(lookup).unwrap();
    let social = tessera_server::oauth::SocialSettings::none(&config.public_url).unwrap();
    let state = build_state(
        jwt_config,
        settings,
        &config,
        social,
        store,
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let password = "correct horse battery staple 42";
    state
        .auth
        .create_user(
            NewAccount {
                username: "bench".to_owned(),
                password: Password::new(password),
                email: None,
                roles: Vec::new(),
            },
            None,
        )
        .await
        .unwrap();
    let app = tessera_server::http::router(state);
    let (_, login) = call(
        &app,
        "/auth/login",
        None,
        json!({ "username": "bench", "password": password }),
    )
    .await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let (_, start) = call(
        &app,
        "/auth/passkeys/register/start",
        Some(&token),
        json!({}),
    )
    .await;
    let (passkey, credential) = SoftPasskey::register(&start, &Context::at(PUBLIC_URL));
    let (status, _) = call(
        &app,
        "/auth/passkeys/register/finish",
        Some(&token),
        json!({ "ceremony_id": start["ceremony_id"], "credential": credential }),
    )
    .await;
    assert_eq!(status, 201);
    (app, passkey)
}

fn passkey_sign_in(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    // One thread: the server's work on one core, as the other figures.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (app, mut passkey) = runtime.block_on(signed_up(dir.path()));
    let here = Context::at(PUBLIC_URL);
    let mut group = c.benchmark_group("passkey");
    group.sample_size(30);
    group.bench_function("sign-in (start, sign, finish)", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let (_, start) = call(&app, "/auth/passkeys/login/start", None, json!({})).await;
                let assertion = passkey.sign_in(&start, &here);
                let (status, body) = call(
                    &app,
                    "/auth/passkeys/login/finish",
                    None,
                    json!({ "ceremony_id": start["ceremony_id"], "credential": assertion }),
                )
                .await;
                assert_eq!(status, 200, "{body}");
            });
        });
    });
    // The authenticator's part alone (done on the user's device in real life).
    let options = runtime.block_on(async {
        call(&app, "/auth/passkeys/login/start", None, json!({}))
            .await
            .1
    });
    group.bench_function("authenticator signature alone", |b| {
        b.iter(|| passkey.sign_in(&options, &here));
    });
    group.finish();
}

criterion_group!(benches, passkey_sign_in);
criterion_main!(benches);
