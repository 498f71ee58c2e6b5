//! What the `Jwt<C>` extractor costs on a request, next to the bare token
//! verification it wraps: header location, HS256, in-memory blocklist.
//!
//! Run: `cargo bench -p tessera --bench extract`
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Request, header};
use criterion::{Criterion, criterion_group, criterion_main};
use tessera::{
    DEFAULT_CACHE_CAPACITY, ExtraClaims, Jwt, JwtConfig, JwtManager, MemoryBlocklist, TokenCodec,
    TokenConfig, TokenOptions, TokenType,
};

/// A benchmark-only secret (never used outside this file).
const BENCH_SECRET: &str = "bench-only-Qm9xZ3V0dGVyLWJlbmNoLXNlY3JldC0xMjM0NTY3ODkw";

/// Drives a future that completes without waiting (the in-memory blocklist
/// answers synchronously), so no runtime is measured.
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the extractor waited on I/O"),
    }
}

fn build_manager(cache_capacity: usize) -> JwtManager {
    let config = JwtConfig::new(TokenConfig::with_secret(BENCH_SECRET));
    let codec = TokenCodec::builder(config.token.key_set().unwrap())
        .validation(config.token.validation())
        .cache_capacity(cache_capacity)
        .build();
    let manager = JwtManager::with_codec(config, codec).unwrap();
    let blocklist = MemoryBlocklist::with_shared_clock(manager.clock());
    // A few unrelated revocations, so lookups are not into an empty set.
    for n in 0..64 {
        blocklist.revoke_jti(&format!("revoked-{n}"), Some(manager.now() + 900));
    }
    manager.with_blocklist(blocklist)
}

fn request(token: &str) -> Parts {
    Request::builder()
        .uri("/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::USER_AGENT, "bench")
        .body(())
        .unwrap()
        .into_parts()
        .0
}

fn extractor(c: &mut Criterion) {
    let manager = build_manager(DEFAULT_CACHE_CAPACITY);
    let uncached = build_manager(0);
    let token = manager
        .create_access_token_with(
            "42",
            TokenOptions::new()
                .claim("sid", "0b6f2f1c-4a39-4b8e-9d55-2f1b7f0b9a11")
                .claim("roles", ["user"]),
        )
        .unwrap();
    c.bench_function("verify/HS256 (codec only)", |b| {
        b.iter(|| {
            manager
                .codec()
                .decode::<ExtraClaims>(black_box(&token), TokenType::Access)
                .unwrap()
        });
    });
    c.bench_function("request parts (construction only)", |b| {
        b.iter(|| request(black_box(&token)));
    });
    for (name, manager) in [
        (
            "extractor/Jwt<ExtraClaims>, first sight (parts + locate + verify + blocklist)",
            &uncached,
        ),
        (
            "extractor/Jwt<ExtraClaims>, seen before (parts + locate + token cache + blocklist)",
            &manager,
        ),
    ] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let mut parts = request(black_box(&token));
                ready(Jwt::<ExtraClaims>::from_request_parts(&mut parts, manager)).unwrap()
            });
        });
    }
}

criterion_group!(benches, extractor);
criterion_main!(benches);
