//! Any bytes as the headers a token is read from (`Authorization`,
//! `Cookie`, `X-CSRF-TOKEN`) through the library's `Jwt` extractor on a
//! real axum router: answered (2xx or 4xx), never a 5xx or a panic. The
//! input is split on 0xFF into the three header values.
#![no_main]

use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request};
use axum::routing::any;
use libfuzzer_sys::fuzz_target;
use tessera::{Jwt, JwtConfig, JwtManager, Location, TokenConfig};
use tower::ServiceExt;

static APP: LazyLock<(tokio::runtime::Runtime, Router)> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut config = JwtConfig::new(TokenConfig::with_secret(
        "fuzz-only-secret-cccccccccccccccccccccccccccccccccccccccccccccccc",
    ));
    config.locations = vec![Location::Headers, Location::Cookies, Location::QueryString];
    let manager = JwtManager::new(config).expect("a valid configuration");
    let router = Router::new()
        .route(
            "/protected",
            any(|jwt: Jwt| async move { jwt.claims().sub.clone() }),
        )
        .with_state(manager);
    (runtime, router)
});

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&byte| byte == 0xff);
    let mut request = Request::post("/protected")
        .body(Body::empty())
        .expect("a request");
    for name in ["authorization", "cookie", "x-csrf-token"] {
        if let Some(value) = parts
            .next()
            .and_then(|bytes| HeaderValue::from_bytes(bytes).ok())
        {
            request.headers_mut().insert(name, value);
        }
    }
    let (runtime, router) = &*APP;
    let status = runtime.block_on(async {
        router
            .clone()
            .oneshot(request)
            .await
            .expect("infallible")
            .status()
    });
    assert!(!status.is_server_error(), "{status}");
});
