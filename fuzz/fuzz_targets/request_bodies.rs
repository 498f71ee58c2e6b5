//! Any bytes as the JSON body of every endpoint that reads one, through
//! the server's real router over a real SQLite file: a 2xx or a 4xx with
//! an `{error, message}` body, never a 5xx or a panic. The first byte
//! picks the endpoint.
#![no_main]

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tessera::ManualClock;
use tessera::env::Env;
use tessera_server::domain::{Argon2Params, ServerSettings};
use tessera_server::oauth::SocialSettings;
use tessera_server::server_config::ServerConfig;
use tessera_server::store::{Store, StoreOptions};
use tower::ServiceExt;

const ENDPOINTS: [&str; 7] = [
    "/auth/register",
    "/auth/login",
    "/auth/login?cookies=true",
    "/auth/refresh",
    "/auth/logout",
    "/auth/password",
    "/auth/oauth/google/id-token",
];

/// The server's variables: a fuzzing-only secret, limits out of the way.
fn var(name: &str) -> Option<String> {
    match name {
        "JWT_SECRET_KEY" => {
            Some("fuzz-only-secret-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb".into())
        }
        "TESSERA_PUBLIC_URL" => Some("http://auth.fuzz".into()),
        "TESSERA_IP_MAX_ATTEMPTS" | "TESSERA_LOGIN_MAX_FAILURES" => Some("1000000000".into()),
        _ => None,
    }
}

static SERVER: LazyLock<(tokio::runtime::Runtime, Router)> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = std::env::temp_dir().join(format!("tessera-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let router = runtime.block_on(async {
        let config = ServerConfig::from_lookup(var).expect("valid settings");
        let jwt =
            tessera_server::app::server_jwt_config(var, &config).expect("valid token settings");
        let social =
            SocialSettings::from_env(&Env::new(var), &config.public_url).expect("no providers");
        let store = Store::open(&StoreOptions::sqlite(dir.join("fuzz.db")))
            .await
            .expect("the store opens");
        let settings = ServerSettings {
            argon2: Argon2Params {
                memory_kib: 8,
                iterations: 1,
                parallelism: 1,
            },
            ..ServerSettings::default()
        };
        let clock = Arc::new(ManualClock::new(1_700_000_000));
        let state = tessera_server::app::build_state(jwt, settings, &config, social, store, clock)
            .await
            .expect("the server state");
        tessera_server::http::router(state)
    });
    (runtime, router)
});

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let path = ENDPOINTS[usize::from(selector) % ENDPOINTS.len()];
    let (runtime, router) = &*SERVER;
    let request = Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_vec()))
        .expect("a request");
    runtime.block_on(async {
        let response = router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        assert!(!status.is_server_error(), "{path}: {status} {bytes:?}");
        if status.is_client_error() {
            let error: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON error");
            assert!(
                error["error"].is_string() && error["message"].is_string(),
                "{error}"
            );
        }
    });
});
