//! In-process cost of a request through the whole router (no sockets):
//! `GET /auth/verify` next to `GET /healthz`, the difference being what
//! forward auth adds per request (token location, verification, revocation
//! check, response headers).
//!
//! Run: `cargo bench -p tessera-server --bench router`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use tessera::{SystemClock, TokenOptions, TokenType};
use tessera_server::app::{build_state, server_jwt_config};
use tessera_server::domain::ServerSettings;
use tessera_server::server_config::ServerConfig;
use tessera_server::store::{Store, StoreOptions};
use tower::ServiceExt;

/// A benchmark-only secret (never used outside this file).
const BENCH_SECRET: &str = "bench-only-Qm9xZ3V0dGVyLWJlbmNoLXNlY3JldC0xMjM0NTY3ODkw";

fn router(dir: &std::path::Path) -> (axum::Router, String) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let env: HashMap<&str, &str> = HashMap::from([("JWT_SECRET_KEY", BENCH_SECRET)]);
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
        let token = state
            .jwt
            .issue(
                TokenType::Access,
                "42",
                TokenOptions::new()
                    .claim("sid", "0b6f2f1c-4a39-4b8e-9d55-2f1b7f0b9a11")
                    .claim("roles", ["user"]),
            )
            .unwrap()
            .token;
        (tessera_server::http::router(state), token)
    })
}

fn request(path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

fn through_router(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (app, token) = router(dir.path());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for path in ["/healthz", "/auth/verify"] {
        c.bench_function(&format!("router GET {path}"), |b| {
            b.iter(|| {
                let response = runtime
                    .block_on(app.clone().oneshot(request(path, &token)))
                    .unwrap();
                assert!(response.status().is_success());
            });
        });
    }
}

criterion_group!(benches, through_router);
criterion_main!(benches);
